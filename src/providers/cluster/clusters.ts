/**
 * The `clusters` provider: what every cluster tool uses.
 *
 * ```ts
 * clusters.listContexts(): ContextList
 *   // every context from every kubeconfig source: name (unique; `name@<file>` when two sources
 *   // define it), cluster, server, user name (never credentials), namespace, source file,
 *   // isCurrent, tunnel state when it goes through a bastion, problem if unusable; plus the
 *   // broken sources (file, message, line).
 * await clusters.get(context?: string): ClusterHandle   // made on first use, cached, dropped
 *                                                        // when its kubeconfig or tunnel changes
 * clusters.tunnelStates(): TunnelState[]
 * await clusters.close()
 *
 * handle.context / .namespace / .server / .user / .kubeConfig (current context set; server
 *   rewritten through the tunnel when there is one)
 * handle.api(CoreV1Api, { signal?, timeoutMs? })   // client-node API client: timeout, cancellation,
 *                                                  // tunnel and explained errors built in
 * await handle.request(path, { method?, signal?, accept?, body?, contentType?, timeoutMs?, query? })
 *   // → { status, headers, text, json() }; non-2xx throws KubeApiError (a ToolError with .code)
 * await handle.stream(path, opts)     // → { status, headers, body: ReadableStream } (logs -f)
 * await handle.resolveKind('deploy', signal)        // → ResolvedKind (group, version, kind, plural, …)
 * await handle.resolveWorkload('deploy/web', signal) // → { kind, name }
 * await handle.listKinds(signal)                     // → ResolvedKind[]
 * handle.pathFor(kind, { namespace?, name?, subresource? }) // → '/apis/apps/v1/namespaces/x/deployments/web'
 * await handle.kubeconfigFileFor(signal)             // → path of a 0600 single-context kubeconfig
 *                                                    //   for helm/kubectl (through the tunnel)
 * handle.describeError(err, { verb, resource, namespace, name })  // → ToolError
 * ```
 *
 * Every request has a timeout (default 10 s, `requestTimeoutMs`) covering the SSH connect and the
 * response headers, and honours the tool call's AbortSignal. Nothing is contacted before the
 * first request on a context, and each context fails on its own.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ApiConstructor,
  ApiType,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  RequestContext,
  ResponseContext,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { randomBytes } from 'node:crypto';
import { currentCall, type CallScope, type ClusterTargets } from '../../kernel/call-scope.js';
import { startCallProxy } from './call-proxy.js';
import { ToolError } from '../../kernel/contract.js';
import { registerSecret, type Logger } from '../../kernel/logger.js';
import { rememberSecrets } from './secret-values.js';
import { DiscoveryCache, levenshtein, resourcePath, type ResolvedKind } from './discovery.js';
import { describeKubernetesError, type KubeCallInfo } from './kube-errors.js';
import type { KubeconfigStore, ResolvedContext, SourceProblem } from './kubeconfig.js';
import { bastionKey, TunnelRegistry, type TunnelConfig, type TunnelState } from './tunnels.js';

/** The kubeconfig cluster extension that marks a cluster as reached through a bastion. */
export const TUNNEL_EXTENSION = 'kubezilla.dev/ssh-tunnel';
const USER_AGENT = 'kubezilla-mcp';

type ClientNode = typeof import('@kubernetes/client-node');
let clientNode: Promise<ClientNode> | undefined;
/**
 * client-node takes about a second to import, more than the whole rest of the server: it is
 * loaded on the first call that needs a cluster, never at start-up.
 */
function loadClientNode(): Promise<ClientNode> {
  return (clientNode ??= import('@kubernetes/client-node'));
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

export interface RequestOptions {
  method?: HttpMethod;
  signal?: AbortSignal;
  /** Default `application/json`. For tables: `application/json;as=Table;v=v1;g=meta.k8s.io`. */
  accept?: string;
  body?: string | object;
  /** Defaults to application/json (or merge-patch for PATCH with an object body). */
  contentType?: string;
  /** Overrides the provider's default; 0 disables it. Covers tunnel connect + response headers. */
  timeoutMs?: number;
  query?: Record<string, string | number | boolean | undefined>;
}

export interface KubeResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  json<T = unknown>(): T;
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
    if (!ext || typeof ext !== 'object' || Array.isArray(ext)) return { error: `the ${TUNNEL_EXTENSION} extension of cluster "${ctx.clusterName}" is not a mapping` };
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

/** Maps an API path + method to what it does, for error messages. Exported for tests. */
export function describeApiPath(path: string, method: string): Pick<KubeCallInfo, 'verb' | 'resource' | 'namespace' | 'name'> {
  const [pathname = '', query = ''] = path.split('?');
  const parts = pathname.split('/').filter(Boolean);
  let rest: string[];
  let group = '';
  if (parts[0] === 'api' && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else return {};
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const plural = rest[0];
  if (!plural) return {};
  const name = rest[1];
  const sub = rest[2];
  const resource = `${plural}${group ? `.${group}` : ''}${sub ? `/${sub}` : ''}`;
  const m = method.toUpperCase();
  const watch = /(^|&)watch=(true|1)/.test(query);
  const verb =
    m === 'GET' ? (watch ? 'watch' : name ? 'get' : 'list') : m === 'POST' ? 'create' : m === 'PUT' ? 'update' : m === 'PATCH' ? 'patch' : m === 'DELETE' ? (name ? 'delete' : 'deletecollection') : m.toLowerCase();
  return { verb, resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
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

function isStaleConnection(err: unknown): boolean {
  let cur: unknown = err;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

let tempRoot: string | undefined;
function privateTempDir(): string {
  if (!tempRoot) {
    tempRoot = mkdtempSync(join(tmpdir(), 'kubezilla-kubeconfig-'));
    const dir = tempRoot;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return tempRoot;
}

export class ClusterHandle {
  readonly context: string;
  readonly namespace: string;
  /** The server in the kubeconfig (the real address, also when tunnelled). */
  readonly server: string;
  readonly user: string | undefined;
  readonly kubeConfig: KubeConfig;
  readonly tunnel: TunnelConfig | undefined;
  /** `https://127.0.0.1:<port>` when tunnelled. */
  readonly localServer: string | undefined;
  readonly discovery: DiscoveryCache;
  #raw: object;
  #kubeconfigFile: string | undefined;
  #http: IsomorphicFetchHttpLibrary;
  /**
   * client-node builds a new undici Agent (so a new TCP + TLS connection, and through a tunnel a
   * new SSH channel) on every request; one per handle keeps connections alive and reused.
   */
  #dispatcher: ReturnType<RequestContext['getDispatcher']>;
  #dispatcherSince = 0;
  /** The user gets credentials from an exec plugin or auth provider. */
  #pluginAuth: boolean;
  /** Per tool call, the kubeconfig file of its subprocess proxy. */
  #callKubeconfigs = new WeakMap<CallScope, Promise<string>>();

  constructor(
    readonly resolved: ResolvedContext,
    private readonly provider: { tunnels: TunnelRegistry; requestTimeoutMs: number; logger?: Logger; k8s: ClientNode },
    tunnel: { config: TunnelConfig; localPort: number } | undefined,
  ) {
    this.context = resolved.name;
    this.namespace = resolved.namespace ?? 'default';
    this.server = resolved.server ?? '';
    this.user = resolved.userName;
    this.tunnel = tunnel?.config;
    const cluster: Record<string, unknown> = { ...resolved.raw.cluster };
    if (tunnel) {
      const real = new URL(this.server);
      const scheme = real.protocol === 'http:' ? 'http' : 'https';
      this.localServer = `${scheme}://127.0.0.1:${tunnel.localPort}`;
      cluster.server = this.localServer + real.pathname.replace(/\/$/, '');
      if (!cluster['tls-server-name']) cluster['tls-server-name'] = real.hostname.replace(/^\[|\]$/g, '');
      delete cluster['proxy-url']; // the tunnel is the path to the server
    }
    if (Array.isArray(cluster.extensions)) {
      cluster.extensions = (cluster.extensions as Array<{ name?: string }>).filter((e) => e?.name !== TUNNEL_EXTENSION);
      if ((cluster.extensions as unknown[]).length === 0) delete cluster.extensions;
    }
    const user = resolved.raw.user;
    this.#pluginAuth = Boolean(user.exec || user['auth-provider']);
    for (const key of ['token', 'password', 'client-key-data']) {
      const v = user[key];
      if (typeof v === 'string') registerSecret(v);
    }
    this.#raw = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: resolved.clusterName, cluster }],
      ...(resolved.userName ? { users: [{ name: resolved.userName, user }] } : {}),
      contexts: [{ name: resolved.name, context: { ...resolved.raw.context, ...(resolved.userName ? { user: resolved.userName } : {}) } }],
      'current-context': resolved.name,
    };
    this.#http = new provider.k8s.IsomorphicFetchHttpLibrary();
    this.kubeConfig = new provider.k8s.KubeConfig();
    this.kubeConfig.loadFromString(JSON.stringify(this.#raw));
    this.discovery = new DiscoveryCache(
      async (path, accept, signal) => {
        const res = await this.#send(path, { accept, ...(signal ? { signal } : {}) }, false);
        return { status: res.status, contentType: res.headers['content-type'] ?? '', body: res.text };
      },
      { context: this.context },
    );
  }

  /** The base URL requests go to (the local forward when tunnelled). */
  get baseUrl(): string {
    return this.kubeConfig.getCurrentCluster()!.server;
  }

  /** Why the bastion last refused to open this context's API server, if it did. */
  #forwardError(): string | undefined {
    if (!this.tunnel || !this.localServer) return undefined;
    const port = Number(new URL(this.localServer).port);
    return this.tunnelState()?.forwards.find((f) => f.localPort === port)?.lastError;
  }

  /** Tunnel state, when this context goes through a bastion. */
  tunnelState(): TunnelState | undefined {
    return this.tunnel ? this.provider.tunnels.state(this.tunnel) : undefined;
  }

  #info(extra: KubeCallInfo = {}): KubeCallInfo {
    return { context: this.context, server: this.server, ...(this.user ? { user: this.user } : {}), ...extra };
  }

  /** Wraps any error of a call on this context into an explained ToolError. */
  describeError(err: unknown, info: KubeCallInfo = {}): ToolError {
    return describeKubernetesError(err, this.#info(info));
  }

  /**
   * A signal that fires on the caller's abort or the timeout; `settle()` stops the timer only, so
   * the caller can still cancel while a body is read or streamed. AbortSignal.any holds the
   * caller's signal weakly, so the many requests of one tool call add no listeners to it.
   */
  #deadline(signal: AbortSignal | undefined, timeoutMs: number | undefined): { signal: AbortSignal; timeoutMs: number; settle(): void } {
    const ms = timeoutMs ?? this.provider.requestTimeoutMs;
    const timeout = new AbortController();
    const timer = ms > 0 ? setTimeout(() => timeout.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms) : undefined;
    timer?.unref?.();
    return {
      signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal,
      timeoutMs: ms,
      settle: () => {
        if (timer) clearTimeout(timer);
      },
    };
  }

  async #prepare(signal: AbortSignal): Promise<void> {
    if (!this.tunnel) return;
    await Promise.race([
      this.provider.tunnels.connect(this.tunnel, signal),
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  }

  /**
   * Adds credentials to a request (token, client certificate, or an exec plugin's output) within
   * the deadline: a credential plugin waiting for a browser login must not hang the call.
   */
  async #authenticate(rc: RequestContext, opts: { signal?: AbortSignal; timeoutMs?: number }): Promise<void> {
    const deadline = this.#deadline(opts.signal, opts.timeoutMs);
    try {
      await Promise.race([
        this.kubeConfig.applySecurityAuthentication(rc),
        new Promise<never>((_, reject) => {
          if (deadline.signal.aborted) reject(deadline.signal.reason);
          deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason), { once: true });
        }),
      ]);
    } catch (err) {
      throw this.#credentialError(err, deadline.timeoutMs);
    } finally {
      deadline.settle();
    }
  }

  #credentialError(err: unknown, timeoutMs: number): ToolError {
    const exec = this.resolved.raw.user.exec as { command?: string; args?: string[] } | undefined;
    const name = (err as { name?: string })?.name;
    if (name === 'AbortError') return new ToolError(`The call to context "${this.context}" was cancelled.`);
    if (!exec?.command) {
      if (name === 'TimeoutError') return new ToolError(`context "${this.context}": getting credentials took longer than ${timeoutMs / 1000}s.`);
      return new ToolError(`context "${this.context}": cannot load the credentials of user "${this.user ?? ''}": ${(err as Error)?.message ?? String(err)}`,
        'Check the files and fields of this user in the kubeconfig (client-certificate, client-key, token-file).');
    }
    const command = [exec.command, ...(exec.args ?? [])].join(' ');
    const tryIt = `Run it by hand to see why: ${command}`;
    if (name === 'TimeoutError') {
      return new ToolError(`context "${this.context}": the credential plugin "${exec.command}" did not answer within ${timeoutMs / 1000}s (is it waiting for an interactive login?).`,
        `Log in first (for example \`aws sso login\`, \`gcloud auth login\`, \`az login\`, \`kubelogin\`), then retry. ${tryIt}`);
    }
    if ((err as { code?: string })?.code === 'ENOENT') {
      return new ToolError(`context "${this.context}": the credential plugin "${exec.command}" is not installed or not on the PATH of the server process.`,
        'Install it, or put its absolute path in the kubeconfig user\'s exec.command.');
    }
    const message = ((err as Error)?.message ?? String(err)).trim().split('\n').slice(-5).join(' ').slice(0, 500);
    return new ToolError(`context "${this.context}": the credential plugin "${exec.command}" failed${message ? `: ${message}` : ''}.`,
      `Is it logged in, with access to this cluster? ${tryIt}`);
  }

  /** Sends a prepared RequestContext with the deadline, the tunnel and error mapping. */
  async #dispatch(rc: RequestContext, opts: { signal?: AbortSignal; timeoutMs?: number }, info: KubeCallInfo, passthrough = false): Promise<ResponseContext> {
    // Every request of every tool passes here, so this is where the kernel's policy meets the wire:
    // a write is judged on its own context and namespace (read-only contexts refused, protected
    // namespaces confirmed) before it is sent, whatever the tool passed as arguments.
    const url = new URL(rc.getUrl());
    await currentCall()?.judgeRequest({
      context: this.context,
      method: rc.getHttpMethod(),
      path: url.pathname + url.search,
      namespace: info.namespace ?? (info.resource === 'namespaces' ? info.name : undefined),
      resource: info.resource,
    });
    const deadline = this.#deadline(opts.signal, opts.timeoutMs);
    try {
      await this.#prepare(deadline.signal);
      rc.setSignal(deadline.signal);
      rc.setHeaderParam('User-Agent', USER_AGENT);
      const dispatcher = rc.getDispatcher();
      if (dispatcher) {
        // Credential plugins may hand out short-lived client certificates, which live in the
        // dispatcher's TLS options: for those users take the fresh one now and then.
        const stale = this.#pluginAuth && Date.now() - this.#dispatcherSince > 60_000;
        if (!this.#dispatcher || stale) {
          const old = this.#dispatcher;
          this.#dispatcher = dispatcher;
          this.#dispatcherSince = Date.now();
          if (old) setTimeout(() => void old.close().catch(() => undefined), 30_000).unref();
        } else if (dispatcher !== this.#dispatcher) {
          rc.setDispatcher(this.#dispatcher);
          void dispatcher.close().catch(() => undefined);
        }
      }
      let res: ResponseContext;
      try {
        res = await this.#http.send(rc).toPromise();
      } catch (err) {
        // A kept-alive connection that died under us (an SSH drop, a load balancer's idle cut):
        // a read is safe to send once more on a fresh connection.
        if (rc.getHttpMethod() !== 'GET' || deadline.signal.aborted || !isStaleConnection(err)) throw err;
        res = await this.#http.send(rc).toPromise();
      }
      if (res.httpStatusCode >= 400 && !passthrough) {
        const text = await res.body.text().catch(() => '');
        // A 404 without a Status body comes from the API server's mux: the path itself is not
        // served, so the kind index is stale (a CRD deleted or moved to another group since it
        // was read). Drop it, so the next call resolves the kind against what is served now.
        if (res.httpStatusCode === 404 && !text.trimStart().startsWith('{')) this.discovery.invalidate();
        throw new this.provider.k8s.ApiException(res.httpStatusCode, `HTTP ${res.httpStatusCode}`, text, res.headers);
      }
      return res;
    } catch (err) {
      const reason = deadline.signal.aborted ? deadline.signal.reason : undefined;
      const cause = reason && (reason as { name?: string }).name === 'TimeoutError' ? reason : err;
      const behindBastion = !reason && this.#forwardError();
      if (behindBastion) {
        throw new ToolError(
          `context "${this.context}" (${this.server}): the SSH bastion ${this.tunnelState()!.bastion} is reachable, but ${behindBastion}.`,
          'The API server is down or not reachable from the bastion: check the cluster, or set remoteServer in the tunnel settings to the address the bastion can dial (docs/ssh-tunnels.md).',
        );
      }
      throw describeKubernetesError(cause, this.#info({ ...info, timeoutMs: deadline.timeoutMs }));
    } finally {
      deadline.settle();
    }
  }

  async #send(path: string, opts: RequestOptions, stream: false): Promise<KubeResponse>;
  async #send(path: string, opts: RequestOptions, stream: true, passthrough?: boolean): Promise<{ status: number; headers: Record<string, string>; body: ReadableStream<Uint8Array> }>;
  async #send(path: string, opts: RequestOptions, stream: boolean, passthrough = false): Promise<unknown> {
    const method = (opts.method ?? 'GET') as HttpMethod;
    const url = new URL(this.baseUrl.replace(/\/$/, '') + (path.startsWith('/') ? path : `/${path}`));
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const rc = new this.provider.k8s.RequestContext(url.toString(), method);
    rc.setHeaderParam('Accept', opts.accept ?? 'application/json');
    if (opts.body !== undefined) {
      const isObject = typeof opts.body !== 'string' && !(opts.body instanceof Uint8Array);
      rc.setBody(isObject ? JSON.stringify(opts.body) : (opts.body as string));
      rc.setHeaderParam('Content-Type', opts.contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'));
    }
    const info = describeApiPath(url.pathname + url.search, method);
    await this.#authenticate(rc, opts);
    if (stream) {
      // The deadline covers connecting and the headers; the body is bounded by the caller's signal.
      const res = await this.#dispatch(rc, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) }, info, passthrough);
      const body = res.body.stream();
      if (!body && passthrough) return { status: res.httpStatusCode, headers: res.headers, body: undefined };
      if (!body) throw new ToolError(`${this.context}: the API server sent no body for ${path}`);
      return { status: res.httpStatusCode, headers: res.headers, body };
    }
    const deadlineOpts = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) };
    const res = await this.#dispatch(rc, deadlineOpts, info);
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw describeKubernetesError(err, this.#info(info));
    }
    rememberSecrets(url.pathname, text);
    return {
      status: res.httpStatusCode,
      headers: res.headers,
      text,
      json<T>() {
        return JSON.parse(text) as T;
      },
    } satisfies KubeResponse;
  }

  /** A raw API request (path relative to the server, e.g. `/api/v1/namespaces/default/pods`). */
  request(path: string, opts: RequestOptions = {}): Promise<KubeResponse> {
    return this.#send(path, opts, false);
  }

  /**
   * Sends a request as a subprocess made it and hands back whatever the API server answered,
   * error statuses included (helm expects the real 404 of a release it has not installed yet).
   * Judged by the call scope like every other request: it is how call-proxy.ts forwards.
   */
  forward(method: string, path: string, opts: { accept?: string; contentType?: string; body?: Uint8Array; signal: AbortSignal }) {
    const { body, ...rest } = opts;
    // The bytes go to fetch as they are (protobuf included); RequestContext only types strings.
    const raw = body === undefined ? {} : { body: body as unknown as string, contentType: opts.contentType ?? 'application/json' };
    return this.#send(path, { method: method.toUpperCase() as HttpMethod, ...rest, ...raw }, true, true);
  }

  /** Like request, but hands back the body as a stream (pod logs with follow, watches). */
  stream(path: string, opts: RequestOptions = {}): Promise<{ status: number; headers: Record<string, string>; body: ReadableStream<Uint8Array> }> {
    return this.#send(path, opts, true);
  }

  /**
   * A client-node API client (`CoreV1Api`, `AppsV1Api`, `CustomObjectsApi`, ...) for this context,
   * with the timeout, the caller's signal, the tunnel and explained errors (KubeApiError keeps
   * `.code`) built in. Cheap: make one per call.
   */
  api<T extends ApiType>(apiClass: ApiConstructor<T>, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): T {
    const { wrapHttpLibrary, createConfiguration, ServerConfiguration } = this.provider.k8s;
    const httpApi = wrapHttpLibrary({
      send: (rc: RequestContext) => {
        const u = new URL(rc.getUrl());
        return this.#dispatch(rc, opts, describeApiPath(u.pathname + u.search, rc.getHttpMethod()));
      },
    });
    return new apiClass(
      createConfiguration({
        baseServer: new ServerConfiguration(this.baseUrl, {}),
        authMethods: { default: { getName: () => 'kubezilla', applySecurityAuthentication: (rc: RequestContext) => this.#authenticate(rc, opts) } },
        httpApi,
      }),
    );
  }

  /** API path of a kind's collection, object or subresource (see discovery.resourcePath). */
  pathFor(kind: ResolvedKind, opts: { namespace?: string; name?: string; subresource?: string } = {}): string {
    return resourcePath(kind, opts);
  }

  resolveKind(text: string, signal?: AbortSignal): Promise<ResolvedKind> {
    return this.discovery.resolveKind(text, signal);
  }

  resolveKindOrCategory(text: string, signal?: AbortSignal): ReturnType<DiscoveryCache['resolveKindOrCategory']> {
    return this.discovery.resolveKindOrCategory(text, signal);
  }

  resolveWorkload(ref: string, signal?: AbortSignal): Promise<{ kind: ResolvedKind; name: string }> {
    return this.discovery.resolveWorkload(ref, signal);
  }

  listKinds(signal?: AbortSignal): Promise<ResolvedKind[]> {
    return this.discovery.kinds(signal);
  }

  /**
   * A temporary single-context kubeconfig (mode 0600) for helm or kubectl. Within a tool call it
   * points at the call's loopback proxy, so the kernel judges every request the subprocess makes;
   * outside one, at the API server (through the tunnel when there is one). The SSH connection is
   * checked first so a bastion problem is reported here rather than as a helm error.
   */
  async kubeconfigFileFor(signal?: AbortSignal): Promise<string> {
    // A subprocess given this file writes past the request guard: a read tool gets none, and a
    // writer only after the call scope has judged its context (tools judge their namespaces with
    // ctx.guardWrites before they start one).
    const call = currentCall();
    if (call?.safety === 'read') {
      throw new ToolError(`${call.tool} is a read tool, so it gets no kubeconfig file (a subprocess could change the cluster with it).`,
        'This is a fault in the tool module: read through the cluster client instead.');
    }
    call?.checkContext(this.context);
    if (this.tunnel) {
      const deadline = this.#deadline(signal, undefined);
      try {
        await this.#prepare(deadline.signal);
      } catch (err) {
        throw describeKubernetesError(err, this.#info({ timeoutMs: deadline.timeoutMs }));
      } finally {
        deadline.settle();
      }
    }
    if (call) return this.#proxiedKubeconfig(call, signal);
    // Outside a tool call (the server's own use): a direct kubeconfig, kept for the handle's life.
    if (!this.#kubeconfigFile) {
      const safe = this.context.replace(/[^A-Za-z0-9_.-]/g, '_');
      const file = join(privateTempDir(), `${safe}-${process.pid}-${Date.now().toString(36)}.yaml`);
      writeFileSync(file, stringify(this.#raw), { mode: 0o600 });
      this.#kubeconfigFile = file;
    }
    return this.#kubeconfigFile;
  }

  /**
   * Within a tool call: a kubeconfig whose only server is the call's loopback proxy
   * (call-proxy.ts), so what the subprocess sends is judged and what it reads is known. One proxy
   * per call and context, closed and its file removed when the call ends.
   */
  #proxiedKubeconfig(call: CallScope, signal: AbortSignal | undefined): Promise<string> {
    let file = this.#callKubeconfigs.get(call);
    if (!file) {
      file = (async () => {
        const proxy = await startCallProxy(this, call, signal);
        const path = join(privateTempDir(), `call-${randomBytes(12).toString('hex')}.yaml`);
        call.defer(async () => {
          rmSync(path, { force: true });
          await proxy.close();
        });
        const config = {
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'kubezilla-call', cluster: { server: proxy.server } }],
          users: [{ name: 'kubezilla-call', user: {} }],
          contexts: [{ name: this.context, context: { cluster: 'kubezilla-call', user: 'kubezilla-call', namespace: this.namespace } }],
          'current-context': this.context,
        };
        writeFileSync(path, stringify(config), { mode: 0o600, flag: 'wx' });
        return path;
      })();
      this.#callKubeconfigs.set(call, file);
    }
    return file;
  }

  /** Removes the temporary kubeconfig; the tunnel stays for other users of the bastion. */
  dispose(): void {
    if (this.#kubeconfigFile) rmSync(this.#kubeconfigFile, { force: true });
    this.#kubeconfigFile = undefined;
    void this.#dispatcher?.close().catch(() => undefined);
    this.#dispatcher = undefined;
  }
}

export class ClusterProvider implements ClusterTargets {
  readonly tunnels: TunnelRegistry;
  #kubeconfig: KubeconfigStore;
  #tunnelSettings: () => Record<string, TunnelConfig>;
  #readOnlyContexts: () => readonly string[];
  #handles = new Map<string, { key: string; handle: Promise<ClusterHandle> }>();
  #logger: Logger | undefined;
  #requestTimeoutMs: number;
  #seenGeneration = -1;

  constructor(options: ClusterProviderOptions) {
    this.#kubeconfig = options.kubeconfig;
    this.tunnels = options.tunnels;
    this.#tunnelSettings = options.tunnelSettings ?? (() => ({}));
    this.#readOnlyContexts = options.readOnlyContexts ?? (() => []);
    this.#logger = options.logger;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
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

  /** The context's handle (default: the current context); ToolError when it does not exist. */
  async get(contextName?: string): Promise<ClusterHandle> {
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
    if (ctx.problem) throw new ToolError(`Context "${ctx.name}" (${ctx.source}) cannot be used: ${ctx.problem}.`, 'Fix the kubeconfig; list_contexts shows each context and its source.');
    const t = tunnelFor(ctx, this.#tunnelSettings());
    if (t && 'error' in t) throw new ToolError(`Context "${ctx.name}": ${t.error}.`, 'See docs/ssh-tunnels.md for the tunnel format.');
    const key = `${ctx.fingerprint}|${t ? JSON.stringify(t.config) : ''}|${tokenFileVersion(ctx)}`;
    this.#dropVanished(snap.generation, snap.byName);
    const cached = this.#handles.get(ctx.name);
    if (cached && cached.key === key) return cached.handle;
    if (cached) {
      cached.handle.then((h) => h.dispose(), () => undefined);
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
      return new ClusterHandle(resolved, { tunnels: this.tunnels, requestTimeoutMs: this.#requestTimeoutMs, k8s, ...(this.#logger ? { logger: this.#logger } : {}) }, tunnel);
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
    const twin = snap.contexts.find((c) => c.name !== ctx.name && (readOnlyContexts.includes(c.name) || readOnlyContexts.includes(c.originalName)) &&
      c.server !== undefined && normalizeServer(c.server) === server);
    return twin ? `it reaches the same API server as the read-only context ${twin.name}` : undefined;
  }

  /** Disposes handles of contexts that no longer exist (once per kubeconfig change). */
  #dropVanished(generation: number, byName: Map<string, ResolvedContext>): void {
    if (generation === this.#seenGeneration) return;
    this.#seenGeneration = generation;
    for (const [name, entry] of this.#handles) {
      if (byName.has(name)) continue;
      this.#handles.delete(name);
      entry.handle.then((h) => h.dispose(), () => undefined);
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
    for (const { handle } of this.#handles.values()) handle.then((h) => h.dispose(), () => undefined);
    this.#handles.clear();
    await this.tunnels.close();
  }
}
