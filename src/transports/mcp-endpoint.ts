/**
 * The Koa adapter for MCP Streamable HTTP at /mcp. It holds no MCP logic: it guards the request,
 * reads and parses the body within a size limit, finds (or, for `initialize`, creates) the session's
 * SDK transport, and hands it the raw Node request and response with the parsed body.
 *
 * Sessions remember the fingerprint of the token they were opened with. When the token is
 * regenerated those sessions are closed, and since the old token no longer authenticates, any
 * request still carrying it gets 401.
 *
 * Stateless mode (`serve --stateless`, the team deployment's several replicas behind one Service):
 * every POST gets its own SDK server and transport (the SDK's `sessionIdGenerator: undefined`),
 * answers and is closed, so any replica can answer any request and none holds a client's state.
 * What that costs: no Mcp-Session-Id, no GET stream (405, which clients read as "no server
 * stream", so no tools/list_changed), and no elicitation (a server's question needs the answer to
 * come back to the same process, which a round-robin Service does not promise); confirmations use
 * the kernel's signed tokens instead, which every replica holding the shared key can check.
 */
import Router from '@koa/router';
import Koa from 'koa';
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Logger } from '../kernel/logger.js';
import type { TokenStore } from '../providers/config/tokens.js';
import type { Caller } from '../kernel/caller.js';
import { readBodyText } from './body.js';
import { bearerAuth, hostOriginGuard, reject } from './guards.js';
import { healthChecks, type ReadinessCheck } from './ops.js';
import type { ResourceServer } from './oauth.js';

export const MCP_PATH = '/mcp';

interface Session {
  transport: StreamableHTTPServerTransport;
  tokenFingerprint: string;
  /** Team mode: the person who opened the session; only they may use it. */
  owner?: string | undefined;
  lastSeen: number;
  /**
   * When it was opened, and the client's name and version from its initialize (the settings page
   * lists them); read when asked, as the transport registers the session before the SDK server has
   * handled the initialize that names the client.
   */
  openedAt?: number;
  client?: () => { name: string; version: string } | undefined;
}

/** How many evicted session ids are remembered, to tell their client why it got 404. */
const EVICTED_MEMORY = 1000;

/**
 * The open MCP sessions, capped: each holds an SDK Server and its state, and a client that never
 * closes its sessions (or one that opens them in a loop) must not grow the process without end.
 * Past `maxSessions` the least recently used session is closed; its client's next request gets a
 * 404 that says why, and re-initializing is the spec's answer to it.
 */
export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();
  readonly #evicted = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly maxSessions: () => number = () => Infinity,
  ) {}

  get size(): number {
    return this.#sessions.size;
  }

  get(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    if (session) session.lastSeen = Date.now();
    return session;
  }

  add(id: string, session: Session): void {
    this.#sessions.set(id, session);
    const excess = this.#sessions.size - this.maxSessions();
    if (excess <= 0) return;
    const oldest = [...this.#sessions.entries()]
      .filter(([other]) => other !== id)
      .sort(([, a], [, b]) => a.lastSeen - b.lastSeen)
      .slice(0, excess);
    for (const [evicted] of oldest) {
      this.#evicted.add(evicted);
      if (this.#evicted.size > EVICTED_MEMORY) this.#evicted.delete(this.#evicted.values().next().value!);
    }
    this.log.info('sessions evicted: too many open', { count: oldest.length, max: this.maxSessions() });
    void this.close((session) => oldest.some(([, s]) => s === session));
  }

  /** The open sessions, oldest first: id, client and times (never the token or its fingerprint). */
  list(): Array<{ id: string; client: { name: string; version: string } | undefined; openedAt: number; lastSeen: number }> {
    return [...this.#sessions.entries()].map(([id, s]) => ({ id, client: s.client?.(), openedAt: s.openedAt ?? s.lastSeen, lastSeen: s.lastSeen }));
  }

  /** Whether `id` was closed to make room for newer sessions. */
  wasEvicted(id: string): boolean {
    return this.#evicted.has(id);
  }

  forget(id: string): void {
    this.#sessions.delete(id);
  }

  /** Closes every session the predicate selects (all of them by default); returns how many. */
  async close(which: (session: Session) => boolean = () => true): Promise<number> {
    const doomed = [...this.#sessions.entries()].filter(([, session]) => which(session));
    for (const [id] of doomed) this.#sessions.delete(id);
    await Promise.allSettled(doomed.map(([, session]) => session.transport.close()));
    if (doomed.length) this.log.info('sessions closed', { count: doomed.length });
    return doomed.length;
  }
}

export interface EndpointOptions {
  /** Makes each new session's SDK server. */
  kernel: Pick<Kernel, 'newSessionServer'>;
  /** Checks a presented bearer token (in constant time) and names the current one. */
  tokens: Pick<TokenStore, 'matches' | 'fingerprint'>;
  sessions: SessionRegistry;
  log: Logger;
  allowedHosts: () => readonly string[];
  maxBodyBytes: () => number;
  /** Team mode: people sign in with OAuth access tokens instead of the static token. */
  oauth?: ResourceServer | undefined;
  /** Serve without sessions: a fresh SDK server per POST (see the top of this file). */
  stateless?: boolean;
  /** What /readyz checks beyond "the listener runs". */
  notReady?: ReadinessCheck;
  /** Told of every initialize served (a metric). */
  onInitialize?: () => void;
}

export function createMcpApp(options: EndpointOptions): Koa {
  const { kernel, tokens, sessions, log, allowedHosts, maxBodyBytes, oauth, onInitialize } = options;
  const app = new Koa();
  const router = new Router();
  app.silent = true; // errors are logged below, scrubbed, not by Koa's default printer
  app.on('error', (err: Error) => log.warn('http error', { error: err }));

  // Probes come from the kubelet, to the pod's IP, without a token; they learn nothing but ok.
  app.use(healthChecks(options.notReady));
  app.use(hostOriginGuard(oauth ? () => [...allowedHosts(), ...oauth.hostNames] : allowedHosts));
  app.use(oauth ? oauth.bearerAuth() : bearerAuth((token) => tokens.matches(token)));

  const handle = async (ctx: Koa.Context) => {
    let body: unknown;
    if (ctx.method === 'POST') {
      const read = await readJson(ctx, maxBodyBytes());
      if (!read.ok) return;
      body = read.value;
    }
    if (options.stateless) return handleStateless(ctx, kernel, body, onInitialize);
    const sessionId = ctx.get('mcp-session-id');
    const owner = (ctx.state.caller as Caller | undefined)?.name;
    let transport: StreamableHTTPServerTransport;
    if (sessionId) {
      const session = sessions.get(sessionId);
      // Another person's session is not theirs to use: it is as if it did not exist.
      if (!session || session.owner !== owner) {
        const why = sessions.wasEvicted(sessionId)
          ? 'it was closed to make room: the server keeps a limited number of sessions open'
          : 'it ended or the server restarted';
        return reject(ctx, 404, `Session not found: ${why}; initialize a new session`, -32001);
      }
      transport = session.transport;
    } else if (ctx.method === 'POST' && isInitialize(body)) {
      transport = openSession(kernel, sessions, { tokenFingerprint: oauth ? '' : tokens.fingerprint()!, owner }, log);
      onInitialize?.();
    } else {
      return reject(ctx, 400, 'Bad Request: Mcp-Session-Id header is required (send initialize first)');
    }
    ctx.respond = false; // the SDK transport writes the response (JSON or an SSE stream) itself
    cancelOnHangUp(ctx, transport, body);
    await transport.handleRequest(ctx.req, ctx.res, body);
  };
  router.post(MCP_PATH, handle).get(MCP_PATH, handle).delete(MCP_PATH, handle);
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}

function openSession(
  kernel: Pick<Kernel, 'newSessionServer'>,
  sessions: SessionRegistry,
  { tokenFingerprint, owner }: Pick<Session, 'tokenFingerprint' | 'owner'>,
  log: Logger,
): StreamableHTTPServerTransport {
  const server = kernel.newSessionServer();
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      const client = () => {
        const version = server.getClientVersion();
        return version ? { name: version.name, version: version.version } : undefined;
      };
      sessions.add(id, { transport, tokenFingerprint, owner, lastSeen: Date.now(), openedAt: Date.now(), client });
      log.info('session opened', { session: id, client: server.getClientVersion()?.name, ...(owner ? { person: owner } : {}) });
    },
    onsessionclosed: (id) => {
      sessions.forget(id);
      log.info('session closed by client', { session: id });
    },
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.forget(transport.sessionId);
    void server.close();
  };
  void server.connect(transport);
  return transport;
}

/** One request, one SDK server: nothing outlives the response, so any replica may answer the next. */
async function handleStateless(ctx: Koa.Context, kernel: Pick<Kernel, 'newSessionServer'>, body: unknown, onInitialize?: () => void): Promise<void> {
  if (ctx.method !== 'POST') {
    ctx.set('Allow', 'POST');
    return reject(ctx, 405, 'Method Not Allowed: this server runs stateless (replicas behind one Service): no session and no GET stream; POST each request');
  }
  const server = kernel.newSessionServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  await server.connect(transport);
  if (isInitialize(body)) onInitialize?.();
  ctx.respond = false;
  // A hang-up cancels the calls first (their signals fire), then the request's server goes.
  cancelOnHangUp(ctx, transport, body);
  ctx.res.once('close', () => void server.close());
  await transport.handleRequest(ctx.req, ctx.res, body);
}

/**
 * A client that dies mid-call just closes its response stream; it never sends
 * notifications/cancelled. Without this the work goes on to its own timeout (a helm install for
 * minutes). When the stream closes before the answers were written, the requests it carried are
 * cancelled through the SDK's own path, as if the client had cancelled them, so each call's
 * AbortSignal fires and the tool stops (helm killed, requests aborted).
 */
function cancelOnHangUp(ctx: Koa.Context, transport: StreamableHTTPServerTransport, body: unknown): void {
  const ids = (Array.isArray(body) ? body : [body])
    .filter((m): m is { id: string | number; method: string } => Boolean(m && typeof m === 'object' && 'method' in m && 'id' in m))
    .map((m) => m.id);
  if (!ids.length) return;
  ctx.res.once('close', () => {
    if (ctx.res.writableFinished) return;
    for (const requestId of ids) {
      transport.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'the client disconnected' } });
    }
  });
}

function isInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some(isInitializeRequest) : isInitializeRequest(body);
}

/**
 * Reads at most `limit` bytes (413 beyond it, before buffering the excess). A body that is not
 * JSON is passed on as undefined so the SDK answers with its standard JSON-RPC parse error.
 */
async function readJson(ctx: Koa.Context, limit: number): Promise<{ ok: true; value: unknown } | { ok: false }> {
  let text: string;
  try {
    text = await readBodyText(ctx.req, { limit, length: ctx.get('content-length') || undefined });
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 413) {
      reject(ctx, 413, `Request body is larger than the ${limit}-byte limit`);
      return { ok: false };
    }
    reject(ctx, 400, `Could not read the request body: ${(err as Error).message}`);
    return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    reject(ctx, 400, 'Parse error: the body is not valid JSON', -32700);
    return { ok: false };
  }
}
