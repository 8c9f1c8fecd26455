/**
 * The `clusters` provider: what every cluster tool uses.
 *
 * ```ts
 * clusters.listContexts(): ContextList
 *   // every context from every kubeconfig source: name (unique; `name@<file>` when two sources
 *   // define it), cluster, server, user name (never credentials), namespace, source file,
 *   // isCurrent, tunnel state when it goes through a bastion, read-only reason, problem if
 *   // unusable; plus the broken sources (file, message, line).
 * await clusters.get(context?: string): ClusterHandle   // made on first use, cached, dropped
 *                                                        // when its kubeconfig or tunnel changes
 * clusters.resolve(context?) / clusters.readOnlyReason(context, list)  // for the kernel's policy
 * clusters.tunnelStates(): TunnelState[]
 * await clusters.close()
 * ```
 *
 * What a handle offers is in handle.ts. Nothing is contacted before the first request on a
 * context, and each context fails on its own.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { type Acting, currentCaller } from '../../kernel/caller.js';
import type { ClusterTargets } from '../../kernel/call-scope.js';
import { ToolError } from '../../kernel/contract.js';
import type { Logger } from '../../kernel/logger.js';
import { levenshtein } from './discovery.js';
import type { KubeconfigStore, ResolvedContext, SourceProblem } from './kubeconfig.js';
import { bastionKey, TUNNEL_EXTENSION, type TunnelRegistry, type TunnelConfig, type TunnelState } from './tunnels.js';
import { ClusterHandle, type ClientNode } from './handle.js';
import { timedClientNode, type ObserveRequest } from './request-metrics.js';

let clientNode: Promise<ClientNode> | undefined;
/**
 * client-node takes about a second to import, more than the whole rest of the server: it is
 * loaded on the first call that needs a cluster, never at start-up.
 */
function loadClientNode(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node');
  return clientNode;
}

export interface ContextInfo {
  name: string;
  /** The name as written in its kubeconfig (differs from `name` when disambiguated). */
  originalName: string;
  cluster: string;
  server: string | undefined;
  user: string | undefined;
  namespace: string;
  source: string;
  isCurrent: boolean;
  tunnel?: TunnelState & { via: 'settings' | 'kubeconfig' | 'both' };
  /** Why this context cannot be used as is. */
  problem?: string;
  /** Why the policy makes this context read-only (listed, or the same API server as a listed one). */
  readOnly?: string;
}

export interface ContextList {
  contexts: ContextInfo[];
  current: string | undefined;
  /** Sources that could not be read or parsed (file, message, line), and bad entries. */
  problems: SourceProblem[];
}

export interface ClusterProviderOptions {
  kubeconfig: KubeconfigStore;
  tunnels: TunnelRegistry;
  /** settings.tunnels, keyed by context name. */
  tunnelSettings?: () => Record<string, TunnelConfig>;
  /** policy.readOnlyContexts, so listContexts can say which contexts it covers. */
  readOnlyContexts?: () => readonly string[];
  logger?: Logger;
  requestTimeoutMs?: number;
  /** Milliseconds now, for discovery's cache ages; tests pass a clock they can move. */
  clock?: () => number;
  /** Hears every request to an API server end (the team deployment's /metrics). */
  observeRequest?: ObserveRequest;
  /**
   * Team mode: every handle acts for the signed-in person of the request in progress, and a
   * request with no person is refused rather than sent with the server's own rights.
   */
  actForCaller?: boolean;
}

/** How many people's handles are kept; past it the least recently used go (they are cheap to make again). */
const MAX_PERSON_HANDLES = 256;

/** The cache slot of a person's handle on a context; a passed-through token is hashed, never kept as a key. */
function personKey(acting: Acting): string {
  const who = acting.kind === 'impersonate' ? [acting.user, ...acting.groups].join('\n') : createHash('sha256').update(acting.token).digest('hex');
  return `${acting.kind}:${who}`;
}

/** Reads and validates the tunnel configuration of a context. Exported for tests. */
export function tunnelFor(
  ctx: ResolvedContext,
  settings: Record<string, TunnelConfig>,
): { config: TunnelConfig; via: 'settings' | 'kubeconfig' | 'both' } | { error: string } | undefined {
  const fromSettings = settings[ctx.name] ?? settings[ctx.originalName];
  const ext = ctx.raw.clusterExtensions[TUNNEL_EXTENSION];
  if (!fromSettings && ext === undefined) return undefined;
  let fromExt: Partial<TunnelConfig> | undefined;
  if (ext !== undefined) {
    if (!ext || typeof ext !== 'object' || Array.isArray(ext))
      return { error: `the ${TUNNEL_EXTENSION} extension of cluster "${ctx.clusterName}" is not a mapping` };
    const e = ext as Record<string, unknown>;
    const allowed = ['host', 'port', 'user', 'identityFile', 'knownHostsFile', 'remoteServer', 'idleTimeoutSeconds', 'apiVersion', 'kind'];
    const unknown = Object.keys(e).filter((k) => !allowed.includes(k));
    if (unknown.length) return { error: `the ${TUNNEL_EXTENSION} extension of cluster "${ctx.clusterName}" has unknown field(s): ${unknown.join(', ')}` };
    for (const k of ['host', 'user', 'identityFile', 'knownHostsFile', 'remoteServer'] as const) {
      if (e[k] !== undefined && typeof e[k] !== 'string') return { error: `${TUNNEL_EXTENSION}.${k} must be a string (cluster "${ctx.clusterName}")` };
    }
    for (const k of ['port', 'idleTimeoutSeconds'] as const) {
      if (e[k] !== undefined && (typeof e[k] !== 'number' || !Number.isInteger(e[k]) || (e[k] as number) < 1)) {
        return { error: `${TUNNEL_EXTENSION}.${k} must be a positive integer (cluster "${ctx.clusterName}")` };
      }
    }
    fromExt = Object.fromEntries(Object.entries(e).filter(([k, v]) => v !== undefined && k !== 'apiVersion' && k !== 'kind')) as Partial<TunnelConfig>;
  }
  const merged = { ...fromExt, ...stripUndefined(fromSettings ?? {}) } as Partial<TunnelConfig>;
  if (!merged.host || !merged.user) {
    return { error: `the SSH tunnel for context "${ctx.name}" needs at least host and user (see docs/ssh-tunnels.md)` };
  }
  return { config: merged as TunnelConfig, via: fromSettings && fromExt ? 'both' : fromSettings ? 'settings' : 'kubeconfig' };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A `token-file` is read when the client is made (client-node), so a rotated file (projected
 * service-account tokens, a sidecar refreshing it) must make a new client: its mtime is part of
 * the handle's key.
 */
function tokenFileVersion(ctx: ResolvedContext): string {
  const file = ctx.raw.user['token-file'];
  if (typeof file !== 'string') return '';
  try {
    const st = statSync(file);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'missing';
  }
}

function singleOrUndefined<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}

/** An API server URL in one spelling: lower-case host, default port dropped, no trailing slash. */
export function normalizeServer(server: string): string {
  try {
    const url = new URL(server);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return server.trim().replace(/\/+$/, '');
  }
}

export class ClusterProvider implements ClusterTargets {
  readonly tunnels: TunnelRegistry;
  #kubeconfig: KubeconfigStore;
  #tunnelSettings: () => Record<string, TunnelConfig>;
  #readOnlyContexts: () => readonly string[];
  #handles = new Map<string, { key: string; handle: Promise<ClusterHandle> }>();
  /**
   * Team mode: a handle per person and context, by `context\0person`, most recently used last; made
   * again when the context's own handle is (its kubeconfig or tunnel changed).
   */
  #personHandles = new Map<string, { base: ClusterHandle; expiresAt: number; handle: Promise<ClusterHandle> }>();
  readonly #actForCaller: boolean;
  #logger: Logger | undefined;
  #requestTimeoutMs: number;
  readonly #clock: (() => number) | undefined;
  readonly #observeRequest: ObserveRequest | undefined;
  #seenGeneration = -1;

  constructor(options: ClusterProviderOptions) {
    this.#kubeconfig = options.kubeconfig;
    this.tunnels = options.tunnels;
    this.#tunnelSettings = options.tunnelSettings ?? (() => ({}));
    this.#readOnlyContexts = options.readOnlyContexts ?? (() => []);
    this.#logger = options.logger;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#observeRequest = options.observeRequest;
    this.#clock = options.clock;
    this.#actForCaller = options.actForCaller ?? false;
  }

  /** Every context, with problems; reads only local files (never a cluster). */
  listContexts(): ContextList {
    const snap = this.#kubeconfig.snapshot();
    const settings = this.#tunnelSettings();
    const readOnlyContexts = this.#readOnlyContexts();
    const contexts = snap.contexts.map((c): ContextInfo => {
      const t = tunnelFor(c, settings);
      const info: ContextInfo = {
        name: c.name,
        originalName: c.originalName,
        cluster: c.clusterName,
        server: c.server,
        user: c.userName,
        namespace: c.namespace ?? 'default',
        source: c.source,
        isCurrent: c.name === snap.current,
      };
      if (t && 'config' in t) info.tunnel = { ...this.tunnels.state(t.config), via: t.via };
      const problem = c.problem ?? (t && 'error' in t ? t.error : undefined);
      if (problem) info.problem = problem;
      const readOnly = this.readOnlyReason(c.name, readOnlyContexts);
      if (readOnly) info.readOnly = readOnly;
      return info;
    });
    return { contexts, current: snap.current, problems: snap.problems };
  }

  /**
   * Calls `changed` whenever the contexts or their sources change (a kubeconfig edited, added,
   * broken or fixed; settings changed) or a tunnel changes state. Returns a function that stops
   * watching.
   */
  watchContexts(changed: (list: ContextList) => void): () => void {
    const stopFiles = this.#kubeconfig.watch(() => changed(this.listContexts()));
    const stopTunnels = this.tunnels.onStateChange(() => changed(this.listContexts()));
    return () => {
      stopFiles();
      stopTunnels();
    };
  }

  tunnelStates(): TunnelState[] {
    return this.tunnels.list();
  }

  /**
   * The context's handle (default: the current context); ToolError when it does not exist. In team
   * mode, the handle of the signed-in person the request in progress acts for.
   */
  async get(contextName?: string): Promise<ClusterHandle> {
    if (!this.#actForCaller) return this.#contextHandle(contextName);
    const caller = currentCaller();
    if (!caller) {
      throw new ToolError(
        'This server acts only for signed-in people, and this request carries no one: it was not sent.',
        "This is a fault in the server (a request outside any person's call): report it.",
      );
    }
    const base = await this.#contextHandle(contextName);
    this.#dropExpired();
    const slot = `${base.context}\0${personKey(caller.acting)}`;
    const cached = this.#personHandles.get(slot);
    this.#personHandles.delete(slot);
    if (cached && cached.base === base) {
      // Now the most recently used, and good as long as the person's latest token.
      this.#personHandles.set(slot, { ...cached, expiresAt: Math.max(cached.expiresAt, caller.expiresAt) });
      return cached.handle;
    }
    if (cached) void cached.handle.then((h) => h.dispose());
    const port = base.localServer ? Number(new URL(base.localServer).port) : undefined;
    const tunnel = base.tunnel && port ? { config: base.tunnel, localPort: port } : undefined;
    const k8s = await loadClientNode();
    const provider = {
      tunnels: this.tunnels,
      requestTimeoutMs: this.#requestTimeoutMs,
      k8s: this.#observeRequest ? timedClientNode(k8s, base.context, this.#observeRequest) : k8s,
      ...(this.#logger ? { logger: this.#logger } : {}),
      ...(this.#clock ? { clock: this.#clock } : {}),
    };
    const handle = Promise.resolve(new ClusterHandle(base.resolved, provider, tunnel, { acting: caller.acting, discovery: base.discovery }));
    this.#personHandles.set(slot, { base, expiresAt: caller.expiresAt, handle });
    for (const [old, entry] of this.#personHandles) {
      if (this.#personHandles.size <= MAX_PERSON_HANDLES) break;
      this.#personHandles.delete(old);
      void entry.handle.then((h) => h.dispose());
    }
    return handle;
  }

  /** Handles whose person's token has expired: that person's next request comes with a new one. */
  #dropExpired(): void {
    const now = Date.now() / 1000;
    for (const [slot, entry] of this.#personHandles) {
      if (entry.expiresAt > now) continue;
      this.#personHandles.delete(slot);
      void entry.handle.then((h) => h.dispose());
    }
  }

  /** The handle of a context itself, with the kubeconfig's credentials. */
  async #contextHandle(contextName?: string): Promise<ClusterHandle> {
    const snap = this.#kubeconfig.snapshot();
    const name = contextName === undefined || contextName === '' ? snap.current : contextName;
    if (name === undefined) {
      const names = snap.contexts.map((c) => c.name);
      throw new ToolError(
        names.length ? 'No current context is set in the kubeconfig, and no context was given.' : 'No kubeconfig context is available.',
        names.length ? `Pass context: one of ${names.slice(0, 20).join(', ')}.` : this.#noContextsHint(snap.problems),
      );
    }
    let ctx = snap.byName.get(name);
    if (!ctx) {
      const byOriginal = snap.contexts.filter((c) => c.originalName === name);
      if (byOriginal.length === 1) ctx = byOriginal[0];
    }
    if (!ctx) {
      const close = snap.contexts
        .map((c) => ({ c, d: levenshtein(name.toLowerCase(), c.name.toLowerCase()) }))
        .sort((a, b) => a.d - b.d)
        .slice(0, 5)
        .map((x) => x.c.name);
      const broken = snap.problems.filter((p) => !p.message.startsWith('context ')).map((p) => `${p.source}${p.line ? `:${p.line}` : ''}: ${p.message}`);
      throw new ToolError(
        `Context "${name}" does not exist.${close.length ? ` Known contexts include: ${close.join(', ')}.` : ''}${broken.length ? ` Some kubeconfig sources could not be read: ${broken.join('; ')}.` : ''}`,
        'Call list_contexts to see every context and its source.',
      );
    }
    if (ctx.problem)
      throw new ToolError(
        `Context "${ctx.name}" (${ctx.source}) cannot be used: ${ctx.problem}.`,
        'Fix the kubeconfig; list_contexts shows each context and its source.',
      );
    const t = tunnelFor(ctx, this.#tunnelSettings());
    if (t && 'error' in t) throw new ToolError(`Context "${ctx.name}": ${t.error}.`, 'See docs/ssh-tunnels.md for the tunnel format.');
    const key = `${ctx.fingerprint}|${t ? JSON.stringify(t.config) : ''}|${tokenFileVersion(ctx)}`;
    this.#dropVanished(snap.generation, snap.byName);
    const cached = this.#handles.get(ctx.name);
    if (cached && cached.key === key) return cached.handle;
    if (cached) {
      cached.handle.then(
        (h) => h.dispose(),
        () => undefined,
      );
      this.#logger?.info('context changed; client rebuilt', { context: ctx.name });
    }
    const resolved = ctx;
    const handle = (async () => {
      let tunnel: { config: TunnelConfig; localPort: number } | undefined;
      if (t) {
        if (!resolved.server) throw new ToolError(`Context "${resolved.name}" has no server.`);
        const remote = new URL(t.config.remoteServer ?? resolved.server);
        const port = remote.port ? Number(remote.port) : remote.protocol === 'http:' ? 80 : 443;
        const { localPort } = await this.tunnels.forward(t.config, remote.hostname.replace(/^\[|\]$/g, ''), port);
        tunnel = { config: t.config, localPort };
      }
      const k8s = await loadClientNode();
      return new ClusterHandle(
        resolved,
        {
          tunnels: this.tunnels,
          requestTimeoutMs: this.#requestTimeoutMs,
          k8s: this.#observeRequest ? timedClientNode(k8s, resolved.name, this.#observeRequest) : k8s,
          ...(this.#logger ? { logger: this.#logger } : {}),
          ...(this.#clock ? { clock: this.#clock } : {}),
        },
        tunnel,
      );
    })();
    this.#handles.set(ctx.name, { key, handle });
    handle.catch(() => {
      if (this.#handles.get(resolved.name)?.handle === handle) this.#handles.delete(resolved.name);
    });
    return handle;
  }

  /** The context a call reaches (default: the current one) and its namespace; throws ToolError when there is none. */
  resolve(contextName: string | undefined): { context: string; namespace: string } | undefined {
    const snap = this.#kubeconfig.snapshot();
    const name = contextName === undefined || contextName === '' ? snap.current : contextName;
    if (name === undefined) return undefined;
    const ctx = snap.byName.get(name) ?? singleOrUndefined(snap.contexts.filter((c) => c.originalName === name));
    return ctx ? { context: ctx.name, namespace: ctx.namespace ?? 'default' } : undefined;
  }

  /**
   * Why a context is read-only: listed itself, or reaching the same API server as a listed one.
   * The same cluster under a second name (another kubeconfig, the SSH-tunnelled context, which
   * keeps the real server address) is the same cluster to the policy, whatever user it uses:
   * marking "prod" read-only must not leave "prod-admin" writable.
   */
  readOnlyReason(contextName: string, readOnlyContexts: readonly string[]): string | undefined {
    if (!readOnlyContexts.length) return undefined;
    const snap = this.#kubeconfig.snapshot();
    const ctx = snap.byName.get(contextName);
    const names = ctx ? [ctx.name, ctx.originalName] : [contextName];
    if (names.some((n) => readOnlyContexts.includes(n))) return 'listed in policy.readOnlyContexts';
    const server = ctx?.server && normalizeServer(ctx.server);
    if (!server) return undefined;
    const twin = snap.contexts.find(
      (c) =>
        c.name !== ctx.name &&
        (readOnlyContexts.includes(c.name) || readOnlyContexts.includes(c.originalName)) &&
        c.server !== undefined &&
        normalizeServer(c.server) === server,
    );
    return twin ? `it reaches the same API server as the read-only context ${twin.name}` : undefined;
  }

  /** Disposes handles of contexts that no longer exist (once per kubeconfig change). */
  #dropVanished(generation: number, byName: Map<string, ResolvedContext>): void {
    if (generation === this.#seenGeneration) return;
    this.#seenGeneration = generation;
    for (const [name, entry] of this.#handles) {
      if (byName.has(name)) continue;
      this.#handles.delete(name);
      entry.handle.then(
        (h) => h.dispose(),
        () => undefined,
      );
    }
  }

  #noContextsHint(problems: SourceProblem[]): string {
    const broken = problems.map((p) => `${p.source}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    return broken.length
      ? `These kubeconfig sources have problems: ${broken.join('; ')}.`
      : 'Set KUBECONFIG, create ~/.kube/config, pass --kubeconfig, or add a kubeconfig on the settings page.';
  }

  /** The bastion key (`user@host:port`) of a tunnel config; re-exported for UIs. */
  static bastionOf(config: TunnelConfig): string {
    return bastionKey(config);
  }

  async close(): Promise<void> {
    for (const { handle } of this.#personHandles.values()) void handle.then((h) => h.dispose());
    this.#personHandles.clear();
    for (const { handle } of this.#handles.values())
      handle.then(
        (h) => h.dispose(),
        () => undefined,
      );
    this.#handles.clear();
    await this.tunnels.close();
  }
}
