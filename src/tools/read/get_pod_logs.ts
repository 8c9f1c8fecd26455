/**
 * get_pod_logs: the log of one pod's container, or the merged logs of a workload's pods.
 *
 * Lines are always requested with timestamps so a workload's pods can be merged in time order;
 * the timestamps are stripped again unless asked for. The filter runs before the budget, and the
 * budget keeps the newest lines, so a model always sees the end of the log and is told what was
 * left out and how to narrow the request.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import { namespaceSegment, objectNameSegment } from '../../providers/cluster/discovery.js';
import { ContextArg, NamespaceArg, SinceSecondsArg } from '../common/arguments.js';
import { age } from '../common/format.js';
import { compilePattern } from '../common/patterns.js';
import { bodyBudget, clip, keepNewest } from '../common/budget.js';
import { timeSlicer } from '../common/time-slices.js';
import { refText } from '../common/refs.js';
import { containersOf, DEFAULT_CONTAINER_ANNOTATION, pickContainer } from '../common/pods.js';
import { resolveWorkloadPods, type KObject } from '../common/workloads.js';

const MAX_PODS = 10;
/** With a filter, this many of each container's newest lines are scanned for matches. */
const FILTER_SCAN_LINES = 20_000;

const input = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Pod, or deploy/x, sts/x, ds/x, rs/x, job/x, cj/x (newest Job).' }),
    context: ContextArg,
    namespace: NamespaceArg,
    container: Type.Optional(Type.String({ description: 'Default: the only or the annotated one.' })),
    tailLines: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'Per container, after filter.' })),
    sinceSeconds: SinceSecondsArg,
    previous: Type.Optional(Type.Boolean({ description: 'The run before the last restart.' })),
    timestamps: Type.Optional(Type.Boolean({ description: 'Prefix RFC 3339 times.' })),
    filter: Type.Optional(Type.String({ description: 'Substring, or /regex/flags.' })),
  },
  { additionalProperties: false },
);

interface Line {
  /** Sortable timestamp: RFC 3339 with 9 fraction digits, '' when the line had none. */
  sortKey: string;
  stamp: string;
  text: string;
  pod: number;
  index: number;
}

/** `/pattern/flags` → a linear-time RE2 test (patterns.ts); anything else → substring match. */
export function compileFilter(filter: string | undefined): ((line: string) => boolean) | undefined {
  if (!filter) return undefined;
  const m = /^\/(.+)\/([a-z]*)$/s.exec(filter);
  if (!m) return (line) => line.includes(filter);
  const alternative = 'Or write the text without surrounding slashes to match it as a plain substring.';
  return compilePattern(m[1]!, { field: 'filter', flags: m[2]!, alternative });
}

/** Splits `2024-01-02T03:04:05.123456789Z text` into a sortable key and the text. */
function parseLine(raw: string): { sortKey: string; stamp: string; text: string } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d) ?(.*)$/s.exec(raw);
  if (!m) return { sortKey: '', stamp: '', text: raw };
  let base = m[1]!;
  const zone = m[3]!;
  if (zone !== 'Z') {
    const t = new Date(`${base}${zone}`);
    if (!Number.isNaN(t.getTime())) base = t.toISOString().slice(0, 19);
  }
  const fraction = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  return { sortKey: `${base}.${fraction}Z`, stamp: raw.slice(0, raw.length - m[4]!.length).trim(), text: m[4]! };
}

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { reason?: string; exitCode?: number; finishedAt?: string };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string; message?: string } };
}

function statusOf(pod: KObject, container: string): ContainerStatus | undefined {
  const all = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ] as ContainerStatus[];
  return all.find((s) => s.name === container);
}

/** Why a container has produced no log yet, or undefined when it has started. */
function notStarted(pod: KObject, container: string): string | undefined {
  const st = statusOf(pod, container);
  if (st?.state?.running || st?.state?.terminated || st?.lastState?.terminated) return undefined;
  const phase = pod.status?.phase ?? 'Pending';
  const reasons: string[] = [];
  if (st?.state?.waiting)
    reasons.push(
      `container "${container}" is waiting: ${st.state.waiting.reason ?? 'unknown reason'}${st.state.waiting.message ? ` (${st.state.waiting.message})` : ''}`,
    );
  const scheduled = ((pod.status?.conditions ?? []) as Array<{ type: string; status: string; reason?: string; message?: string }>).find(
    (c) => c.type === 'PodScheduled',
  );
  if (scheduled && scheduled.status !== 'True')
    reasons.push(`not scheduled: ${scheduled.reason ?? ''}${scheduled.message ? ` (${scheduled.message})` : ''}`.trim());
  else if (!pod.spec?.nodeName) reasons.push('not scheduled to a node yet');
  if (!st && pod.spec?.nodeName) reasons.push(`container "${container}" has not been created yet`);
  for (const init of (pod.status?.initContainerStatuses ?? []) as ContainerStatus[]) {
    if (init.name === container || init.state?.terminated?.exitCode === 0) continue;
    const state = init.state?.running
      ? 'running'
      : init.state?.terminated
        ? `failed (${init.state.terminated.reason ?? `exit ${init.state.terminated.exitCode}`})`
        : `waiting (${init.state?.waiting?.reason ?? 'not started'})`;
    reasons.push(`init container "${init.name}" is ${state}; read its log with container "${init.name}"`);
    break;
  }
  if (pod.status?.reason || pod.status?.message) reasons.push(`${pod.status.reason ?? ''} ${pod.status.message ?? ''}`.trim());
  if (phase !== 'Pending' && reasons.length === 0) return undefined;
  return `pod ${pod.metadata.name} has not started (phase ${phase}): ${reasons.length ? reasons.join('; ') : 'no reason reported yet'}`;
}

/** A note pointing at `previous` for a container that restarted or is crash-looping. */
function restartNote(pod: KObject, container: string): string | undefined {
  const st = statusOf(pod, container);
  if (!st) return undefined;
  const crash = st.state?.waiting?.reason === 'CrashLoopBackOff';
  const restarts = st.restartCount ?? 0;
  if (!crash && restarts === 0) return undefined;
  const last = st.lastState?.terminated;
  const lastText = last
    ? `; last run ended ${last.reason ?? 'terminated'}${last.exitCode !== undefined ? ` (exit ${last.exitCode})` : ''}${last.finishedAt ? ` ${age(last.finishedAt)} ago` : ''}`
    : '';
  return `container "${container}" of pod ${pod.metadata.name} ${crash ? 'is crash-looping (CrashLoopBackOff), ' : ''}restarted ${restarts} time${restarts === 1 ? '' : 's'}${lastText}: previous=true shows the log of the run before the restart.`;
}

interface Fetched {
  lines: Array<{ sortKey: string; stamp: string; text: string }>;
  /** Lines read before the filter. */
  scanned: number;
}

async function fetchLog(
  handle: ClusterHandle,
  namespace: string,
  pod: string,
  container: string,
  args: { tailLines: number; sinceSeconds?: number; previous?: boolean; filter?: (line: string) => boolean },
  signal: AbortSignal,
): Promise<Fetched> {
  const path = `/api/v1/namespaces/${namespaceSegment(namespace)}/pods/${objectNameSegment(pod)}/log`;
  let body: ReadableStream<Uint8Array>;
  try {
    ({ body } = await handle.stream(path, {
      accept: '*/*',
      signal,
      query: {
        container,
        timestamps: true,
        tailLines: args.filter ? Math.max(args.tailLines, FILTER_SCAN_LINES) : args.tailLines,
        sinceSeconds: args.sinceSeconds,
        previous: args.previous ? true : undefined,
      },
    }));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const said = (err as { body?: { message?: string } }).body?.message;
    if (code === 400 && said) {
      if (args.previous && /previous terminated container/i.test(said)) {
        throw new ToolError(
          `pod ${pod}, container "${container}" has no previous run to show (${said}).`,
          'Call again without previous to read the current run.',
        );
      }
      throw new ToolError(`pod ${pod}, container "${container}": ${said}`, 'describe_resource on the pod shows its state and events.');
    }
    throw handle.describeError(err, { verb: 'get', resource: 'pods/log', namespace, name: pod });
  }
  // Streamed line by line so a long tail never sits in memory whole: only the newest `tailLines`
  // matching lines are kept, each clipped, while every line read is counted.
  const kept: Fetched['lines'] = [];
  let scanned = 0;
  let lastKey = '';
  const take = (raw: string) => {
    scanned++;
    const p = parseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    if (p.sortKey) lastKey = p.sortKey;
    else p.sortKey = lastKey;
    if (args.filter && !args.filter(p.text)) return;
    p.text = clip(p.text);
    kept.push(p);
    if (kept.length > args.tailLines * 2) kept.splice(0, kept.length - args.tailLines);
  };
  const decoder = new TextDecoder();
  let partial = '';
  const reader = body.getReader();
  // Filtering thousands of lines is real work: pause for other sessions between slices of it.
  const slicer = timeSlicer();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const parts = (partial + decoder.decode(value, { stream: true })).split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        take(line);
        if (slicer.due()) await slicer.pause();
      }
    }
    partial += decoder.decode();
    if (partial !== '') take(partial);
  } catch (err) {
    throw handle.describeError(err, { verb: 'get', resource: 'pods/log', namespace, name: pod });
  } finally {
    reader.releaseLock();
  }
  return { lines: kept.slice(-args.tailLines), scanned };
}

export default defineTool({
  name: 'get_pod_logs',
  title: 'Pod or workload logs',
  description:
    "Logs (kubectl logs) of a pod, or a workload's pods merged in time order; newest lines, saying what was cut. " +
    'Example: {"name":"deploy/web","filter":"/error/i"}',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input,
  async run(args, ctx) {
    const handle = await ctx.clusters.get(args.context);
    const namespace = args.namespace ?? handle.namespace;
    const tailLines = args.tailLines ?? 100;
    const filter = compileFilter(args.filter);
    const workload = await resolveWorkloadPods(handle, args.name, namespace, ctx.signal);
    const isPod = workload.kind.kind === 'Pod' && !workload.kind.group;
    const label = isPod ? `pod ${workload.name}` : refText(workload.kind, workload.name);
    const notes: string[] = [];

    let pods = workload.pods;
    if (pods.length === 0) {
      const why =
        workload.kind.kind === 'CronJob'
          ? workload.job
            ? `its newest Job ${workload.job.metadata.name} has no pods left`
            : 'it has not created any Job yet'
          : 'it has no pods';
      throw new ToolError(
        `${label} in namespace "${namespace}" has no logs to show: ${why}.`,
        `describe_resource on ${refText(workload.kind, workload.name)} and get_events show why.`,
      );
    }
    if (pods.length > MAX_PODS) {
      const running = pods.filter((p) => p.status?.phase === 'Running');
      const rest = pods.filter((p) => p.status?.phase !== 'Running');
      const chosen = [...running, ...rest].slice(0, MAX_PODS);
      notes.push(
        `showing ${MAX_PODS} of ${pods.length} pods (running and newest first); name one pod to read another: ${pods
          .filter((p) => !chosen.includes(p))
          .slice(0, 5)
          .map((p) => p.metadata.name)
          .join(', ')}${pods.length - MAX_PODS > 5 ? ', …' : ''}`,
      );
      pods = chosen;
    }
    pods = [...pods].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

    // The container, per pod: a workload's pods share a template, except mid-rollout, when a pod
    // without the container is skipped with a note rather than failing the whole call.
    const skipped: string[] = [];
    const picked = pods.map((p) => {
      try {
        return { pod: p, container: pickContainer(p, args.container, isPod ? `pod ${p.metadata.name}` : `${label} (pod ${p.metadata.name})`) };
      } catch (err) {
        return { pod: p, error: err as Error };
      }
    });
    const usable = picked.filter((x): x is { pod: KObject; container: string } => 'container' in x);
    if (usable.length === 0) throw picked[0]!.error;
    for (const x of picked) if ('error' in x) skipped.push(`pod ${x.pod.metadata.name}: ${x.error!.message}`);
    pods = usable.map((x) => x.pod);
    const containers = usable.map((x) => x.container);

    const fetched: Array<Fetched | undefined> = [];
    await Promise.all(
      pods.map(async (pod, i) => {
        const container = containers[i]!;
        if (!args.previous) {
          const why = notStarted(pod, container);
          if (why) {
            skipped.push(why);
            return;
          }
        }
        try {
          fetched[i] = await fetchLog(
            handle,
            namespace,
            pod.metadata.name,
            container,
            {
              tailLines,
              previous: args.previous,
              ...(args.sinceSeconds ? { sinceSeconds: args.sinceSeconds } : {}),
              ...(filter ? { filter } : {}),
            },
            ctx.signal,
          );
        } catch (err) {
          if (isPod) throw err;
          skipped.push(`pod ${pod.metadata.name}: ${(err as Error).message}`);
        }
        if (!args.previous) {
          const note = restartNote(pod, container);
          if (note) notes.push(note);
        }
      }),
    );

    if (isPod && skipped.length) {
      throw new ToolError(`No logs yet: ${skipped[0]}.`, `describe_resource pod/${workload.name} and get_events show why it has not started.`);
    }
    if (!fetched.some(Boolean)) {
      const shown = skipped.slice(0, 3).join('; ');
      throw new ToolError(
        `No logs from ${label}: none of its ${pods.length + picked.length - usable.length} pods could be read. ${shown}${skipped.length > 3 ? `; and ${skipped.length - 3} more` : ''}.`,
        `describe_resource ${refText(workload.kind, workload.name)} and get_events with object ${refText(workload.kind, workload.name)} show why.`,
      );
    }

    const lines: Line[] = [];
    fetched.forEach((f, pod) => {
      for (const [index, l] of (f?.lines ?? []).entries()) lines.push({ ...l, pod, index });
    });
    if (!isPod) lines.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : a.pod - b.pod || a.index - b.index));
    const render = (l: Line) => clip(`${isPod ? '' : `[${pods[l.pod]!.metadata.name}] `}${args.timestamps && l.stamp ? `${l.stamp} ` : ''}${l.text}`);
    const rendered = lines.map(render);
    const { kept, dropped } = keepNewest(rendered, bodyBudget(ctx.settings, 1536));

    const out: string[] = [];
    if (!isPod) {
      const containerText = new Set(containers).size === 1 ? `container "${containers[0]}"` : 'containers per pod';
      out.push(
        `${label}${workload.job && workload.kind.kind === 'CronJob' ? ` (newest Job ${workload.job.metadata.name})` : ''}: ${pods.length} pod${pods.length === 1 ? '' : 's'}, ${containerText}${args.previous ? ', previous runs' : ''}, up to ${tailLines} newest lines each${filter ? ' matching the filter' : ''}, oldest first`,
      );
    }
    out.push(...kept);
    if (kept.length === 0) {
      const scanned = fetched.reduce((n, f) => n + (f?.scanned ?? 0), 0);
      const since = args.sinceSeconds ? ` in the last ${args.sinceSeconds}s` : '';
      out.push(
        filter
          ? `(no line${since} matches ${args.filter}; scanned ${scanned} line${scanned === 1 ? '' : 's'}${isPod ? '' : ' across the pods'})`
          : `(no log lines${since}${args.previous ? ' in the previous run' : ''})`,
      );
    }
    const tail: string[] = [];
    if (dropped > 0) {
      tail.push(
        `[dropped the ${dropped} oldest of ${rendered.length} lines to fit the output budget; narrow with a smaller tailLines, sinceSeconds or a filter${isPod ? '' : ', or name one pod'}]`,
      );
    }
    if (isPod && args.container === undefined) {
      const c = containersOf(pods[0]!);
      if (c.all.length > 1)
        tail.push(
          `[container "${containers[0]}" (from the ${DEFAULT_CONTAINER_ANNOTATION} annotation); the others: ${c.all.filter((n) => n !== containers[0]).join(', ')}]`,
        );
    }
    for (const s of skipped) tail.push(`[skipped ${s}]`);
    for (const n of notes) tail.push(`[${n}]`);
    if (tail.length) out.push('', ...tail);
    return out.join('\n');
  },
});
