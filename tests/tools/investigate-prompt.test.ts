/**
 * The built-in `investigate` prompt through a real MCP client against the test cluster: its
 * arguments complete from the cluster (contexts, namespaces, `deploy/` → Deployments of the chosen
 * namespace), and getPrompt renders the routine for the chosen target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const ns = uniqueName('kz-t-ip');
let env: ToolEnv;

describe('the investigate prompt', () => {
  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
    const deployment = (name: string) =>
      `---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: c, image: busybox}]}\n`;
    await apply(env.info, deployment('web-front') + deployment('web-back') + deployment('db'));
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    if (env) await deleteNamespaces(env.info, ns);
  });

  const complete = async (name: string, value: string, args: Record<string, string> = {}) =>
    (await env.client.complete({ ref: { type: 'ref/prompt', name: 'investigate' }, argument: { name, value }, context: { arguments: args } })).completion
      .values;

  it('completes contexts, namespaces and targets from the cluster, as kubectl would list them', async () => {
    expect(await complete('context', 'kz-')).toEqual(expect.arrayContaining(['kz-admin', 'kz-restricted', 'kz-ssh']));
    expect(await complete('namespace', ns.slice(0, -2))).toEqual([ns]);
    expect(await complete('target', 'st')).toEqual(['sts/']);
    const kubectl = (await env.kubectl(['get', 'deploy', '-n', ns, '-o', 'name']))
      .trim()
      .split('\n')
      .map((n) => n.replace('deployment.apps/', 'deploy/'));
    expect((await complete('target', 'deploy/', { namespace: ns })).sort()).toEqual(kubectl.sort());
    expect((await complete('target', 'deploy/web', { namespace: ns })).sort()).toEqual(['deploy/web-back', 'deploy/web-front']);
    // A context the user may not read from gives no suggestions rather than an error.
    expect(await complete('target', 'deploy/', { namespace: ns, context: 'kz-restricted' })).toEqual([]);
  });

  it('renders the routine for the chosen target, namespace and context', async () => {
    const prompt = await env.client.getPrompt({ name: 'investigate', arguments: { target: 'deploy/web-front', namespace: ns, context: 'kz-admin' } });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    expect(text).toContain(`describe_resource({"name": "deploy/web-front", "namespace": "${ns}", "context": "kz-admin"})`);
  });
});
