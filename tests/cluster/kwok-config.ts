// The KWOK configuration of the test cluster, as data: pod Stages (the normal life of a pod, and the faults
// of tests/cluster/faults.ts), ClusterLogs (the common ten lines, and each fault's own lines), and the
// resource-usage emulation metrics-server scrapes (a Metric for the kubelet's /metrics/resource endpoint and
// a ClusterResourceUsage).
//
// Pure: buildKwokConfig(dir, now) returns the YAML and the log files to write, so the harness can also compute
// it for a placeholder directory and fingerprint what a cluster was started with.
//
// KWOK replaces its built-in pod stages as soon as one pod Stage is configured, so the normal ones are
// restated here (the same behaviour as KWOK's kustomize/stage/pod/fast set: Running at once, Job pods
// complete, deletion finishes) with one change: they leave pods that carry the fault label alone.
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { CONTAINER_FAULTS, type ContainerFault, FAULT_LABEL } from './faults.js';
import { execConfig } from './kwok-exec.js';
import { kwokPortForwardDocs } from './kwok-port-forward.js';

const API = 'kwok.x-k8s.io/v1alpha1';
const POD = { apiGroup: 'v1', kind: 'Pod' };
const faultKey = `.metadata.labels["${FAULT_LABEL}"]`;
const notDeleted = { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' };
const noFault = { key: faultKey, operator: 'DoesNotExist' };
const withFault = (name: string) => ({ key: faultKey, operator: 'In', values: [name] });
/** Not yet played: KWOK gives a pod its IP in the first stage, so this selects a pod once. */
const fresh = { key: '.status.podIP', operator: 'DoesNotExist' };

/** The IPs, times and pod conditions every first stage writes (Go template, KWOK's helper functions). */
const placed = `
hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
startTime: {{ $now | Quote }}`;

const conditions = (ready: boolean) => `
conditions:
- type: Initialized
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
- type: Ready
  status: "${ready ? 'True' : 'False'}"
  lastTransitionTime: {{ $now | Quote }}${ready ? '' : '\n  reason: ContainersNotReady\n  message: {{ printf "containers with unready status: [%s]" $names | Quote }}'}
- type: ContainersReady
  status: "${ready ? 'True' : 'False'}"
  lastTransitionTime: {{ $now | Quote }}${ready ? '' : '\n  reason: ContainersNotReady\n  message: {{ printf "containers with unready status: [%s]" $names | Quote }}'}`;

/** Template prologue: `$now`, `$earlier` (a crash a few seconds ago) and `$names` (the containers). */
const prologue = `{{ $now := Now }}
{{ $earlier := dateInZone "2006-01-02T15:04:05Z" (now | dateModify "-20s") "UTC" }}
{{ $names := list }}{{ range .spec.containers }}{{ $names = append $names .name }}{{ end }}
{{ $names = join " " $names }}`;

/** One container's status for a fault, inside `range .spec.containers` (so `.name`, `.image`). */
function faultContainerStatus(f: ContainerFault, waitingReason: string | null, waitingMessage: string): string {
  const lines = [
    '- name: {{ .name | Quote }}',
    '  image: {{ .image | Quote }}',
    `  ready: false`,
    `  started: ${waitingReason ? 'false' : 'true'}`,
    `  restartCount: ${f.restartCount}`,
    '  state:',
  ];
  if (waitingReason) lines.push('    waiting:', `      reason: ${waitingReason}`, `      message: ${waitingMessage}`);
  else lines.push('    running:', '      startedAt: {{ $now | Quote }}');
  if (f.lastTerminated) {
    lines.push(
      '  lastState:',
      '    terminated:',
      `      exitCode: ${f.lastTerminated.exitCode}`,
      `      reason: ${f.lastTerminated.reason}`,
      '      startedAt: {{ $earlier | Quote }}',
      '      finishedAt: {{ $now | Quote }}',
    );
  }
  return lines.join('\n');
}

function faultStage(
  name: string,
  f: ContainerFault,
  o: { extra?: object[]; waitingReason: string | null; waitingMessage: string; event: ContainerFault['events'][number]; delayMs?: number },
) {
  const template = [
    prologue,
    conditions(false),
    'containerStatuses:',
    '{{ range .spec.containers }}',
    faultContainerStatus(f, o.waitingReason, o.waitingMessage),
    '{{ end }}',
    `phase: ${f.phase}`,
    o.extra ? '' : placed,
  ].join('\n');
  return {
    apiVersion: API,
    kind: 'Stage',
    metadata: { name },
    spec: {
      resourceRef: POD,
      selector: { matchExpressions: [notDeleted, withFault(f.name), ...(o.extra ?? [fresh])] },
      // A moment after scheduling, as a kubelet needs to start (and lose) the container: the fault's
      // event then comes after the scheduler's, in the order a person reads them.
      delay: { durationMilliseconds: o.delayMs ?? 1000 },
      next: {
        event: { type: o.event[0], reason: o.event[1], message: o.event[2] },
        statusTemplate: template,
      },
    },
  };
}

function podStages(): object[] {
  const { crashloop, oomkilled, imagepull, unready } = CONTAINER_FAULTS;
  const backOff =
    '{{ printf "back-off 2m40s restarting failed container=%s pod=%s_%s(%s)" .name $.metadata.name $.metadata.namespace $.metadata.uid | Quote }}';
  const pullMessage = (what: string) =>
    what === 'ErrImagePull'
      ? '{{ printf "failed to pull and unpack image %q: failed to resolve reference %q: %q: not found" .image .image .image | Quote }}'
      : '{{ printf "Back-off pulling image %q" .image | Quote }}';
  return [
    {
      apiVersion: API,
      kind: 'Stage',
      metadata: { name: 'kz-pod-ready' },
      spec: {
        resourceRef: POD,
        selector: { matchExpressions: [notDeleted, fresh, noFault] },
        next: {
          statusTemplate: [
            prologue,
            conditions(true),
            'containerStatuses:',
            '{{ range .spec.containers }}',
            '- name: {{ .name | Quote }}',
            '  image: {{ .image | Quote }}',
            '  ready: true',
            '  started: true',
            '  restartCount: 0',
            '  state:',
            '    running:',
            '      startedAt: {{ $now | Quote }}',
            '{{ end }}',
            'initContainerStatuses:',
            '{{ range .spec.initContainers }}',
            '- name: {{ .name | Quote }}',
            '  image: {{ .image | Quote }}',
            '  ready: true',
            '  restartCount: 0',
            '  {{ if eq .restartPolicy "Always" }}',
            '  started: true',
            '  state:',
            '    running:',
            '      startedAt: {{ $now | Quote }}',
            '  {{ else }}',
            '  state:',
            '    terminated:',
            '      exitCode: 0',
            '      reason: Completed',
            '      startedAt: {{ $now | Quote }}',
            '      finishedAt: {{ $now | Quote }}',
            '  {{ end }}',
            '{{ end }}',
            'phase: Running',
            placed,
          ].join('\n'),
        },
      },
    },
    {
      apiVersion: API,
      kind: 'Stage',
      metadata: { name: 'kz-pod-complete' },
      spec: {
        resourceRef: POD,
        selector: {
          matchExpressions: [
            notDeleted,
            noFault,
            { key: '.status.phase', operator: 'In', values: ['Running'] },
            { key: '.metadata.ownerReferences.[].kind', operator: 'In', values: ['Job'] },
          ],
        },
        next: {
          statusTemplate: [
            '{{ $now := Now }}',
            'containerStatuses:',
            '{{ range .spec.containers }}',
            '- name: {{ .name | Quote }}',
            '  image: {{ .image | Quote }}',
            '  ready: false',
            '  started: false',
            '  restartCount: 0',
            '  state:',
            '    terminated:',
            '      exitCode: 0',
            '      reason: Completed',
            '      startedAt: {{ $now | Quote }}',
            '      finishedAt: {{ $now | Quote }}',
            '{{ end }}',
            'phase: Succeeded',
          ].join('\n'),
        },
      },
    },
    {
      apiVersion: API,
      kind: 'Stage',
      metadata: { name: 'kz-pod-delete' },
      spec: {
        resourceRef: POD,
        selector: { matchExpressions: [{ key: '.metadata.deletionTimestamp', operator: 'Exists' }] },
        next: { finalizers: { empty: true }, delete: true },
      },
    },
    faultStage('kz-fault-crashloop', crashloop, { waitingReason: 'CrashLoopBackOff', waitingMessage: backOff, event: crashloop.events[0]! }),
    faultStage('kz-fault-oomkilled', oomkilled, { waitingReason: 'CrashLoopBackOff', waitingMessage: backOff, event: oomkilled.events[0]! }),
    // An image that cannot be pulled: ErrImagePull first, ImagePullBackOff a moment later, as the kubelet does.
    faultStage('kz-fault-imagepull', imagepull, { waitingReason: 'ErrImagePull', waitingMessage: pullMessage('ErrImagePull'), event: imagepull.events[0]! }),
    faultStage('kz-fault-imagepull-backoff', imagepull, {
      waitingReason: 'ImagePullBackOff',
      waitingMessage: pullMessage('ImagePullBackOff'),
      event: imagepull.events[1]!,
      delayMs: 2000,
      extra: [{ key: '.status.containerStatuses.[].state.waiting.reason', operator: 'In', values: ['ErrImagePull'] }],
    }),
    faultStage('kz-fault-unready', unready, { waitingReason: null, waitingMessage: '', event: unready.events[0]! }),
  ];
}

/** kubelet-style CRI log lines ("<RFC3339Nano> stdout F <line>"), one second apart, the last at `endMs`. */
export function criLines(lines: string[], endMs: number): string {
  if (!lines.length) return '';
  return lines.map((l, i) => `${new Date(endMs - (lines.length - 1 - i) * 1000).toISOString()} stdout F ${l}`).join('\n') + '\n';
}

export interface KwokConfig {
  /** The --config file's content (several YAML documents). */
  yaml: string;
  /** Log files to write before KWOK starts: absolute path -> content. */
  files: Record<string, string>;
}

/** The lines every container without a fault logs (KWOK log emulation), oldest first. */
export const COMMON_LOG_LINES = Array.from({ length: 10 }, (_, i) => `kz-fake-log line ${i + 1} of 10`);
export const COMMON_PREVIOUS_LOG_LINES = ['kz-fake-log previous container line 1', 'kz-fake-log previous container line 2'];

export function buildKwokConfig(dir: string, now: number): KwokConfig {
  const logDir = join(dir, 'pod-logs');
  const files: Record<string, string> = {};
  const file = (name: string, content: string) => {
    const path = join(logDir, name);
    files[path] = content;
    return path;
  };
  // The common log has an earlier run too (`--previous` gives two lines), ended a minute ago.
  const logs: object[] = [
    {
      logsFile: file('container.log', criLines(COMMON_LOG_LINES, now)),
      previousLogsFile: file('previous.log', criLines(COMMON_PREVIOUS_LOG_LINES, now - 60_000)),
      follow: true,
    },
  ];
  for (const f of Object.values(CONTAINER_FAULTS)) {
    // The current run ended (crashed) a moment ago, the previous one about three minutes before.
    logs.push({
      containers: [f.name],
      logsFile: file(`${f.name}.log`, criLines(f.logLines, now - 5_000)),
      previousLogsFile: file(`${f.name}-previous.log`, criLines(f.previousLogLines, now - 185_000)),
      follow: false,
    });
  }
  const docs: object[] = [
    ...podStages(),
    { apiVersion: API, kind: 'ClusterLogs', metadata: { name: 'kz-all-containers' }, spec: { logs } },
    resourceMetrics(),
    {
      // CPU and memory each container uses, from pod annotations: `kz.test/usage-cpu.<container>` for one
      // container, else KWOK's own `kwok.x-k8s.io/usage-cpu` for all of the pod's containers, else a
      // small default (the same for memory). metrics-server turns these into metrics.k8s.io answers.
      apiVersion: API,
      kind: 'ClusterResourceUsage',
      metadata: { name: 'kz-usage-from-annotations' },
      spec: { usages: [{ usage: { cpu: { expression: usageExpression('cpu', '1m') }, memory: { expression: usageExpression('memory', '2Mi') } } }] },
    },
    ...execConfig(dir),
    ...kwokPortForwardDocs(),
  ];
  return { yaml: docs.map((d) => toYaml(d, { lineWidth: 0 })).join('---\n'), files };
}

/** What a node uses besides its pods, in its emulated kubelet metrics. */
export const NODE_SYSTEM_USAGE = { cpuCores: 0.1, memoryBytes: 512 * 2 ** 20 };

/** The pod annotations that set a container's emulated usage (see the ClusterResourceUsage above). */
export const USAGE_ANNOTATIONS = {
  podCpu: 'kwok.x-k8s.io/usage-cpu',
  podMemory: 'kwok.x-k8s.io/usage-memory',
  containerCpu: (container: string) => `kz.test/usage-cpu.${container}`,
  containerMemory: (container: string) => `kz.test/usage-memory.${container}`,
};

function usageExpression(resource: 'cpu' | 'memory', fallback: string): string {
  const one = `"kz.test/usage-${resource}." + container.name`;
  const all = `"kwok.x-k8s.io/usage-${resource}"`;
  const a = 'pod.metadata.annotations';
  return `(${one}) in ${a} ? Quantity(${a}[${one}]) : (${all} in ${a} ? Quantity(${a}[${all}]) : Quantity("${fallback}"))`;
}

/** KWOK's emulation of the kubelet's /metrics/resource endpoint, one path per node, as metrics-server reads it. */
function resourceMetrics(): object {
  const podLabels = [
    { name: 'namespace', value: 'pod.metadata.namespace' },
    { name: 'pod', value: 'pod.metadata.name' },
  ];
  const containerLabels = [{ name: 'container', value: 'container.name' }, ...podLabels];
  return {
    apiVersion: API,
    kind: 'Metric',
    metadata: { name: 'kz-metrics-resource' },
    spec: {
      path: '/metrics/nodes/{nodeName}/metrics/resource',
      metrics: [
        {
          name: 'scrape_error',
          dimension: 'node',
          kind: 'gauge',
          help: '1 if there was an error while getting metrics from the node, 0 otherwise',
          value: '0',
        },
        {
          name: 'container_start_time_seconds',
          dimension: 'container',
          kind: 'gauge',
          help: 'Start time of the container since unix epoch in seconds',
          labels: containerLabels,
          value: 'pod.SinceSecond()',
        },
        {
          name: 'container_cpu_usage_seconds_total',
          dimension: 'container',
          kind: 'counter',
          help: 'Cumulative cpu time consumed by the container in core-seconds',
          labels: containerLabels,
          value: 'pod.CumulativeUsage("cpu", container.name)',
        },
        {
          name: 'container_memory_working_set_bytes',
          dimension: 'container',
          kind: 'gauge',
          help: 'Current working set of the container in bytes',
          labels: containerLabels,
          value: 'pod.Usage("memory", container.name)',
        },
        {
          name: 'pod_cpu_usage_seconds_total',
          dimension: 'pod',
          kind: 'counter',
          help: 'Cumulative cpu time consumed by the pod in core-seconds',
          labels: podLabels,
          value: 'pod.CumulativeUsage("cpu")',
        },
        {
          name: 'pod_memory_working_set_bytes',
          dimension: 'pod',
          kind: 'gauge',
          help: 'Current working set of the pod in bytes',
          labels: podLabels,
          value: 'pod.Usage("memory")',
        },
        {
          name: 'node_cpu_usage_seconds_total',
          dimension: 'node',
          kind: 'counter',
          help: 'Cumulative cpu time consumed by the node in core-seconds',
          // What the node's pods use plus the system's share (kubelet, runtime, OS), as a real node never
          // reports zero; metrics-server drops a node whose CPU or memory reads 0.
          value: `node.CumulativeUsage("cpu") + node.SinceSecond() * ${NODE_SYSTEM_USAGE.cpuCores}`,
        },
        {
          name: 'node_memory_working_set_bytes',
          dimension: 'node',
          kind: 'gauge',
          help: 'Current working set of the node in bytes',
          value: `node.Usage("memory") + ${NODE_SYSTEM_USAGE.memoryBytes}.0`,
        },
      ],
    },
  };
}
