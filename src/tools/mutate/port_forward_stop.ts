/**
 * port_forward_stop: closes port forwards port_forward_start opened (one by id, or all), so their
 * local ports are free again. Only closes listeners on this machine, which is why it is not in the
 * destructive class: a person who turns that class off must still be able to stop a forward.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';

export default defineTool({
  name: 'port_forward_stop',
  title: 'Stop port forwards',
  description: 'Stops a port forward by id (port_forward_list) or all, freeing its local ports. Example: {"id":"pf-1a2b3c"}',
  safety: 'safe-mutation',
  openWorld: false,
  needs: ['portForwards'],
  input: Type.Object(
    {
      id: Type.Optional(Type.String({ minLength: 1, description: 'Forward id.' })),
      all: Type.Optional(Type.Boolean({ description: 'Every forward.' })),
    },
    { additionalProperties: false },
  ),
  auditTarget: (input) => (input.all ? 'all port forwards' : `port forward ${input.id ?? '?'}`),
  async run(input, ctx) {
    if (input.all === true) {
      const stopped = await ctx.portForwards.stopAll();
      if (!stopped.length) return 'No port forwards were open.';
      return `Stopped ${stopped.length} port forward${stopped.length === 1 ? '' : 's'}: ${stopped.map((f) => `${f.id} (${f.ports.map((p) => p.local).join(', ')})`).join('; ')}.`;
    }
    if (!input.id) throw new ToolError('Say which forward to stop: id, or all: true.', 'port_forward_list shows the ids.');
    const fw = await ctx.portForwards.stop(input.id);
    if (!fw) {
      const open = ctx.portForwards.list().map((f) => f.id);
      throw new ToolError(
        `No port forward ${input.id} is open.`,
        open.length ? `Open ones: ${open.join(', ')}.` : 'None is open (it may have ended on its idle timeout; port_forward_list shows what is open).',
      );
    }
    return `Stopped ${fw.id} (${fw.target}, namespace ${fw.namespace}, context ${fw.context}): ${fw.ports.map((p) => p.local).join(', ')} closed after ${fw.connections} connection${fw.connections === 1 ? '' : 's'}.`;
  },
});
