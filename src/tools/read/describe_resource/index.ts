/**
 * describe_resource: a `kubectl describe`-style summary written for diagnosis, then the object's
 * recent events. Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Nodes
 * and Services get a purpose-made form; every other kind gets metadata plus its spec, status and
 * other fields as compact YAML within the budget. Secrets show keys and sizes, never values.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../../kernel/contract.js';
import type { ResolvedKind } from '../../../providers/cluster/discovery.js';
import { indent } from './format.js';
import { byLastSeen, listEvents, renderEvents } from '../../common/events.js';
import { bodyBudget } from '../../common/budget.js';
import { getObject } from '../../common/objects.js';
import { isWorkload, kindId, resolveObjectRef } from '../../common/refs.js';
import type { KObject } from '../../common/workloads.js';
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import { ContextArg, KindArg, NamespaceArg, ObjectNameArg } from '../../common/arguments.js';
import { header, type Lines } from './header.js';
import { describeIngress, describeService } from './network.js';
import { describeNode } from './nodes.js';
import { describeClaim, describeGeneric } from './other.js';
import { describePod } from './pods.js';
import { describeWorkload } from './workloads.js';

const MAX_EVENTS = 30;

const input = Type.Object(
  {
    kind: Type.Optional(KindArg),
    name: ObjectNameArg,
    context: ContextArg,
    namespace: NamespaceArg,
  },
  { additionalProperties: false },
);

async function eventsOf(handle: ClusterHandle, obj: KObject, kind: ResolvedKind, budget: number, signal: AbortSignal): Promise<Lines> {
  const selector = [
    `involvedObject.kind=${kind.kind}`,
    `involvedObject.name=${obj.metadata.name}`,
    // The kubelet reports node events with the node's name as uid, the controllers with the real
    // uid (kubectl describe node merges both), so nodes are matched by kind and name only.
    ...(obj.metadata.uid && kind.kind !== 'Node' ? [`involvedObject.uid=${obj.metadata.uid}`] : []),
  ].join(',');
  try {
    const ns = kind.namespaced ? obj.metadata.namespace : undefined;
    const { events } = await listEvents(handle, { ...(ns ? { namespace: ns } : {}), fieldSelector: selector, signal });
    const more = isWorkload(kind)
      ? [
          `  [with the events of its pods${kind.kind === 'Deployment' ? ' and ReplicaSets' : kind.kind === 'CronJob' ? ' and Jobs' : ''}: get_events with object ${kind.kind.toLowerCase()}/${obj.metadata.name}]`,
        ]
      : [];
    if (!events.length) return ['Events: <none> (events are kept for about an hour)', ...more];
    const newest = [...events].sort(byLastSeen).slice(-MAX_EVENTS);
    const { text, dropped } = renderEvents(newest, { budget, objectColumn: false });
    const omitted = events.length - newest.length + dropped;
    return [
      `Events (${events.length}, newest last):`,
      ...indent(text),
      ...(omitted
        ? [`  [${omitted} older event${omitted === 1 ? '' : 's'} not shown; get_events with object ${kind.kind.toLowerCase()}/${obj.metadata.name} lists them]`]
        : []),
      ...more,
    ];
  } catch (err) {
    return [`Events: cannot read them (${(err as Error).message})`];
  }
}

export default defineTool({
  name: 'describe_resource',
  title: 'Describe a resource',
  description: 'kubectl describe: what is wrong with one object (state, conditions, pods, endpoints, events). ' + 'Example: {"name":"deploy/web"}',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input,
  async run(args, ctx) {
    const handle = await ctx.clusters.get(args.context);
    const { kind, name } = await resolveObjectRef(handle, { field: 'name', ref: args.name, kind: args.kind, kindArgument: true }, ctx.signal);
    if (!kind.verbs.includes('get') && kind.verbs.length)
      throw new ToolError(`${kind.kind} objects cannot be read one by one (verbs: ${kind.verbs.join(', ')}).`);
    const namespace = args.namespace ?? handle.namespace;
    const obj = await getObject<KObject>(handle, kind, namespace, name, ctx.signal);
    const budget = bodyBudget(ctx.settings, 1024);

    const lines = header(obj, kind);
    const id = kindId(kind);
    if (id === '/Pod') lines.push(...describePod(obj));
    else if (isWorkload(kind)) {
      lines.push(...(await describeWorkload(handle, obj, kind, ctx.signal)));
    } else if (id === '/Node') lines.push(...(await describeNode(handle, obj, ctx.signal)));
    else if (id === '/Service') lines.push(...(await describeService(handle, obj, ctx.signal)));
    else if (id === '/PersistentVolumeClaim') lines.push(...(await describeClaim(handle, obj, ctx.signal)));
    else if (id === 'networking.k8s.io/Ingress') lines.push(...(await describeIngress(handle, obj, ctx.signal)));
    else lines.push(...describeGeneric(obj, kind, Math.floor(budget * 0.6)));

    const used = Buffer.byteLength(lines.join('\n'));
    const eventBudget = Math.max(1500, budget - used);
    lines.push(...(await eventsOf(handle, obj, kind, eventBudget, ctx.signal)));
    return lines.join('\n');
  },
});
