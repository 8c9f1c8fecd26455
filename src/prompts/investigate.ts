/**
 * The `investigate` prompt: the diagnostic routine of the kz plugin's /kz:investigate, for every
 * MCP client (the Inspector, Claude Desktop, Claude Code as /mcp__kubezilla__investigate) rather
 * than only Claude Code with the plugin installed. Read-only by design: it gathers and explains,
 * and leaves any change to the person. Its arguments complete from the cluster: contexts, the
 * chosen context's namespaces, and `deploy/` → the Deployments of the chosen namespace.
 */
import { Type } from '@sinclair/typebox';
import { definePrompt } from '../kernel/contract.js';
import { objectNames } from '../tools/common/objects.js';

/** The kinds a target usually is, offered while no kind has been typed yet. */
const TARGET_KINDS = ['deploy', 'sts', 'ds', 'pod', 'job', 'cj', 'node', 'svc', 'pvc'];

export default definePrompt({
  name: 'investigate',
  title: 'Investigate an unhealthy workload',
  description: 'Find out why a workload, pod or node is unhealthy: describe it, read its warnings and logs, then give a verdict and next steps.',
  arguments: Type.Object({
    target: Type.String({ description: 'kind/name, e.g. deploy/web, sts/db, pod/web-0, node/worker-1' }),
    namespace: Type.Optional(Type.String({ description: "Namespace (default: the context's)" })),
    context: Type.Optional(Type.String({ description: 'Kubeconfig context (default: the current one)' })),
  }),
  needs: ['clusters'],
  async complete(argument, value, { arguments: chosen, signal, clusters }) {
    if (argument === 'context')
      return clusters
        .listContexts()
        .contexts.map((c) => c.name)
        .filter((name) => name.startsWith(value));
    const handle = await clusters.get(chosen.context || undefined);
    const names = async (kindText: string, namespace?: string) => {
      const kind = await handle.resolveKind(kindText, signal);
      return objectNames(handle, kind, kind.namespaced ? namespace || handle.namespace : undefined, signal);
    };
    if (argument === 'namespace') return (await names('namespaces')).filter((name) => name.startsWith(value));
    if (argument !== 'target') return [];
    const slash = value.indexOf('/');
    if (slash < 0) return TARGET_KINDS.filter((k) => k.startsWith(value)).map((k) => `${k}/`);
    const kindText = value.slice(0, slash);
    return (await names(kindText, chosen.namespace)).filter((name) => name.startsWith(value.slice(slash + 1))).map((name) => `${kindText}/${name}`);
  },
  render({ target, namespace, context }) {
    // Arguments written as the tool takes them (JSON), so the model can pass them on as they are.
    const json = (key: string, value: unknown) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`;
    const where = [namespace && json('namespace', namespace), context && json('context', context)].filter(Boolean).join(', ');
    const args = (...first: string[]) => `{${[...first, where].filter(Boolean).join(', ')}}`;
    const text = [
      `Investigate why ${target}${namespace ? ` in namespace ${namespace}` : ''}${context ? ` (context ${context})` : ''} is unhealthy. Read only: change nothing.`,
      '',
      'Gather, making independent calls in parallel and stopping as soon as the cause is clear:',
      `1. \`describe_resource(${args(json('name', target))})\`: status, conditions, replicas, its pods' states and restarts, recent events. For a workload whose pods fail, describe one of them too (pod/<name> from its Pods table): the exit code and reason are in its containers' last state.`,
      `2. \`get_events(${args(json('object', target), json('type', 'Warning'))})\`: for a workload this includes its ReplicaSets and pods. With no warnings, repeat without type for the last Normal events.`,
      `3. For a pod or a workload with pods: \`get_pod_logs(${args(json('name', target), json('tailLines', 80))})\`; if a container restarted or is in CrashLoopBackOff, the same with "previous": true, where the crash usually is.`,
      '4. Only when the evidence points at configuration (image, a missing ConfigMap or Secret, a failing probe, resources, scheduling): `get_resource_yaml(…)` to quote the exact field, and `list_nodes(…)` for scheduling problems.',
      '5. For OOMKilled, throttling or a node under pressure: `top(…)` ("resource": "pods", "containers": true; or "nodes") to set usage against the limits.',
      '',
      'Then answer:',
      `## ${target} — Healthy | Degraded | Failing`,
      'Evidence: 3 to 6 bullets, each a fact with its source ("describe: 0/3 ready", "event 2m ago: FailedScheduling …", "log: ECONNREFUSED db:5432").',
      'Verdict: the most likely root cause in one or two sentences, and how sure you are.',
      'Next steps: concrete actions (a `scale`, `rollout_restart` or `apply_yaml` the person may approve, or a kubectl/helm command). Suggest them; do not run them.',
    ].join('\n');
    return [{ role: 'user', content: { type: 'text', text } }];
  },
});
