/**
 * The worked example of a cluster tool module (docs/examples/pods_by_phase.mjs), loaded through
 * --tools-dir as an author would, against the real test cluster: its counts match kubectl, its
 * shared arguments read the same as the built-in tools' (explained once, in the instructions),
 * and a Kubernetes error reaches the model explained, as for a built-in tool.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, createNamespaces, deleteNamespaces, eventually, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../docs/examples', import.meta.url));
const ns = uniqueName('kz-t-mx');
let env: ToolEnv;

describe('the pods_by_phase example module', () => {
  beforeAll(async () => {
    env = await startToolEnv({ toolDirs: [EXAMPLES] });
    await createNamespaces(env.info, ns);
    const pod = (name: string, app: string) =>
      `---\napiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}, labels: {app: ${app}}}\nspec: {containers: [{name: c, image: busybox}]}\n`;
    await apply(env.info, pod('web-1', 'web') + pod('web-2', 'web') + pod('db-1', 'db'));
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    if (env) await deleteNamespaces(env.info, ns);
  });

  it('counts pods by phase as kubectl sees them, with a label selector too', async () => {
    const text = await eventually(async () => {
      const t = await env.call('pods_by_phase', { namespace: ns });
      return t.includes('3 Running') ? t : '';
    }, 30_000);
    const phases = (await env.kubectl(['get', 'pods', '-n', ns, '-o', 'jsonpath={.items[*].status.phase}'])).trim().split(' ');
    expect(phases).toEqual(['Running', 'Running', 'Running']);
    expect(text).toBe(`3 pods in namespace "${ns}" (context "kz-admin"): 3 Running.`);
    expect(await env.call('pods_by_phase', { namespace: ns, labelSelector: 'app=web' })).toBe(
      `2 pods in namespace "${ns}" matching "app=web" (context "kz-admin"): 2 Running.`,
    );
  });

  it("shares the built-in tools' argument texts, so tools/list explains them once, in the instructions", async () => {
    const { tools } = await env.client.listTools();
    const mine = tools.find((t) => t.name === 'pods_by_phase')!;
    const builtIn = tools.find((t) => t.name === 'list_resources')!;
    for (const arg of ['context', 'namespace', 'labelSelector']) {
      expect(mine.inputSchema.properties![arg], arg).toEqual(builtIn.inputSchema.properties![arg]);
      expect((mine.inputSchema.properties![arg] as { description?: string }).description, arg).toBeUndefined();
      expect(env.client.getInstructions()).toContain(`- \`${arg}\`: `);
    }
  });

  it("gets the kernel's explained Kubernetes errors", async () => {
    const r = await env.callRaw('pods_by_phase', { namespace: ns, context: env.info.contexts.restricted! });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(new RegExp(`Forbidden: user "kz-restricted" \\(context "kz-restricted"\\) cannot list pods in namespace "${ns}"`));
  });
});
