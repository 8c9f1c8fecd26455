/**
 * The running application: the kernel, the MCP listener and (beside it) the settings page,
 * plus the control surface both the CLI and the settings page use to enable, disable and
 * re-bind MCP at run time. Effective MCP bind/port = saved settings, overridden for this run by
 * CLI flags until the person changes them on the settings page.
 */
import { type ComposedApp, composeKernel, type RuntimeOptions } from './compose.js';
import type { Kernel } from './kernel/kernel.js';
import type { Logger } from './kernel/logger.js';
import type { AuditLog } from './providers/config/audit.js';
import type { SettingsStore } from './providers/config/settings.js';
import type { TokenStore } from './providers/config/tokens.js';
import { inClusterProblems } from './providers/cluster/in-cluster.js';
import { McpListener, type ListenerStatus } from './transports/listener.js';
import { MetricsListener } from './transports/ops.js';
import type { OAuthOptions, ResourceServer } from './transports/oauth.js';
import type { SettingsControl } from './ui-web/app.js';
import { SettingsPage } from './ui-web/listener.js';

export interface McpOverrides {
  bind?: string;
  port?: number;
  allowNonLoopback?: boolean;
}

export interface ServerOptions extends RuntimeOptions {
  /** Run-time overrides of the saved MCP address (CLI flags); not written to settings.json. */
  mcp: McpOverrides;
  /** `--enable`: turn MCP on and remember it, as ticking Enable on the settings page does. */
  enable: boolean;
  /** `--stateless`: MCP without sessions, for several replicas behind one Service. */
  stateless?: boolean;
  /** `--metrics-bind`/`--metrics-port`: where /metrics listens (needs `team.metrics`). */
  metricsAddress?: { bind: string; port: number };
  /** Team mode (`--oauth-issuer` …): people sign in with OAuth and calls act as each of them. */
  oauth?: OAuthOptions | undefined;
}

export class KubezillaServer implements SettingsControl {
  readonly listener: McpListener;
  /** The settings page; `serve` starts it (page.start()), close() stops it. */
  readonly page: SettingsPage;
  #overrides: McpOverrides;
  readonly #destructiveForRun: boolean;
  readonly kernel: Kernel;
  /** The settings store; modules see only its read-only view. */
  readonly settings: SettingsStore;
  readonly tokens: TokenStore;
  readonly audit: AuditLog;
  readonly #clusters: ComposedApp['clusters'];
  readonly #forwards: ComposedApp['portForwards'];
  /** The /metrics listener, when the team deployment asked for one. */
  readonly metricsListener: MetricsListener | undefined;
  readonly #metricsAddress: ServerOptions['metricsAddress'];
  /** Team mode: validates the people's access tokens and publishes where to sign in. */
  readonly oauth: ResourceServer | undefined;

  private constructor(
    app: ComposedApp,
    readonly log: Logger,
    overrides: McpOverrides,
    destructiveForRun: boolean,
    oauth: ResourceServer | undefined,
    options: Pick<ServerOptions, 'stateless' | 'metricsAddress' | 'team'> = {},
  ) {
    ({ kernel: this.kernel, settings: this.settings, tokens: this.tokens, audit: this.audit, clusters: this.#clusters, portForwards: this.#forwards } = app);
    this.#destructiveForRun = destructiveForRun;
    this.oauth = oauth;
    const { metrics, inCluster } = options.team ?? {};
    this.listener = new McpListener(this.kernel, { settings: this.settings.view, tokens: this.tokens, oauth }, log.child({ component: 'mcp' }), {
      stateless: options.stateless ?? false,
      // Ready = the credentials the pod reaches its cluster with can be read (the listener answering is the rest).
      ...(inCluster ? { notReady: () => inClusterProblems(inCluster) } : {}),
      ...(metrics ? { onInitialize: () => metrics.initialized() } : {}),
    });
    metrics?.countSessions(() => this.listener.sessions.size);
    this.metricsListener = metrics && options.metricsAddress ? new MetricsListener(metrics, log.child({ component: 'metrics' })) : undefined;
    this.#metricsAddress = options.metricsAddress;
    this.page = new SettingsPage(this, log.child({ component: 'ui' }));
    this.#overrides = overrides;
  }

  static async create(options: ServerOptions, log: Logger): Promise<KubezillaServer> {
    // Team mode's sign-in (jose, undici) is loaded only when an issuer is configured: evaluating it
    // would cost every laptop start about 30 ms. A bad flag still fails before anything starts.
    const oauth = options.oauth && new (await import('./transports/oauth.js')).ResourceServer(options.oauth);
    const app = await composeKernel({ ...options, actForCaller: Boolean(oauth) }, log);
    const server = new KubezillaServer(app, log, options.mcp, options.enableDestructive ?? false, oauth, options);
    if (options.enable)
      app.settings.update((s) => {
        s.mcp.enabled = true;
      });
    return server;
  }

  contexts() {
    return this.#clusters().listContexts();
  }

  destructiveTools(): Array<{ name: string; title: string }> {
    return [...this.kernel.registry.tools.values()]
      .filter(({ module }) => module.safety === 'destructive')
      .map(({ module }) => ({ name: module.name, title: module.title }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  destructiveForRun(): boolean {
    return this.#destructiveForRun;
  }

  portForwards() {
    const forwards = this.#forwards();
    return { open: forwards.list(), ended: forwards.ended() };
  }

  async stopForward(id: string, why: string) {
    const forwards = this.#forwards();
    if (!forwards.get(id)) return undefined;
    return forwards.stop(id, why);
  }

  tools(): Array<{ name: string; title: string; safety: string }> {
    return [...this.kernel.registry.tools.values()]
      .map(({ module }) => ({ name: module.name, title: module.title, safety: module.safety }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The settings page's Test: one GET /version, through the context's tunnel if it has one. */
  async probeContext(context: string): Promise<{ ok: boolean; version?: string; latencyMs: number; error?: string }> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    try {
      const handle = await this.#clusters().get(context);
      const answer = await handle.request('/version');
      if (answer.status !== 200) return { ok: false, latencyMs: elapsed(), error: `the API server answered HTTP ${answer.status} for /version` };
      const version = answer.json<{ gitVersion?: string }>().gitVersion;
      return { ok: true, latencyMs: elapsed(), ...(version ? { version } : {}) };
    } catch (err) {
      const hint = (err as { hint?: string }).hint;
      return { ok: false, latencyMs: elapsed(), error: `${(err as Error).message}${hint ? ` ${hint}` : ''}` };
    }
  }

  mcpSessions() {
    return this.listener.sessions.list().map((s) => ({
      id: s.id,
      client: s.client?.name ?? null,
      clientVersion: s.client?.version ?? null,
      openedAt: new Date(s.openedAt).toISOString(),
      lastSeen: new Date(s.lastSeen).toISOString(),
    }));
  }

  mcpStatus(): ListenerStatus {
    return this.listener.status();
  }

  /** Where MCP listens (or would): saved settings with this run's overrides on top. */
  mcpAddress(): { bind: string; port: number; allowNonLoopback: boolean } {
    const { mcp } = this.settings.get();
    return {
      bind: this.#overrides.bind ?? mcp.bind,
      port: this.#overrides.port ?? mcp.port,
      allowNonLoopback: this.#overrides.allowNonLoopback ?? mcp.allowNonLoopback,
    };
  }

  /** Starts whatever the settings say should run. */
  async start(): Promise<void> {
    this.tokens.watch();
    if (this.metricsListener && this.#metricsAddress) await this.metricsListener.start(this.#metricsAddress.bind, this.#metricsAddress.port);
    if (this.settings.get().mcp.enabled) await this.listener.start(this.mcpAddress());
  }

  async enableMcp(): Promise<ListenerStatus> {
    this.settings.update((s) => {
      s.mcp.enabled = true;
    });
    return this.listener.start(this.mcpAddress());
  }

  async disableMcp(): Promise<void> {
    this.settings.update((s) => {
      s.mcp.enabled = false;
    });
    await this.listener.stop();
  }

  /** Saves a new MCP address; refused while running (untick Enable, edit, re-tick, as the settings page says). */
  setMcpAddress(bind: string, port: number): void {
    if (this.listener.status().state === 'running') {
      throw new Error('Stop the MCP server before changing its bind address or port.');
    }
    this.settings.update((s) => {
      s.mcp.bind = bind;
      s.mcp.port = port;
    });
    this.#overrides = { ...this.#overrides, bind: undefined, port: undefined };
  }

  async close(): Promise<void> {
    this.tokens.unwatch();
    await this.page.stop();
    await this.listener.stop();
    await this.metricsListener?.stop();
    await this.kernel.dispose();
    await this.oauth?.close();
  }
}
