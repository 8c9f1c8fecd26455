/** describe_resource for pods: containers with their state, probes and environment, and volumes; also the pod template and pod table that workloads show. */
import { fields, indent, probeText, resourceList } from './format.js';
import { podReady, podRestarts, podStatus } from '../../common/pods.js';
import { age, table } from '../../common/format.js';
import type { Affinity, Container, ContainerState, ContainerStatus, NodeSelectorTerm, PodSpec, Volume } from 'kubernetes-types/core/v1.js';
import { selectorString, type KObject } from '../../common/workloads.js';
import { type Lines, conditions, when } from './header.js';

export const MAX_POD_ROWS = 20;

/** Running, waiting or terminated: each shape has a subset of these fields. */
type StateDetail = { reason?: string; message?: string; exitCode?: number; signal?: number; startedAt?: string; finishedAt?: string };

function stateText(state: ContainerState | undefined): string | undefined {
  if (!state) return undefined;
  const [name, s] = Object.entries(state as Record<string, StateDetail | undefined>).find(([, v]) => v) ?? [];
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

function envText(c: Container): string | undefined {
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

/** What a container asks for, how it is probed and where its environment comes from: in a pod and in a template alike. */
function resourcesProbesEnv(c: Container): Array<[string, string | undefined]> {
  return [
    ['Requests', resourceList(c.resources?.requests)],
    ['Limits', resourceList(c.resources?.limits)],
    ['Liveness', probeText(c.livenessProbe)],
    ['Readiness', probeText(c.readinessProbe)],
    ['Startup', probeText(c.startupProbe)],
    ['Environment', envText(c)],
  ];
}

function containerBlock(c: Container, status: ContainerStatus | undefined, init: boolean): Lines {
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
        ...resourcesProbesEnv(c),
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

function volumeText(v: Volume): string {
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

export function describePod(pod: KObject): Lines {
  const spec = pod.spec ?? {};
  const st = pod.status ?? {};
  const statuses = new Map(((st.containerStatuses ?? []) as ContainerStatus[]).map((s) => [s.name, s]));
  const initStatuses = new Map(((st.initContainerStatuses ?? []) as ContainerStatus[]).map((s) => [s.name, s]));
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
    ...placement(spec),
  ]);
  const inits = (spec.initContainers ?? []) as Container[];
  if (inits.length) lines.push('Init containers:', ...inits.flatMap((c) => containerBlock(c, initStatuses.get(c.name), true)));
  lines.push('Containers:', ...((spec.containers ?? []) as Container[]).flatMap((c) => containerBlock(c, statuses.get(c.name), false)));
  lines.push(...conditions(st.conditions));
  const volumes = (spec.volumes ?? []) as Array<Record<string, unknown> & { name: string }>;
  if (volumes.length) lines.push('Volumes:', ...volumes.map((v) => `  ${volumeText(v)}`));
  return lines;
}

// Workloads

/**
 * Where a pod may run: node selector, tolerations (without the two every pod gets by default) and
 * affinity, each on one line. The usual answer to "why is it Pending" when no node matches.
 */
function placement(spec: PodSpec): Array<[string, string | undefined]> {
  const tolerations = (spec.tolerations ?? [])
    .filter((t) => !/^node\.kubernetes\.io\/(not-ready|unreachable)$/.test(t.key ?? ''))
    .map(
      (t) =>
        `${t.key ?? '*'}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}${t.effect ? `:${t.effect}` : ''}${t.tolerationSeconds !== undefined ? ` for ${t.tolerationSeconds}s` : ''}`,
    );
  return [
    [
      'Node selector',
      Object.entries(spec.nodeSelector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    ],
    ['Tolerations', tolerations.join(', ')],
    ['Affinity', affinityText(spec.affinity)],
  ];
}

function affinityText(affinity: Affinity | undefined): string | undefined {
  if (!affinity) return undefined;
  const term = (t: NodeSelectorTerm) =>
    [...(t.matchExpressions ?? []), ...(t.matchFields ?? [])]
      .map((e) => `${e.key} ${e.operator}${e.values?.length ? ` [${e.values.join(',')}]` : ''}`)
      .join(' and ');
  const parts: string[] = [];
  const node = affinity.nodeAffinity;
  const required = node?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (required.length) parts.push(`nodes where ${required.map(term).join(' or ')}`);
  const preferred = node?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  if (preferred.length) parts.push(`preferring nodes where ${preferred.map((p) => `${term(p.preference)} (weight ${p.weight})`).join(', ')}`);
  for (const [label, pods] of [
    ['with', affinity.podAffinity],
    ['away from', affinity.podAntiAffinity],
  ] as const) {
    const hard = pods?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    const soft = pods?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    for (const t of hard) parts.push(`${label} pods ${selectorString(t.labelSelector)} per ${t.topologyKey}`);
    for (const w of soft) parts.push(`preferably ${label} pods ${selectorString(w.podAffinityTerm.labelSelector)} per ${w.podAffinityTerm.topologyKey}`);
  }
  return parts.join('; ') || undefined;
}

export function templateSummary(template: { spec?: PodSpec; metadata?: { labels?: Record<string, string> } } | undefined): Lines {
  if (!template?.spec) return [];
  const lines: Lines = ['Pod template:'];
  const labels = Object.entries(template.metadata?.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  if (labels) lines.push(`  Labels: ${labels}`);
  lines.push(...fields(placement(template.spec), '  '));
  for (const [list, init] of [
    [template.spec.initContainers ?? [], true],
    [template.spec.containers ?? [], false],
  ] as const) {
    for (const c of list) {
      lines.push(`  ${c.name}${init ? ' (init)' : ''}:`);
      lines.push(
        ...fields(
          [['Image', c.image], ['Ports', (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ')], ...resourcesProbesEnv(c)],
          '    ',
        ),
      );
    }
  }
  const volumes = template.spec.volumes ?? [];
  if (volumes.length) lines.push('  Volumes:', ...volumes.map((v) => `    ${volumeText(v)}`));
  return lines;
}

export function podTable(pods: KObject[], what = 'Pods'): Lines {
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
