/**
 * Nodes as the node tools (cordon_node, uncordon_node, drain_node, taint_node) and list_nodes see
 * them: reading one node, the pods bound to it, cordoning (spec.unschedulable), taints in kubectl's
 * `key=value:Effect` notation, and which pods tolerate a taint.
 */
import { Type } from '@sinclair/typebox';
import { ToolError } from '../../kernel/contract.js';
import type { ClusterHandle, KubeResponse } from '../../providers/cluster/handle.js';
import type { ResolvedKind } from '../../providers/cluster/discovery.js';
import { getObject } from './objects.js';
import type { KObject } from './workloads.js';

export const NodeArg = Type.String({ minLength: 1, description: 'Node name, as list_nodes shows it.' });

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface NodeObject {
  kind?: string;
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: Taint[] };
}

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** `key=value:Effect`, or `key:Effect` without a value, as kubectl prints a taint. */
export function taintText(t: Pick<Taint, 'key' | 'value' | 'effect'>): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

/** A node handle: its resolved kind (cluster-scoped `nodes`) and the node as read now. */
export interface ReadNode {
  kind: ResolvedKind;
  node: NodeObject;
  path: string;
}

/** GETs the node; a missing one is a not-found error with near names, a 403 names the verb. */
export async function readNode(handle: ClusterHandle, name: string, signal: AbortSignal): Promise<ReadNode> {
  const kind = await handle.resolveKind('nodes', signal);
  const node = await getObject<NodeObject>(handle, kind, undefined, name, signal);
  return { kind, node, path: handle.pathFor(kind, { name }) };
}

/**
 * Sets spec.unschedulable as kubectl cordon / uncordon do (a strategic-merge patch), as a server
 * dry run when `dryRun`. Explains a refusal (403) in kubectl's words.
 */
export async function setUnschedulable(handle: ClusterHandle, read: ReadNode, unschedulable: boolean, signal: AbortSignal, dryRun = false): Promise<void> {
  try {
    await handle.request(read.path, {
      method: 'PATCH',
      body: { spec: { unschedulable: unschedulable ? true : null } },
      contentType: 'application/strategic-merge-patch+json',
      signal,
      ...(dryRun ? { query: { dryRun: 'All' } } : {}),
    });
  } catch (err) {
    throw handle.describeError(err, { verb: 'patch', resource: 'nodes', name: read.node.metadata.name });
  }
}

/** Every pod bound to the node, in every namespace (`spec.nodeName`), oldest first. */
export async function podsOnNode(handle: ClusterHandle, node: string, signal: AbortSignal): Promise<KObject[]> {
  const items: KObject[] = [];
  let next: string | undefined;
  do {
    let res: KubeResponse;
    try {
      res = await handle.request('/api/v1/pods', {
        query: { fieldSelector: `spec.nodeName=${node}`, limit: 500, ...(next ? { continue: next } : {}) },
        signal,
      });
    } catch (err) {
      throw handle.describeError(err, { verb: 'list', resource: 'pods' });
    }
    const list = res.json<{ items?: KObject[]; metadata?: { continue?: string } }>();
    items.push(...(list.items ?? []));
    next = list.metadata?.continue || undefined;
  } while (next);
  return items.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
}

/** `namespace/name` of a pod, as the node tools list pods. */
export function podRef(pod: KObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** Whether the pod has a toleration for the taint (the scheduler's and the taint manager's rule). */
export function tolerates(pod: KObject, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  const tolerations = (pod.spec?.tolerations ?? []) as Array<{ key?: string; operator?: string; value?: string; effect?: string }>;
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

/** A label-style key (optional DNS prefix, then a name of at most 63 characters). */
const QUALIFIED_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const TAINT_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export type TaintChange = { op: 'add'; taint: Taint } | { op: 'remove'; key: string; effect?: string };

/**
 * One argument of `kubectl taint`: `key=value:Effect` or `key:Effect` adds, `key:Effect-` removes
 * that taint, `key-` removes every taint with that key.
 */
export function parseTaintChange(text: string): TaintChange {
  const spec = text.trim();
  const bad = (why: string): never => {
    throw new ToolError(
      `taints: "${text.slice(0, 100)}" ${why}.`,
      'Write each as kubectl taint does: "dedicated=gpu:NoSchedule" to add, "dedicated:NoSchedule-" or "dedicated-" to remove.',
    );
  };
  if (spec.endsWith('-')) {
    const [key, effect, extra] = spec.slice(0, -1).split(':');
    if (extra !== undefined || !key) bad('is not key:Effect- or key-');
    if (key!.includes('=')) bad('removes by key (and effect), without a value');
    if (!QUALIFIED_KEY.test(key!)) bad('has an invalid key');
    if (effect !== undefined && !(TAINT_EFFECTS as readonly string[]).includes(effect)) bad(`has effect "${effect}"; expected ${TAINT_EFFECTS.join(', ')}`);
    return effect === undefined ? { op: 'remove', key: key! } : { op: 'remove', key: key!, effect };
  }
  const colon = spec.lastIndexOf(':');
  if (colon < 0) bad('has no effect (…:NoSchedule, …:PreferNoSchedule or …:NoExecute)');
  const effect = spec.slice(colon + 1);
  const [key, value, extra] = spec.slice(0, colon).split('=');
  if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) bad(`has effect "${effect}"; expected ${TAINT_EFFECTS.join(', ')}`);
  if (extra !== undefined || !key || !QUALIFIED_KEY.test(key)) bad('has an invalid key');
  if (value !== undefined && !TAINT_VALUE.test(value)) bad('has an invalid value (at most 63 letters, digits, "-", "_" and ".")');
  return { op: 'add', taint: { key: key!, ...(value ? { value } : {}), effect } };
}
