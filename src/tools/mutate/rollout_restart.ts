/**
 * rollout_restart: exactly what `kubectl rollout restart` does: a strategic-merge patch that sets
 * `spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]` to now, so the
 * controller replaces the pods by the workload's own update strategy. Deployments, StatefulSets
 * and DaemonSets only; a paused Deployment is refused as kubectl refuses it.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import { ContextArg, NamespaceArg } from '../common/arguments.js';
import { getObject, qualifiedResource } from '../common/objects.js';
import { splitKindName } from '../common/refs.js';

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
const RESTARTABLE = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet']);

interface Workload {
  metadata: { name: string; generation?: number };
  spec?: { paused?: boolean; updateStrategy?: { type?: string } };
}

export default defineTool({
  name: 'rollout_restart',
  title: 'Restart a workload',
  description: 'kubectl rollout restart: new pods for a Deployment, StatefulSet or DaemonSet, by its strategy. Example: {"resource":"deploy/web"}',
  safety: 'safe-mutation',
  needs: ['clusters'],
  input: Type.Object(
    {
      resource: Type.String({ description: 'deploy/x, sts/x or ds/x.' }),
      context: ContextArg,
      namespace: NamespaceArg,
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const { kindText, name } = splitKindName(input.resource, 'deploy/web');
    const handle = await ctx.clusters.get(input.context);
    const kind = await handle.resolveKind(kindText, ctx.signal);
    if (!RESTARTABLE.has(`${kind.group}/${kind.kind}`)) {
      throw new ToolError(
        `rollout_restart works on Deployments, StatefulSets and DaemonSets, not on ${kind.kind} ("${input.resource}").`,
        kind.kind === 'Pod' || kind.kind === 'ReplicaSet'
          ? `Restart the workload that owns it (describe_resource shows its owner), e.g. {"resource": "deploy/<name>"}.`
          : 'Name a deploy/, sts/ or ds/ workload.',
      );
    }
    const namespace = input.namespace ?? handle.namespace;
    const path = handle.pathFor(kind, { namespace, name });
    const info = { resource: qualifiedResource(kind), name, namespace };
    const ref = `${kind.kind.toLowerCase()}/${name}`;
    const where = `namespace ${namespace}, context ${handle.context}`;

    const object = await getObject<Workload>(handle, kind, namespace, name, ctx.signal);
    if (object.spec?.paused) {
      throw new ToolError(
        `${ref} is paused, so a restart would not roll out (${where}); nothing was changed.`,
        'Resume it first (kubectl rollout resume), then restart.',
      );
    }
    // RFC 3339 in UTC, to the second, as kubectl writes it.
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: now } } } } };
    let updated: Workload;
    try {
      updated = (
        await handle.request(path, { method: 'PATCH', body: patch, contentType: 'application/strategic-merge-patch+json', signal: ctx.signal })
      ).json<Workload>();
    } catch (err) {
      throw handle.describeError(err, { verb: 'patch', ...info });
    }
    const onDelete = kind.kind !== 'Deployment' && updated.spec?.updateStrategy?.type === 'OnDelete';
    const follow = onDelete
      ? ` Its updateStrategy is OnDelete, so pods are replaced only when they are deleted.`
      : ` Pods are replaced by its update strategy in the background: follow with get_events {"object": "${ref}"} or list_resources {"kind": "pods", "namespace": "${namespace}"}.`;
    return `${ref} restarted (${where}; ${RESTARTED_AT}=${now}, generation ${updated.metadata.generation ?? '?'}).${follow}`;
  },
});
