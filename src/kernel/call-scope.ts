/**
 * The call scope: what the kernel knows about the tool call in progress, carried with
 * AsyncLocalStorage into everything the handler awaits. The cluster client asks the scope about
 * every request it sends (`judgeRequest`), so policy is judged on what a call really touches
 * (the request's own context and namespace) rather than on the arguments it happened to pass,
 * and no module, built-in or from a --tools-dir, can forget the check or opt out of it: a
 * handler never holds an unguarded path to a cluster while it runs.
 *
 * The rules, in the order they apply to one request:
 *   1. Reads (GET, HEAD, and the self-review POSTs that only ask "may I?") pass; a pod's exec,
 *      attach and portforward streams are not reads, although a GET opens them.
 *   2. A server-side dry run (`dryRun=All`) passes anywhere: it changes nothing. Its namespace is
 *      remembered, so the first real write can confirm every protected namespace at once.
 *   3. A read tool, or a call that is a preview (`dryRun` / `diffOnly`), may not write at all.
 *   4. A read-only context (or one on the same API server as a read-only context) is refused.
 *   5. A protected namespace is confirmed by the person before the first write into it.
 *   6. A destructive tool writes only after the person said yes to one of its own questions
 *      (ctx.confirm) in this call: a module that forgot to ask is refused, not trusted.
 * A refusal is remembered: the kernel answers with it even if the handler caught the error and
 * carried on, so a swallowed refusal cannot turn into a success message.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { CallRefused, type NeedsConfirmation, type SafetyClass } from './contract.js';
import { cutOut } from './logger.js';
import type { Policy } from './policy.js';

/** What the kernel needs to know about contexts, supplied by the cluster provider. */
export interface ClusterTargets {
  /** The context a call reaches when it names `context` (or none: the current one) and its default namespace. */
  resolve(context: string | undefined): { context: string; namespace: string } | undefined;
  /**
   * Why `context` is read-only under `readOnlyContexts`, or undefined: it is listed itself, or it
   * reaches the same API server as a listed context (the same cluster under another name).
   */
  readOnlyReason(context: string, readOnlyContexts: readonly string[]): string | undefined;
}

/** One request the cluster client is about to send, as the scope judges it. */
export interface ClusterRequest {
  context: string;
  method: string;
  /** Path and query, e.g. `/api/v1/namespaces/web/configmaps/x?dryRun=All`. */
  path: string;
  /** The namespace the request path names (for a Namespace object: the namespace itself). */
  namespace?: string | undefined;
  /** `configmaps`, `deployments.apps/scale`: for messages. */
  resource?: string | undefined;
  /** The request body as sent: a DELETE's DeleteOptions decide whether it is a dry run. */
  body?: string | Uint8Array | undefined;
}

const storage = new AsyncLocalStorage<CallScope>();
const MIN_SCRUBBED_SECRET = 6;

/** The scope of the tool call this code runs in, or undefined outside any tool call (server internals). */
export function currentCall(): CallScope | undefined {
  return storage.getStore();
}

/**
 * Self-reviews are POSTs that change nothing (`kubectl auth can-i`, `kubectl auth whoami`): the
 * API server answers them from the caller's own rights.
 */
const SELF_REVIEW = /^\/apis\/(authorization\.k8s\.io\/v1\/selfsubject(access|rules)reviews|authentication\.k8s\.io\/v1(beta1)?\/selfsubjectreviews)\/?$/;

/**
 * Streaming subresources that act on a pod although the WebSocket upgrade that opens them is a
 * GET: exec and attach run code in a container, portforward reaches its ports. RBAC calls them
 * `create`, and so does the guard: they are writes, never reads.
 */
const POD_STREAM = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/(exec|attach|portforward)\/?$/;

export function isReadRequest(method: string, path: string): boolean {
  const m = method.toUpperCase();
  const pathname = path.split('?')[0]!;
  if (POD_STREAM.test(pathname)) return false;
  if (m === 'GET' || m === 'HEAD' || m === 'OPTIONS') return true;
  return m === 'POST' && SELF_REVIEW.test(pathname);
}

/**
 * Whether the API server will treat the request as a server-side dry run. A DELETE that carries a
 * body is decided by the body alone: the API server reads DeleteOptions from the body when there
 * is one and ignores the query then, so `?dryRun=All` beside a body without `dryRun: ["All"]` is a
 * real delete. A body that is not JSON (protobuf from a subprocess) is not taken for a dry run.
 */
export function isDryRunRequest(path: string, method = 'GET', body?: string | Uint8Array): boolean {
  const size = typeof body === 'string' ? body.length : (body?.byteLength ?? 0);
  if (method.toUpperCase() === 'DELETE' && size > 0) {
    try {
      const options = JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as { dryRun?: unknown };
      return Array.isArray(options?.dryRun) && options.dryRun.includes('All');
    } catch {
      return false;
    }
  }
  const [pathname = '', query] = path.split('?');
  if (POD_STREAM.test(pathname)) return false; // a stream has no dry run: it acts as it opens
  return query !== undefined && new URLSearchParams(query).getAll('dryRun').includes('All');
}

export interface CallScopeOptions {
  tool: string;
  safety: SafetyClass;
  /** The call only previews (dryRun / diffOnly): no request may change anything. */
  preview: boolean;
  policy: Policy;
  targets: ClusterTargets | undefined;
  /** Asks the person (elicitation or the confirmation token); throws CallRefused otherwise. */
  confirm(message: string): Promise<void>;
}

export class CallScope {
  readonly tool: string;
  readonly safety: SafetyClass;
  readonly preview: boolean;
  /** Every namespace a real write went to, per context (for the audit log). */
  readonly written = new Map<string, Set<string>>();
  /** Contexts written to at cluster scope (no namespace). */
  readonly writtenClusterWide = new Set<string>();
  /** True when at least one server-side dry-run request was sent. */
  dryRunSent = false;
  /** Questions the person already agreed to, from the confirmation token this call carried. */
  approved: readonly string[] = [];
  /** The person accepted one of the tool's own questions (ctx.confirm) in this call. */
  personConfirmed = false;
  /** The first refusal judged during the call; the kernel's answer whatever the handler did with it. */
  refusal: CallRefused | undefined;
  readonly #options: CallScopeOptions;
  /** Namespaces seen in dry runs, per context: confirmed together at the first real write. */
  readonly #previewed = new Map<string, Set<string>>();
  /** `context\0namespace` pairs the person already agreed to in this call. */
  readonly #confirmed = new Set<string>();

  /** Values of the Secrets the call read (through the cluster client or a subprocess's proxy). */
  readonly #secretValues = new Set<string>();
  /** What to undo when the call ends (a subprocess proxy, a temporary kubeconfig). */
  readonly #cleanups: Array<() => void | Promise<void>> = [];

  constructor(options: CallScopeOptions) {
    this.#options = options;
    this.tool = options.tool;
    this.safety = options.safety;
    this.preview = options.preview;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return storage.run(this, fn);
  }

  /** Judges one request before the cluster client sends it; throws CallRefused to stop it. */
  async judgeRequest(request: ClusterRequest): Promise<void> {
    if (isReadRequest(request.method, request.path)) return;
    if (isDryRunRequest(request.path, request.method, request.body)) {
      this.dryRunSent = true;
      if (request.namespace) add(this.#previewed, request.context, request.namespace);
      return;
    }
    const what = `${request.method.toUpperCase()} ${request.resource ?? request.path.split('?')[0]}${request.namespace ? ` in namespace ${request.namespace}` : ''}`;
    if (this.safety === 'read') {
      this.#refuse(
        `${this.tool} is a read tool, so it may not change the cluster (it tried ${what} in context ${request.context}).`,
        'This is a fault in the tool module: report it. Use a mutation tool to make changes.',
      );
    }
    if (this.preview) {
      this.#refuse(
        `${this.tool} was called as a dry run, so it may not change the cluster (it tried ${what} in context ${request.context}).`,
        'Call it again without dryRun/diffOnly to make the change.',
      );
    }
    this.#refuseReadOnly(request.context);
    this.#refuseUnconfirmed(what, request.context);
    await this.#confirmProtected(request.context, request.namespace ? [request.namespace] : []);
    if (request.namespace) add(this.written, request.context, request.namespace);
    else this.writtenClusterWide.add(request.context);
  }

  /**
   * For changes this process cannot see request by request (a subprocess such as helm): judges
   * them up front, on every namespace they will write to, exactly as judgeRequest would.
   */
  async judgeWrites(context: string, namespaces: Iterable<string | undefined>): Promise<void> {
    if (this.safety === 'read') this.#refuse(`${this.tool} is a read tool, so it may not change the cluster.`, 'Use a mutation tool.');
    if (this.preview) return;
    this.#refuseReadOnly(context);
    const named = [...new Set([...namespaces].filter((ns): ns is string => Boolean(ns)))];
    await this.#confirmProtected(context, named);
    for (const ns of named) add(this.written, context, ns);
    if (!named.length) this.writtenClusterWide.add(context);
  }

  /** Refuses up front when the call could only fail on a read-only context (not a preview). */
  checkContext(context: string): void {
    if (this.safety !== 'read' && !this.preview) this.#refuseReadOnly(context);
  }

  /**
   * A destructive write the person has not agreed to in this call. judgeWrites does not check it:
   * a tool judges a subprocess's writes up front, before it asks its own question.
   */
  #refuseUnconfirmed(what: string, context: string): void {
    if (this.safety !== 'destructive' || this.personConfirmed) return;
    this.#refuse(
      `${this.tool} is destructive and tried ${what} in context ${context} before the person confirmed it; nothing was sent.`,
      'This is a fault in the tool module: a destructive tool must ask with ctx.confirm (requireConfirmation) before it changes anything. Report it.',
    );
  }

  #refuseReadOnly(context: string): void {
    const why = this.#options.targets?.readOnlyReason(context, this.#options.policy.readOnlyContexts);
    if (why) {
      this.#refuse(
        `context ${context} is read-only on this server (${why}), so ${this.tool} may not change it.`,
        'Use a read tool or a dry run, or ask the person to remove the context from the read-only list in the settings.',
      );
    }
  }

  async #confirmProtected(context: string, namespaces: string[]): Promise<void> {
    const protectedList = this.#options.policy.protectedNamespaces;
    const key = (ns: string) => `${context}\0${ns}`;
    if (!namespaces.some((ns) => protectedList.includes(ns) && !this.#confirmed.has(key(ns)))) return;
    // Everything the call has previewed in this context is about to be written too (a tool dry-runs
    // its whole change first): one question for all of it, before anything changes.
    const risky = [...new Set([...namespaces, ...(this.#previewed.get(context) ?? [])])]
      .filter((ns) => protectedList.includes(ns) && !this.#confirmed.has(key(ns)))
      .sort();
    const list = risky.map((ns) => `"${ns}"`).join(', ');
    try {
      await this.#options.confirm(`${this.tool} will change the protected namespace${risky.length > 1 ? 's' : ''} ${list} in context ${context}. Proceed?`);
    } catch (err) {
      if (err instanceof CallRefused) this.refusal ??= err;
      throw err;
    }
    for (const ns of risky) this.#confirmed.add(key(ns));
  }

  #refuse(reason: string, hint: string): never {
    const refusal = new CallRefused(reason, hint);
    this.refusal ??= refusal;
    throw refusal;
  }

  /**
   * Remembers the values of a Secret the call read. Unless the policy reveals Secrets, the kernel
   * removes every one of them from the call's answer, its progress messages and its audit line,
   * whatever path they took there (a tool that forgot to redact, helm quoting a template's
   * `lookup` in an error). Values shorter than six characters are left alone: removing every
   * "true" or "80" from an answer would garble it, and such values are not what leaks hurt.
   */
  rememberSecretValues(values: Iterable<string>): void {
    if (this.#options.policy.revealSecrets) return;
    for (const value of values) if (value.length >= MIN_SCRUBBED_SECRET) this.#secretValues.add(value);
  }

  /** `text` with every Secret value the call read replaced by `[secret]`. */
  scrubSecrets(text: string): string {
    return this.#secretValues.size ? cutOut(text, this.#secretValues, '[secret]') : text;
  }

  /** Runs `cleanup` when the call ends, whatever its outcome. */
  defer(cleanup: () => void | Promise<void>): void {
    this.#cleanups.push(cleanup);
  }

  async end(): Promise<void> {
    for (const cleanup of this.#cleanups.splice(0).reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
  }

  /** Remembers a confirmation the handler asked for and did not get (the kernel answers with it). */
  noteRefusal(err: CallRefused | NeedsConfirmation): void {
    this.refusal ??= err;
  }
}

function add(map: Map<string, Set<string>>, context: string, namespace: string): void {
  const set = map.get(context) ?? new Set<string>();
  map.set(context, set);
  set.add(namespace);
}
