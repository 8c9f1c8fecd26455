/**
 * API paths for a resolved kind, and "did you mean" names for a missing object. Shared by the
 * read tools; lives outside src/tools/read/, which the registry reserves for tool modules.
 */
import type { ClusterHandle } from '../providers/clusters.js';
import type { ResolvedKind } from '../providers/discovery.js';
import { levenshtein } from '../providers/discovery.js';

/** `/api/v1/namespaces/ns/pods[/name]` or `/apis/apps/v1/deployments`. */
export function resourcePath(kind: ResolvedKind, namespace: string | undefined, name?: string): string {
  const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
  const ns = kind.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${kind.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** `deployments.apps` (the form kubectl and RBAC messages use). */
export function qualifiedResource(kind: ResolvedKind): string {
  return kind.group ? `${kind.plural}.${kind.group}` : kind.plural;
}

/**
 * Up to `max` names of existing objects of `kind` close to `name` (one metadata-only list of at
 * most 500 items, within 3 s); [] when that fails or nothing is close.
 */
export async function nearNames(
  handle: ClusterHandle,
  kind: ResolvedKind,
  namespace: string | undefined,
  name: string,
  signal?: AbortSignal,
  max = 5,
): Promise<string[]> {
  if (!kind.verbs.includes('list')) return [];
  try {
    const res = await handle.request(resourcePath(kind, namespace), {
      accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
      query: { limit: 500 },
      timeoutMs: 3000,
      ...(signal ? { signal } : {}),
    });
    const items = res.json<{ items?: Array<{ metadata?: { name?: string } }> }>().items ?? [];
    const wanted = name.toLowerCase();
    return items
      .map((i) => i.metadata?.name ?? '')
      .filter(Boolean)
      .map((n) => ({ n, d: n.toLowerCase().includes(wanted) || wanted.includes(n.toLowerCase()) ? 0 : levenshtein(wanted, n.toLowerCase()) }))
      .filter((x) => x.d <= Math.max(2, Math.floor(wanted.length / 3)))
      .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
      .slice(0, max)
      .map((x) => x.n);
  } catch {
    return [];
  }
}
