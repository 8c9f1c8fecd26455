/**
 * uncordon_node: `kubectl uncordon`: the node takes new pods again. Confirmed by the person; a
 * node that is not cordoned is answered "already", unchanged.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation } from '../../kernel/contract.js';
import { ContextArg, DryRunArg } from '../common/arguments.js';
import { NodeArg, readNode, setUnschedulable } from '../common/nodes.js';

export default defineTool({
  name: 'uncordon_node',
  title: 'Uncordon a node',
  description: 'kubectl uncordon: the node takes new pods again, after cordon_node or drain_node. Example: {"node":"worker-1"}',
  safety: 'destructive',
  needs: ['clusters'],
  input: Type.Object({ node: NodeArg, context: ContextArg, dryRun: DryRunArg }, { additionalProperties: false }),
  auditTarget: (input) => `node/${input.node}`,
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const read = await readNode(handle, input.node, ctx.signal);
    const where = `context ${handle.context}`;
    if (!read.node.spec?.unschedulable) return `node/${input.node} is already schedulable (not cordoned; ${where}); nothing changed.`;
    if (input.dryRun) {
      await setUnschedulable(handle, read, false, ctx.signal, true);
      return `Dry run: node/${input.node} would be uncordoned (${where}). Nothing changed.`;
    }
    await requireConfirmation(ctx.confirm, `Uncordon node ${input.node} (${where})? New pods may be scheduled on it again.`);
    await setUnschedulable(handle, read, false, ctx.signal);
    return `node/${input.node} uncordoned (${where}): it takes new pods again.`;
  },
});
