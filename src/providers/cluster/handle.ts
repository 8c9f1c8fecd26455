/**
 * A ClusterHandle: one kubeconfig context's client, made by the `clusters` provider (clusters.ts) on
 * first use and shared by every call on that context (in team mode, every call of one person).
 *
 * ```ts
 * handle.context / .namespace / .server / .user / .kubeConfig (current context; tunnelled server rewritten)
 * handle.api(CoreV1Api, { signal?, timeoutMs? })   // client-node API client: timeout, cancellation, tunnel, explained errors
 * await handle.request(path, { method?, signal?, accept?, body?, contentType?, timeoutMs?, query? })
 *   // → { status, headers, text, json() }; non-2xx throws KubeApiError (a ToolError with .code)
 * await handle.stream(path, opts)     // → { status, headers, body: ReadableStream } (logs -f)
 * await handle.openWebSocket(path, { protocols, signal? }) // → an open `ws` WebSocket (exec, portforward)
 * await handle.resolveKind('deploy', signal) / handle.listKinds(signal)  // → ResolvedKind / ResolvedKind[]
 * handle.pathFor(kind, { namespace?, name?, subresource? }) // → '/apis/apps/v1/namespaces/x/deployments/web'
 * await handle.kubeconfigFileFor(signal)  // → a 0600 single-context kubeconfig for helm (in a tool call: the call's proxy)
 * handle.describeError(err, { verb, resource, namespace, name })  // → ToolError
 * ```
 *
 * Every request has a timeout (default 10 s, `requestTimeoutMs`) covering the SSH connect and the response
 * headers, honours the tool call's AbortSignal, and is judged by the call's scope (kernel/call-scope.ts) first.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiConstructor, ApiType, HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { WebSocket } from 'ws';
import { stringify } from 'yaml';
import { currentCall, type CallScope } from '../../kernel/call-scope.js';
import { privateTempDir, proxyKubeconfig } from './call-proxy.js';
import { ToolError } from '../../kernel/contract.js';
import { registerSecret, type Logger } from '../../kernel/logger.js';
import { rememberSecrets } from './secret-values.js';
import { DiscoveryCache, resourcePath, type ResolvedKind } from './discovery.js';
import { credentialError, describeApiPath, describeKubernetesError, isStaleConnection, NoAnswerError, type KubeCallInfo } from './kube-errors.js';
import { deadline, untilAborted, type Deadline } from './until-aborted.js';
import { PersonOnTheWire, type ActingAs } from './impersonation.js';
import { upgradeToWebSocket } from './websocket.js';
import type { ResolvedContext } from './kubeconfig.js';
import { TUNNEL_EXTENSION, type TunnelConfig, type TunnelRegistry, type TunnelState } from './tunnels.js';

const USER_AGENT = 'kubezilla-mcp';

export type ClientNode = typeof import('@kubernetes/client-node');

/** An answer whose body is read as it arrives (logs with follow, watches, forwarded requests). */
export type StreamedResponse = { status: number; headers: Record<string, string>; body: ReadableStream<Uint8Array> };

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
   * client-node builds a new undici Agent (a new TCP + TLS connection, through a tunnel a new SSH channel) on every request; one per handle keeps them alive.
   */
  #dispatcher: ReturnType<RequestContext['getDispatcher']>;
  #dispatcherSince = 0;
  /** The user gets credentials from an exec plugin or auth provider. */
  #pluginAuth: boolean;
  /** Per tool call, the kubeconfig file of its subprocess proxy. */
  #callKubeconfigs = new WeakMap<CallScope, Promise<string>>();
  /**
   * Per tool call, how this context first failed to answer in time. One deadline per call: once the API server let a
   * request of this call run out its timeout, the call's later requests fail at once with that answer instead of waiting
   * the timeout again (a cold discovery and the request after it, helm's after the release lookup), as its message states.
   */
  #unanswered = new WeakMap<CallScope, ToolError>();
  /** Team mode: the person this handle acts as, one handle per person and context (impersonation.ts). */
  readonly person: PersonOnTheWire | undefined;

  constructor(
    readonly resolved: ResolvedContext,
    private readonly provider: { tunnels: TunnelRegistry; requestTimeoutMs: number; logger?: Logger; k8s: ClientNode; clock?: () => number },
    tunnel: { config: TunnelConfig; localPort: number } | undefined,
    as: ActingAs | undefined = undefined,
  ) {
    this.person = as && new PersonOnTheWire(as.acting);
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
    const user = this.person?.credentials(resolved.raw.user) ?? resolved.raw.user;
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
      {
        context: this.context,
        ...(provider.clock ? { now: provider.clock } : {}),
        timeoutMs: provider.requestTimeoutMs,
        timeoutError: (timeoutMs) => this.#noAnswer(describeKubernetesError(new DOMException('discovery', 'TimeoutError'), this.#info({ timeoutMs }))),
      },
    );
    if (as) this.discovery = as.discovery; // what the API server serves is the same for everyone
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

  #url(path: string): URL {
    return new URL(this.baseUrl.replace(/\/$/, '') + (path.startsWith('/') ? path : `/${path}`));
  }

  /** Tunnel state, when this context goes through a bastion. */
  tunnelState(): TunnelState | undefined {
    return this.tunnel ? this.provider.tunnels.state(this.tunnel) : undefined;
  }

  /** Remembers, for the call in progress, that this context did not answer; returns the error. */
  #noAnswer(error: ToolError): ToolError {
    const call = currentCall();
    if (call && !this.#unanswered.has(call)) this.#unanswered.set(call, error);
    return error;
  }

  /** In a call this context already left unanswered: that answer at once (see #unanswered). */
  #throwIfUnanswered(): void {
    const call = currentCall();
    const unanswered = call && this.#unanswered.get(call);
    if (unanswered) throw unanswered;
  }

  #info(extra: KubeCallInfo = {}): KubeCallInfo {
    return { context: this.context, server: this.server, ...(this.user ? { user: this.user } : {}), ...extra };
  }

  /** Wraps any error of a call on this context into an explained ToolError. */
  describeError(err: unknown, info: KubeCallInfo = {}): ToolError {
    return describeKubernetesError(err, this.#info(info));
  }

  #deadline(signal: AbortSignal | undefined, timeoutMs: number | undefined): Deadline {
    return deadline(signal, timeoutMs ?? this.provider.requestTimeoutMs);
  }

  async #prepare(signal: AbortSignal): Promise<void> {
    if (!this.tunnel) return;
    await untilAborted(this.provider.tunnels.connect(this.tunnel, signal), signal);
  }

  /**
   * Adds credentials to a request (token, client certificate, or an exec plugin's output) within
   * the deadline: a credential plugin waiting for a browser login must not hang the call.
   */
  async #authenticate(rc: RequestContext, opts: { signal?: AbortSignal; timeoutMs?: number }): Promise<void> {
    const deadline = this.#deadline(opts.signal, opts.timeoutMs);
    try {
      await untilAborted(this.kubeConfig.applySecurityAuthentication(rc), deadline.signal);
    } catch (err) {
      throw credentialError(err, { context: this.context, user: this.user, exec: this.resolved.raw.user.exec, timeoutMs: deadline.timeoutMs });
    } finally {
      deadline.settle();
    }
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
      body: rc.getBody() as string | Uint8Array | undefined,
    });
    this.#throwIfUnanswered();
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
          this.#dispatcher = this.person?.dispatcher(dispatcher) ?? dispatcher;
          this.#dispatcherSince = Date.now();
          if (old) setTimeout(() => void old.close().catch(() => undefined), 30_000).unref();
        } else if (dispatcher !== this.#dispatcher) {
          void dispatcher.close().catch(() => undefined);
        }
        rc.setDispatcher(this.#dispatcher); // the kept one, which for a person's handle names the person
      } else if (this.person) rc.setDispatcher((await this.person.plainHttpDispatcher()) as never);
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
      throw this.#explain(err, deadline, info);
    } finally {
      deadline.settle();
    }
  }

  /** Why a request or a stream's upgrade failed: a hung bastion, a forward it could not open, a timeout (#noAnswer), or the server's answer. */
  #explain(err: unknown, deadline: Deadline, info: KubeCallInfo): ToolError {
    const reason = deadline.signal.aborted ? deadline.signal.reason : undefined;
    const cause = deadline.cause(err);
    const tunnel = this.tunnelState();
    if (cause === reason && tunnel?.status === 'degraded') {
      return this.#noAnswer(
        new NoAnswerError(
          `context "${this.context}" (${this.server}) did not answer within ${Math.round(deadline.timeoutMs / 100) / 10}s: ${tunnel.reason ?? `the SSH bastion ${tunnel.bastion} is not answering`}.`,
          'The bastion (or the network to it) is hung: check it, or try again once list_contexts shows its tunnel connected.',
        ),
      );
    }
    const behindBastion = !reason && this.#forwardError();
    if (behindBastion) {
      return new ToolError(
        `context "${this.context}" (${this.server}): the SSH bastion ${this.tunnelState()!.bastion} is reachable, but ${behindBastion}.`,
        'The API server is down or not reachable from the bastion: check the cluster, or set remoteServer in the tunnel settings to the address the bastion can dial (docs/ssh-tunnels.md).',
      );
    }
    const described = describeKubernetesError(cause, this.#info({ ...info, timeoutMs: deadline.timeoutMs }));
    // A short probe of something optional (3 s for an HPA) running out says less about the
    // server than a request given the whole timeout.
    return cause === reason && deadline.timeoutMs >= this.provider.requestTimeoutMs ? this.#noAnswer(described) : described;
  }

  async #send(path: string, opts: RequestOptions, stream: false): Promise<KubeResponse>;
  async #send(path: string, opts: RequestOptions, stream: true, passthrough?: boolean): Promise<StreamedResponse>;
  async #send(path: string, opts: RequestOptions, stream: boolean, passthrough = false): Promise<unknown> {
    const method = (opts.method ?? 'GET') as HttpMethod;
    const url = this.#url(path);
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
    const deadlineOpts = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) };
    if (stream) {
      // The deadline covers connecting and the headers; the body is bounded by the caller's signal.
      const res = await this.#dispatch(rc, deadlineOpts, info, passthrough);
      const body = res.body.stream();
      if (!body && passthrough) return { status: res.httpStatusCode, headers: res.headers, body: undefined };
      if (!body) throw new ToolError(`${this.context}: the API server sent no body for ${path}`);
      return { status: res.httpStatusCode, headers: res.headers, body };
    }
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
  stream(path: string, opts: RequestOptions = {}): Promise<StreamedResponse> {
    return this.#send(path, opts, true);
  }

  /**
   * A WebSocket to a pod's streaming subresource (`…/exec?command=…`, `…/portforward?ports=…`),
   * `protocols` in order of preference. Judged by the call scope (these streams are writes),
   * tunnelled, with the context's credentials; the deadline covers the handshake only, and a
   * refused upgrade (403, 404) is explained like any request's error.
   */
  async openWebSocket(path: string, opts: { protocols: readonly string[]; signal?: AbortSignal; timeoutMs?: number }): Promise<WebSocket> {
    const url = this.#url(path);
    const target = url.pathname + url.search;
    // The verb the API server's RBAC check names for the upgrade: create for exec, get for portforward.
    const info = describeApiPath(target, url.pathname.endsWith('/portforward') ? 'GET' : 'POST');
    await currentCall()?.judgeRequest({ context: this.context, method: 'GET', path: target, namespace: info.namespace, resource: info.resource });
    this.#throwIfUnanswered();
    const deadline = this.#deadline(opts.signal, opts.timeoutMs);
    try {
      await this.#prepare(deadline.signal);
      const { kubeConfig, provider } = this;
      const headers = this.person?.headers ?? {};
      return await upgradeToWebSocket(url, opts.protocols, { kubeConfig, userAgent: USER_AGENT, signal: deadline.signal, k8s: provider.k8s, headers });
    } catch (err) {
      throw this.#explain(err, deadline, info);
    } finally {
      deadline.settle();
    }
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
      throw new ToolError(
        `${call.tool} is a read tool, so it gets no kubeconfig file (a subprocess could change the cluster with it).`,
        'This is a fault in the tool module: read through the cluster client instead.',
      );
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
    if (this.person) throw new ToolError(`context ${this.context}: a person's kubeconfig is made within their tool call only.`);
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
      file = proxyKubeconfig(this, call, { context: this.context, namespace: this.namespace, dir: privateTempDir(), signal });
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
