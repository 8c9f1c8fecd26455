/**
 * drain_node: `kubectl drain`: cordons the node, then evicts its pods through the Eviction API, so
 * PodDisruptionBudgets are honoured: an eviction a budget refuses (429) is retried every few
 * seconds, with progress, until it passes or the timeout ends the drain. As kubectl: DaemonSet
 * pods and mirror (static) pods are left alone, pods without a controller need `force` and pods
 * with emptyDir volumes `deleteEmptyDirData`; a pod that blocks the drain is named before
 * anything changes. The question lists every pod that will be evicted. A timeout or a
 * cancellation stops cleanly: the node stays cordoned and the answer names the pods still on it.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation, ToolError, type ToolContext } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import { resourcePath } from '../../providers/cluster/discovery.js';
import { mapLimit } from '../../providers/helm/release-store.js';
import { ContextArg, DryRunArg, GracePeriodArg } from '../common/arguments.js';
import { NodeArg, podRef, podsOnNode, readNode, setUnschedulable } from '../common/nodes.js';
import { POD_KIND, type KObject } from '../common/workloads.js';

/** kubectl drain retries an eviction a disruption budget refuses every 5 s. */
const RETRY_MS = 5000;
const POLL_MS = 1000;
const EVICTING_AT_ONCE = 32;
const DEFAULT_TIMEOUT_S = 300;
const MIRROR = 'kubernetes.io/config.mirror';

interface Plan {
  evict: KObject[];
  /** Evicted only because `force` allows it: no controller recreates them. */
  unmanaged: KObject[];
  /** Evicted only because `deleteEmptyDirData` allows it: their emptyDir data is lost. */
  emptyDir: KObject[];
  daemonSet: KObject[];
  mirror: KObject[];
  /** What keeps the drain from starting, per pod. */
  blockers: string[];
}

type Outcome = { state: 'gone' } | { state: 'blocked'; why: string } | { state: 'evicting' } | { state: 'failed'; why: string } | { state: 'pending' };

export default defineTool({
  name: 'drain_node',
  title: 'Drain a node',
  description: 'kubectl drain: cordon, then evict honouring PodDisruptionBudgets; DaemonSet, mirror pods stay. Example: {"node":"worker-1"}',
  safety: 'destructive',
  needs: ['clusters'],
  input: Type.Object(
    {
      node: NodeArg,
      context: ContextArg,
      force: Type.Optional(Type.Boolean({ description: 'Also pods without a controller (not recreated).' })),
      deleteEmptyDirData: Type.Optional(Type.Boolean({ description: 'Also pods with emptyDir volumes (data lost).' })),
      gracePeriodSeconds: GracePeriodArg,
      timeoutSeconds: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 3600, default: DEFAULT_TIMEOUT_S, description: 'Give up after this long; the node stays cordoned.' }),
      ),
      dryRun: DryRunArg,
    },
    { additionalProperties: false },
  ),
  auditTarget: (input) => `node/${input.node}`,
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const read = await readNode(handle, input.node, ctx.signal);
    const where = `context ${handle.context}`;
    const plan = planDrain(await podsOnNode(handle, input.node, ctx.signal), input);
    const skipped = skippedText(plan);
    if (plan.blockers.length) {
      throw new ToolError(
        `Cannot drain node ${input.node} (${where}): ${plan.blockers.join('; ')}. Nothing changed (the node was not cordoned).`,
        'Pass force: true for pods without a controller and deleteEmptyDirData: true for pods with emptyDir volumes, once the person agrees to lose them.',
      );
    }
    const names = plan.evict.map(podRef);
    const cordon = read.node.spec?.unschedulable ? 'it is already cordoned' : 'cordon it';

    if (input.dryRun) {
      await setUnschedulable(handle, read, true, ctx.signal, true);
      const blocked: string[] = [];
      for (const pod of plan.evict) {
        const answer = await evict(handle, pod, input.gracePeriodSeconds, ctx.signal, true);
        if (answer.state === 'blocked') blocked.push(`${podRef(pod)} (${answer.why})`);
        if (answer.state === 'failed') throw new ToolError(`Dry run of the eviction of ${podRef(pod)} failed: ${answer.why}`, 'Nothing changed.');
      }
      return [
        `Dry run: draining node ${input.node} (${where}) would ${cordon} and evict ${count(names.length, 'pod')}${names.length ? `: ${names.join(', ')}` : ''}.`,
        ...(plan.unmanaged.length ? [`Without a controller (not recreated): ${plan.unmanaged.map(podRef).join(', ')}.`] : []),
        ...(plan.emptyDir.length ? [`emptyDir data lost: ${plan.emptyDir.map(podRef).join(', ')}.`] : []),
        ...(skipped ? [`Left alone: ${skipped}.`] : []),
        ...(blocked.length ? [`A PodDisruptionBudget refuses these evictions now (a real drain waits for it): ${blocked.join(', ')}.`] : []),
        'Nothing changed.',
      ].join('\n');
    }

    await ctx.guardWrites(
      handle.context,
      plan.evict.map((p) => p.metadata.namespace),
    );
    const risks = [
      plan.unmanaged.length ? ` Pods without a controller are deleted for good: ${plan.unmanaged.map(podRef).join(', ')}.` : '',
      plan.emptyDir.length ? ` emptyDir data is lost for: ${plan.emptyDir.map(podRef).join(', ')}.` : '',
    ].join('');
    await requireConfirmation(
      ctx.confirm,
      `Drain node ${input.node} (${where}): ${cordon}, then evict ${count(names.length, 'pod')}${names.length ? `: ${names.join(', ')}` : ''}?${risks}${skipped ? ` Left alone: ${skipped}.` : ''}`,
    );

    if (!read.node.spec?.unschedulable) await setUnschedulable(handle, read, true, ctx.signal);
    await ctx.progress(0, names.length, `node ${input.node} cordoned; evicting ${count(names.length, 'pod')}`);

    const timeoutSeconds = input.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
    const outcomes = await evictAll(handle, plan.evict, input.gracePeriodSeconds, ctx, Date.now() + timeoutSeconds * 1000);
    const left = plan.evict.filter((_, i) => outcomes[i]!.state !== 'gone');
    const gone = plan.evict.filter((_, i) => outcomes[i]!.state === 'gone');
    const leftText = left.map((p) => {
      const o = outcomes[plan.evict.indexOf(p)]!;
      return `${podRef(p)}${o.state === 'blocked' || o.state === 'failed' ? ` (${o.why})` : o.state === 'evicting' ? ' (evicted, still stopping)' : ''}`;
    });
    const evicted = `evicted ${gone.length ? gone.map(podRef).join(', ') : 'none'}`;
    if (ctx.signal.aborted) {
      const text = `Cancelled: the drain of node ${input.node} stopped (${where}); it stays cordoned; ${evicted}; still on it: ${leftText.join(', ') || 'none'}.`;
      await ctx.progress(gone.length, names.length, text).catch(() => undefined);
      throw new ToolError(text, 'Call drain_node again to continue, or uncordon_node to undo the cordon.');
    }
    const failed = left.filter((p) => outcomes[plan.evict.indexOf(p)]!.state === 'failed');
    if (left.length) {
      const why = failed.length ? 'some evictions failed' : `it did not finish within ${timeoutSeconds} s`;
      throw new ToolError(
        `Drain of node ${input.node} incomplete (${where}): ${why}. The node stays cordoned; ${evicted}; still on it: ${leftText.join(', ')}.`,
        left.some((p) => outcomes[plan.evict.indexOf(p)]!.state === 'blocked')
          ? 'A PodDisruptionBudget allows no more disruptions: wait for the workload to have spare ready pods (or scale it up), then call drain_node again; a larger timeoutSeconds waits longer.'
          : 'Look at the pods still there (describe_resource, get_events), then call drain_node again, or uncordon_node to undo the cordon.',
      );
    }
    return [
      `Drained node ${input.node} (${where}): cordoned, ${evicted}.`,
      ...(skipped ? [`Left alone: ${skipped}.`] : []),
      'The node takes no new pods until uncordon_node.',
    ].join('\n');
  },
});

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** kubectl drain's filters: which pods go, which are left alone, which block the drain. */
function planDrain(pods: KObject[], input: { force?: boolean | undefined; deleteEmptyDirData?: boolean | undefined }): Plan {
  const plan: Plan = { evict: [], unmanaged: [], emptyDir: [], daemonSet: [], mirror: [], blockers: [] };
  const noController: string[] = [];
  const withEmptyDir: string[] = [];
  for (const pod of pods) {
    if (pod.metadata.annotations?.[MIRROR] !== undefined) {
      plan.mirror.push(pod);
      continue;
    }
    const controller = pod.metadata.ownerReferences?.find((o) => o.controller);
    if (controller?.kind === 'DaemonSet') {
      plan.daemonSet.push(pod);
      continue;
    }
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!finished && !controller) {
      if (input.force) plan.unmanaged.push(pod);
      else noController.push(podRef(pod));
    }
    const emptyDir = ((pod.spec?.volumes ?? []) as Array<{ emptyDir?: unknown }>).some((v) => v.emptyDir !== undefined);
    if (!finished && emptyDir) {
      if (input.deleteEmptyDirData) plan.emptyDir.push(pod);
      else withEmptyDir.push(podRef(pod));
    }
    plan.evict.push(pod);
  }
  if (noController.length) plan.blockers.push(`pods without a controller (they would not be recreated; force: true evicts them): ${noController.join(', ')}`);
  if (withEmptyDir.length)
    plan.blockers.push(`pods with emptyDir volumes (their data would be lost; deleteEmptyDirData: true evicts them): ${withEmptyDir.join(', ')}`);
  return plan;
}

function skippedText(plan: Plan): string {
  return [
    plan.daemonSet.length ? `${count(plan.daemonSet.length, 'DaemonSet pod')} (${plan.daemonSet.map(podRef).join(', ')})` : '',
    plan.mirror.length ? `${count(plan.mirror.length, 'mirror pod')} (${plan.mirror.map(podRef).join(', ')})` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** One eviction request; a refusal by a disruption budget is `blocked`, an already deleted pod `gone`. */
async function evict(handle: ClusterHandle, pod: KObject, gracePeriodSeconds: number | undefined, signal: AbortSignal, dryRun = false): Promise<Outcome> {
  const { name, namespace, uid } = pod.metadata;
  const body = {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name, namespace },
    deleteOptions: {
      ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
      ...(uid ? { preconditions: { uid } } : {}),
      ...(dryRun ? { dryRun: ['All'] } : {}),
    },
  };
  try {
    await handle.request(resourcePath(POD_KIND, { namespace: namespace!, name, subresource: 'eviction' }), {
      method: 'POST',
      body,
      signal,
      ...(dryRun ? { query: { dryRun: 'All' } } : {}),
    });
    return { state: 'evicting' };
  } catch (err) {
    if (signal.aborted) throw err;
    const e = err as { code?: number; body?: { message?: string; details?: { causes?: Array<{ message?: string }> } }; message?: string };
    if (e.code === 404) return { state: 'gone' };
    // 409: the precondition failed, the pod was replaced by one of the same name: the old one is gone.
    if (e.code === 409 && !dryRun) return { state: 'gone' };
    if (e.code === 429) {
      const cause =
        e.body?.details?.causes
          ?.map((c) => c.message)
          .filter(Boolean)
          .join('; ') ||
        e.body?.message ||
        'refused by a PodDisruptionBudget';
      return { state: 'blocked', why: cause };
    }
    return {
      state: 'failed',
      why: handle.describeError(err, { verb: 'create', resource: 'pods/eviction', name, ...(namespace ? { namespace } : {}) }).message,
    };
  }
}

/** Whether the pod (this uid) no longer exists. */
async function isGone(handle: ClusterHandle, pod: KObject, signal: AbortSignal): Promise<boolean> {
  try {
    const now = (await handle.request(resourcePath(POD_KIND, { namespace: pod.metadata.namespace!, name: pod.metadata.name }), { signal })).json<KObject>();
    return now.metadata.uid !== pod.metadata.uid;
  } catch (err) {
    if (signal.aborted) throw err;
    return (err as { code?: number }).code === 404;
  }
}

/**
 * Evicts the pods side by side (up to EVICTING_AT_ONCE), each retried while a disruption budget refuses it,
 * then waits for it to be gone; stops at the deadline or on cancellation. Progress per pod.
 */
async function evictAll(
  handle: ClusterHandle,
  pods: KObject[],
  gracePeriodSeconds: number | undefined,
  ctx: Pick<ToolContext, 'signal' | 'progress'>,
  deadline: number,
): Promise<Outcome[]> {
  const total = pods.length;
  let done = 0;
  const report = (message: string) => ctx.progress(done, total, message).catch(() => undefined);
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done_, Math.max(0, Math.min(ms, deadline - Date.now())));
      function done_() {
        ctx.signal.removeEventListener('abort', done_);
        clearTimeout(timer);
        resolve();
      }
      ctx.signal.addEventListener('abort', done_, { once: true });
    });
  const stopped = () => ctx.signal.aborted || Date.now() >= deadline;
  // Wide enough that pods a disruption budget holds back do not keep the others from their turn.
  return mapLimit(pods, EVICTING_AT_ONCE, async (pod): Promise<Outcome> => {
    let outcome: Outcome = { state: 'pending' };
    try {
      while (!stopped()) {
        outcome = await evict(handle, pod, gracePeriodSeconds, ctx.signal);
        if (outcome.state !== 'blocked') break;
        await report(`${podRef(pod)}: ${outcome.why}; retrying every ${RETRY_MS / 1000} s`);
        await pause(RETRY_MS);
      }
      if (outcome.state === 'evicting') {
        await report(`${podRef(pod)}: evicted, waiting for it to stop`);
        while (!stopped()) {
          if (await isGone(handle, pod, ctx.signal)) {
            outcome = { state: 'gone' };
            break;
          }
          await pause(POLL_MS);
        }
      }
    } catch (err) {
      if (!ctx.signal.aborted) throw err;
    }
    if (outcome.state === 'gone') {
      done++;
      await report(`${podRef(pod)}: gone (${done}/${total})`);
    }
    return outcome;
  });
}
