/**
 * cordon_node: `kubectl cordon`: marks the node unschedulable, so no new pod lands on it; the
 * pods already there keep running (drain_node moves them). Confirmed by the person, with the
 * number of pods that stay; a node already cordoned is answered "already", unchanged.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation } from '../../kernel/contract.js';
import { ContextArg, DryRunArg } from '../common/arguments.js';
import { NodeArg, podsOnNode, readNode, setUnschedulable } from '../common/nodes.js';

export default defineTool({
  name: 'cordon_node',
  title: 'Cordon a node',
  description: 'kubectl cordon: no new pods on the node; running ones stay (drain_node moves them). Example: {"node":"worker-1"}',
  safety: 'destructive',
  needs: ['clusters'],
  input: Type.Object({ node: NodeArg, context: ContextArg, dryRun: DryRunArg }, { additionalProperties: false }),
  auditTarget: (input) => `node/${input.node}`,
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const read = await readNode(handle, input.node, ctx.signal);
    const where = `context ${handle.context}`;
    if (read.node.spec?.unschedulable) return `node/${input.node} is already cordoned (${where}); nothing changed.`;
    const running = (await podsOnNode(handle, input.node, ctx.signal)).filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase)).length;
    if (input.dryRun) {
      await setUnschedulable(handle, read, true, ctx.signal, true);
      return `Dry run: node/${input.node} would be cordoned (${where}); ${running} pod${running === 1 ? '' : 's'} on it would keep running. Nothing changed.`;
    }
    await requireConfirmation(
      ctx.confirm,
      `Cordon node ${input.node} (${where})? No new pods will be scheduled on it; the ${running} pod${running === 1 ? '' : 's'} running there stay.`,
    );
    await setUnschedulable(handle, read, true, ctx.signal);
    return `node/${input.node} cordoned (${where}): SchedulingDisabled; ${running} pod${running === 1 ? '' : 's'} still run there. Undo with uncordon_node, move them with drain_node.`;
  },
});
