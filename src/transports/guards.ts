/**
 * Request guards that run before the MCP transport sees anything. Order matters: the
 * Host/Origin check comes first, so a DNS-rebinding page learns nothing (not even whether its
 * token guess was right); then the credential checks; body size last.
 */
import type { Context, Next } from 'koa';
import { isIP } from 'node:net';

/** Names a rebinding page cannot make a browser send for its own origin. Any port is fine. */
export const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'] as const;

export function isLoopbackAddress(address: string): boolean {
  const bare = unbracketed(address);
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

/** An address without URL brackets, as sockets want it: `[::1]` → `::1`. */
export function unbracketed(address: string): string {
  return address.replace(/^\[|\]$/g, '');
}

/** An address as it appears in a URL: IPv6 in brackets, anything else as is. */
export function bracketed(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** The host part of a Host header or URL authority, lower-cased, with IPv6 brackets kept. */
function hostName(authority: string): string {
  const lower = authority.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  return lower.split(':')[0] ?? '';
}

export function hostOriginGuard(allowedNames: () => readonly string[]) {
  return async (ctx: Context, next: Next) => {
    const allowed = new Set([...LOOPBACK_NAMES, ...allowedNames()].map((n) => n.toLowerCase()));
    const host = ctx.get('host');
    if (!host || !allowed.has(hostName(host))) {
      return reject(ctx, 403, `Host "${host}" is not allowed; connect through a loopback name such as 127.0.0.1`);
    }
    const origin = ctx.get('origin');
    if (origin) {
      let name: string;
      try {
        const url = new URL(origin);
        name = url.protocol === 'http:' || url.protocol === 'https:' ? hostName(url.host) : '';
      } catch {
        name = ''; // includes the literal "null" origin of sandboxed frames and file: pages
      }
      if (!allowed.has(name)) return reject(ctx, 403, `Origin "${origin}" is not allowed`);
    }
    await next();
  };
}

/** Query parameters that would carry a credential; URLs end up in logs, histories and referrers. */
const CREDENTIAL_PARAMS = ['token', 'access_token', 'auth', 'authorization', 'apikey', 'api_key', 'key'];

/** Builds the WWW-Authenticate value of a refusal (team mode adds where to sign in). */
export type Challenge = (error?: string, description?: string) => string;

const LAPTOP_CHALLENGE: Challenge = (error) => `Bearer realm="kubezilla-mcp"${error ? `, error="${error}"` : ''}`;

/**
 * The Bearer token a request presents, or undefined after answering 401 itself (none, another
 * scheme, or a credential in the URL).
 */
export function presentedToken(
  ctx: Context,
  challenge: Challenge = LAPTOP_CHALLENGE,
  missing = 'Missing Authorization header; send "Authorization: Bearer <token>"',
): string | undefined {
  if (Object.keys(ctx.query).some((k) => CREDENTIAL_PARAMS.includes(k.toLowerCase()))) {
    unauthorized(ctx, 'invalid_request', 'Tokens in the URL are refused; send the header "Authorization: Bearer <token>" instead', challenge);
    return undefined;
  }
  const header = ctx.get('authorization');
  const match = /^Bearer ([^\s]+)$/i.exec(header);
  if (!header) unauthorized(ctx, undefined, missing, challenge);
  else if (!match) unauthorized(ctx, 'invalid_request', 'The Authorization header must use the Bearer scheme', challenge);
  return match?.[1];
}

export function bearerAuth(matches: (token: string) => boolean) {
  return async (ctx: Context, next: Next) => {
    const token = presentedToken(ctx);
    if (token === undefined) return;
    if (!matches(token)) {
      return unauthorized(ctx, 'invalid_token', 'The bearer token is not valid (it may have been regenerated); re-register the client with the current token');
    }
    await next();
  };
}

export function unauthorized(ctx: Context, error: string | undefined, message: string, challenge: Challenge = LAPTOP_CHALLENGE, status = 401): void {
  ctx.set('WWW-Authenticate', challenge(error, error ? message : undefined));
  reject(ctx, status, message);
}

/** A JSON-RPC-shaped error body, so MCP clients show the message instead of a parse failure. */
export function reject(ctx: Context, status: number, message: string, code = -32000): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = { jsonrpc: '2.0', error: { code, message }, id: null };
}
