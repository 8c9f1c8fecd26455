/**
 * taint_node: `kubectl taint nodes`: adds `key=value:Effect` / `key:Effect` taints and removes
 * `key:Effect-` / `key-` ones, in one change. As kubectl: a taint whose key and effect exist with
 * another value needs `overwrite`, removing one that is not there fails. The question names every
 * taint added and removed, and for a NoExecute taint the pods on the node it evicts. The patch
 * carries the resourceVersion that was read, so what was confirmed is what changes.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation, ToolError } from '../../kernel/contract.js';
import { ContextArg, DryRunArg } from '../common/arguments.js';
import { NodeArg, parseTaintChange, podRef, podsOnNode, readNode, taintText, tolerates, type Taint } from '../common/nodes.js';

export default defineTool({
  name: 'taint_node',
  title: 'Taint a node',
  description: 'kubectl taint: add "key=value:Effect", remove "key:Effect-" or "key-". Example: {"node":"worker-1","taints":["dedicated=gpu:NoSchedule"]}',
  safety: 'destructive',
  needs: ['clusters'],
  input: Type.Object(
    {
      node: NodeArg,
      taints: Type.Array(Type.String({ maxLength: 400 }), { minItems: 1, maxItems: 20, description: 'To add or remove, kubectl syntax.' }),
      overwrite: Type.Optional(Type.Boolean({ description: "Replace a taint's value (same key and effect)." })),
      context: ContextArg,
      dryRun: DryRunArg,
    },
    { additionalProperties: false },
  ),
  auditTarget: (input) => `node/${input.node} ${input.taints.join(' ')}`,
  async run(input, ctx) {
    const changes = input.taints.map(parseTaintChange);
    const handle = await ctx.clusters.get(input.context);
    const read = await readNode(handle, input.node, ctx.signal);
    const where = `context ${handle.context}`;
    const before = read.node.spec?.taints ?? [];
    let after: Taint[] = [...before];
    const added: Taint[] = [];
    const removed: Taint[] = [];
    for (const change of changes) {
      if (change.op === 'remove') {
        const gone = after.filter((t) => t.key === change.key && (!change.effect || t.effect === change.effect));
        if (!gone.length) {
          throw new ToolError(
            `node/${input.node} has no taint ${change.key}${change.effect ? `:${change.effect}` : ''} to remove (${where}); nothing changed.`,
            `Its taints: ${before.map(taintText).join(', ') || 'none'} (list_nodes shows them).`,
          );
        }
        after = after.filter((t) => !gone.includes(t));
        removed.push(...gone);
        continue;
      }
      const { taint } = change;
      const same = after.find((t) => t.key === taint.key && t.effect === taint.effect);
      if (same && (same.value ?? '') === (taint.value ?? '')) continue;
      if (same && !input.overwrite) {
        throw new ToolError(
          `node/${input.node} already has taint ${taintText(same)} (${where}), so ${taintText(taint)} needs overwrite; nothing changed.`,
          'Call again with "overwrite": true to replace its value.',
        );
      }
      after = [...after.filter((t) => t !== same), taint];
      if (same) removed.push(same);
      added.push(taint);
    }
    if (!added.length && !removed.length) {
      return `node/${input.node} already has ${input.taints.join(', ')} (${where}); nothing changed.`;
    }

    const what = [added.length ? `add ${added.map(taintText).join(', ')}` : '', removed.length ? `remove ${removed.map(taintText).join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    const noExecute = added.filter((t) => t.effect === 'NoExecute');
    let evicted: string[] = [];
    if (noExecute.length) {
      const pods = (await podsOnNode(handle, input.node, ctx.signal)).filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase));
      evicted = pods.filter((p) => noExecute.some((t) => !tolerates(p, t))).map(podRef);
    }
    const eviction = noExecute.length
      ? ` NoExecute evicts the ${evicted.length} pod${evicted.length === 1 ? '' : 's'} on it that do not tolerate it${evicted.length ? `: ${evicted.join(', ')}` : ''}.`
      : '';
    const patch = {
      metadata: { resourceVersion: read.node.metadata.resourceVersion },
      spec: { taints: after.map(({ key, value, effect, timeAdded }) => ({ key, ...(value ? { value } : {}), effect, ...(timeAdded ? { timeAdded } : {}) })) },
    };
    const send = async (dryRun: boolean) => {
      try {
        await handle.request(read.path, {
          method: 'PATCH',
          body: patch,
          contentType: 'application/merge-patch+json',
          signal: ctx.signal,
          ...(dryRun ? { query: { dryRun: 'All' } } : {}),
        });
      } catch (err) {
        if ((err as { code?: number }).code === 409) {
          throw new ToolError(
            `node/${input.node} changed while it was being tainted (${where}); nothing was changed.`,
            'Check its taints with list_nodes and call taint_node again.',
          );
        }
        throw handle.describeError(err, { verb: 'patch', resource: 'nodes', name: input.node });
      }
    };
    if (input.dryRun) {
      await send(true);
      return `Dry run: node/${input.node} would ${what} (${where}).${eviction} Nothing changed.`;
    }
    await requireConfirmation(ctx.confirm, `Taint node ${input.node} (${where}): ${what}?${eviction}`);
    await send(false);
    return `node/${input.node} tainted (${where}): ${what}. Taints now: ${after.map(taintText).join(', ') || 'none'}.${eviction ? eviction.replace('evicts', 'is evicting') : ''}`;
  },
});
