/**
 * The settings page's Koa app: the page itself (HTML from page.ts; the script and stylesheet are the
^ * plain files in assets/ (files.ts lists them), read once and served as they are: no framework, no
 * CDN) and the small JSON API it drives.
 *
 * Security, in the order the middleware runs:
 * 1. Host and Origin must be loopback names (the MCP endpoint's guard), so a DNS-rebinding page
 *    cannot reach us under its own name.
 * 2. Every /api request must carry the per-process CSRF token in `X-CSRF-Token`. The token is
 *    only in the page's HTML (a <meta> tag), which another origin cannot read: we send no CORS
 *    headers, and the custom header alone forces a preflight we never approve. This is what stops
 *    a page on a loopback name but another port (http://localhost:8080), which the name check
 *    lets through by design.
 * 3. State changes are POST only, with `Content-Type: application/json`, and an Origin, when
 *    sent, must be exactly this page's origin (scheme, name and port).
 * The MCP token is never in the HTML; it leaves the process only in the answer to
 * POST /api/token/command, which the page calls when the person clicks Copy.
 */
import Router from '@koa/router';
import Koa from 'koa';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { Logger } from '../kernel/logger.js';
import type { ContextList } from '../providers/cluster/clusters.js';
import type { ForwardSnapshot } from '../providers/cluster/port-forwards.js';
import type { AuditLog } from '../providers/config/audit.js';
import type { SettingsStore } from '../providers/config/settings.js';
import type { TokenStore } from '../providers/config/tokens.js';
import { hostOriginGuard, isLoopbackAddress, reject, unbracketed } from '../transports/guards.js';
import { mcpUrl, type ListenerStatus } from '../transports/listener.js';
import { registerActivityRoutes } from './api-activity.js';
import { registerClusterRoutes } from './api-clusters.js';
import { registerPolicyRoutes } from './api-policy.js';
import { registerTunnelRoutes } from './api-tunnels.js';
import { PAGE_ASSETS, pageAsset } from './assets/files.js';
import { renderPage } from './assets/page.js';
import { readJsonBody } from './http.js';

/** What the page reads and drives, and nothing more: the running server implements it. */
export interface SettingsControl {
  mcpStatus(): ListenerStatus;
  /** Where MCP listens, or would: saved settings with this run's overrides on top. */
  mcpAddress(): { bind: string; port: number; allowNonLoopback: boolean };
  enableMcp(): Promise<unknown>;
  disableMcp(): Promise<void>;
  /** Throws with a message for the person when the address cannot be changed now. */
  setMcpAddress(bind: string, port: number): void;
  readonly settings: Pick<SettingsStore, 'get' | 'update'>;
  readonly tokens: Pick<TokenStore, 'file' | 'ensure' | 'fingerprint' | 'regenerate'>;
  contexts(): ContextList;
  readonly audit: Pick<AuditLog, 'file' | 'recent'>;
  /** The tools of the destructive class that are loaded (built-in and --tools-dir), by name. */
  destructiveTools(): Array<{ name: string; title: string }>;
  /** Whether this run enables the destructive class whatever the settings say (`--enable-destructive`). */
  destructiveForRun(): boolean;
  /** The port forwards MCP clients opened (port_forward_start), and the ones that ended lately. */
  portForwards(): { open: ForwardSnapshot[]; ended: ForwardSnapshot[] };
  /** Stops one open forward; undefined when no open forward has that id. */
  stopForward(id: string, why: string): Promise<ForwardSnapshot | undefined>;
  /** Every loaded tool (built-in and --tools-dir) with its safety class. */
  tools(): Array<{ name: string; title: string; safety: string }>;
  /** GET /version on the context's API server: the version and the request's time, or why it failed. */
  probeContext(context: string): Promise<{ ok: boolean; version?: string; latencyMs: number; error?: string }>;
  /** The open MCP sessions and the clients that opened them (their initialize clientInfo). */
  mcpSessions(): McpSessionInfo[];
}

export interface McpSessionInfo {
  id: string;
  client: string | null;
  clientVersion: string | null;
  openedAt: string;
  lastSeen: string;
}

export const CSRF_HEADER = 'x-csrf-token';
const BIND_SHAPE = /^(?:[A-Za-z0-9.-]{1,253}|\[?[0-9A-Fa-f:.]{2,45}\]?)$/;

export interface SettingsAppOptions {
  control: SettingsControl;
  log: Logger;
  /** Per-process secret put in the page; random by default. */
  csrfToken?: string;
}

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function createSettingsApp({ control, log, csrfToken = newCsrfToken() }: SettingsAppOptions): Koa {
  const app = new Koa();
  app.silent = true;
  app.on('error', (err: Error) => log.warn('settings page http error', { error: err }));
  const router = new Router();

  app.use(async (ctx, next) => {
    ctx.set(SECURITY_HEADERS);
    await next();
    // A refused API call or state change is worth a line: it is a cross-site attempt or a stale page.
    if ((ctx.status === 403 || ctx.status === 405 || ctx.status === 415) && (ctx.method !== 'GET' || ctx.path.startsWith('/api/'))) {
      const body = ctx.body as { error?: { message?: string } } | undefined;
      log.warn('settings page refused a request', {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        origin: ctx.get('origin') || undefined,
        host: ctx.get('host'),
        reason: body?.error?.message,
      });
    }
  });
  // The page never answers on a name other than a loopback one, whatever it is bound to.
  app.use(hostOriginGuard(() => []));
  app.use(async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'POST') {
      ctx.set('Allow', 'GET, HEAD, POST');
      return reject(ctx, 405, `${ctx.method} is not allowed here`);
    }
    if (!ctx.path.startsWith('/api/')) return next();
    const presented = ctx.get(CSRF_HEADER);
    if (!presented || !sameSecret(presented, csrfToken)) {
      return reject(ctx, 403, 'Missing or wrong X-CSRF-Token: reload the settings page');
    }
    if (ctx.method === 'POST') {
      const origin = ctx.get('origin');
      if (origin && origin !== `${ctx.protocol}://${ctx.get('host')}`) {
        return reject(ctx, 403, `Origin "${origin}" is not this page's origin`);
      }
      if (!ctx.is('application/json')) return reject(ctx, 415, 'Send Content-Type: application/json');
    }
    await next();
  });

  const state = () => {
    const status = control.mcpStatus();
    const address = control.mcpAddress();
    const settings = control.settings.get();
    return {
      mcp: {
        ...status,
        enabled: settings.mcp.enabled,
        configured: { bind: address.bind, port: address.port },
        allowNonLoopback: address.allowNonLoopback,
        sessions: status.state === 'running' ? status.sessions : 0,
        /** Listening beyond loopback (only possible with allowNonLoopback). */
        exposed: status.state === 'running' && !isLoopbackAddress(status.bind),
      },
      token: { fingerprint: safe(() => control.tokens.fingerprint()) ?? null, file: control.tokens.file },
      destructive: destructiveState(),
    };
  };

  /** The destructive class as saved (enabled, and which tools), and whether this run enables it anyway. */
  const destructiveState = () => {
    const { enabledClasses, destructiveTools } = control.settings.get().policy;
    return {
      enabled: enabledClasses.includes('destructive'),
      forRun: control.destructiveForRun(),
      tools: control.destructiveTools().map((t) => ({ ...t, allowed: !destructiveTools.length || destructiveTools.includes(t.name) })),
    };
  };

  const body = (ctx: Koa.Context) => readJsonBody(ctx);

  /** Validates and saves {bind, port} when given and different from the effective address. */
  const applyAddress = (input: Record<string, unknown>): string | undefined => {
    if (input.bind === undefined && input.port === undefined) return undefined;
    const current = control.mcpAddress();
    const bind = input.bind === undefined ? current.bind : String(input.bind).trim();
    const port = input.port === undefined ? current.port : Number(input.port);
    if (!BIND_SHAPE.test(bind)) return `"${bind}" is not a host name or IP address`;
    if (!Number.isInteger(port) || port < 0 || port > 65535) return `Port must be a whole number from 0 to 65535`;
    if (bind === current.bind && port === current.port) return undefined;
    try {
      control.setMcpAddress(unbracketed(bind), port);
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  };

  router.get('/', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = renderPage({ csrfToken });
  });
  for (const name of PAGE_ASSETS) {
    router.get(`/assets/${name}`, (ctx) => {
      ctx.type = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
      ctx.body = pageAsset(name);
    });
  }

  router.get('/api/state', (ctx) => {
    ctx.body = state();
  });

  router.post('/api/mcp/address', async (ctx) => {
    const input = await body(ctx);
    const problem = applyAddress(input);
    ctx.status = problem ? 400 : 200;
    ctx.body = { ...state(), ...(problem ? { problem } : {}) };
  });

  router.post('/api/mcp/enable', async (ctx) => {
    const input = await body(ctx);
    const problem = applyAddress(input);
    if (problem) {
      ctx.status = 400;
      ctx.body = { ...state(), problem };
      return;
    }
    try {
      await control.enableMcp();
      log.info('MCP enabled from the settings page', { url: (control.mcpStatus() as { url?: string }).url });
    } catch (err) {
      // The box bounces back: remember "off", keep the listener's error for the status row.
      control.settings.update((s) => {
        s.mcp.enabled = false;
      });
      log.warn('MCP could not be enabled from the settings page', { error: (err as Error).message });
      ctx.status = 409;
      ctx.body = { ...state(), problem: (err as Error).message };
      return;
    }
    ctx.body = state();
  });

  router.post('/api/mcp/disable', async (ctx) => {
    await body(ctx);
    await control.disableMcp();
    log.info('MCP disabled from the settings page');
    ctx.body = state();
  });

  router.post('/api/token/regenerate', async (ctx) => {
    await body(ctx);
    control.tokens.regenerate();
    log.info('MCP token regenerated from the settings page', { fingerprint: control.tokens.fingerprint() });
    ctx.body = state();
  });

  /** The ready `claude mcp add` command, token included: only on an explicit click. */
  router.post('/api/token/command', async (ctx) => {
    await body(ctx);
    const status = control.mcpStatus();
    const address = control.mcpAddress();
    // Not running yet: the address it will use (a port of 0 is only known once it listens).
    const url = status.state === 'running' ? status.url : mcpUrl(address.bind, address.port || 7331);
    const token = control.tokens.ensure();
    ctx.body = {
      url,
      running: status.state === 'running',
      command: `claude mcp add --scope user kubezilla --transport http ${shellQuote(url)} --header "Authorization: Bearer ${token}"`,
    };
  });

  /**
   * Turns the destructive class on or off, and with `tools` says which of its tools are allowed
   * (all of them is saved as an empty list, so tools added later are allowed too).
   */
  router.post('/api/policy/destructive', async (ctx) => {
    const input = await body(ctx);
    const known = control.destructiveTools().map((t) => t.name);
    const problem = (text: string) => {
      ctx.status = 400;
      ctx.body = { ...state(), problem: text };
    };
    if (typeof input.enabled !== 'boolean') return problem('enabled must be true or false');
    const tools = input.tools;
    if (tools !== undefined && (!Array.isArray(tools) || !tools.every((t): t is string => typeof t === 'string')))
      return problem('tools must be a list of tool names');
    const unknown = (tools ?? []).filter((t) => !known.includes(t));
    if (unknown.length) return problem(`Not destructive tools of this server: ${unknown.join(', ')}`);
    if (input.enabled && tools && !tools.length) return problem('Tick at least one tool, or turn the destructive tools off.');
    control.settings.update((s) => {
      const others = s.policy.enabledClasses.filter((c) => c !== 'destructive');
      s.policy.enabledClasses = input.enabled ? [...others, 'destructive'] : others;
      if (tools) s.policy.destructiveTools = known.every((k) => tools.includes(k)) ? [] : known.filter((k) => tools.includes(k));
    });
    const saved = control.settings.get().policy;
    log.info(`destructive tools ${input.enabled ? 'enabled' : 'disabled'} from the settings page`, {
      tools: saved.destructiveTools.length ? saved.destructiveTools : 'all',
    });
    ctx.body = state();
  });

  router.get('/api/clusters', (ctx) => {
    try {
      const list = control.contexts();
      ctx.body = {
        current: list.current ?? null,
        contexts: list.contexts.map((c) => ({
          name: c.name,
          cluster: c.cluster,
          server: c.server ?? null,
          namespace: c.namespace,
          source: c.source,
          isCurrent: c.isCurrent,
          problem: c.problem ?? null,
          readOnly: c.readOnly ?? null,
          tunnel: c.tunnel
            ? { bastion: c.tunnel.bastion, status: c.tunnel.status, reason: c.tunnel.reason ?? null, since: c.tunnel.since, via: c.tunnel.via }
            : null,
        })),
        problems: list.problems.map((p) => ({ source: p.source, message: p.message, line: p.line ?? null })),
      };
    } catch (err) {
      ctx.body = { current: null, contexts: [], problems: [], error: `Contexts are unavailable: ${(err as Error).message}` };
    }
  });

  // What listens on this machine and where it goes; Stop is POST /api/forwards/stop (api-activity.ts).
  router.get('/api/forwards', (ctx) => {
    try {
      const { open, ended } = control.portForwards();
      ctx.body = { forwards: open, ended };
    } catch (err) {
      ctx.body = { forwards: [], ended: [], error: `Port forwards are unavailable: ${(err as Error).message}` };
    }
  });

  registerClusterRoutes(router, control);
  registerPolicyRoutes(router, control, log);
  registerTunnelRoutes(router, control, log);
  registerActivityRoutes(router, control, log);

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as Error & { status?: number; type?: string };
      if (e.type === 'entity.too.large') return reject(ctx, 413, 'Request body too large');
      if (err instanceof SyntaxError || e.message === 'expected a JSON object') return reject(ctx, 400, `Bad JSON body: ${e.message}`);
      log.warn('settings page request failed', { path: ctx.path, error: e });
      return reject(ctx, 500, e.message);
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
