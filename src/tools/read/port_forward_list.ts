/**
 * port_forward_list: the port forwards this server holds (port_forward_start), with where each
 * goes now, its traffic and what happened to it (pods replaced, connections refused). Local state
 * only: it asks no cluster anything.
 */
import { Type } from '@sinclair/typebox';
import { defineTool } from '../../kernel/contract.js';
import type { ForwardSnapshot } from '../../providers/cluster/port-forwards.js';

export default defineTool({
  name: 'port_forward_list',
  title: 'List port forwards',
  description: 'Open port forwards (port_forward_start): target, current pod, local URL, connections, bytes, idle, events. Example: {}',
  safety: 'read',
  openWorld: false,
  needs: ['portForwards'],
  input: Type.Object({}, { additionalProperties: false }),
  async run(_input, ctx) {
    const forwards = ctx.portForwards.list();
    const ended = ctx.portForwards.ended();
    const endedText = ended.length
      ? [`Ended lately: ${ended.map((f) => `${f.id} (${f.target}, ${f.ports.map((p) => p.local).join(', ')}): ${f.ended}`).join('; ')}.`]
      : [];
    if (!forwards.length) return ['No port forwards are open. Start one with port_forward_start.', ...endedText].join('\n');
    return [...forwards.map(forwardText), ...endedText].join('\n\n');
  },
});

export function forwardText(fw: ForwardSnapshot): string {
  const ports = fw.ports.map((p) => `${p.local} → ${p.remote === String(p.podPort) ? p.podPort : `${p.remote} (pod port ${p.podPort})`}`).join(', ');
  return [
    `${fw.id}: ${fw.target} → pod ${fw.pod} (namespace ${fw.namespace}, context ${fw.context})`,
    `  ${ports}`,
    `  connections ${fw.connections} (${fw.active} open), bytes in ${fw.bytesIn} / out ${fw.bytesOut}, since ${fw.since}, idle ${fw.idleSeconds} s of ${fw.idleTimeoutSeconds} s` +
      `, reconnects ${fw.reconnects}, failed connections ${fw.failures}`,
    ...fw.notes.map((n) => `  - ${n}`),
  ].join('\n');
}
