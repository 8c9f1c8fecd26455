/**
 * get_events: recent Events of a namespace, of all namespaces, or of one object; for a workload
 * also those of what it owns (a Deployment's ReplicaSets and pods, a CronJob's Jobs and their
 * pods), including pods that are already gone, which is usually where the story is.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import { AllNamespacesArg, ContextArg, NamespaceArg } from '../common/arguments.js';
import { lastSeen, listEvents, renderEvents, type KEvent } from '../common/events.js';
import { bodyBudget } from '../common/budget.js';
import { getObject } from '../common/objects.js';
import { refText, resolveWorkloadPods } from '../common/workloads.js';

const WORKLOAD_KINDS = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet', 'batch/Job', 'batch/CronJob']);
/** The alphabet Kubernetes uses for generated name suffixes and pod-template hashes. */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';

const input = Type.Object(
  {
    context: ContextArg,
    namespace: NamespaceArg,
    allNamespaces: AllNamespacesArg,
    object: Type.Optional(Type.String({ minLength: 3, description: 'kind/name: pod/x, node/x, deploy/web, …' })),
    type: Type.Optional(Type.String({ description: 'Warning or Normal.' })),
    sinceSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'Only the last N seconds.' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, description: 'Newest N only.' })),
  },
  { additionalProperties: false },
);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Matcher {
  label: string;
  match(e: KEvent): boolean;
}

export default defineTool({
  name: 'get_events',
  title: 'Kubernetes events',
  description:
    "Events (kubectl get events), newest last; for a workload also its ReplicaSets', Jobs' and pods'. " + 'Example: {"object":"deploy/web","type":"Warning"}',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input,
  async run(args, ctx) {
    const handle = await ctx.clusters.get(args.context);
    const all = args.allNamespaces === true && !args.object;
    const namespace = args.namespace ?? handle.namespace;
    // Event types are capitalised (Normal, Warning); accept them as people type them.
    const type = args.type && /^(normal|warning)$/i.test(args.type) ? args.type[0]!.toUpperCase() + args.type.slice(1).toLowerCase() : args.type;
    if (type !== undefined && !/^[A-Za-z0-9]+$/.test(type)) throw new ToolError(`type: "${type}" is not an event type.`, 'Use "Warning" or "Normal".');
    const typeSelector = type ? `type=${type}` : '';
    const notes: string[] = [];
    let events: KEvent[];
    let capped = false;
    let matcher: Matcher | undefined;
    let listNamespace: string | undefined = all ? undefined : namespace;

    if (args.object) {
      const slash = args.object.indexOf('/');
      if (slash <= 0 || slash === args.object.length - 1 || args.object.indexOf('/', slash + 1) !== -1) {
        throw new ToolError(`object: "${args.object}" is not kind/name.`, 'Write it like pod/web-0, deploy/web, node/worker-1 or configmap/app.');
      }
      const kind = await handle.resolveKind(args.object.slice(0, slash), ctx.signal);
      const name = args.object.slice(slash + 1);
      if (args.allNamespaces)
        notes.push('allNamespaces is ignored with object: the object is looked up in namespace ' + (kind.namespaced ? `"${namespace}"` : '(cluster-scoped)'));
      if (WORKLOAD_KINDS.has(`${kind.group}/${kind.kind}`)) {
        const w = await resolveWorkloadPods(handle, args.object, namespace, ctx.signal);
        const exact = new Set<string>([`${kind.kind}/${name}`]);
        for (const p of w.pods) exact.add(`Pod/${p.metadata.name}`);
        for (const r of w.replicaSets) exact.add(`ReplicaSet/${r.metadata.name}`);
        for (const j of w.jobs) exact.add(`Job/${j.metadata.name}`);
        const n = escape(name);
        const patterns: Array<[string, RegExp]> = [];
        const owned: string[] = [];
        switch (kind.kind) {
          case 'Deployment': {
            const rsNames = [...w.replicaSets.map((r) => escape(r.metadata.name)), `${n}-${SAFE}{6,10}`];
            patterns.push(['ReplicaSet', new RegExp(`^${n}-${SAFE}{6,10}$`)], ['Pod', new RegExp(`^(${rsNames.join('|')})-${SAFE}{5}$`)]);
            owned.push('ReplicaSets', 'pods');
            break;
          }
          case 'StatefulSet':
            patterns.push(['Pod', new RegExp(`^${n}-\\d+$`)]);
            owned.push('pods');
            break;
          case 'CronJob': {
            const jobNames = [...w.jobs.map((j) => escape(j.metadata.name)), `${n}-\\d+`];
            patterns.push(['Job', new RegExp(`^${n}-\\d+$`)], ['Pod', new RegExp(`^(${jobNames.join('|')})-${SAFE}{5}$`)]);
            owned.push('Jobs', 'pods');
            break;
          }
          default:
            patterns.push(['Pod', new RegExp(`^${n}-${SAFE}{5}$`)]);
            owned.push('pods');
        }
        matcher = {
          label: `${refText(kind, name)} and its ${owned.join(' and ')}`,
          match: (e) => {
            const k = e.involvedObject.kind ?? '';
            const nm = e.involvedObject.name ?? '';
            return exact.has(`${k}/${nm}`) || patterns.some(([pk, re]) => pk === k && re.test(nm));
          },
        };
        ({ events, capped } = await listEvents(handle, { namespace, fieldSelector: typeSelector, signal: ctx.signal }));
      } else {
        // One object: let the API server filter. Cluster-scoped objects' events may be in any namespace.
        listNamespace = kind.namespaced ? namespace : undefined;
        const fieldSelector = [`involvedObject.kind=${kind.kind}`, `involvedObject.name=${name}`, typeSelector].filter(Boolean).join(',');
        ({ events, capped } = await listEvents(handle, { ...(listNamespace ? { namespace: listNamespace } : {}), fieldSelector, signal: ctx.signal }));
        matcher = { label: refText(kind, name), match: () => true };
        if (events.length === 0) await getObject(handle, kind, namespace, name, ctx.signal); // a missing object is an error, with near names
      }
    } else {
      ({ events, capped } = await listEvents(handle, {
        ...(listNamespace ? { namespace: listNamespace } : {}),
        fieldSelector: typeSelector,
        signal: ctx.signal,
      }));
    }

    const total = events.length;
    if (matcher) events = events.filter((e) => matcher.match(e));
    if (args.sinceSeconds) {
      const from = Date.now() - args.sinceSeconds * 1000;
      events = events.filter((e) => (new Date(lastSeen(e)).getTime() || 0) >= from);
    }
    events.sort((a, b) => (new Date(lastSeen(a)).getTime() || 0) - (new Date(lastSeen(b)).getTime() || 0));
    let limited = 0;
    if (args.limit && events.length > args.limit) {
      limited = events.length - args.limit;
      events = events.slice(-args.limit);
    }

    const scope = listNamespace ? `namespace "${listNamespace}"` : 'all namespaces';
    const filters = [type ? `type ${type}` : '', args.sinceSeconds ? `last ${args.sinceSeconds}s` : ''].filter(Boolean).join(', ');
    const what = `${matcher ? `Events of ${matcher.label}` : 'Events'} in ${scope}${filters ? ` (${filters})` : ''}`;
    if (capped) notes.push(`read only the first ${total} events of ${scope}; there are more — narrow with object, type or a namespace`);
    if (events.length === 0) {
      return [`${what}: none.`, ...notes.map((n) => `[${n}]`), '[Events are kept for about an hour by default; older ones are gone.]'].join('\n');
    }
    const { text, dropped } = renderEvents(events, { budget: bodyBudget(ctx.settings, 1536), namespaceColumn: !listNamespace });
    if (dropped + limited > 0) {
      notes.push(
        `left out the ${dropped + limited} oldest of ${events.length + limited} events${dropped ? ' to fit the output budget' : ''}; narrow with type, sinceSeconds or object`,
      );
    }
    return [`${what}: ${events.length + limited}, newest last`, text, ...(notes.length ? ['', ...notes.map((n) => `[${n}]`)] : [])].join('\n');
  },
});
