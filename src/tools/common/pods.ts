/**
 * A pod's state as `kubectl get pods` prints it: the STATUS column (CrashLoopBackOff, Completed,
 * Init:0/1, Terminating, …), READY and RESTARTS.
 */
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import type { KObject } from './workloads.js';

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
