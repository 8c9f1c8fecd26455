/** describe_resource for Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs: rollout state, strategy, template, pods. */
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import type { ResolvedKind } from '../../../providers/cluster/discovery.js';
import { fields, indent } from './format.js';
import { age, table } from '../../common/format.js';
import { podsOfWorkload, selectorString, type KObject } from '../../common/workloads.js';
import { type Lines, conditions, when } from './header.js';
import { podTable, templateSummary } from './pods.js';

function strategyText(s: { type?: string; rollingUpdate?: Record<string, unknown> } | undefined): string | undefined {
  if (!s?.type) return undefined;
  const ru = Object.entries(s.rollingUpdate ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${s.type}${ru ? ` (${ru})` : ''}`;
}

export async function describeWorkload(handle: ClusterHandle, obj: KObject, kind: ResolvedKind, signal: AbortSignal): Promise<Lines> {
  const spec = obj.spec ?? {};
  const st = obj.status ?? {};
  const w = await podsOfWorkload(handle, kind, obj, signal);
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
