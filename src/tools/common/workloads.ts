/**
 * Shared by describe_resource, get_pod_logs and get_events: label selectors as text, and resolving a workload
 * reference (`deploy/web`, `sts/db`, `ds/x`, `rs/x`, `job/x`, `cj/x` = its newest Job, `pod/x`, or
 * a bare pod name) to the object and the pods it owns.
 *
 * Pods are matched by the workload's selector and then by ownership (a Deployment's pods are
 * those owned by its ReplicaSets), so two workloads with overlapping selectors never mix.
 */
import { ToolError } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import { resourcePath, type ResolvedKind } from '../../providers/cluster/discovery.js';
import { getObject } from './objects.js';
import { isWorkload, kindId, refText, resolveObjectRef, WORKLOAD_REF_HELP } from './refs.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion?: string; kind: string; name: string; uid: string; controller?: boolean }>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generation?: number;
  [key: string]: unknown;
}

/** A Kubernetes object as JSON; spec and status are read loosely. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: spec and status differ per kind; each describer reads the fields it knows
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as for spec
  status?: any;
  [key: string]: unknown;
}

export interface KList {
  items: KObject[];
  metadata?: { continue?: string; resourceVersion?: string };
}

/** A LabelSelector object (matchLabels + matchExpressions) as `kubectl -l` text. */
export function selectorString(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined,
): string {
  if (!selector) return '';
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export interface Workload {
  /** The kind the reference named (Pod for a bare pod name). */
  kind: ResolvedKind;
  name: string;
  namespace: string;
  object: KObject;
  /** The pods it owns now, newest first. */
  pods: KObject[];
  /** For a Deployment: its ReplicaSets (newest first). */
  replicaSets: KObject[];
  /** For a CronJob: its Jobs (newest first); for a Job: itself. */
  jobs: KObject[];
  /** For a CronJob: the newest Job, whose pods are `pods`. */
  job?: KObject;
}

const byNewest = (a: KObject, b: KObject) =>
  (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);

function ownedBy(obj: KObject, uids: Set<string>): boolean {
  return (obj.metadata.ownerReferences ?? []).some((o) => uids.has(o.uid));
}

/** The objects at a collection path with a label selector ('' for all); a refusal is explained as a list of `what`. */
export async function listObjects(
  handle: ClusterHandle,
  path: string,
  selector: string,
  signal?: AbortSignal,
  what?: { resource: string; namespace: string },
): Promise<KObject[]> {
  try {
    const res = await handle.request(path, { query: { labelSelector: selector || undefined }, ...(signal ? { signal } : {}) });
    return res.json<KList>().items ?? [];
  } catch (err) {
    throw handle.describeError(err, { verb: 'list', ...(what ?? {}) });
  }
}

/** Resolves a kind known to exist on every cluster (pods, replicasets.apps, jobs.batch). */
function builtin(kind: string, group: string, plural: string): ResolvedKind {
  return {
    group,
    version: 'v1',
    apiVersion: group ? `${group}/v1` : 'v1',
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced: true,
    verbs: ['get', 'list', 'watch'],
    shortNames: [],
    categories: [],
    subresources: [],
    preferred: true,
  };
}

export const POD_KIND = builtin('Pod', '', 'pods');
export const REPLICASET_KIND = builtin('ReplicaSet', 'apps', 'replicasets');
export const JOB_KIND = builtin('Job', 'batch', 'jobs');
export const PVC_KIND = builtin('PersistentVolumeClaim', '', 'persistentvolumeclaims');

/**
 * Resolves `ref` (a pod name or a workload reference) in `namespace` to the object and its pods.
 * Unknown or non-workload kinds, a missing object (with near names) and RBAC refusals become
 * ToolErrors that say what to do.
 */
export async function resolveWorkloadPods(handle: ClusterHandle, ref: string, namespace: string, signal?: AbortSignal, field = 'name'): Promise<Workload> {
  const { kind, name } = await resolveObjectRef(handle, { field, ref, bareKind: 'pod' }, signal);
  if (!isWorkload(kind, 'pods')) {
    throw new ToolError(`${kind.kind} is not a workload kind (in "${ref}").`, `Name ${WORKLOAD_REF_HELP}.`);
  }
  const object = await getObject<KObject>(handle, kind, namespace, name, signal);
  return podsOfWorkload(handle, kind, object, signal);
}

/** The pods (and ReplicaSets or Jobs) a workload object already read owns. */
export async function podsOfWorkload(handle: ClusterHandle, kind: ResolvedKind, object: KObject, signal?: AbortSignal): Promise<Workload> {
  const namespace = object.metadata.namespace ?? '';
  const result: Workload = { kind, name: object.metadata.name, namespace, object, pods: [], replicaSets: [], jobs: [] };
  const podsPath = resourcePath(POD_KIND, { namespace });
  const podWhat = { resource: 'pods', namespace };
  const uid = object.metadata.uid ?? '';
  switch (kindId(kind)) {
    case '/Pod':
      result.pods = [object];
      break;
    case 'apps/Deployment': {
      const selector = selectorString(object.spec?.selector);
      const rs = await listObjects(handle, resourcePath(REPLICASET_KIND, { namespace }), selector, signal, { resource: 'replicasets.apps', namespace });
      result.replicaSets = rs.filter((r) => ownedBy(r, new Set([uid]))).sort(byNewest);
      const rsUids = new Set(result.replicaSets.map((r) => r.metadata.uid ?? ''));
      const pods = await listObjects(handle, podsPath, selector, signal, podWhat);
      result.pods = pods.filter((p) => ownedBy(p, rsUids)).sort(byNewest);
      break;
    }
    case 'apps/StatefulSet':
    case 'apps/DaemonSet':
    case 'apps/ReplicaSet': {
      const pods = await listObjects(handle, podsPath, selectorString(object.spec?.selector), signal, podWhat);
      result.pods = pods.filter((p) => ownedBy(p, new Set([uid]))).sort(byNewest);
      break;
    }
    case 'batch/Job': {
      result.jobs = [object];
      result.job = object;
      const pods = await listObjects(handle, podsPath, selectorString(object.spec?.selector), signal, podWhat);
      result.pods = pods.filter((p) => ownedBy(p, new Set([uid]))).sort(byNewest);
      break;
    }
    case 'batch/CronJob': {
      const jobs = await listObjects(handle, resourcePath(JOB_KIND, { namespace }), '', signal, { resource: 'jobs.batch', namespace });
      result.jobs = jobs.filter((j) => ownedBy(j, new Set([uid]))).sort(byNewest);
      const newest = result.jobs[0];
      if (newest) {
        result.job = newest;
        const pods = await listObjects(handle, podsPath, selectorString(newest.spec?.selector), signal, podWhat);
        result.pods = pods.filter((p) => ownedBy(p, new Set([newest.metadata.uid ?? '']))).sort(byNewest);
      }
      break;
    }
    default:
      throw new ToolError(`${kind.kind} is not a workload kind ("${refText(kind, object.metadata.name)}").`, `Name ${WORKLOAD_REF_HELP}.`);
  }
  return result;
}
