/**
 * describe_resource: a `kubectl describe`-style summary written for diagnosis, then the object's
 * recent events. Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Nodes
 * and Services get a purpose-made form; every other kind gets metadata plus its spec, status and
 * other fields as compact YAML within the budget. Secrets show keys and sizes, never values.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../../kernel/contract.js';
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import { namespaceSegment, objectNameSegment, type ResolvedKind } from '../../../providers/cluster/discovery.js';
import { ContextArg, KindArg, NamespaceArg, ObjectNameArg } from '../../common/arguments.js';
import { compactYaml, fields, formatResource, indent, parseQuantity, podReady, podRestarts, podStatus, probeText, resourceList } from './format.js';
import { byLastSeen, listEvents, renderEvents } from '../../common/events.js';
import { age, table } from '../../common/format.js';
import { bodyBudget } from '../../common/budget.js';
import { getObject } from '../../common/objects.js';
import { isSecret } from '../../common/redact.js';
import { resolveWorkloadPods, selectorString, type KObject } from '../../common/workloads.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_POD_ROWS = 20;
const MAX_EVENTS = 30;
const WORKLOAD_IDS = ['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet', 'batch/Job', 'batch/CronJob'];

const input = Type.Object(
  {
    kind: Type.Optional(KindArg),
    name: ObjectNameArg,
    context: ContextArg,
    namespace: NamespaceArg,
  },
  { additionalProperties: false },
);

type Lines = string[];

function when(ts: string | undefined): string | undefined {
  return ts ? `${ts} (${age(ts)} ago)` : undefined;
}

function header(obj: KObject, kind: ResolvedKind): Lines {
  const m = obj.metadata;
  const labels = Object.entries(m.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const annotations = Object.entries(m.annotations ?? {})
    .filter(([k]) => k !== LAST_APPLIED)
    .map(([k, v]) => `${k}=${v.length > 200 ? `${v.slice(0, 200).replace(/\s+/g, ' ')}… [+${v.length - 200} chars]` : v.replace(/\s+/g, ' ')}`);
  const owners = (m.ownerReferences ?? []).map((o) => `${o.kind}/${o.name}${o.controller ? '' : ' (not controller)'}`);
  const lines = fields([
    ['Name', m.name],
    ['Namespace', kind.namespaced ? m.namespace : undefined],
    ['Kind', `${kind.kind} (${kind.apiVersion})`],
    ['Created', when(m.creationTimestamp)],
    [
      'Deleting',
      m.deletionTimestamp
        ? `since ${when(m.deletionTimestamp)}${Array.isArray(m.finalizers) && m.finalizers.length ? `, waiting for finalizers ${(m.finalizers as string[]).join(', ')}` : ''}`
        : undefined,
    ],
    ['Controlled by', owners.join(', ')],
    ['Labels', labels.length ? labels.join(', ') : '<none>'],
    ['Annotations', annotations.length ? (annotations.length === 1 && annotations[0]!.length < 100 ? annotations[0] : ' ') : '<none>'],
  ]);
  if (annotations.length > 1 || (annotations[0]?.length ?? 0) >= 100) {
    lines[lines.length - 1] = 'Annotations:';
    lines.push(...annotations.map((a) => `  ${a}`));
  }
  return lines;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

function conditions(list: Condition[] | undefined): Lines {
  if (!list?.length) return [];
  return [
    'Conditions:',
    ...indent(
      table(
        ['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'],
        list.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime ? age(c.lastTransitionTime) : '', c.message]),
      ),
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Pods

interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ containerPort: number; protocol?: string; name?: string }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: object;
  readinessProbe?: object;
  startupProbe?: object;
  env?: Array<{ name: string; value?: string; valueFrom?: Record<string, { name?: string; key?: string; fieldPath?: string }> }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string }; prefix?: string }>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }>;
  restartPolicy?: string;
}

type StateMap = Record<string, { reason?: string; message?: string; exitCode?: number; signal?: number; startedAt?: string; finishedAt?: string } | undefined>;

function stateText(state: StateMap | undefined): string | undefined {
  if (!state) return undefined;
  const [name, s] = Object.entries(state).find(([, v]) => v) ?? [];
  if (!name || !s) return undefined;
  const label = name[0]!.toUpperCase() + name.slice(1);
  const parts: string[] = [];
  if (s.reason) parts.push(s.reason);
  if (s.exitCode !== undefined) parts.push(`exit code ${s.exitCode}`);
  if (s.signal) parts.push(`signal ${s.signal}`);
  if (s.startedAt) parts.push(`started ${age(s.startedAt)} ago`);
  if (s.finishedAt) parts.push(`finished ${age(s.finishedAt)} ago`);
  const message = s.message ? ` — ${s.message.replace(/\s+/g, ' ').slice(0, 300)}` : '';
  return `${label}${parts.length ? ` (${parts.join(', ')})` : ''}${message}`;
}

function envText(c: ContainerSpec): string | undefined {
  const parts: string[] = [];
  for (const e of c.env ?? []) {
    const from = e.valueFrom ? Object.entries(e.valueFrom)[0] : undefined;
    if (from) {
      const [src, ref] = from;
      parts.push(
        `${e.name} (from ${src.replace(/KeyRef$|Ref$/, '')}${ref?.name ? ` ${ref.name}` : ''}${ref?.key ? `/${ref.key}` : ''}${ref?.fieldPath ? ` ${ref.fieldPath}` : ''})`,
      );
    } else parts.push(e.name);
  }
  for (const f of c.envFrom ?? []) {
    if (f.configMapRef) parts.push(`all of configmap ${f.configMapRef.name}${f.prefix ? ` (prefix ${f.prefix})` : ''}`);
    if (f.secretRef) parts.push(`all of secret ${f.secretRef.name}${f.prefix ? ` (prefix ${f.prefix})` : ''}`);
  }
  return parts.length ? parts.join(', ') : undefined;
}

function containerBlock(
  c: ContainerSpec,
  status: { ready?: boolean; restartCount?: number; state?: StateMap; lastState?: StateMap; image?: string } | undefined,
  init: boolean,
): Lines {
  const lines = [`  ${c.name}${init ? ' (init)' : ''}:`];
  const last = stateText(status?.lastState);
  lines.push(
    ...fields(
      [
        ['Image', c.image],
        ['Command', c.command ? c.command.join(' ').slice(0, 300) : undefined],
        ['Args', c.args ? c.args.join(' ').slice(0, 300) : undefined],
        ['Ports', (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`).join(', ')],
        ['State', stateText(status?.state) ?? 'not created yet'],
        ['Last state', last],
        ['Ready', status ? String(status.ready ?? false) : undefined],
        ['Restarts', status?.restartCount],
        ['Requests', resourceList(c.resources?.requests)],
        ['Limits', resourceList(c.resources?.limits)],
        ['Liveness', probeText(c.livenessProbe)],
        ['Readiness', probeText(c.readinessProbe)],
        ['Startup', probeText(c.startupProbe)],
        ['Environment', envText(c)],
        [
          'Mounts',
          (c.volumeMounts ?? [])
            .map((m) => `${m.mountPath} from ${m.name}${m.subPath ? ` (subPath ${m.subPath})` : ''} (${m.readOnly ? 'ro' : 'rw'})`)
            .join(', '),
        ],
      ],
      '    ',
    ),
  );
  return lines;
}

function volumeText(v: Record<string, unknown> & { name: string }): string {
  const [type, src] = Object.entries(v).find(([k]) => k !== 'name') ?? ['unknown', undefined];
  const s = (src ?? {}) as Record<string, unknown>;
  const detail =
    type === 'persistentVolumeClaim'
      ? `claim ${s.claimName}${s.readOnly ? ' (ro)' : ''}`
      : type === 'configMap'
        ? `configmap ${s.name}${s.optional ? ' (optional)' : ''}`
        : type === 'secret'
          ? `secret ${s.secretName}${s.optional ? ' (optional)' : ''}`
          : type === 'hostPath'
            ? `host path ${s.path}`
            : type === 'emptyDir'
              ? `empty dir${s.medium ? ` (${s.medium})` : ''}${s.sizeLimit ? ` limit ${s.sizeLimit}` : ''}`
              : type === 'projected'
                ? `projected (${((s.sources as Array<Record<string, unknown>>) ?? []).map((x) => Object.keys(x)[0]).join(', ')})`
                : type;
  return `${v.name}: ${detail}`;
}

function describePod(pod: KObject): Lines {
  const spec = pod.spec ?? {};
  const st = pod.status ?? {};
  const statuses = new Map<string, any>(((st.containerStatuses ?? []) as Array<{ name: string }>).map((s) => [s.name, s]));
  const initStatuses = new Map<string, any>(((st.initContainerStatuses ?? []) as Array<{ name: string }>).map((s) => [s.name, s]));
  const lines: Lines = fields([
    ['Status', `${podStatus(pod)} (phase ${st.phase ?? 'Unknown'})${st.message ? ` — ${st.message}` : ''}`],
    ['Ready', `${podReady(pod)} containers, ${podRestarts(pod)} restarts`],
    ['Node', spec.nodeName ? `${spec.nodeName}${st.hostIP ? ` (${st.hostIP})` : ''}` : '<not scheduled>'],
    ['Pod IP', st.podIP],
    ['Started', when(st.startTime)],
    ['QoS class', st.qosClass],
    ['Service account', spec.serviceAccountName],
    ['Priority class', spec.priorityClassName],
    ['Restart policy', spec.restartPolicy],
    [
      'Node selector',
      Object.entries(spec.nodeSelector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    ],
    [
      'Tolerations',
      ((spec.tolerations ?? []) as Array<{ key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }>)
        .filter((t) => !/^node\.kubernetes\.io\/(not-ready|unreachable)$/.test(t.key ?? ''))
        .map(
          (t) =>
            `${t.key ?? '*'}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}${t.effect ? `:${t.effect}` : ''}${t.tolerationSeconds !== undefined ? ` for ${t.tolerationSeconds}s` : ''}`,
        )
        .join(', '),
    ],
  ]);
  const inits = (spec.initContainers ?? []) as ContainerSpec[];
  if (inits.length) lines.push('Init containers:', ...inits.flatMap((c) => containerBlock(c, initStatuses.get(c.name), true)));
  lines.push('Containers:', ...((spec.containers ?? []) as ContainerSpec[]).flatMap((c) => containerBlock(c, statuses.get(c.name), false)));
  lines.push(...conditions(st.conditions));
  const volumes = (spec.volumes ?? []) as Array<Record<string, unknown> & { name: string }>;
  if (volumes.length) lines.push('Volumes:', ...volumes.map((v) => `  ${volumeText(v)}`));
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Workloads

function templateSummary(
  template:
    | {
        spec?: { containers?: ContainerSpec[]; initContainers?: ContainerSpec[]; volumes?: Array<Record<string, unknown> & { name: string }> };
        metadata?: { labels?: Record<string, string> };
      }
    | undefined,
): Lines {
  if (!template?.spec) return [];
  const lines: Lines = ['Pod template:'];
  const labels = Object.entries(template.metadata?.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  if (labels) lines.push(`  Labels: ${labels}`);
  for (const [list, init] of [
    [template.spec.initContainers ?? [], true],
    [template.spec.containers ?? [], false],
  ] as const) {
    for (const c of list) {
      lines.push(`  ${c.name}${init ? ' (init)' : ''}:`);
      lines.push(
        ...fields(
          [
            ['Image', c.image],
            ['Ports', (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ')],
            ['Requests', resourceList(c.resources?.requests)],
            ['Limits', resourceList(c.resources?.limits)],
            ['Liveness', probeText(c.livenessProbe)],
            ['Readiness', probeText(c.readinessProbe)],
            ['Startup', probeText(c.startupProbe)],
            ['Environment', envText(c)],
          ],
          '    ',
        ),
      );
    }
  }
  const volumes = template.spec.volumes ?? [];
  if (volumes.length) lines.push('  Volumes:', ...volumes.map((v) => `    ${volumeText(v)}`));
  return lines;
}

function podTable(pods: KObject[], what = 'Pods'): Lines {
  if (!pods.length) return [`${what}: <none>`];
  const shown = pods.slice(0, MAX_POD_ROWS);
  const rows = shown.map((p) => {
    const restarts = podRestarts(p);
    return [p.metadata.name, podReady(p), podStatus(p), String(restarts), age(p.metadata.creationTimestamp), p.spec?.nodeName];
  });
  return [
    `${what} (${pods.length}):`,
    ...indent(table(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'NODE'], rows)),
    ...(pods.length > shown.length ? [`  … and ${pods.length - shown.length} more (list_resources with the selector lists them all)`] : []),
  ];
}

function strategyText(s: { type?: string; rollingUpdate?: Record<string, unknown> } | undefined): string | undefined {
  if (!s?.type) return undefined;
  const ru = Object.entries(s.rollingUpdate ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${s.type}${ru ? ` (${ru})` : ''}`;
}

async function describeWorkload(handle: ClusterHandle, obj: KObject, kind: ResolvedKind, signal: AbortSignal): Promise<Lines> {
  const spec = obj.spec ?? {};
  const st = obj.status ?? {};
  const w = await resolveWorkloadPods(handle, `${kind.plural}.${kind.group}/${obj.metadata.name}`, obj.metadata.namespace ?? '', signal);
  const lines: Lines = [];
  const selector = selectorString(spec.selector);
  switch (kind.kind) {
    case 'Deployment':
      lines.push(
        ...fields([
          [
            'Replicas',
            `${spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.readyReplicas ?? 0} ready | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
          ],
          ['Strategy', strategyText(spec.strategy)],
          ['Selector', selector],
          ['Paused', spec.paused ? 'true' : undefined],
          ['Min ready', spec.minReadySeconds ? `${spec.minReadySeconds}s` : undefined],
          ['Progress deadline', spec.progressDeadlineSeconds ? `${spec.progressDeadlineSeconds}s` : undefined],
          ['Generation', `${obj.metadata.generation ?? '?'} (observed ${st.observedGeneration ?? '?'})`],
        ]),
      );
      lines.push(...conditions(st.conditions));
      if (w.replicaSets.length) {
        const rsRows = w.replicaSets
          .slice(0, 10)
          .map((r) => [
            r.metadata.name,
            r.metadata.annotations?.['deployment.kubernetes.io/revision'],
            String(r.spec?.replicas ?? 0),
            String(r.status?.replicas ?? 0),
            String(r.status?.readyReplicas ?? 0),
            age(r.metadata.creationTimestamp),
          ]);
        lines.push('ReplicaSets (newest first):', ...indent(table(['NAME', 'REVISION', 'DESIRED', 'CURRENT', 'READY', 'AGE'], rsRows)));
      } else lines.push('ReplicaSets: <none>');
      break;
    case 'StatefulSet':
      lines.push(
        ...fields([
          [
            'Replicas',
            `${spec.replicas ?? 1} desired | ${st.replicas ?? 0} current | ${st.updatedReplicas ?? 0} updated | ${st.readyReplicas ?? 0} ready | ${st.availableReplicas ?? 0} available`,
          ],
          ['Update strategy', strategyText(spec.updateStrategy)],
          ['Pod management', spec.podManagementPolicy],
          ['Service name', spec.serviceName],
          ['Selector', selector],
          ['Revisions', st.currentRevision ? `current ${st.currentRevision}, update ${st.updateRevision ?? '?'}` : undefined],
          [
            'Volume claims',
            ((spec.volumeClaimTemplates ?? []) as KObject[])
              .map(
                (t) => `${t.metadata?.name} (${t.spec?.resources?.requests?.storage ?? '?'}${t.spec?.storageClassName ? `, ${t.spec.storageClassName}` : ''})`,
              )
              .join(', '),
          ],
        ]),
      );
      lines.push(...conditions(st.conditions));
      break;
    case 'DaemonSet':
      lines.push(
        ...fields([
          [
            'Nodes',
            `${st.desiredNumberScheduled ?? 0} desired | ${st.currentNumberScheduled ?? 0} current | ${st.updatedNumberScheduled ?? 0} up-to-date | ${st.numberReady ?? 0} ready | ${st.numberAvailable ?? 0} available | ${st.numberMisscheduled ?? 0} misscheduled`,
          ],
          ['Update strategy', strategyText(spec.updateStrategy)],
          ['Selector', selector],
        ]),
      );
      lines.push(...conditions(st.conditions));
      break;
    case 'ReplicaSet':
      lines.push(
        ...fields([
          ['Replicas', `${spec.replicas ?? 1} desired | ${st.replicas ?? 0} current | ${st.readyReplicas ?? 0} ready | ${st.availableReplicas ?? 0} available`],
          ['Selector', selector],
        ]),
      );
      lines.push(...conditions(st.conditions));
      break;
    case 'Job':
      lines.push(
        ...fields([
          [
            'Completions',
            `${st.succeeded ?? 0} succeeded | ${st.failed ?? 0} failed | ${st.active ?? 0} active of ${spec.completions ?? 1} (parallelism ${spec.parallelism ?? 1})`,
          ],
          ['Backoff limit', spec.backoffLimit],
          ['Active deadline', spec.activeDeadlineSeconds ? `${spec.activeDeadlineSeconds}s` : undefined],
          ['Started', when(st.startTime)],
          ['Completed', when(st.completionTime)],
          ['Selector', selector],
        ]),
      );
      lines.push(...conditions(st.conditions));
      break;
    case 'CronJob':
      lines.push(
        ...fields([
          ['Schedule', `${spec.schedule}${spec.timeZone ? ` (${spec.timeZone})` : ''}`],
          ['Suspended', String(spec.suspend ?? false)],
          ['Concurrency', spec.concurrencyPolicy],
          ['Last schedule', when(st.lastScheduleTime)],
          ['Last success', when(st.lastSuccessfulTime)],
          ['Active jobs', ((st.active ?? []) as Array<{ name: string }>).map((a) => a.name).join(', ')],
        ]),
      );
      if (w.jobs.length) {
        lines.push(
          'Jobs (newest first):',
          ...indent(
            table(
              ['NAME', 'SUCCEEDED', 'FAILED', 'ACTIVE', 'AGE'],
              w.jobs
                .slice(0, 10)
                .map((j) => [
                  j.metadata.name,
                  String(j.status?.succeeded ?? 0),
                  String(j.status?.failed ?? 0),
                  String(j.status?.active ?? 0),
                  age(j.metadata.creationTimestamp),
                ]),
            ),
          ),
        );
      } else lines.push('Jobs: <none>');
      lines.push(...templateSummary(spec.jobTemplate?.spec?.template));
      lines.push(...podTable(w.pods, w.job ? `Pods of the newest Job ${w.job.metadata.name}` : 'Pods'));
      return lines;
  }
  lines.push(...templateSummary(spec.template));
  lines.push(...podTable(w.pods));
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Nodes

function podRequests(pod: KObject): { requests: Map<string, number>; limits: Map<string, number> } {
  const sum = (which: 'requests' | 'limits') => {
    const total = new Map<string, number>();
    for (const c of (pod.spec?.containers ?? []) as ContainerSpec[]) {
      for (const [k, v] of Object.entries(c.resources?.[which] ?? {})) total.set(k, (total.get(k) ?? 0) + (parseQuantity(v) || 0));
    }
    // An init container runs alone: the pod needs at least the largest one.
    for (const c of (pod.spec?.initContainers ?? []) as ContainerSpec[]) {
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

async function describeNode(handle: ClusterHandle, node: KObject, signal: AbortSignal): Promise<Lines> {
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

// ---------------------------------------------------------------------------------------------
// Services

interface Slice {
  addressType?: string;
  ports?: Array<{ name?: string; port?: number; protocol?: string }>;
  endpoints?: Array<{
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    targetRef?: { kind?: string; name?: string };
  }>;
}

async function describeService(handle: ClusterHandle, svc: KObject, signal: AbortSignal): Promise<Lines> {
  const spec = svc.spec ?? {};
  const ns = svc.metadata.namespace ?? '';
  const ports = ((spec.ports ?? []) as Array<{ name?: string; port: number; targetPort?: number | string; nodePort?: number; protocol?: string }>).map(
    (p) => `${p.name ? `${p.name} ` : ''}${p.port}/${p.protocol ?? 'TCP'} → ${p.targetPort ?? p.port}${p.nodePort ? ` (node port ${p.nodePort})` : ''}`,
  );
  const ingress = ((svc.status?.loadBalancer?.ingress ?? []) as Array<{ ip?: string; hostname?: string }>).map((i) => i.ip ?? i.hostname).filter(Boolean);
  const selector = Object.entries(spec.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const lines: Lines = fields([
    ['Type', spec.type ?? 'ClusterIP'],
    ['Cluster IPs', (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).join(', ')],
    ['External name', spec.externalName],
    ['External IPs', (spec.externalIPs ?? []).join(', ')],
    ['Load balancer', spec.type === 'LoadBalancer' ? ingress.join(', ') || '<pending>' : undefined],
    ['Ports', ports.join(', ') || '<none>'],
    ['Selector', selector || '<none> (endpoints are managed by hand)'],
    ['Session affinity', spec.sessionAffinity && spec.sessionAffinity !== 'None' ? spec.sessionAffinity : undefined],
    ['Traffic policy', spec.externalTrafficPolicy ? `external ${spec.externalTrafficPolicy}, internal ${spec.internalTrafficPolicy ?? 'Cluster'}` : undefined],
  ]);
  if (spec.type === 'ExternalName') return lines;
  const endpoints = await serviceEndpoints(handle, ns, svc.metadata.name, signal);
  if ('error' in endpoints) {
    lines.push(`Endpoints: unknown (${endpoints.error})`);
    return lines;
  }
  const { ready, notReady } = endpoints;
  const cap = (list: string[]) => (list.length > 20 ? [...list.slice(0, 20), `… and ${list.length - 20} more`] : list);
  if (!ready.length && !notReady.length) {
    lines.push(
      `Endpoints: <none>${selector ? ` — no ready pod matches the selector ${selector} (check the pods' labels and readiness; list_resources pods with labelSelector "${selector}")` : ''}`,
    );
  } else {
    lines.push(`Endpoints: ${ready.length} ready, ${notReady.length} not ready`);
    if (ready.length) lines.push('  Ready:', ...cap(ready).map((t) => `    ${t}`));
    if (notReady.length) lines.push('  Not ready:', ...cap(notReady).map((t) => `    ${t}`));
  }
  return lines;
}

/** A Service's endpoint addresses (address:ports (pod/name)), ready and not, from its EndpointSlices. */
async function serviceEndpoints(
  handle: ClusterHandle,
  ns: string,
  service: string,
  signal: AbortSignal,
): Promise<{ ready: string[]; notReady: string[] } | { error: string }> {
  let slices: Slice[];
  try {
    const res = await handle.request(`/apis/discovery.k8s.io/v1/namespaces/${namespaceSegment(ns)}/endpointslices`, {
      query: { labelSelector: `kubernetes.io/service-name=${service}` },
      signal,
    });
    slices = res.json<{ items: Slice[] }>().items ?? [];
  } catch (err) {
    return { error: handle.describeError(err, { verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace: ns }).message };
  }
  const ready: string[] = [];
  const notReady: string[] = [];
  for (const s of slices) {
    const portText = (s.ports ?? []).map((p) => p.port).filter((p) => p !== undefined);
    for (const e of s.endpoints ?? []) {
      for (const a of e.addresses) {
        const text = `${a}${portText.length ? `:${portText.join(',')}` : ''}${e.targetRef?.name ? ` (${e.targetRef.kind?.toLowerCase() ?? 'pod'}/${e.targetRef.name})` : ''}`;
        (e.conditions?.ready === false ? notReady : ready).push(text);
      }
    }
  }
  return { ready, notReady };
}

// ---------------------------------------------------------------------------------------------
// Ingresses: each rule's backend with whether its Service exists and has ready endpoints, the
// usual answer to "the ingress returns 503".

interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
  resource?: { kind?: string; name?: string };
}

async function describeIngress(handle: ClusterHandle, ing: KObject, signal: AbortSignal): Promise<Lines> {
  const spec = ing.spec ?? {};
  const ns = ing.metadata.namespace ?? '';
  const address = ((ing.status?.loadBalancer?.ingress ?? []) as Array<{ ip?: string; hostname?: string }>).map((i) => i.ip ?? i.hostname).filter(Boolean);
  const health = new Map<string, Promise<string>>();
  const backendText = (backend: IngressBackend): Promise<string> => {
    if (!backend.service) return Promise.resolve(`${backend.resource?.kind ?? 'resource'}/${backend.resource?.name ?? '?'}`);
    const { name, port } = backend.service;
    const target = `${name}:${port?.number ?? port?.name ?? '?'}`;
    if (!health.has(name)) health.set(name, serviceHealth(handle, ns, name, signal));
    return health.get(name)!.then((h) => `${target} (${h})`);
  };
  const rules = (spec.rules ?? []) as Array<{ host?: string; http?: { paths?: Array<{ path?: string; pathType?: string; backend: IngressBackend }> } }>;
  const rows = await Promise.all(
    rules.flatMap((rule) => {
      const paths = rule.http?.paths ?? [];
      if (!paths.length) return [Promise.resolve([rule.host ?? '*', '', '(the default backend)'])];
      return paths.map(async (p) => [rule.host ?? '*', p.path ?? '/', await backendText(p.backend)]);
    }),
  );
  const lines: Lines = fields([
    ['Ingress class', spec.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'] ?? '<none>'],
    ['Address', address.join(', ') || '<pending>'],
    ['Default backend', spec.defaultBackend ? await backendText(spec.defaultBackend) : undefined],
  ]);
  const tls = (spec.tls ?? []) as Array<{ hosts?: string[]; secretName?: string }>;
  if (tls.length) lines.push('TLS:', ...tls.map((t) => `  ${t.secretName ?? '<no secret>'} terminates ${(t.hosts ?? []).join(', ') || '<all hosts>'}`));
  lines.push(...(rows.length ? ['Rules:', ...indent(table(['HOST', 'PATH', 'BACKEND'], rows))] : ['Rules: <none> (everything goes to the default backend)']));
  return lines;
}

/** "3 ready endpoints", "no ready endpoints", or why the Service cannot serve. */
async function serviceHealth(handle: ClusterHandle, ns: string, name: string, signal: AbortSignal): Promise<string> {
  try {
    await handle.request(`/api/v1/namespaces/${namespaceSegment(ns)}/services/${objectNameSegment(name)}`, { signal });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return `service "${name}" not found`;
    return handle.describeError(err, { verb: 'get', resource: 'services', name, namespace: ns }).message;
  }
  const endpoints = await serviceEndpoints(handle, ns, name, signal);
  if ('error' in endpoints) return `endpoints unknown: ${endpoints.error}`;
  return endpoints.ready.length ? `${endpoints.ready.length} ready endpoint${endpoints.ready.length === 1 ? '' : 's'}` : 'no ready endpoints';
}

// ---------------------------------------------------------------------------------------------
// PersistentVolumeClaims: what kubectl describe shows, with the pods that mount the claim, which
// answers both "why is my pod Pending" (the claim is) and "what still uses this volume".

async function describeClaim(handle: ClusterHandle, pvc: KObject, signal: AbortSignal): Promise<Lines> {
  const spec = pvc.spec ?? {};
  const status = pvc.status ?? {};
  const ns = pvc.metadata.namespace ?? '';
  let usedBy: string;
  try {
    const res = await handle.request(`/api/v1/namespaces/${namespaceSegment(ns)}/pods`, { signal });
    const users = (res.json<{ items?: KObject[] }>().items ?? [])
      .filter((pod) =>
        ((pod.spec?.volumes ?? []) as Array<{ persistentVolumeClaim?: { claimName?: string } }>).some(
          (v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name,
        ),
      )
      .map((pod) => `pod/${pod.metadata.name} (${pod.status?.phase ?? 'Unknown'})`);
    usedBy = users.join(', ') || '<none>';
  } catch (err) {
    usedBy = `unknown (${handle.describeError(err, { verb: 'list', resource: 'pods', namespace: ns }).message})`;
  }
  return [
    ...fields([
      ['Status', status.phase ?? 'Pending'],
      ['Volume', spec.volumeName || '<none>'],
      ['Storage class', spec.storageClassName ?? '<default>'],
      ['Requested', spec.resources?.requests?.storage],
      ['Capacity', status.capacity?.storage ?? '<none>'],
      ['Access modes', (spec.accessModes ?? []).join(', ') || '<none>'],
      ['Volume mode', spec.volumeMode],
      ['Used by', usedBy],
    ]),
    ...conditions((status.conditions ?? []) as Condition[]),
  ];
}

// ---------------------------------------------------------------------------------------------
// Everything else

function describeGeneric(obj: KObject, kind: ResolvedKind, budget: number): Lines {
  const lines: Lines = [];
  const rest = Object.entries(obj).filter(([k]) => !['apiVersion', 'kind', 'metadata'].includes(k));
  // Judged on the answer as well as the request: Secret values never go out under another label.
  if (isSecret(obj) || (kind.kind === 'Secret' && !kind.group)) {
    const data = { ...(obj.data as Record<string, string> | undefined) };
    const keys = Object.entries(data).map(([k, v]) => `${k}: ${Buffer.from(v ?? '', 'base64').length} bytes`);
    lines.push(...fields([['Type', obj.type as string | undefined]]));
    lines.push('Data (values hidden; get_resource_yaml shows them only when the settings allow):', ...(keys.length ? keys.map((k) => `  ${k}`) : ['  <none>']));
    return lines;
  }
  if (!rest.length) return lines;
  const each = Math.max(600, Math.floor(budget / rest.length));
  for (const [key, value] of rest) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    if (value === null || typeof value !== 'object') {
      lines.push(`${key[0]!.toUpperCase()}${key.slice(1)}: ${String(value)}`);
      continue;
    }
    const yaml = compactYaml(value, each);
    if (yaml) lines.push(`${key[0]!.toUpperCase()}${key.slice(1)}:`, ...indent(yaml));
  }
  if (Array.isArray(obj.status?.conditions)) {
    // Conditions deserve a table even for unknown kinds: they are usually the diagnosis.
    lines.push(...conditions(obj.status.conditions as Condition[]));
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------

async function eventsOf(handle: ClusterHandle, obj: KObject, kind: ResolvedKind, budget: number, signal: AbortSignal): Promise<Lines> {
  const selector = [
    `involvedObject.kind=${kind.kind}`,
    `involvedObject.name=${obj.metadata.name}`,
    // The kubelet reports node events with the node's name as uid, the controllers with the real
    // uid (kubectl describe node merges both), so nodes are matched by kind and name only.
    ...(obj.metadata.uid && kind.kind !== 'Node' ? [`involvedObject.uid=${obj.metadata.uid}`] : []),
  ].join(',');
  try {
    const ns = kind.namespaced ? obj.metadata.namespace : undefined;
    const { events } = await listEvents(handle, { ...(ns ? { namespace: ns } : {}), fieldSelector: selector, signal });
    const more = WORKLOAD_IDS.includes(`${kind.group}/${kind.kind}`)
      ? [
          `  [with the events of its pods${kind.kind === 'Deployment' ? ' and ReplicaSets' : kind.kind === 'CronJob' ? ' and Jobs' : ''}: get_events with object ${kind.kind.toLowerCase()}/${obj.metadata.name}]`,
        ]
      : [];
    if (!events.length) return ['Events: <none> (events are kept for about an hour)', ...more];
    const newest = [...events].sort(byLastSeen).slice(-MAX_EVENTS);
    const { text, dropped } = renderEvents(newest, { budget, objectColumn: false });
    const omitted = events.length - newest.length + dropped;
    return [
      `Events (${events.length}, newest last):`,
      ...indent(text),
      ...(omitted
        ? [`  [${omitted} older event${omitted === 1 ? '' : 's'} not shown; get_events with object ${kind.kind.toLowerCase()}/${obj.metadata.name} lists them]`]
        : []),
      ...more,
    ];
  } catch (err) {
    return [`Events: cannot read them (${(err as Error).message})`];
  }
}

export default defineTool({
  name: 'describe_resource',
  title: 'Describe a resource',
  description: 'kubectl describe: what is wrong with one object (state, conditions, pods, endpoints, events). ' + 'Example: {"name":"deploy/web"}',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input,
  async run(args, ctx) {
    const kindText = args.kind;
    let refKind: string | undefined;
    let name = args.name.trim();
    const slash = name.indexOf('/');
    if (slash !== -1) {
      if (slash === 0 || slash === name.length - 1 || name.indexOf('/', slash + 1) !== -1) {
        throw new ToolError(`name: "${args.name}" is neither a name nor kind/name.`, 'Pass {"kind": "deploy", "name": "web"} or {"name": "deploy/web"}.');
      }
      refKind = name.slice(0, slash);
      name = name.slice(slash + 1);
    }
    if (!kindText && !refKind)
      throw new ToolError('kind: missing; say what kind of object to describe.', 'Pass kind (e.g. "pod", "deploy", "node") or write name as kind/name.');
    const handle = await ctx.clusters.get(args.context);
    const kind = await handle.resolveKind((refKind ?? kindText)!, ctx.signal);
    if (refKind && kindText && kindText.toLowerCase() !== refKind.toLowerCase()) {
      const other = await handle.resolveKind(kindText, ctx.signal);
      if (other.plural !== kind.plural || other.group !== kind.group) {
        throw new ToolError(
          `kind "${kindText}" and name "${args.name}" name two different kinds.`,
          'Give the kind once: either in kind, or as kind/name in name.',
        );
      }
    }
    if (!kind.verbs.includes('get') && kind.verbs.length)
      throw new ToolError(`${kind.kind} objects cannot be read one by one (verbs: ${kind.verbs.join(', ')}).`);
    const namespace = args.namespace ?? handle.namespace;
    const obj = await getObject<KObject>(handle, kind, namespace, name, ctx.signal);
    const budget = bodyBudget(ctx.settings, 1024);

    const lines = header(obj, kind);
    const id = `${kind.group}/${kind.kind}`;
    if (id === '/Pod') lines.push(...describePod(obj));
    else if (WORKLOAD_IDS.includes(id)) {
      lines.push(...(await describeWorkload(handle, obj, kind, ctx.signal)));
    } else if (id === '/Node') lines.push(...(await describeNode(handle, obj, ctx.signal)));
    else if (id === '/Service') lines.push(...(await describeService(handle, obj, ctx.signal)));
    else if (id === '/PersistentVolumeClaim') lines.push(...(await describeClaim(handle, obj, ctx.signal)));
    else if (id === 'networking.k8s.io/Ingress') lines.push(...(await describeIngress(handle, obj, ctx.signal)));
    else lines.push(...describeGeneric(obj, kind, Math.floor(budget * 0.6)));

    const used = Buffer.byteLength(lines.join('\n'));
    const eventBudget = Math.max(1500, budget - used);
    lines.push(...(await eventsOf(handle, obj, kind, eventBudget, ctx.signal)));
    return lines.join('\n');
  },
});
