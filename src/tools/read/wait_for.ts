/**
 * wait_for: `kubectl rollout status` and `kubectl wait` in one tool, so an agent waits in one call
 * instead of polling describe_resource. It waits until
 *   - `rollout`: a Deployment, StatefulSet or DaemonSet has rolled out (kubectl's own rules: the
 *     controller has seen the change, every replica is updated and available, no old ones left);
 *   - `condition=<Type>[=<Status>]`: the object's condition holds (status True by default);
 *   - `jsonpath={.path}=<value>`: a field has a value (kubectl's field paths, common/field-paths.ts);
 *   - `delete`: the object is gone.
 * It reads the object once a second, reports progress when the state changes, and stops at the
 * timeout with what it reached and why it is stuck: for a workload, the pods that are not ready
 * and what they wait for. A failed rollout (progress deadline exceeded) is said at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import { resourcePath, type ResolvedKind } from '../../providers/cluster/discovery.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import { ContextArg, KindArg, NamespaceArg, ObjectNameArg } from '../common/arguments.js';
import { parseFieldPath, valuesAt, valuesText, type FieldPath } from '../common/field-paths.js';
import { getObject, qualifiedResource } from '../common/objects.js';
import { podReady, podStatus } from '../common/pods.js';
import { isWorkload, kindId, refText, resolveObjectRef } from '../common/refs.js';
import { podsOfWorkload, type KObject } from '../common/workloads.js';

const POLL_MS = 1000;
const DEFAULT_TIMEOUT_S = 60;
const MAX_TIMEOUT_S = 600;
const ROLLOUT_KINDS = ['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet'];

type Goal =
  | { type: 'rollout' }
  | { type: 'delete' }
  | { type: 'condition'; condition: string; status: string }
  | { type: 'jsonpath'; text: string; path: FieldPath; value: string };

/** Where the object stands: `done`, still waiting (with what it is at), or failed for good. */
type State = { done: true; text: string } | { done: false; text: string; failed?: string };

export default defineTool({
  name: 'wait_for',
  title: 'Wait for a rollout/condition',
  description:
    'kubectl rollout status / wait: until a rollout completes, a condition or field holds, or the object is gone; on timeout, the blocker. ' +
    'Example: {"name":"deploy/web"}',
  safety: 'read',
  needs: ['clusters'],
  input: Type.Object(
    {
      name: ObjectNameArg,
      kind: Type.Optional(KindArg),
      for: Type.Optional(
        Type.String({ description: 'rollout (default: deploy, sts, ds), delete, condition=Ready[=False], jsonpath={.status.phase}=Running.' }),
      ),
      timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TIMEOUT_S, default: DEFAULT_TIMEOUT_S, description: 'Give up after this long.' })),
      context: ContextArg,
      namespace: NamespaceArg,
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const { kind, name } = await resolveObjectRef(handle, { field: 'name', ref: input.name, kind: input.kind, kindArgument: true }, ctx.signal);
    const goal = parseGoal(input.for, kind);
    const namespace = kind.namespaced ? (input.namespace ?? handle.namespace) : undefined;
    const ref = refText(kind, name);
    const where = `${namespace ? `namespace ${namespace}, ` : ''}context ${handle.context}`;
    const timeoutS = input.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
    const started = Date.now();
    const deadline = started + timeoutS * 1000;
    let last = '';
    let object: KObject | undefined;
    for (;;) {
      object = await read(handle, kind, namespace, name, goal, ctx.signal);
      const state = judge(goal, object);
      const seconds = Math.round((Date.now() - started) / 1000);
      if (state.done) return `${ref} ${state.text} (${where}; after ${seconds} s).`;
      if (state.failed) throw new ToolError(`${ref} ${state.failed} (${where}).`, 'describe_resource and get_events show why; waiting longer will not help.');
      if (state.text !== last) {
        last = state.text;
        await ctx.progress(seconds, timeoutS, `${ref}: ${state.text}`);
      }
      if (Date.now() >= deadline) {
        const stuck = object && goal.type !== 'delete' && isWorkload(kind) ? await stuckPods(handle, kind, object, ctx.signal) : [];
        throw new ToolError(
          `${ref} did not ${goalText(goal)} within ${timeoutS} s (${where}): ${state.text}.${stuck.length ? `\n${stuck.join('\n')}` : ''}`,
          stuck.length
            ? 'The pods above say what the rollout waits for; describe_resource on one of them and get_events show the details.'
            : 'describe_resource shows its state; call wait_for again with a larger timeoutSeconds if it is still progressing.',
        );
      }
      await sleep(Math.min(POLL_MS, deadline - Date.now()), undefined, { signal: ctx.signal });
    }
  },
});

function parseGoal(text: string | undefined, kind: ResolvedKind): Goal {
  const rolls = ROLLOUT_KINDS.includes(kindId(kind));
  const spec = text?.trim();
  if (!spec) {
    if (rolls) return { type: 'rollout' };
    throw new ToolError(`for: missing; a ${kind.kind} has no rollout to wait for.`, 'Pass "condition=Ready", "jsonpath={.status.phase}=Running" or "delete".');
  }
  if (spec === 'rollout') {
    if (!rolls)
      throw new ToolError(
        `for: a ${kind.kind} has no rollout; rollout is for Deployments, StatefulSets and DaemonSets.`,
        'Wait for a condition or a field instead.',
      );
    return { type: 'rollout' };
  }
  if (spec === 'delete') return { type: 'delete' };
  const condition = /^condition=([A-Za-z][\w.-]*)(?:=(True|False|Unknown))?$/i.exec(spec);
  if (condition) return { type: 'condition', condition: condition[1]!, status: capitalised(condition[2] ?? 'True') };
  const jsonpath = /^jsonpath=(\{[^}]*\}|\.[^=]*)=(.+)$/s.exec(spec);
  if (jsonpath) {
    const text = jsonpath[1]!.replace(/^\{(.*)\}$/s, '$1');
    return { type: 'jsonpath', text, path: parseFieldPath(text, 'for'), value: jsonpath[2]!.replace(/^(['"])(.*)\1$/, '$2') };
  }
  throw new ToolError(
    `for: "${text}" is not something wait_for can wait for.`,
    'Use rollout, delete, condition=<Type>[=True|False|Unknown], or jsonpath={.dotted.path}=<value> (as kubectl wait --for).',
  );
}

function capitalised(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1).toLowerCase();
}

function goalText(goal: Goal): string {
  switch (goal.type) {
    case 'rollout':
      return 'finish rolling out';
    case 'delete':
      return 'go away';
    case 'condition':
      return `reach condition ${goal.condition}=${goal.status}`;
    case 'jsonpath':
      return `reach ${goal.text} = ${goal.value}`;
  }
}

/** The object now; for a delete, undefined once it is gone (otherwise a 404 is the error getObject explains, with near names). */
async function read(
  handle: ClusterHandle,
  kind: ResolvedKind,
  namespace: string | undefined,
  name: string,
  goal: Goal,
  signal: AbortSignal,
): Promise<KObject | undefined> {
  if (goal.type !== 'delete') return getObject<KObject>(handle, kind, namespace, name, signal);
  try {
    return (await handle.request(resourcePath(kind, { ...(namespace ? { namespace } : {}), name }), { signal })).json<KObject>();
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw handle.describeError(err, { verb: 'get', resource: qualifiedResource(kind), name, ...(namespace ? { namespace } : {}) });
  }
}

function judge(goal: Goal, obj: KObject | undefined): State {
  if (goal.type === 'delete')
    return obj ? { done: false, text: obj.metadata.deletionTimestamp ? 'is being deleted' : 'still exists' } : { done: true, text: 'is deleted' };
  if (!obj) return { done: false, text: 'does not exist' };
  if (goal.type === 'condition') {
    const found = ((obj.status?.conditions ?? []) as Array<{ type?: string; status?: string; reason?: string; message?: string }>).find(
      (c) => c.type?.toLowerCase() === goal.condition.toLowerCase(),
    );
    if (found?.status === goal.status) return { done: true, text: `has condition ${found.type}=${found.status}` };
    return {
      done: false,
      text: found
        ? `condition ${found.type} is ${found.status}${found.reason ? ` (${found.reason}${found.message ? `: ${found.message}` : ''})` : ''}`
        : `has no condition ${goal.condition} yet`,
    };
  }
  if (goal.type === 'jsonpath') {
    const values = valuesAt(obj, goal.path);
    const shown = values.length ? valuesText(values) : 'unset';
    return shown === goal.value ? { done: true, text: `has ${goal.text} = ${shown}` } : { done: false, text: `${goal.text} is ${shown}` };
  }
  return rolloutState(obj);
}

/** kubectl rollout status's rules, per kind. */
function rolloutState(obj: KObject): State {
  const spec = obj.spec ?? {};
  const st = obj.status ?? {};
  if ((st.observedGeneration ?? 0) < (obj.metadata.generation ?? 0)) return { done: false, text: 'waiting for the controller to see the change' };
  switch (obj.kind) {
    case 'Deployment': {
      const progressing = ((st.conditions ?? []) as Array<{ type: string; reason?: string }>).find((c) => c.type === 'Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded')
        return { done: false, text: 'stopped progressing', failed: 'exceeded its progress deadline: the rollout has failed' };
      const want = spec.replicas ?? 1;
      const updated = st.updatedReplicas ?? 0;
      if (updated < want) return { done: false, text: `${updated} of ${want} replicas updated` };
      if ((st.replicas ?? 0) > updated) return { done: false, text: `${(st.replicas ?? 0) - updated} old replicas pending termination` };
      if ((st.availableReplicas ?? 0) < updated) return { done: false, text: `${st.availableReplicas ?? 0} of ${updated} updated replicas available` };
      return { done: true, text: `rolled out: ${updated} of ${want} replicas updated and available` };
    }
    case 'StatefulSet': {
      if (spec.updateStrategy?.type === 'OnDelete')
        return { done: true, text: 'uses the OnDelete strategy: pods change only when deleted, so there is no rollout to wait for' };
      const want = spec.replicas ?? 1;
      const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      const ready = st.readyReplicas ?? 0;
      if (ready < want) return { done: false, text: `${ready} of ${want} pods ready` };
      const updated = st.updatedReplicas ?? 0;
      if (partition > 0) {
        return updated >= want - partition
          ? { done: true, text: `rolled out: ${updated} pods updated (partition ${partition} keeps the rest)` }
          : { done: false, text: `${updated} of ${want - partition} pods updated (partition ${partition})` };
      }
      if (st.updateRevision && st.currentRevision !== st.updateRevision) return { done: false, text: `${updated} of ${want} pods updated` };
      return { done: true, text: `rolled out: ${want} pods ready at revision ${st.currentRevision ?? '?'}` };
    }
    case 'DaemonSet': {
      if (spec.updateStrategy?.type === 'OnDelete') return { done: true, text: 'uses the OnDelete strategy: there is no rollout to wait for' };
      const want = st.desiredNumberScheduled ?? 0;
      const updated = st.updatedNumberScheduled ?? 0;
      if (updated < want) return { done: false, text: `${updated} of ${want} scheduled pods updated` };
      const available = st.numberAvailable ?? 0;
      if (available < want) return { done: false, text: `${available} of ${want} updated pods available` };
      return { done: true, text: `rolled out: ${available} of ${want} pods updated and available` };
    }
    default:
      return { done: false, text: `is a ${obj.kind}, which has no rollout`, failed: 'has no rollout status' };
  }
}

/** The workload's pods that are not ready, each with what it waits for (at most ten). */
async function stuckPods(handle: ClusterHandle, kind: ResolvedKind, obj: KObject, signal: AbortSignal): Promise<string[]> {
  let pods: KObject[];
  try {
    pods = (await podsOfWorkload(handle, kind, obj, signal)).pods;
  } catch {
    return [];
  }
  const waiting = pods.filter((p) => !isReady(p));
  const lines = waiting.slice(0, 10).map((p) => {
    const scheduled = ((p.status?.conditions ?? []) as Array<{ type: string; status: string; reason?: string; message?: string }>).find(
      (c) => c.type === 'PodScheduled',
    );
    const why = scheduled?.status === 'False' ? ` — ${scheduled.reason ?? 'not scheduled'}${scheduled.message ? `: ${scheduled.message}` : ''}` : '';
    return `  pod ${p.metadata.name}: ${podStatus(p)}, ${podReady(p)} ready${why}`;
  });
  if (!lines.length) return [];
  return [`Pods not ready (${waiting.length} of ${pods.length}):`, ...lines, ...(waiting.length > 10 ? [`  … and ${waiting.length - 10} more`] : [])];
}

function isReady(pod: KObject): boolean {
  return ((pod.status?.conditions ?? []) as Array<{ type: string; status: string }>).some((c) => c.type === 'Ready' && c.status === 'True');
}
