/**
 * list_contexts: every kubeconfig context the server can see, from every source, without
 * contacting a cluster unless `probe` asks for it.
 */
import { Type } from '@sinclair/typebox';
import { defineTool } from '../../kernel/contract.js';
import type { ClusterProvider, ContextInfo } from '../../providers/cluster/clusters.js';
import { table } from '../common/format.js';

const PROBE_TIMEOUT_MS = 3000;

export default defineTool({
  name: 'list_contexts',
  title: 'List kubeconfig contexts',
  description: 'Kubeconfig contexts from every file: server, user, namespace, current (*), SSH tunnel; broken files and why. Example: {"probe":true}',
  safety: 'read',
  needs: ['clusters'],
  input: Type.Object(
    {
      probe: Type.Optional(Type.Boolean({ description: 'Check which clusters answer (3 s).' })),
    },
    { additionalProperties: false },
  ),
  async run({ probe }, ctx) {
    const before = ctx.clusters.listContexts();
    const reach = probe ? await probeAll(ctx.clusters, before.contexts, ctx.signal) : undefined;
    // After a probe, tunnels may have connected: show their state now (same contexts, same order).
    const after = probe ? ctx.clusters.listContexts() : before;
    const list = after.contexts.length === before.contexts.length && after.contexts.every((c, i) => c.name === before.contexts[i]!.name) ? after : before;
    const headers = [
      'CURRENT',
      'NAME',
      'SERVER',
      'USER',
      'NAMESPACE',
      'SOURCE',
      ...(list.contexts.some((c) => c.tunnel) ? ['TUNNEL'] : []),
      ...(reach ? ['REACHABLE'] : []),
    ];
    const hasTunnel = headers.includes('TUNNEL');
    const rows = list.contexts.map((c, i) => [
      c.isCurrent ? '*' : ' ',
      c.name,
      c.server,
      c.user,
      c.namespace,
      c.source,
      ...(hasTunnel ? [tunnelText(c)] : []),
      ...(reach ? [reach[i]!] : []),
    ]);
    const out: string[] = [];
    out.push(list.contexts.length ? table(headers, rows) : 'No contexts found.');
    const notes: string[] = [];
    for (const c of list.contexts) if (c.problem) notes.push(`context ${c.name}: unusable: ${c.problem}`);
    for (const c of list.contexts) if (c.readOnly) notes.push(`context ${c.name}: read-only on this server (${c.readOnly}); dry runs still work`);
    for (const p of list.problems) {
      if (list.contexts.some((c) => c.problem && p.message.includes(c.originalName))) continue;
      notes.push(`source ${p.source}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    }
    if (!list.contexts.length && !list.problems.length) {
      notes.push('No kubeconfig was found: set KUBECONFIG, create ~/.kube/config, or add a kubeconfig on the settings page.');
    }
    if (list.current === undefined && list.contexts.length) notes.push('No current context is set: pass `context` to every tool.');
    if (notes.length) out.push('', ...notes);
    return out.join('\n');
  },
});

function tunnelText(c: ContextInfo): string {
  if (!c.tunnel) return '';
  const t = c.tunnel;
  return `${t.bastion} ${t.status}${t.reason && (t.status === 'failed' || t.status === 'degraded') ? ` (${t.reason})` : ''}`;
}

async function probeAll(clusters: ClusterProvider, contexts: ContextInfo[], signal: AbortSignal): Promise<string[]> {
  return Promise.all(
    contexts.map(async (c) => {
      if (c.problem) return 'unusable';
      try {
        const handle = await clusters.get(c.name);
        // Timed from here: the first get also loads the Kubernetes client, which is not the cluster's doing.
        const started = Date.now();
        const res = await handle.request('/version', { signal, timeoutMs: PROBE_TIMEOUT_MS });
        const version = (res.json<{ gitVersion?: string }>().gitVersion ?? '').trim();
        return `yes ${version ? `${version} ` : ''}(${Date.now() - started} ms)`;
      } catch (err) {
        return `no: ${oneLine((err as Error).message ?? String(err))}`;
      }
    }),
  );
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
