/**
 * A pod's state as `kubectl get pods` prints it: the STATUS column (CrashLoopBackOff, Completed,
 * Init:0/1, Terminating, …), READY and RESTARTS.
 */
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import { ToolError } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import { resolveWorkloadPods, type KObject } from './workloads.js';

export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** The STATUS column of kubectl get pods (CrashLoopBackOff, Completed, Init:0/1, Terminating, …). */
export function podStatus(pod: KObject): string {
  let reason: string = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
  const init = (pod.status?.initContainerStatuses ?? []) as ContainerStatus[];
  const initTotal = (pod.spec?.initContainers ?? []).length;
  let initializing = false;
  init.forEach((s, i) => {
    const t = s.state?.terminated;
    if (t && t.exitCode === 0) return;
    if (initializing) return;
    initializing = true;
    if (t) reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    else if (s.state?.waiting?.reason && s.state.waiting.reason !== 'PodInitializing') reason = `Init:${s.state.waiting.reason}`;
    else reason = `Init:${i}/${initTotal}`;
  });
  if (!initializing) {
    let running = false;
    for (const s of ((pod.status?.containerStatuses ?? []) as ContainerStatus[]).slice().reverse()) {
      const w = s.state?.waiting;
      const t = s.state?.terminated;
      if (w?.reason) reason = w.reason;
      else if (t?.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (s.state?.running && s.ready) running = true;
    }
    if (reason === 'Completed' && running) reason = 'Running';
  }
  if (pod.metadata.deletionTimestamp) reason = pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

/** `1/2` ready containers. */
export function podReady(pod: KObject): string {
  const statuses = (pod.status?.containerStatuses ?? []) as ContainerStatus[];
  const total = (pod.spec?.containers ?? []).length;
  return `${statuses.filter((s) => s.ready).length}/${total}`;
}

export function podRestarts(pod: KObject): number {
  return ((pod.status?.containerStatuses ?? []) as ContainerStatus[]).reduce((n, s) => n + (s.restartCount ?? 0), 0);
}

/** Running and not being deleted: a pod exec and port-forward can reach. */
export function isRunning(pod: KObject): boolean {
  return !pod.metadata.deletionTimestamp && pod.status?.phase === 'Running';
}

/** A pod's containers by name; `default` is the one its kubectl.kubernetes.io/default-container annotation names. */
export function containersOf(pod: KObject): { all: string[]; init: string[]; default?: string } {
  const all = ((pod.spec?.containers ?? []) as Array<{ name: string }>).map((c) => c.name);
  const init = ((pod.spec?.initContainers ?? []) as Array<{ name: string }>).map((c) => c.name);
  const eph = ((pod.spec?.ephemeralContainers ?? []) as Array<{ name: string }>).map((c) => c.name);
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  return { all, init: [...init, ...eph], ...(annotated && all.includes(annotated) ? { default: annotated } : {}) };
}

/** Picks the container for a pod, or throws a ToolError listing the choices. */
export function pickContainer(pod: KObject, wanted: string | undefined, what: string): string {
  const c = containersOf(pod);
  const listing = `containers: ${c.all.join(', ')}${c.init.length ? `; init/ephemeral containers: ${c.init.join(', ')}` : ''}`;
  if (wanted !== undefined) {
    if (c.all.includes(wanted) || c.init.includes(wanted)) return wanted;
    throw new ToolError(`container: ${what} has no container "${wanted}" (${listing}).`, 'Pass one of the listed names as container.');
  }
  if (c.default) return c.default;
  if (c.all.length === 1) return c.all[0]!;
  throw new ToolError(
    `${what} has ${c.all.length} containers, so say which one: ${listing}.`,
    `Call again with container set to one of: ${c.all.join(', ')}. (A kubectl.kubernetes.io/default-container annotation on the pod would pick one by default.)`,
  );
}

/**
 * The pod and container a `kubectl exec`-like command goes to: a pod by name, or a workload's
 * first running pod; the container given, else the annotated default, else the first (kubectl's
 * rule, with its "Defaulted container" note when there was a choice). A pod that is not running
 * is explained here, before anything is sent to it.
 */
export async function runningPodFor(
  handle: ClusterHandle,
  ref: string,
  namespace: string,
  wanted: string | undefined,
  signal: AbortSignal,
): Promise<{ pod: string; container: string; note?: string }> {
  const workload = await resolveWorkloadPods(handle, ref, namespace, signal);
  const running = workload.pods.filter(isRunning);
  const pod = running[0];
  if (!pod) {
    const states = workload.pods.map((p) => `${p.metadata.name} ${podStatus(p)}`).join(', ');
    throw new ToolError(
      `${ref} (namespace ${namespace}, context ${handle.context}) has no running pod to exec into${states ? `: ${states}` : ''}.`,
      'exec needs a running container: wait for the pod (wait_for), or look at why it is not running (describe_resource, get_events).',
    );
  }
  const name = pod.metadata.name;
  if (wanted !== undefined) return { pod: name, container: pickContainer(pod, wanted, `pod ${name}`) };
  const c = containersOf(pod);
  const container = c.default ?? c.all[0];
  if (!container) throw new ToolError(`pod ${name} has no containers.`);
  const note = c.all.length > 1 && !c.default ? `Defaulted container "${container}" out of: ${c.all.join(', ')}.` : undefined;
  return { pod: name, container, ...(note ? { note } : {}) };
}
