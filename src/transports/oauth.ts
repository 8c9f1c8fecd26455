/**
 * Team mode's sign-in: Kubezilla as an OAuth 2.1 resource server (MCP authorization, protocol
 * 2025-11-25). A client finds the authorization server through the Protected Resource Metadata
 * (RFC 9728) this server publishes and that every 401 points to, signs the person in there, and
 * sends the access token as a Bearer header. Each request's token is validated here: a JWT signed
 * by a key of the configured issuer (OIDC discovery, then its JWKS, with `jose`), issued by that
 * issuer, for this server (the audience is its own resource URL, RFC 8707), not expired, and
 * granting at least one of the scopes that map to the safety classes. What it yields is the
 * Caller (src/kernel/caller.ts): the person's name, the classes their scopes reach, and how calls
 * to clusters carry their rights (impersonation, or their own token passed through).
 *
 * Nothing about a token reaches a log or an error: descriptions name the claim that failed, never
 * the token. The issuer is fetched over HTTPS only (a loopback issuer may be plain HTTP, for a
 * developer's own), with the system's CAs or the one given for it.
 */
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Acting, Caller } from '../kernel/caller.js';
import { KubezillaError } from '../kernel/errors.js';
import { registerSecret } from '../kernel/logger.js';
import { CLASS_SCOPES, classesForScopes } from '../kernel/policy.js';
import type { Context, Next } from 'koa';
import { isLoopbackAddress, presentedToken, unauthorized } from './guards.js';

export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

export interface OAuthOptions {
  /** The authorization server's issuer identifier (`iss`), an https URL. */
  issuer: string;
  /** This server's own resource URL as clients reach it, e.g. https://kubezilla.example.com/mcp. */
  resource: string;
  /** The `aud` a token must carry; default the resource URL (RFC 8707). */
  audience?: string | undefined;
  /** PEM file of the CA that signed the issuer's TLS certificate, when it is not a public one. */
  caFile?: string | undefined;
  /** The claim holding the granted scopes (a space-separated string or a list); default `scope`. */
  scopeClaim?: string | undefined;
  /** Scopes granted to a token that carries no scope claim at all (an issuer without scopes); default none. */
  defaultScopes?: readonly string[] | undefined;
  /** How calls reach clusters: as the person by impersonation, or with the person's own token. */
  acting: 'impersonate' | 'token';
  /** The claim naming the person; default `sub`. */
  userClaim?: string | undefined;
  /** The claim listing the person's groups; default `groups`. */
  groupsClaim?: string | undefined;
  /** Put before the user and each group when impersonating; default `oidc:`. */
  identityPrefix?: string | undefined;
  /** Seconds of clock skew tolerated on exp/nbf/iat; default 30. */
  clockToleranceSeconds?: number | undefined;
  /** The time tokens are judged at (tests judge a real token at a later time). */
  now?: () => Date;
}

export type TokenVerdict =
  | { ok: true; caller: Caller; scopes: string[] }
  | { ok: false; status: 401 | 403 | 503; error: 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable'; description: string };

/** How long a failed discovery is remembered before the issuer is asked again. */
const DISCOVERY_RETRY_MS = 10_000;

export class ResourceServer {
  readonly issuer: string;
  readonly resource: string;
  readonly audience: string;
  readonly #options: OAuthOptions;
  readonly #dispatcher: Agent;
  #keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  #keysFailedAt = 0;

  constructor(options: OAuthOptions) {
    this.issuer = checkedUrl(options.issuer, '--oauth-issuer');
    this.resource = checkedUrl(options.resource, '--resource-url');
    this.audience = options.audience ?? this.resource;
    this.#options = options;
    let ca: string | undefined;
    if (options.caFile) {
      try {
        ca = readFileSync(options.caFile, 'utf8');
      } catch (err) {
        throw new KubezillaError(
          'BAD_FLAG',
          `--oauth-ca ${options.caFile} cannot be read: ${(err as NodeJS.ErrnoException).code}`,
          "Give the PEM file of the CA that signed the issuer's certificate.",
        );
      }
    }
    this.#dispatcher = new Agent(ca ? { connect: { ca } } : {});
  }

  /** The host names clients use to reach this server (the resource URL's), for the Host/Origin check. */
  get hostNames(): string[] {
    return [new URL(this.resource).hostname.toLowerCase()]; // an IPv6 address comes bracketed, as Host carries it
  }

  /** Where this server's Protected Resource Metadata is (RFC 9728: the resource's path after the well-known one). */
  get metadataUrl(): string {
    const url = new URL(this.resource);
    return `${url.origin}${PROTECTED_RESOURCE_PATH}${url.pathname.replace(/\/$/, '')}`;
  }

  /** The Protected Resource Metadata document. */
  metadata(): Record<string, unknown> {
    return {
      resource: this.resource,
      authorization_servers: [this.issuer],
      scopes_supported: Object.values(CLASS_SCOPES),
      bearer_methods_supported: ['header'],
      resource_name: 'Kubezilla MCP',
    };
  }

  /** The WWW-Authenticate value for a refusal: where to learn how to sign in, and what went wrong. */
  challenge(error?: string, description?: string): string {
    const parts = [`Bearer resource_metadata="${this.metadataUrl}"`, `scope="${Object.values(CLASS_SCOPES).join(' ')}"`];
    if (error) parts.push(`error="${error}"`);
    // Printable ASCII only, bounded: it may quote a claim (an audience), and a header takes no more.
    if (description)
      parts.push(
        `error_description="${description
          .replace(/["\\]/g, "'")
          .replace(/[^\x20-\x7e]/g, '?')
          .slice(0, 400)}"`,
      );
    return parts.join(', ');
  }

  async verify(token: string): Promise<TokenVerdict> {
    let keys: ReturnType<typeof createRemoteJWKSet>;
    try {
      keys = await this.#jwks();
    } catch (err) {
      return { ok: false, status: 503, error: 'temporarily_unavailable', description: (err as Error).message };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.issuer,
        audience: this.audience,
        requiredClaims: ['exp'],
        clockTolerance: this.#options.clockToleranceSeconds ?? 30,
        ...(this.#options.now ? { currentDate: this.#options.now() } : {}),
      }));
    } catch (err) {
      return this.#refusal(err);
    }
    return this.#callerFrom(payload, token);
  }

  #refusal(err: unknown): TokenVerdict {
    const invalid = (description: string): TokenVerdict => ({ ok: false, status: 401, error: 'invalid_token', description });
    if (err instanceof errors.JWTExpired) {
      const exp = typeof err.payload.exp === 'number' ? new Date(err.payload.exp * 1000).toISOString() : 'an unknown time';
      return invalid(`the access token expired at ${exp}; sign in again`);
    }
    if (err instanceof errors.JWTClaimValidationFailed) {
      if (err.claim === 'iss')
        return invalid(`the access token was issued by ${String(err.payload.iss)}, not by ${this.issuer}, the issuer this server trusts`);
      if (err.claim === 'aud') {
        return invalid(
          `the access token is for ${[err.payload.aud].flat().join(', ')}, not for this server (${this.audience}); ask for a token with resource=${this.resource}`,
        );
      }
      return invalid(`the access token's "${err.claim}" claim is not acceptable (${err.reason})`);
    }
    if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
      return invalid(`the access token's signature does not verify with the keys of ${this.issuer}`);
    }
    if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
      return {
        ok: false,
        status: 503,
        error: 'temporarily_unavailable',
        description: `the keys of ${this.issuer} could not be fetched: ${(err as Error).message}`,
      };
    }
    return invalid(`the access token is not a valid signed JWT (${(err as errors.JOSEError).code})`);
  }

  #callerFrom(payload: JWTPayload, token: string): TokenVerdict {
    const options = this.#options;
    const userClaim = options.userClaim ?? 'sub';
    const name = payload[userClaim];
    if (typeof name !== 'string' || name === '') {
      return { ok: false, status: 401, error: 'invalid_token', description: `the access token has no "${userClaim}" claim naming the person` };
    }
    const rawGroups = payload[options.groupsClaim ?? 'groups'];
    const groups = (Array.isArray(rawGroups) ? rawGroups : typeof rawGroups === 'string' ? [rawGroups] : []).filter(
      (g): g is string => typeof g === 'string' && g !== '',
    );
    // Impersonated names are prefixed, so the issuer's cannot collide with the cluster's; a token
    // passed through is read by the API server itself, which names the person its own way.
    const impersonating = options.acting === 'impersonate';
    const prefix = impersonating ? (options.identityPrefix ?? 'oidc:') : '';
    const user = prefix + name;
    const prefixed = groups.map((g) => prefix + g);
    // Without a prefix the issuer's names are the cluster's names: it must not be able to name the
    // cluster's own privileged identities (system:masters, system:admin, nodes).
    const reserved = impersonating && [user, ...prefixed].find((n) => n.startsWith('system:') && !/^system:serviceaccount:[^:]+:[^:]+$/.test(n));
    if (reserved) {
      return {
        ok: false,
        status: 403,
        error: 'invalid_token',
        description: `the token names the reserved Kubernetes identity "${reserved}", which this server never acts as; set --identity-prefix so the issuer's names cannot collide with the cluster's`,
      };
    }
    const scopes = this.#scopes(payload);
    const classes = classesForScopes(scopes);
    if (!classes.length) {
      return {
        ok: false,
        status: 403,
        error: 'insufficient_scope',
        description: `the access token grants none of this server's scopes (${Object.values(CLASS_SCOPES).join(', ')}); sign in asking for at least ${CLASS_SCOPES.read}`,
      };
    }
    let acting: Acting;
    if (options.acting === 'token') {
      registerSecret(token); // it now travels to the API server: never into a log
      acting = { kind: 'token', user, token };
    } else {
      acting = { kind: 'impersonate', user, groups: prefixed };
    }
    return { ok: true, scopes, caller: { name: user, classes, scopes, acting, expiresAt: payload.exp! } };
  }

  #scopes(payload: JWTPayload): string[] {
    const claim = this.#options.scopeClaim ?? 'scope';
    const value = payload[claim] ?? (claim === 'scope' ? payload.scp : undefined);
    if (value === undefined) return [...(this.#options.defaultScopes ?? [])];
    const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(' ') : [];
    return list.filter((s): s is string => typeof s === 'string' && s !== '');
  }

  /** The issuer's key set, found through its discovery document (fetched once, retried after a failure). */
  #jwks(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.#keys && this.#keysFailedAt && Date.now() - this.#keysFailedAt > DISCOVERY_RETRY_MS) {
      this.#keys = undefined;
      this.#keysFailedAt = 0;
    }
    this.#keys ??= this.#discover().catch((err) => {
      this.#keysFailedAt = Date.now();
      throw err;
    });
    return this.#keys;
  }

  async #discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const fetchJson = async (url: string) => {
      const response = await undiciFetch(url, { dispatcher: this.#dispatcher, signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return (await response.json()) as Record<string, unknown>;
    };
    const base = this.issuer.replace(/\/$/, '');
    let document: Record<string, unknown> | undefined;
    const problems: string[] = [];
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      try {
        document = await fetchJson(base + path);
        break;
      } catch (err) {
        problems.push(`${path}: ${describeFetchError(err)}`);
      }
    }
    if (!document) throw new Error(`the issuer ${this.issuer} could not be discovered (${problems.join('; ')})`);
    if (document.issuer !== this.issuer) {
      throw new Error(`the issuer's discovery document names ${String(document.issuer)}, not ${this.issuer}; use exactly that URL as --oauth-issuer`);
    }
    if (typeof document.jwks_uri !== 'string') throw new Error(`the issuer ${this.issuer} publishes no jwks_uri`);
    const jwksUri = checkedUrl(document.jwks_uri, "the issuer's jwks_uri");
    const dispatcher = this.#dispatcher;
    return createRemoteJWKSet(new URL(jwksUri), {
      [customFetch]: (url, init) => undiciFetch(url, { ...(init as object), dispatcher }) as unknown as Promise<Response>,
    });
  }

  /** The request guard that checks this server's access tokens (oauthBearerAuth). */
  bearerAuth(): ReturnType<typeof oauthBearerAuth> {
    return oauthBearerAuth(this);
  }

  async close(): Promise<void> {
    await this.#dispatcher.close().catch(() => undefined);
  }
}

/**
 * The request guard of team mode, in place of the static token's: serves the Protected Resource
 * Metadata to anyone (it is how a client learns where to sign in), and lets a request through
 * only with a valid access token, which it hands to the SDK transport as `req.auth` (the SDK
 * passes it to the session's server with every message as `authInfo`).
 */
function oauthBearerAuth(server: ResourceServer) {
  const challenge = (error?: string, description?: string) => server.challenge(error, description);
  const missing = `Sign-in required: get an access token from ${server.issuer} for ${server.resource} (see ${server.metadataUrl}) and send it as "Authorization: Bearer <token>"`;
  return async (ctx: Context, next: Next) => {
    if (ctx.path === PROTECTED_RESOURCE_PATH || ctx.path.startsWith(`${PROTECTED_RESOURCE_PATH}/`)) {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
        ctx.status = 405;
        ctx.set('Allow', 'GET, HEAD');
        return;
      }
      ctx.set('Cache-Control', 'max-age=300');
      ctx.body = server.metadata();
      return;
    }
    const token = presentedToken(ctx, challenge, missing);
    if (token === undefined) return;
    const verdict = await server.verify(token);
    if (!verdict.ok) {
      if (verdict.status === 503) {
        ctx.set('Retry-After', '10');
        return unauthorized(ctx, undefined, `The access token cannot be checked now: ${verdict.description}`, challenge, 503);
      }
      return unauthorized(ctx, verdict.error, `Refused: ${verdict.description}`, challenge, verdict.status);
    }
    const { caller, scopes } = verdict;
    (ctx.req as typeof ctx.req & { auth?: AuthInfo }).auth = {
      token,
      clientId: caller.name,
      scopes,
      expiresAt: caller.expiresAt,
      resource: new URL(server.resource),
      extra: { caller },
    };
    ctx.state.caller = caller;
    await next();
  };
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** An https URL (plain http only on a loopback host, for a developer's own issuer), as given. */
function checkedUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KubezillaError('BAD_FLAG', `${what} must be a URL (got "${value}")`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackAddress(url.hostname))) {
    throw new KubezillaError(
      'BAD_FLAG',
      `${what} must be an https URL (got "${value}")`,
      'OAuth tokens and keys travel only over TLS; plain http is accepted for a loopback address only.',
    );
  }
  return value;
}
