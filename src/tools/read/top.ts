/**
 * top: CPU and memory in use, as `kubectl top pods|nodes` shows them, from the Metrics API
 * (metrics.k8s.io, served by metrics-server through the API server's aggregation layer). Pods per
 * pod or per container, nodes with their share of allocatable; sortable, heaviest first.
 *
 * The Metrics API is an add-on: a cluster may not have it (404 on its group), or have it registered
 * while its server is down (503). Both get an answer that says which, and what to look at, instead of
 * the API server's bare "the server could not find the requested resource".
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import { KubeApiError } from '../../providers/cluster/kube-errors.js';
import { AllNamespacesArg, ContextArg, LabelSelectorArg, NamespaceArg } from '../common/arguments.js';
import { bodyBudget, keepFirst } from '../common/budget.js';
import { table } from '../common/format.js';
import { formatTopCpu, formatTopMemory, parseQuantity, topPercent } from '../common/quantities.js';

const METRICS = '/apis/metrics.k8s.io/v1beta1';
const API_SERVICE = 'v1beta1.metrics.k8s.io';

interface Usage {
  cpu?: string;
  memory?: string;
}
interface PodMetrics {
  metadata: { name: string; namespace?: string };
  timestamp?: string;
  window?: string;
  containers?: Array<{ name: string; usage?: Usage }>;
}
interface NodeMetrics {
  metadata: { name: string };
  timestamp?: string;
  window?: string;
  usage?: Usage;
}
interface NodeItem {
  metadata: { name: string };
  status?: { allocatable?: Record<string, string> };
}

/** One measured thing (a pod, a container or a node): its name cells and usage in cores and bytes. */
interface Row {
  cells: string[];
  cpu: number;
  memory: number;
  sortName: string;
}

const input = Type.Object(
  {
    resource: Type.Unsafe<'pods' | 'nodes'>(Type.String({ enum: ['pods', 'nodes'], description: 'pods or nodes.' })),
    context: ContextArg,
    namespace: NamespaceArg,
    allNamespaces: AllNamespacesArg,
    labelSelector: LabelSelectorArg,
    containers: Type.Optional(Type.Boolean({ description: 'Per container.' })),
    sortBy: Type.Optional(Type.Unsafe<'cpu' | 'memory'>(Type.String({ enum: ['cpu', 'memory'], description: 'Heaviest first.' }))),
  },
  { additionalProperties: false },
);

export default defineTool({
  name: 'top',
  title: 'Resource usage',
  description: 'CPU/memory use (kubectl top) from metrics-server. Example: {"resource":"pods","sortBy":"cpu"}',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input,
  async run(args, ctx) {
    const handle = await ctx.clusters.get(args.context);
    const budget = bodyBudget(ctx.settings);
    if (args.resource === 'nodes') return topNodes(handle, args, budget, ctx.signal);
    return topPods(handle, args, budget, ctx.signal);
  },
});

type Args = typeof input.static;

async function topPods(handle: ClusterHandle, args: Args, budget: number, signal: AbortSignal): Promise<string> {
  const all = args.allNamespaces === true;
  const namespace = args.namespace ?? handle.namespace;
  const path = all ? `${METRICS}/pods` : `${METRICS}/namespaces/${encodeURIComponent(namespace)}/pods`;
  const list = await metricsList<PodMetrics>(handle, path, args.labelSelector, signal);
  const where = `${all ? 'in any namespace' : `in namespace "${namespace}"`}${args.labelSelector ? ` matching "${args.labelSelector}"` : ''}`;
  if (!list.length) {
    return `No pod metrics ${where} (context "${handle.context}"). Either no pod runs there, or metrics-server has not measured them yet: it reports a pod one or two scrapes after it starts (15s each by default).`;
  }
  const rows: Row[] = [];
  for (const pod of list) {
    const ns = pod.metadata.namespace ?? '';
    const containers = pod.containers ?? [];
    if (args.containers) {
      for (const c of containers) {
        const cpu = parseQuantity(c.usage?.cpu);
        const memory = parseQuantity(c.usage?.memory);
        rows.push({ cells: [...(all ? [ns] : []), pod.metadata.name, c.name], cpu, memory, sortName: `${ns}/${pod.metadata.name}/${c.name}` });
      }
    } else {
      const sum = (key: keyof Usage) => containers.reduce((total, c) => total + (parseQuantity(c.usage?.[key]) || 0), 0);
      rows.push({ cells: [...(all ? [ns] : []), pod.metadata.name], cpu: sum('cpu'), memory: sum('memory'), sortName: `${ns}/${pod.metadata.name}` });
    }
  }
  sortRows(rows, args.sortBy);
  const headers = [...(all ? ['NAMESPACE'] : []), ...(args.containers ? ['POD', 'NAME'] : ['NAME']), 'CPU(cores)', 'MEMORY(bytes)'];
  const body = rows.map((r) => [...r.cells, formatTopCpu(r.cpu), formatTopMemory(r.memory)]);
  const total = rows.reduce((t, r) => ({ cpu: t.cpu + (r.cpu || 0), memory: t.memory + (r.memory || 0) }), { cpu: 0, memory: 0 });
  const notes = [
    `${list.length} pods ${where}${args.containers ? `, ${rows.length} containers` : ''}; in total ${formatTopCpu(total.cpu)} CPU, ${formatTopMemory(total.memory)} memory.${windowNote(list)}`,
  ];
  return fitTable(headers, body, notes, budget, args);
}

async function topNodes(handle: ClusterHandle, args: Args, budget: number, signal: AbortSignal): Promise<string> {
  const [metrics, nodes] = await Promise.all([
    metricsList<NodeMetrics>(handle, `${METRICS}/nodes`, args.labelSelector, signal),
    // Allocatable, for the percentages (kubectl top node divides by allocatable, not capacity), and the
    // nodes metrics-server has no numbers for, which kubectl shows as <unknown> rather than leaving out.
    handle.request('/api/v1/nodes', { signal, query: { labelSelector: args.labelSelector } }).then((r) => r.json<{ items?: NodeItem[] }>().items ?? []),
  ]);
  if (!nodes.length && !metrics.length) return `No nodes${args.labelSelector ? ` matching "${args.labelSelector}"` : ''} (context "${handle.context}").`;
  const byName = new Map(metrics.map((m) => [m.metadata.name, m]));
  const unknown: string[] = [];
  const rows: Row[] = [];
  const names = new Set([...nodes.map((n) => n.metadata.name), ...metrics.map((m) => m.metadata.name)]);
  const allocatable = new Map(nodes.map((n) => [n.metadata.name, n.status?.allocatable ?? {}]));
  for (const name of names) {
    const m = byName.get(name);
    if (!m) {
      unknown.push(name);
      continue;
    }
    const cpu = parseQuantity(m.usage?.cpu);
    const memory = parseQuantity(m.usage?.memory);
    const alloc = allocatable.get(name) ?? {};
    rows.push({ cells: [name, percent(cpu, alloc.cpu), percent(memory, alloc.memory)], cpu, memory, sortName: name });
  }
  sortRows(rows, args.sortBy);
  const headers = ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'];
  const body = rows.map((r) => [r.cells[0]!, formatTopCpu(r.cpu), r.cells[1]!, formatTopMemory(r.memory), r.cells[2]!]);
  for (const name of unknown.sort()) body.push([name, '<unknown>', '<unknown>', '<unknown>', '<unknown>']);
  const notes = [`${names.size} nodes; % of allocatable.${windowNote(metrics)}`];
  if (args.containers) notes.push('containers applies to pods only: nodes are shown whole.');
  if (unknown.length)
    notes.push(
      `No metrics yet for ${unknown.length} node(s) (${unknown.slice(0, 5).join(', ')}): metrics-server has not scraped them, or cannot reach their kubelet.`,
    );
  return fitTable(headers, body, notes, budget, args);
}

function sortRows(rows: Row[], by: Args['sortBy']): void {
  // Heaviest first, as kubectl top --sort-by does; ties and the default order by name.
  rows.sort((a, b) => (by ? (b[by] || 0) - (a[by] || 0) : 0) || a.sortName.localeCompare(b.sortName));
}

function percent(used: number, allocatable: string | undefined): string {
  return topPercent(used, parseQuantity(allocatable));
}

/** When and over what window metrics-server measured (the same for every item of one scrape). */
function windowNote(items: Array<{ timestamp?: string; window?: string }>): string {
  const first = items.find((i) => i.timestamp);
  return first ? ` Measured at ${first.timestamp}${first.window ? ` over ${first.window}` : ''}.` : '';
}

function fitTable(headers: string[], body: string[][], notes: string[], budget: number, args: Args): string {
  const lines = table(headers, body).split('\n');
  const { kept, dropped } = keepFirst(lines, budget);
  if (dropped) {
    notes.push(
      `${dropped} more rows left out to fit the answer budget${args.sortBy ? ` (the heaviest by ${args.sortBy} are shown)` : ''}. Narrow with labelSelector or namespace${args.sortBy ? '' : ', or use sortBy to see the heaviest first'}.`,
    );
  }
  return `${kept.join('\n')}\n\n${notes.join('\n')}`;
}

/** GETs a metrics.k8s.io list, turning "no such API" and "its server is down" into answers that say so. */
async function metricsList<T>(handle: ClusterHandle, path: string, labelSelector: string | undefined, signal: AbortSignal): Promise<T[]> {
  try {
    const res = await handle.request(path, { signal, query: { labelSelector } });
    return res.json<{ items?: T[] }>().items ?? [];
  } catch (err) {
    if (!(err instanceof KubeApiError) || (err.code !== 404 && err.code !== 503)) throw err;
    // A 404 on a list can only mean the group/version is not served; a 503 means it is registered
    // (an APIService) but the aggregator cannot reach its server. The APIService's condition says why.
    const why = await apiServiceCondition(handle, signal);
    if (err.code === 404 && !why) {
      throw new ToolError(
        `The Metrics API (metrics.k8s.io) is not available in context "${handle.context}": this cluster has no metrics-server (or other metrics provider), so CPU and memory usage cannot be read.`,
        'Install metrics-server (https://github.com/kubernetes-sigs/metrics-server), or use describe_resource/list_nodes for requests and limits instead of usage.',
      );
    }
    throw new ToolError(
      `The Metrics API (metrics.k8s.io) is registered in context "${handle.context}" but not answering${why ? `: APIService ${API_SERVICE} ${why}` : ` (HTTP ${err.code})`}.`,
      'metrics-server is down or unreachable: check its pods (list_resources pods in kube-system, labelSelector "k8s-app=metrics-server") and their logs.',
    );
  }
}

/** "Available=False (FailedDiscoveryCheck: …)" for the metrics APIService, or undefined if absent/unreadable. */
async function apiServiceCondition(handle: ClusterHandle, signal: AbortSignal): Promise<string | undefined> {
  try {
    const res = await handle.request(`/apis/apiregistration.k8s.io/v1/apiservices/${API_SERVICE}`, { signal });
    const svc = res.json<{ status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } }>();
    const c = svc.status?.conditions?.find((x) => x.type === 'Available');
    if (!c) return 'has no Available condition yet';
    return `is Available=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`;
  } catch {
    // Absent (404), or the caller may not read APIServices: either way there is nothing to add.
    return undefined;
  }
}
