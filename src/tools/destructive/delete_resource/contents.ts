/**
 * What goes with an object whose deletion takes others with it: everything in a Namespace, every
 * custom resource of a CustomResourceDefinition. Counted with one metadata-only request of one item
 * per kind (the API server reports how many remain), so a namespace of thousands costs a few dozen
 * small requests.
 */
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import { resourcePath, type ResolvedKind } from '../../../providers/cluster/discovery.js';
import { mapLimit } from '../../../providers/helm/release-store.js';
import { qualifiedResource } from '../../common/objects.js';
import { METADATA_ACCEPT } from '../../common/tables.js';

interface CountedList {
  items?: unknown[];
  metadata?: { remainingItemCount?: number; continue?: string };
}

/** How many objects a list path holds, or undefined when it cannot be read. */
async function countAt(handle: ClusterHandle, path: string, signal: AbortSignal): Promise<number | undefined> {
  try {
    const list = (await handle.request(path, { accept: METADATA_ACCEPT, query: { limit: 1 }, timeoutMs: 5000, signal })).json<CountedList>();
    const items = list.items?.length ?? 0;
    return items + (list.metadata?.remainingItemCount ?? (list.metadata?.continue ? 1 : 0));
  } catch (err) {
    if (signal.aborted) throw err;
    return undefined;
  }
}

export interface Contents {
  /** `6 pods`, `2 deployments.apps`, … most first; empty when nothing was found. */
  counts: Array<{ resource: string; count: number }>;
  /** Resources that could not be counted (forbidden, or failing). */
  uncounted: string[];
}

/** `6 pods, 2 deployments.apps` (or `nothing`), plus the kinds that could not be counted. */
export function describeContents(contents: Contents): string {
  const total = contents.counts.reduce((n, c) => n + c.count, 0);
  const list = contents.counts.map((c) => `${c.count} ${c.resource}`).join(', ');
  const unknown = contents.uncounted.length ? ` (could not count ${contents.uncounted.join(', ')})` : '';
  return `${total ? `${total} object${total === 1 ? '' : 's'}: ${list}` : 'no objects'}${unknown}`;
}

/** Every namespaced kind's objects in `namespace` (Events left out: they go, but are not content). */
export async function namespaceContents(handle: ClusterHandle, namespace: string, signal: AbortSignal): Promise<Contents> {
  const kinds = (await handle.listKinds(signal)).filter(
    (k) => k.namespaced && k.preferred && k.verbs.includes('list') && k.verbs.includes('delete') && k.kind !== 'Event',
  );
  const counted = await mapLimit(kinds, 6, async (kind) => ({ kind, count: await countAt(handle, resourcePath(kind, { namespace }), signal) }));
  return summarise(counted);
}

/** The custom resources a CustomResourceDefinition serves, in every namespace. */
export async function customResources(
  handle: ClusterHandle,
  crd: {
    spec?: {
      group?: string;
      names?: { plural?: string; kind?: string };
      scope?: string;
      versions?: Array<{ name: string; served?: boolean; storage?: boolean }>;
    };
  },
  signal: AbortSignal,
): Promise<Contents> {
  const spec = crd.spec ?? {};
  const version = spec.versions?.find((v) => v.storage && v.served) ?? spec.versions?.find((v) => v.served);
  if (!spec.group || !spec.names?.plural || !version) return { counts: [], uncounted: [] };
  const kind: Pick<ResolvedKind, 'group' | 'version' | 'plural' | 'namespaced'> = {
    group: spec.group,
    version: version.name,
    plural: spec.names.plural,
    namespaced: false,
  };
  const count = await countAt(handle, resourcePath(kind), signal);
  const resource = `${spec.names.plural}.${spec.group}`;
  return count === undefined ? { counts: [], uncounted: [resource] } : { counts: count ? [{ resource, count }] : [], uncounted: [] };
}

function summarise(counted: Array<{ kind: ResolvedKind; count: number | undefined }>): Contents {
  return {
    counts: counted
      .filter((c): c is { kind: ResolvedKind; count: number } => (c.count ?? 0) > 0)
      .map((c) => ({ resource: qualifiedResource(c.kind), count: c.count }))
      .sort((a, b) => b.count - a.count || a.resource.localeCompare(b.resource)),
    uncounted: counted
      .filter((c) => c.count === undefined)
      .map((c) => qualifiedResource(c.kind))
      .sort(),
  };
}
