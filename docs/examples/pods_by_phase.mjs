// A worked example of a tool module that talks to a cluster (see docs/tool-modules.md).
// Load it with:  kubezilla-mcp serve --tools-dir docs/examples
//
// It counts the pods of a namespace by phase, the one-line health check a model often wants
// before it lists anything. It takes the shared `context`, `namespace` and `labelSelector`
// arguments from kubezilla-mcp/arguments, so they read the same as in the built-in tools (and the
// kernel explains them once, in the server instructions), and it reaches the cluster through
// ctx.clusters: kubeconfig, SSH tunnel, timeouts and explained Kubernetes errors come with it.
import { Type } from '@sinclair/typebox';
import { ContextArg, LabelSelectorArg, NamespaceArg } from 'kubezilla-mcp/arguments';
import { defineTool } from 'kubezilla-mcp/contract';

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

export default defineTool({
  name: 'pods_by_phase',
  title: 'Count pods by phase',
  description:
    'How many pods of a namespace are Pending, Running, Succeeded, Failed or Unknown: a quick health ' +
    'check before listing them with list_resources. Example: {"namespace": "shop", "labelSelector": "app=web"}',
  safety: 'read',
  needs: ['clusters'],
  input: Type.Object(
    { context: ContextArg, namespace: NamespaceArg, labelSelector: LabelSelectorArg },
    { additionalProperties: false },
  ),
  async run({ context, namespace, labelSelector }, ctx) {
    const cluster = await ctx.clusters.get(context);
    const ns = namespace ?? cluster.namespace;
    const counts = new Map(PHASES.map((phase) => [phase, 0]));
    let next;
    do {
      // Only metadata and status.phase are needed: ask for plain JSON, 500 at a time.
      const page = (
        await cluster.request(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, {
          signal: ctx.signal,
          query: { limit: 500, continue: next, labelSelector },
        })
      ).json();
      for (const pod of page.items ?? []) {
        const phase = pod.status?.phase ?? 'Unknown';
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      next = page.metadata?.continue || undefined;
    } while (next);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const parts = [...counts].filter(([, n]) => n > 0).map(([phase, n]) => `${n} ${phase}`);
    const scope = `namespace "${ns}"${labelSelector ? ` matching "${labelSelector}"` : ''} (context "${cluster.context}")`;
    return total ? `${total} pods in ${scope}: ${parts.join(', ')}.` : `No pods in ${scope}.`;
  },
});
