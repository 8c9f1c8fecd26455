/**
 * list_nodes: one line per node with what matters for scheduling and health: status (Ready,
 * SchedulingDisabled), roles, age, kubelet version, internal IP, allocatable CPU/memory/pods,
 * taints and any pressure condition.
 */
import { Type } from '@sinclair/typebox';
import { defineTool } from '../../kernel/contract.js';
import { ContextArg, LabelSelectorArg, pageArgs } from '../common/arguments.js';
import { age, table } from '../common/format.js';

const DEFAULT_LIMIT = 100;
/** Conditions that are bad when True (Ready is bad when not True). */
const PROBLEM_CONDITIONS = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

export interface NodeObject {
  metadata?: { name?: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: Array<{ key: string; value?: string; effect: string }> };
  status?: {
    conditions?: Array<{ type: string; status: string; reason?: string }>;
    addresses?: Array<{ type: string; address: string }>;
    allocatable?: Record<string, string>;
    nodeInfo?: { kubeletVersion?: string };
  };
}

export const NODE_HEADERS = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'CPU', 'MEMORY', 'PODS', 'TAINTS', 'PROBLEMS'];

export default defineTool({
  name: 'list_nodes',
  title: 'List nodes',
  description: 'Nodes with status, roles, version, IP, allocatable CPU/memory, taints, pressure. Example: {"labelSelector":"zone=a"}',
  safety: 'read',
  needs: ['clusters'],
  input: Type.Object(
    {
      context: ContextArg,
      labelSelector: LabelSelectorArg,
      ...pageArgs(DEFAULT_LIMIT),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const res = await handle.request('/api/v1/nodes', {
      signal: ctx.signal,
      query: { limit: input.limit ?? DEFAULT_LIMIT, continue: input.continue, labelSelector: input.labelSelector },
    });
    const list = res.json<{ items?: NodeObject[]; metadata?: { continue?: string; remainingItemCount?: number } }>();
    const items = list.items ?? [];
    if (!items.length) return `No nodes found${input.labelSelector ? ` matching labels "${input.labelSelector}"` : ''} (context "${handle.context}").`;
    const now = Date.now();
    const rows = items.map((n) => nodeRow(n, now));
    const out = table(NODE_HEADERS, rows);
    const notes: string[] = [];
    const notReady = rows.filter((row) => !row[1]!.startsWith('Ready')).length;
    notes.push(`${items.length} nodes${notReady ? `, ${notReady} not Ready` : ''}. CPU, MEMORY and PODS are allocatable amounts.`);
    if (list.metadata?.continue) {
      const remaining = list.metadata.remainingItemCount;
      notes.push(
        `More remain${remaining !== undefined ? ` (${remaining})` : ''}. Next page: call list_nodes with the same arguments plus "continue": "${list.metadata.continue}".`,
      );
    }
    return `${out}\n\n${notes.join('\n')}`;
  },
});

/** One node's cells, aligned with NODE_HEADERS. Exported for unit tests. */
export function nodeRow(node: NodeObject, now = Date.now()): string[] {
  const conditions = node.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  let status = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown';
  if (node.spec?.unschedulable) status += ',SchedulingDisabled';
  const alloc = node.status?.allocatable ?? {};
  const problems = conditions.filter((c) => PROBLEM_CONDITIONS.includes(c.type) && c.status === 'True').map((c) => c.type);
  return [
    node.metadata?.name ?? '',
    status,
    roles(node.metadata?.labels ?? {}),
    age(node.metadata?.creationTimestamp, now),
    node.status?.nodeInfo?.kubeletVersion ?? '',
    node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
    alloc.cpu ?? '',
    alloc.memory ? memory(alloc.memory) : '',
    alloc.pods ?? '',
    (node.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(','),
    problems.join(','),
  ];
}

/** kubectl's roles: node-role.kubernetes.io/<role> labels, and the older kubernetes.io/role. */
function roles(labels: Record<string, string>): string {
  const found = new Set<string>();
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('node-role.kubernetes.io/')) found.add(k.slice('node-role.kubernetes.io/'.length) || v);
    else if (k === 'kubernetes.io/role' && v) found.add(v);
  }
  return [...found].filter(Boolean).sort().join(',');
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/** A memory quantity in Gi or Mi with one decimal ("15.6Gi"); unparseable input is shown as is. */
export function memory(quantity: string): string {
  const m = /^(\d+(?:\.\d+)?)(?:e(\d+))?([KMGTP]i?|k)?$/.exec(quantity.trim());
  if (!m) return quantity;
  const bytes = Number(m[1]) * 10 ** Number(m[2] ?? 0) * (UNITS[m[3] ?? ''] ?? 1);
  const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1).replace(/\.0$/, ''));
  if (bytes >= 2 ** 30) return `${fmt(Math.round((bytes / 2 ** 30) * 10) / 10)}Gi`;
  return `${fmt(Math.round((bytes / 2 ** 20) * 10) / 10)}Mi`;
}
