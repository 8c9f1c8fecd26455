/**
 * scale: `kubectl scale` through the scale subresource, so it works for Deployments,
 * StatefulSets, ReplicaSets and any custom resource that serves /scale. Risky changes (to 0 from
 * a running workload, a tenfold or larger jump) need the person's confirmation. The patch carries
 * the resourceVersion that was read, so what was confirmed is exactly what changes.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation, ToolError } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import type { ResolvedKind } from '../../providers/cluster/discovery.js';
import { ContextArg, NamespaceArg } from '../common/arguments.js';
import { getObject, qualifiedResource } from '../common/objects.js';
import { splitKindName } from '../common/refs.js';

interface Scale {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number };
  status?: { replicas?: number };
}

export default defineTool({
  name: 'scale',
  title: 'Scale a workload',
  description:
    'kubectl scale a Deployment, StatefulSet, ReplicaSet or CRD with /scale. To 0 or ≥10× asks first. Example: {"resource":"deploy/web","replicas":3}',
  safety: 'safe-mutation',
  needs: ['clusters'],
  input: Type.Object(
    {
      resource: Type.String({ description: 'kind/name, e.g. sts/db.' }),
      replicas: Type.Integer({ minimum: 0, description: 'Desired count.' }),
      context: ContextArg,
      namespace: NamespaceArg,
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const { kindText, name } = splitKindName(input.resource, 'deploy/web');
    const handle = await ctx.clusters.get(input.context);
    const kind = await handle.resolveKind(kindText, ctx.signal);
    if (!kind.subresources.includes('scale')) {
      throw new ToolError(
        `${kind.kind} cannot be scaled: it has no scale subresource.`,
        kind.kind === 'DaemonSet'
          ? 'A DaemonSet runs one pod per matching node; change its nodeSelector or use rollout_restart instead.'
          : 'scale works on Deployments (deploy/), StatefulSets (sts/), ReplicaSets (rs/) and custom resources that serve /scale.',
      );
    }
    const namespace = kind.namespaced ? (input.namespace ?? handle.namespace) : undefined;
    const path = handle.pathFor(kind, { ...(namespace ? { namespace } : {}), name, subresource: 'scale' });
    const info = { resource: `${qualifiedResource(kind)}/scale`, name, ...(namespace ? { namespace } : {}) };
    const ref = `${kind.kind.toLowerCase()}/${name}`;

    let current = await getObject<Scale>(handle, kind, namespace, name, ctx.signal, 'scale');
    const from = current.spec?.replicas ?? 0;
    const where = `${namespace ? `namespace ${namespace}, ` : ''}context ${handle.context}`;
    if (from === input.replicas) return `${ref} already has ${from} replica${from === 1 ? '' : 's'}; nothing changed (${where}).`;

    if (input.replicas === 0 && from > 0) {
      await requireConfirmation(ctx.confirm, `Scale ${ref} (${where}) from ${from} to 0 replicas? It stops all its pods.`);
    } else if (input.replicas > from && input.replicas >= 10 * Math.max(from, 1)) {
      await requireConfirmation(
        ctx.confirm,
        `Scale ${ref} (${where}) from ${from} to ${input.replicas} replicas (a ${from ? `${Math.round(input.replicas / from)}×` : 'large'} jump)?`,
      );
    }

    // The resourceVersion makes the patch apply to the replica count that was confirmed. Status
    // updates by the controller also move it, so a conflict is retried as long as the desired
    // count itself is still the one read.
    for (let attempt = 1; ; attempt++) {
      const patch = { metadata: { resourceVersion: current.metadata?.resourceVersion }, spec: { replicas: input.replicas } };
      try {
        await handle.request(path, { method: 'PATCH', body: patch, contentType: 'application/merge-patch+json', signal: ctx.signal });
        break;
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw handle.describeError(err, { verb: 'patch', ...info });
        const again = await handle.request(path, { signal: ctx.signal }).then(
          (r) => r.json<Scale>(),
          (e) => {
            throw handle.describeError(e, { verb: 'get', ...info });
          },
        );
        if ((again.spec?.replicas ?? 0) !== from || attempt >= 5) {
          const now = again.spec?.replicas ?? 0;
          throw new ToolError(
            `${ref} changed while it was being scaled (${now !== from ? `its replicas are now ${now}, not ${from}` : 'it kept being updated'}); nothing was changed.`,
            'Someone else is changing it too: check with get_resource_yaml, then call scale again if still needed.',
          );
        }
        current = again;
      }
    }
    const pods = kind.namespaced
      ? ` Pods follow in the background: watch them with list_resources {"kind": "pods"${namespace ? `, "namespace": "${namespace}"` : ''}} and get_events {"object": "${ref}"}.`
      : '';
    const hpa = namespace ? await autoscalerOf(handle, kind, namespace, name, ctx.signal) : undefined;
    const overridden = hpa
      ? `\nNote: hpa/${hpa.name} (min ${hpa.min}, max ${hpa.max}) scales ${ref} itself and will set its replicas again at its next sync; to change the range, change the HorizontalPodAutoscaler (get_resource_yaml, then apply_yaml).`
      : '';
    return `${ref} scaled: ${from} → ${input.replicas} (${where}).${pods}${overridden}`;
  },
});

interface Autoscaler {
  metadata?: { name?: string };
  spec?: { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string }; minReplicas?: number; maxReplicas?: number };
}

/**
 * The HorizontalPodAutoscaler that targets this object, if any: a manual scale of an autoscaled
 * workload only lasts until the HPA's next sync, which kubectl does not say and a model should
 * know. Best effort: without the rights to list HPAs (or the API) there is simply no note.
 */
async function autoscalerOf(
  handle: ClusterHandle,
  kind: ResolvedKind,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<{ name: string; min: number; max: number } | undefined> {
  try {
    const hpaKind = await handle.resolveKind('horizontalpodautoscalers.autoscaling', signal);
    const list = await handle.request(handle.pathFor(hpaKind, { namespace }), { signal, timeoutMs: 3000 });
    const hpa = (list.json<{ items?: Autoscaler[] }>().items ?? []).find(({ spec }) => {
      const target = spec?.scaleTargetRef;
      const group = target?.apiVersion?.includes('/') ? target.apiVersion.split('/')[0] : '';
      return target?.kind === kind.kind && target.name === name && group === kind.group;
    });
    return hpa ? { name: hpa.metadata?.name ?? '?', min: hpa.spec?.minReplicas ?? 1, max: hpa.spec?.maxReplicas ?? 0 } : undefined;
  } catch (err) {
    if (signal.aborted) throw err;
    return undefined;
  }
}
