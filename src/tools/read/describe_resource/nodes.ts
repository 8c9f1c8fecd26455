/** describe_resource for nodes: conditions, capacity, what the scheduled pods request against what is allocatable, and the pods. */
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import { fields, indent } from './format.js';
import { formatResource, parseQuantity } from '../../common/quantities.js';
import { podStatus } from '../../common/pods.js';
import { age, table } from '../../common/format.js';
import type { KObject } from '../../common/workloads.js';
import { conditions, type Lines } from './header.js';
import { MAX_POD_ROWS } from './pods.js';
import type { Container } from 'kubernetes-types/core/v1.js';

function podRequests(pod: KObject): { requests: Map<string, number>; limits: Map<string, number> } {
  const sum = (which: 'requests' | 'limits') => {
    const total = new Map<string, number>();
    for (const c of (pod.spec?.containers ?? []) as Container[]) {
      for (const [k, v] of Object.entries(c.resources?.[which] ?? {})) total.set(k, (total.get(k) ?? 0) + (parseQuantity(v) || 0));
    }
    // An init container runs alone: the pod needs at least the largest one.
    for (const c of (pod.spec?.initContainers ?? []) as Container[]) {
      if (c.restartPolicy === 'Always') {
        for (const [k, v] of Object.entries(c.resources?.[which] ?? {})) total.set(k, (total.get(k) ?? 0) + (parseQuantity(v) || 0));
        continue;
      }
      for (const [k, v] of Object.entries(c.resources?.[which] ?? {})) total.set(k, Math.max(total.get(k) ?? 0, parseQuantity(v) || 0));
    }
    for (const [k, v] of Object.entries((pod.spec?.overhead ?? {}) as Record<string, string>)) total.set(k, (total.get(k) ?? 0) + (parseQuantity(v) || 0));
    return total;
  };
  return { requests: sum('requests'), limits: sum('limits') };
}

export async function describeNode(handle: ClusterHandle, node: KObject, signal: AbortSignal): Promise<Lines> {
  const spec = node.spec ?? {};
  const st = node.status ?? {};
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  const info = st.nodeInfo ?? {};
  const lines: Lines = fields([
    ['Roles', roles.join(',') || '<none>'],
    ['Unschedulable', spec.unschedulable ? 'true (cordoned)' : 'false'],
    [
      'Taints',
      ((spec.taints ?? []) as Array<{ key: string; value?: string; effect: string }>)
        .map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`)
        .join(', ') || '<none>',
    ],
    ['Addresses', ((st.addresses ?? []) as Array<{ type: string; address: string }>).map((a) => `${a.type}=${a.address}`).join(', ')],
    ['Pod CIDR', spec.podCIDR],
    ['Provider ID', spec.providerID],
    [
      'System',
      [
        info.kubeletVersion && `kubelet ${info.kubeletVersion}`,
        info.containerRuntimeVersion,
        info.osImage,
        info.operatingSystem && `${info.operatingSystem}/${info.architecture}`,
        info.kernelVersion && `kernel ${info.kernelVersion}`,
      ]
        .filter(Boolean)
        .join(', '),
    ],
  ]);
  lines.push(...conditions(st.conditions));
  const capacity = (st.capacity ?? {}) as Record<string, string>;
  const allocatable = (st.allocatable ?? {}) as Record<string, string>;
  const names = [...new Set([...Object.keys(capacity), ...Object.keys(allocatable)])].sort();
  lines.push(
    'Capacity / allocatable:',
    ...indent(
      table(
        ['RESOURCE', 'CAPACITY', 'ALLOCATABLE'],
        names.map((n) => [n, capacity[n], allocatable[n]]),
      ),
    ),
  );

  let pods: KObject[] | undefined;
  let podError: string | undefined;
  try {
    const res = await handle.request('/api/v1/pods', {
      query: { fieldSelector: `spec.nodeName=${node.metadata.name},status.phase!=Failed,status.phase!=Succeeded` },
      signal,
    });
    pods = res.json<{ items: KObject[] }>().items ?? [];
  } catch (err) {
    podError = handle.describeError(err, { verb: 'list', resource: 'pods' }).message;
  }
  if (!pods) {
    lines.push(`Allocated resources: unknown (${podError})`);
    return lines;
  }
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  for (const p of pods) {
    const r = podRequests(p);
    for (const [k, v] of r.requests) requests.set(k, (requests.get(k) ?? 0) + v);
    for (const [k, v] of r.limits) limits.set(k, (limits.get(k) ?? 0) + v);
  }
  const resources = [...new Set(['cpu', 'memory', ...requests.keys(), ...limits.keys()])];
  const pct = (name: string, v: number) => {
    const a = parseQuantity(allocatable[name]);
    return a > 0 ? ` (${Math.round((v / a) * 100)}%)` : '';
  };
  lines.push(
    `Allocated resources (${pods.length} non-terminated pod${pods.length === 1 ? '' : 's'} of ${allocatable.pods ?? '?'} allowed; limits may exceed 100%):`,
    ...indent(
      table(
        ['RESOURCE', 'REQUESTS', 'LIMITS'],
        resources.map((n) => {
          const r = requests.get(n) ?? 0;
          const l = limits.get(n) ?? 0;
          return [n, `${formatResource(n, r)}${pct(n, r)}`, `${formatResource(n, l)}${pct(n, l)}`];
        }),
      ),
    ),
  );
  if (pods.length) {
    const shown = pods.slice(0, MAX_POD_ROWS);
    lines.push(
      'Pods on the node:',
      ...indent(
        table(
          ['NAMESPACE', 'NAME', 'STATUS', 'CPU REQ', 'MEM REQ', 'AGE'],
          shown.map((p) => {
            const r = podRequests(p).requests;
            return [
              p.metadata.namespace,
              p.metadata.name,
              podStatus(p),
              formatResource('cpu', r.get('cpu') ?? 0),
              formatResource('memory', r.get('memory') ?? 0),
              age(p.metadata.creationTimestamp),
            ];
          }),
        ),
      ),
    );
    if (pods.length > shown.length)
      lines.push(`  … and ${pods.length - shown.length} more (list_resources pods with fieldSelector spec.nodeName=${node.metadata.name})`);
  }
  return lines;
}
