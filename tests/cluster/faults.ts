// Failures the test cluster produces on purpose, so tests (and the investigate routine) meet the signals a
// real broken workload gives: a crash loop with its exit code and last log line, an OOM kill, an image that
// cannot be pulled, a readiness probe that fails, a pod the scheduler cannot place.
//
// How a test asks for one (see faultPod below, which writes the manifest):
//   - the pod label `kz.test/fault: <fault>` picks the KWOK Stage that plays the container statuses and
//     the kubelet-like Events (tests/cluster/kwok-config.ts);
//   - a container named after the fault (`crashloop`, `oomkilled`, ...) gets the fault's own log lines,
//     current and previous run. KWOK's ClusterLogs select pods by name and namespace only, never by label,
//     so the container name is the one handle that works for any pod, Deployment pods included.
// Pods without the label run and log the ten common lines, as before: the existing tests see no change.
//
// Pending pods need no label: a pod that asks for more than a node has (`unschedulable`) or mounts a claim
// that does not exist (`missing-pvc`) is left Pending by the real kube-scheduler, with its FailedScheduling
// Event. This file has no side effects, so tests import it directly.
import { stringify as toYaml } from 'yaml';

export const FAULT_LABEL = 'kz.test/fault';

/** What a container of a faulty pod shows (kubectl describe / get pod -o yaml) and logs. */
export interface ContainerFault {
  /** The label value, and the container name that selects the fault's logs. */
  name: 'crashloop' | 'oomkilled' | 'imagepull' | 'unready';
  /** state.waiting.reason once the fault has settled (null: the container is running). */
  waitingReason: string | null;
  /** lastState.terminated of the run that failed (null: it never ran, or still runs). */
  lastTerminated: { exitCode: number; reason: string } | null;
  restartCount: number;
  ready: false;
  phase: 'Running' | 'Pending';
  /** Events the fault's stages record on the pod, in order: [type, reason, message]. */
  events: [type: 'Warning' | 'Normal', reason: string, message: string][];
  /** The current container's log (kubectl logs), oldest first; empty for a container that never started. */
  logLines: string[];
  /** The previous run's log (kubectl logs --previous). */
  previousLogLines: string[];
  /** The one log line a person looks for: the crash, or the last thing said before the kill. */
  tellingLine: string | null;
}

const crashRun = [
  'level=info msg="starting orders-api" version=2.14.1 pid=1',
  'level=info msg="config loaded" file=/etc/orders/config.yaml',
  'level=info msg="connecting to postgres" host=orders-db.shop.svc port=5432',
  'level=error msg="dial tcp 10.96.41.7:5432: connect: connection refused" attempt=3',
  'level=fatal msg="cannot reach the database, giving up" exit_code=1',
];

const oomRun = [
  'level=info msg="starting report-builder" version=0.9.3 heap_limit=unset',
  'level=info msg="loading events" source=s3://reports/2026-11/events.parquet rows=1200000',
  'level=info msg="loaded rows" rows=400000 rss=183Mi',
  'level=info msg="loaded rows" rows=800000 rss=366Mi',
];

export const CONTAINER_FAULTS: Record<ContainerFault['name'], ContainerFault> = {
  crashloop: {
    name: 'crashloop',
    waitingReason: 'CrashLoopBackOff',
    lastTerminated: { exitCode: 1, reason: 'Error' },
    restartCount: 5,
    ready: false,
    phase: 'Running',
    events: [['Warning', 'BackOff', 'Back-off restarting failed container']],
    logLines: crashRun,
    previousLogLines: crashRun,
    tellingLine: crashRun[crashRun.length - 1]!,
  },
  oomkilled: {
    name: 'oomkilled',
    waitingReason: 'CrashLoopBackOff',
    lastTerminated: { exitCode: 137, reason: 'OOMKilled' },
    restartCount: 3,
    ready: false,
    phase: 'Running',
    events: [['Warning', 'BackOff', 'Back-off restarting failed container']],
    // Killed mid-work: the log just stops, as it does when the kernel kills a process.
    logLines: oomRun,
    previousLogLines: oomRun,
    tellingLine: oomRun[oomRun.length - 1]!,
  },
  imagepull: {
    name: 'imagepull',
    waitingReason: 'ImagePullBackOff',
    lastTerminated: null,
    restartCount: 0,
    ready: false,
    phase: 'Pending',
    // The kubelet's own texts; the first reason is ErrImagePull, then it backs off.
    events: [
      ['Warning', 'Failed', 'Error: ErrImagePull'],
      ['Warning', 'Failed', 'Error: ImagePullBackOff'],
    ],
    logLines: [],
    previousLogLines: [],
    tellingLine: null,
  },
  unready: {
    name: 'unready',
    waitingReason: null,
    lastTerminated: null,
    restartCount: 0,
    ready: false,
    phase: 'Running',
    events: [['Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503']],
    logLines: [
      'level=info msg="listening" addr=:8080',
      'level=info msg="warming cache" backend=redis://cache.shop.svc:6379',
      'level=warn msg="cache warm-up slow" progress=12% elapsed=45s',
      'level=warn msg="GET /ready" status=503 reason="cache not warm"',
    ],
    previousLogLines: [],
    tellingLine: 'level=warn msg="GET /ready" status=503 reason="cache not warm"',
  },
};

/** The KWOK nodes' allocatable resources (also their capacity). A pod asking for more stays Pending. */
export const NODE_ALLOCATABLE = { cpu: '32', memory: '256Gi', pods: '110' } as const;

export type FaultName = ContainerFault['name'] | 'unschedulable' | 'missing-pvc';

/**
 * A Pod manifest (YAML) that shows `fault`. Its one container is named after the fault (that selects the
 * fault's logs); `claimName` is the claim a `missing-pvc` pod mounts (it must not exist).
 */
export function faultPod(fault: FaultName, o: { name: string; namespace: string; image?: string; claimName?: string }): string {
  const container: Record<string, unknown> = { name: fault, image: o.image ?? 'registry.example.com/shop/app:1.4.2' };
  const spec: Record<string, unknown> = { containers: [container] };
  const labels: Record<string, string> = { app: o.name };
  if (fault in CONTAINER_FAULTS) labels[FAULT_LABEL] = fault;
  if (fault === 'imagepull') container.image = o.image ?? 'registry.example.com/shop/app:does-not-exist';
  if (fault === 'unready') container.readinessProbe = { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 10 };
  if (fault === 'oomkilled') container.resources = { limits: { memory: '256Mi' }, requests: { memory: '256Mi' } };
  if (fault === 'unschedulable') container.resources = { requests: { cpu: '64', memory: '1Gi' } };
  if (fault === 'missing-pvc') {
    container.volumeMounts = [{ name: 'data', mountPath: '/data' }];
    spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: o.claimName ?? `${o.name}-data` } }];
  }
  return toYaml({ apiVersion: 'v1', kind: 'Pod', metadata: { name: o.name, namespace: o.namespace, labels }, spec });
}
