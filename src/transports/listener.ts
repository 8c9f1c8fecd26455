/**
 * The MCP listener's lifecycle inside one process: start, stop and re-bind at run time (the
 * settings page toggles it), with a status a person can read. Stopping closes every MCP session
 * cleanly, then every open socket, so the port is free the moment stop() resolves.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import { KubezillaError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Logger } from '../kernel/logger.js';
import type { SettingsView } from '../providers/config/settings.js';
import type { TokenStore } from '../providers/config/tokens.js';
import { bracketed, isLoopbackAddress } from './guards.js';
import { listenOn } from './http-listen.js';
import type { ResourceServer } from './oauth.js';
import { createMcpApp, MCP_PATH, SessionRegistry } from './mcp-endpoint.js';
import type { ReadinessCheck } from './ops.js';

/** A session without a request for this long is closed (a client that vanished without DELETE). */
const SESSION_IDLE_MS = 15 * 60 * 1000;

export type ListenerStatus =
  | { state: 'stopped' }
  | { state: 'running'; url: string; bind: string; port: number; sessions: number }
  | { state: 'error'; error: string };

/** How the team deployment runs the listener (all off on a laptop). */
export interface TeamListening {
  /** No sessions: any replica answers any request (see mcp-endpoint.ts). */
  stateless?: boolean;
  /** What /readyz checks beyond "the listener runs". */
  notReady?: ReadinessCheck;
  /** Told of every initialize served. */
  onInitialize?: () => void;
}

export interface ListenOptions {
  bind: string;
  port: number;
  /** Must be true to bind anything but a loopback address. */
  allowNonLoopback: boolean;
}

export class McpListener {
  readonly sessions: SessionRegistry;
  #http: HttpServer | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #status: ListenerStatus = { state: 'stopped' };

  constructor(
    private readonly kernel: Pick<Kernel, 'newSessionServer'>,
    private readonly config: {
      settings: SettingsView;
      tokens: Pick<TokenStore, 'ensure' | 'matches' | 'fingerprint' | 'onRegenerate'>;
      /** Team mode: people sign in (OAuth) instead of presenting the static token. */
      oauth?: ResourceServer | undefined;
    },
    private readonly log: Logger,
    private readonly team: TeamListening = {},
  ) {
    this.sessions = new SessionRegistry(log, () => config.settings.get().mcp.maxSessions);
    const { tokens } = config;
    // Regenerate: close every session opened with the old token; its next request gets 401.
    // (Team mode's sessions were opened with no static token: nothing to close.)
    if (!config.oauth)
      tokens.onRegenerate(() => {
        const current = tokens.fingerprint();
        void this.sessions.close((session) => session.tokenFingerprint !== current);
      });
  }

  status(): ListenerStatus {
    return this.#status.state === 'running' ? { ...this.#status, sessions: this.sessions.size } : this.#status;
  }

  async start({ bind, port, allowNonLoopback }: ListenOptions): Promise<ListenerStatus> {
    if (this.#http) await this.stop();
    if (!isLoopbackAddress(bind) && !allowNonLoopback) {
      const error = new KubezillaError(
        'BIND_REFUSED',
        `refusing to listen on ${bind}: it is not a loopback address`,
        'Pass --allow-non-loopback (or set mcp.allowNonLoopback) if you really want to expose the server to the network.',
      );
      this.#status = { state: 'error', error: error.toLine() };
      throw error;
    }
    const { settings, tokens } = this.config;
    if (!this.config.oauth) tokens.ensure(); // first enable creates the token (team mode has none: people sign in)
    const app = createMcpApp({
      kernel: this.kernel,
      tokens,
      sessions: this.sessions,
      log: this.log,
      allowedHosts: () => {
        const { mcp } = settings.get();
        return mcp.allowNonLoopback ? [...mcp.allowedHosts, bracketed(bind)] : [];
      },
      maxBodyBytes: () => settings.get().mcp.maxBodyBytes,
      ...this.team,
      oauth: this.config.oauth,
    });
    const http = createServer(app.callback());
    // SSE streams stay open for a long time; don't let Node's defaults cut them.
    http.requestTimeout = 0;
    http.headersTimeout = 30_000;
    let actualPort: number;
    try {
      actualPort = await listenOn(http, bind, port, { name: 'MCP server', portFlag: '--port' });
    } catch (error) {
      this.#status = { state: 'error', error: (error as KubezillaError).toLine() };
      throw error;
    }
    this.#http = http;
    // A client that vanished without DELETE leaves its session behind; reclaim it after 15 minutes
    // without a request. (A client that only listened on its GET stream that long gets 404 on
    // its next request and re-initializes, as the spec expects.)
    this.#sweeper = setInterval(() => void this.sessions.close((s) => Date.now() - s.lastSeen > SESSION_IDLE_MS), 60_000);
    this.#sweeper.unref();
    const url = mcpUrl(bind, actualPort);
    this.#status = { state: 'running', url, bind, port: actualPort, sessions: 0 };
    if (!isLoopbackAddress(bind)) {
      this.log.warn('MCP server exposed beyond loopback', {
        url,
        exposes: this.config.oauth
          ? `every cluster in the kubeconfigs, to anyone who signs in with ${this.config.oauth.issuer}, each with their own cluster rights`
          : 'every cluster in your kubeconfigs, to anyone on the network who holds the bearer token',
      });
    }
    this.log.info('MCP server listening', { url });
    return this.status();
  }

  async stop(): Promise<void> {
    const http = this.#http;
    this.#http = undefined;
    clearInterval(this.#sweeper);
    this.#status = { state: 'stopped' };
    if (!http) return;
    await this.sessions.close();
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    this.log.info('MCP server stopped');
  }
}

/** The URL a client uses for an MCP listener on `bind`:`port` (IPv6 addresses bracketed). */
export function mcpUrl(bind: string, port: number): string {
  return `http://${bracketed(bind)}:${port}${MCP_PATH}`;
}
