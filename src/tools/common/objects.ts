/**
 * Naming a resolved kind the way kubectl and RBAC do, reading one object, and "did you mean"
 * names for a missing one. Shared by the tools; lives outside src/tools/read/ and mutate/, which
 * the registry reserves for tool modules. API paths come from the provider's resourcePath.
 */
import { ToolError } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import { levenshtein, MAX_NAME_LENGTH, resourcePath, type ResolvedKind } from '../../providers/cluster/discovery.js';
import { METADATA_ACCEPT } from './tables.js';

/** `deployments.apps` (the form kubectl and RBAC messages use). */
export function qualifiedResource(kind: ResolvedKind): string {
  return kind.group ? `${kind.plural}.${kind.group}` : kind.plural;
}

/** Names of the objects of `kind` (in `namespace` when namespaced): one metadata-only list of at most 500, within 3 s. */
export async function objectNames(handle: ClusterHandle, kind: ResolvedKind, namespace: string | undefined, signal?: AbortSignal): Promise<string[]> {
  const res = await handle.request(resourcePath(kind, namespace ? { namespace } : {}), {
    accept: METADATA_ACCEPT,
    query: { limit: 500 },
    timeoutMs: 3000,
    ...(signal ? { signal } : {}),
  });
  return (res.json<{ items?: Array<{ metadata?: { name?: string } }> }>().items ?? []).map((i) => i.metadata?.name ?? '').filter(Boolean);
}

/**
 * Up to `max` names of existing objects of `kind` close to `name` (objectNames); [] when that
 * fails or nothing is close.
 */
export async function nearNames(
  handle: ClusterHandle,
  kind: ResolvedKind,
  namespace: string | undefined,
  name: string,
  signal?: AbortSignal,
  max = 5,
): Promise<string[]> {
  // No object's name is longer than MAX_NAME_LENGTH, so a longer text has no near names to look for.
  if (!kind.verbs.includes('list') || name.length > MAX_NAME_LENGTH) return [];
  try {
    const wanted = name.toLowerCase();
    const limit = Math.max(2, Math.floor(wanted.length / 3));
    return (await objectNames(handle, kind, namespace, signal))
      .map((n) => ({ n, d: n.toLowerCase().includes(wanted) || wanted.includes(n.toLowerCase()) ? 0 : levenshtein(wanted, n.toLowerCase(), limit) }))
      .filter((x) => x.d <= limit)
      .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
      .slice(0, max)
      .map((x) => x.n);
  } catch {
    return [];
  }
}

/**
 * GETs one object (or one of its subresources). A 404 becomes a ToolError naming the kind, name,
 * namespace and context, with the closest existing names; other failures are explained by the
 * handle (403 names user and verb).
 */
export async function getObject<T = unknown>(
  handle: ClusterHandle,
  kind: ResolvedKind,
  namespace: string | undefined,
  name: string,
  signal?: AbortSignal,
  subresource?: string,
): Promise<T> {
  const ns = kind.namespaced ? namespace : undefined;
  let answer: T;
  try {
    const res = await handle.request(
      resourcePath(kind, { ...(ns ? { namespace: ns } : {}), name, ...(subresource ? { subresource } : {}) }),
      signal ? { signal } : {},
    );
    answer = res.json<T>();
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) throw await notFound(handle, kind, ns, name, signal);
    const resource = subresource ? `${qualifiedResource(kind)}/${subresource}` : qualifiedResource(kind);
    throw handle.describeError(err, { verb: 'get', resource, name, ...(ns ? { namespace: ns } : {}) });
  }
  if (!subresource) checkAnswerIsObject(answer, kind, name, handle.context);
  return answer;
}

/**
 * An answer is only ever the object that was asked for: a response of another kind or name (a
 * list, another resource that a proxy or an odd path resolved to) is refused rather than shown.
 */
export function checkAnswerIsObject(answer: unknown, kind: ResolvedKind, name: string, context: string): void {
  const got = answer as { kind?: unknown; metadata?: { name?: unknown } } | null;
  const gotKind = typeof got?.kind === 'string' ? got.kind : undefined;
  if (gotKind === kind.kind && got?.metadata?.name === name) return;
  const what = `${gotKind ?? 'an object without a kind'}${typeof got?.metadata?.name === 'string' ? ` "${got.metadata.name}"` : ''}`;
  throw new ToolError(
    `Asked for ${kind.kind} "${name}" (context "${context}"), the API server answered with ${what}; not shown.`,
    `Check the name; list_resources {"kind": "${qualifiedResource(kind)}"} shows what exists.`,
  );
}

/** The not-found error for kind/name, with near names when a cheap list finds some. */
export async function notFound(
  handle: ClusterHandle,
  kind: ResolvedKind,
  namespace: string | undefined,
  name: string,
  signal?: AbortSignal,
): Promise<ToolError> {
  const near = await nearNames(handle, kind, namespace, name, signal);
  const inNamespace = kind.namespaced && namespace !== undefined;
  const where = inNamespace ? ` in namespace "${namespace}"` : '';
  const listArgs = `{"kind": "${qualifiedResource(kind)}"${inNamespace ? `, "namespace": "${namespace}"` : ''}}`;
  return new ToolError(
    `${kind.kind} "${name}" not found${where} (context "${handle.context}").${near.length ? ` Did you mean: ${near.join(', ')}?` : ''}`,
    `Check the name${inNamespace ? ' and the namespace' : ''}; list_resources ${listArgs} shows what exists${inNamespace ? ', or try another namespace' : ''}.`,
  );
}
