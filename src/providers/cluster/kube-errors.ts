/**
 * Turns whatever a Kubernetes call threw into a ToolError that says what failed, why, and what
 * to try: HTTP statuses from the API server (401, 403, 404, 409, 422, 429, 5xx, with the Status
 * object's reason and causes), timeouts, connection failures (refused, DNS, TLS) and tunnel
 * failures. The cluster handle (handle.ts) calls `describeKubernetesError` for every request that
 * fails, with its context, server and user filled in; tools reach it through `handle.describeError`.
 */
import { ToolError } from '../../kernel/contract.js';
import { TunnelError } from './tunnel-config.js';

export interface KubeCallInfo {
  /** Context name (always known by the handle). */
  context?: string;
  /** API server address from the kubeconfig. */
  server?: string;
  /** Kubeconfig user name (never credentials). */
  user?: string;
  /** get, list, watch, create, update, patch, delete, ... */
  verb?: string;
  /** Plural resource, optionally with group (`deployments.apps`). */
  resource?: string;
  name?: string;
  namespace?: string;
  /** Timeout that applied, for the message. */
  timeoutMs?: number;
}

interface K8sStatus {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ field?: string; message?: string; reason?: string }> };
}

/** Status code and decoded Status body of an API error, whatever shape it came in. */
export function statusOf(err: unknown): { code: number; status: K8sStatus | undefined } | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown };
  const code = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (code === undefined || code < 100 || code > 599) return undefined;
  let status: K8sStatus | undefined;
  if (typeof e.body === 'string') {
    try {
      const parsed = JSON.parse(e.body);
      if (parsed && typeof parsed === 'object') status = parsed as K8sStatus;
    } catch {
      status = e.body.trim() ? { message: e.body.trim().slice(0, 500) } : undefined;
    }
  } else if (e.body && typeof e.body === 'object') {
    status = e.body as K8sStatus;
  }
  return { code, status };
}

/** `err` and the errors it wraps (`cause`), outermost first; a few levels are enough for fetch and TLS errors. */
export function* causeChain(err: unknown, depth = 5): Generator<object> {
  let cur: unknown = err;
  for (let i = 0; i < depth && cur && typeof cur === 'object'; i++) {
    yield cur;
    cur = (cur as { cause?: unknown }).cause;
  }
}

function causeCode(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') return c;
  }
  return undefined;
}

function causeMessage(err: unknown): string {
  let last = err instanceof Error ? err.message : String(err);
  for (const e of causeChain(err)) if (e instanceof Error && e.message) last = e.message;
  return last;
}

/** A 422 Status's field causes as `field: message` parts. */
export function invalidFields(status: { details?: { causes?: Array<{ field?: string; message?: string; reason?: string }> } } | undefined): string[] {
  return (status?.details?.causes ?? []).map((c) => `${c.field ?? '?'}: ${c.message ?? c.reason ?? 'invalid'}`);
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function target(info: KubeCallInfo): string {
  const what = info.resource ? `${info.resource}${info.name ? `/${info.name}` : ''}` : 'the resource';
  return info.namespace ? `${what} in namespace "${info.namespace}"` : what;
}

function where(info: KubeCallInfo): string {
  const ctx = info.context ? `context "${info.context}"` : 'the cluster';
  return info.server ? `${ctx} (${info.server})` : ctx;
}

/**
 * An HTTP error from the API server, already explained. It is a ToolError (the kernel shows it
 * as is) that still carries `code` and the Status `body`, so a tool can branch on `code === 404`
 * exactly as it would on client-node's ApiException.
 */
export class KubeApiError extends ToolError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly code: number,
    readonly body: K8sStatus | undefined,
  ) {
    super(message, hint);
    // name stays 'ToolError': the kernel also recognises tool errors by name (modules loaded
    // from a --tools-dir may carry their own copy of the class).
  }

  /** The Status reason (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, ...). */
  get reason(): string | undefined {
    return this.body?.reason;
  }
}

/**
 * The API server (or the way to it) did not answer within the call's timeout. A class of its
 * own so that waiting code (discovery shared by several calls) can tell "no answer yet" from an
 * answer; its name stays 'ToolError', as for KubeApiError.
 */
export class NoAnswerError extends ToolError {}

/** Maps any error from a Kubernetes call to a ToolError with what, why and what to try. */
export function describeKubernetesError(err: unknown, info: KubeCallInfo = {}): ToolError {
  if (err instanceof ToolError) return err;
  const http = statusOf(err);
  if (http) {
    const described = describeHttp(http.code, http.status, info);
    return new KubeApiError(described.message, described.hint, http.code, http.status);
  }
  return describeOther(err, info);
}

function describeHttp(code: number, status: K8sStatus | undefined, info: KubeCallInfo): ToolError {
  const ctx = info.context ? `context "${info.context}"` : 'this context';
  const ctxFlag = info.context ? ` --context ${info.context}` : '';
  const serverSays = status?.message ? ` The API server said: ${status.message}` : '';
  switch (code) {
    case 401:
      return new ToolError(
        `${ctx}: the API server rejected the credentials of user "${info.user ?? 'unknown'}" (401 Unauthorized).${serverSays}`,
        'The token or certificate is missing, expired or revoked. Refresh it (for cloud clusters run the provider login, e.g. `aws sso login`, `gcloud auth login`, `az login`), or pick another context with list_contexts.',
      );
    case 403: {
      const user = status?.message?.match(/User "([^"]+)"/)?.[1] ?? info.user ?? 'this user';
      const verb = info.verb ?? status?.message?.match(/cannot (\w+)/)?.[1] ?? 'access';
      const resource = info.resource ?? status?.details?.kind ?? 'this resource';
      const ns = info.namespace ? ` in namespace "${info.namespace}"` : status?.message?.includes('at the cluster scope') ? ' at the cluster scope' : '';
      return new ToolError(
        `Forbidden: user "${user}" (${ctx}) cannot ${verb} ${resource}${info.name ? ` "${info.name}"` : ''}${ns}.${serverSays}`,
        `RBAC does not grant it. Check with \`kubectl auth can-i ${verb} ${resource}${info.namespace ? ` -n ${info.namespace}` : ''}${ctxFlag}\`; ask for a Role/ClusterRole binding that allows it, or use a context that has the permission.`,
      );
    }
    case 404: {
      const kind = status?.details?.kind ?? info.resource;
      const name = status?.details?.name ?? info.name;
      if (name) {
        return new ToolError(
          `${kind ?? 'resource'} "${name}" not found${info.namespace ? ` in namespace "${info.namespace}"` : ''} (${ctx}).`,
          `Check the name and the namespace; list what exists with list_resources${info.namespace ? ', or try another namespace' : ''}.`,
        );
      }
      return new ToolError(
        `Not found: ${target(info)} (${ctx}).${serverSays}`,
        'The namespace or the API may not exist on this cluster (or a CRD changed since the kinds were read: they are re-read on the next call); check with list_namespaces and list_kinds.',
      );
    }
    case 409:
      if (status?.reason === 'AlreadyExists') {
        return new ToolError(`${target(info)} already exists (${ctx}).${serverSays}`, 'Use apply_yaml to update it, or choose another name.');
      }
      return new ToolError(
        `Conflict on ${target(info)} (${ctx}): the object changed since it was read.${serverSays}`,
        'Read it again and retry the change; apply_yaml with server-side apply avoids most conflicts.',
      );
    case 422: {
      const causes = invalidFields(status);
      return new ToolError(
        `The API server rejected ${target(info)} as invalid (${ctx})${causes.length ? `: ${causes.join('; ')}` : `.${serverSays}`}`,
        'Fix the named fields and try again; get_resource_yaml shows the current object.',
      );
    }
    case 400:
      return new ToolError(`Bad request for ${target(info)} (${ctx}).${serverSays}`, 'Check the arguments (selectors, field names, YAML).');
    case 405:
      return new ToolError(
        `${ctx}: the API server does not allow ${info.verb ?? 'this operation'} on ${target(info)} (405).${serverSays}`,
        'Use list_kinds to see the verbs this kind supports.',
      );
    case 410:
      return new ToolError(
        `${ctx}: the continue token or resourceVersion expired (410 Gone).${serverSays}`,
        'Start the list again without the continue token.',
      );
    case 429:
      return new ToolError(
        `${ctx}: the API server is throttling requests (429).${serverSays}`,
        'Wait a few seconds and retry; narrow the query with a namespace or label selector.',
      );
    case 504:
    case 503:
    case 502:
    case 500:
      return new ToolError(
        `${where(info)}: the API server failed with ${code}.${serverSays}`,
        'This is on the server side: retry shortly; if it persists check the control plane (or an aggregated API such as metrics-server).',
      );
    default:
      return new ToolError(`${where(info)}: request failed with HTTP ${code}.${serverSays}`);
  }
}

function describeOther(err: unknown, info: KubeCallInfo): ToolError {
  const ctx = info.context ? `context "${info.context}"` : 'this context';
  const ctxFlag = info.context ? ` --context ${info.context}` : '';

  if (err instanceof TunnelError) {
    return new ToolError(`${where(info)} is reached through an SSH bastion, and the tunnel failed: ${err.message}`, err.hint);
  }

  const name = (err as { name?: string })?.name;
  if (name === 'TimeoutError' || causeCode(err) === 'UND_ERR_CONNECT_TIMEOUT' || causeCode(err) === 'UND_ERR_HEADERS_TIMEOUT') {
    const secs = info.timeoutMs ? ` within ${Math.round(info.timeoutMs / 100) / 10}s` : ' in time';
    return new NoAnswerError(
      `${where(info)} did not answer${secs}.`,
      'The cluster may be down or unreachable from here (VPN, firewall, bastion). Other contexts are not affected; retry, or check it with `kubectl get --raw /readyz' +
        ctxFlag +
        '`.',
    );
  }
  if (name === 'AbortError') {
    return new ToolError(`The call to ${where(info)} was cancelled.`);
  }
  const code = causeCode(err);
  const msg = causeMessage(err);
  if (code === 'ECONNREFUSED') {
    return new ToolError(
      `Cannot connect to ${where(info)}: connection refused.`,
      'Nothing is listening at that address: is the cluster running, and is this the right server (VPN, port-forward or bastion needed)?',
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ToolError(`Cannot resolve the API server host of ${where(info)} (${code}).`, 'Check the server name in the kubeconfig and your DNS/VPN.');
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') {
    return new ToolError(`Cannot reach ${where(info)} (${code}).`, 'The network path to the cluster is down (VPN, firewall, bastion).');
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return new ToolError(
      `The connection to ${where(info)} was reset (${msg}).`,
      'Retry; if it keeps happening, check proxies, load balancers or the SSH bastion in between.',
    );
  }
  if (code && TLS_CODES.has(code)) {
    return new ToolError(
      `TLS verification of ${where(info)} failed: ${code} (${msg}).`,
      'The server certificate does not match the kubeconfig (certificate-authority-data, tls-server-name). Fix the CA or the server name; do not turn verification off.',
    );
  }
  if (/exec|credential|plugin/i.test(msg)) {
    return new ToolError(
      `${ctx}: getting credentials failed: ${msg}`,
      'The kubeconfig user runs a credential plugin; run it by hand to see why (is it installed and logged in?).',
    );
  }
  return new ToolError(`${where(info)}: ${msg}`);
}

/**
 * Maps an API path + method to what it does (verb, resource, namespace, name): for error messages,
 * and for the call scope, which judges a write on the namespace its path names.
 */
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
    m === 'GET'
      ? watch
        ? 'watch'
        : name
          ? 'get'
          : 'list'
      : m === 'POST'
        ? 'create'
        : m === 'PUT'
          ? 'update'
          : m === 'PATCH'
            ? 'patch'
            : m === 'DELETE'
              ? name
                ? 'delete'
                : 'deletecollection'
              : m.toLowerCase();
  return { verb, resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
}

/**
 * Why a user's credentials could not be had (a token or certificate file, or an exec credential
 * plugin that failed, is missing, or waits for an interactive login), as a ToolError.
 */
export function credentialError(err: unknown, who: { context: string; user: string | undefined; exec: unknown; timeoutMs: number }): ToolError {
  const exec = who.exec as { command?: string; args?: string[] } | undefined;
  const { timeoutMs } = who;
  const name = (err as { name?: string })?.name;
  if (name === 'AbortError') return new ToolError(`The call to context "${who.context}" was cancelled.`);
  if (!exec?.command) {
    if (name === 'TimeoutError') return new ToolError(`context "${who.context}": getting credentials took longer than ${timeoutMs / 1000}s.`);
    return new ToolError(
      `context "${who.context}": cannot load the credentials of user "${who.user ?? ''}": ${(err as Error)?.message ?? String(err)}`,
      'Check the files and fields of this user in the kubeconfig (client-certificate, client-key, token-file).',
    );
  }
  const command = [exec.command, ...(exec.args ?? [])].join(' ');
  const tryIt = `Run it by hand to see why: ${command}`;
  if (name === 'TimeoutError') {
    return new ToolError(
      `context "${who.context}": the credential plugin "${exec.command}" did not answer within ${timeoutMs / 1000}s (is it waiting for an interactive login?).`,
      `Log in first (for example \`aws sso login\`, \`gcloud auth login\`, \`az login\`, \`kubelogin\`), then retry. ${tryIt}`,
    );
  }
  if ((err as { code?: string })?.code === 'ENOENT') {
    return new ToolError(
      `context "${who.context}": the credential plugin "${exec.command}" is not installed or not on the PATH of the server process.`,
      "Install it, or put its absolute path in the kubeconfig user's exec.command.",
    );
  }
  const message = ((err as Error)?.message ?? String(err)).trim().split('\n').slice(-5).join(' ').slice(0, 500);
  return new ToolError(
    `context "${who.context}": the credential plugin "${exec.command}" failed${message ? `: ${message}` : ''}.`,
    `Is it logged in, with access to this cluster? ${tryIt}`,
  );
}

/** A pooled connection the server closed under us: worth one retry on a fresh one. */
export function isStaleConnection(err: unknown): boolean {
  return [...causeChain(err, 4)].some((e) => ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes((e as { code?: string }).code ?? ''));
}
