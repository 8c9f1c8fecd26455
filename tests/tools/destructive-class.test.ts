/**
 * The destructive class as a whole, for each of its tools, against the real test cluster (kubectl
 * and helm check that nothing changed):
 *   - off by default: absent from tools/list (which holds every other built-in tool) and refused if called;
 *   - enabled per tool with policy.destructiveTools, or for one run with --enable-destructive;
 *   - refused on a read-only context, named or current;
 *   - a person's "no" changes nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execRoot } from '../cluster/kwok-exec.js';
import { testCluster } from '../cluster/context.js';
import { builtInToolNames } from '../helpers/registry.js';
import { textOf } from '../helpers/server.js';
import { chart, h } from './helm-fixtures.js';
import { apply, createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';
import { answeringClient, createTestNode, deleteTestNode, deploymentOnNode, isCordoned, podsOn, startDestructiveEnv } from './destructive-fixtures.js';

const info = testCluster();
const ns = uniqueName('kz-t-dclass');
const DESTRUCTIVE = builtInToolNames((safety) => safety === 'destructive');
/** Every other built-in tool: what tools/list holds while the destructive class is off. */
const BUILT_IN = builtInToolNames((safety) => safety !== 'destructive');
let node: string;

function argsFor(tool: string): Record<string, unknown> {
  switch (tool) {
    case 'delete_resource':
      return { name: 'cm/victim', namespace: ns };
    case 'helm_uninstall':
      return { release: 'rel', namespace: ns };
    case 'taint_node':
      return { node, taints: ['kz-class=x:NoSchedule'] };
    case 'port_forward_start':
      return { target: 'deploy/web', ports: [':80'], namespace: ns };
    case 'exec_in_pod':
      return { name: 'deploy/web', namespace: ns, command: ['touch', execMarker] };
    case 'pvc_browse':
      return { claim: 'kz-class', namespace: ns };
    case 'pvc_download':
      return { claim: 'kz-class', path: '/f', namespace: ns };
    case 'pvc_upload':
      return { claim: 'kz-class', path: '/f', content: 'x', namespace: ns };
    default:
      return { node };
  }
}

/** A file exec_in_pod would create where KWOK runs exec (tests/cluster/kwok-exec.ts). */
const execMarker = join(execRoot(info.stateDir), `${ns}-ran`);

/** What any of the destructive tools could change: the ConfigMap, the release, the node and its pods, the open forwards, the exec marker, PVC helper pods. */
async function state(env: ToolEnv): Promise<string> {
  const cm = await env.kubectl(['get', 'cm', 'victim', '-n', ns, '-o', 'name', '--ignore-not-found']);
  const rel = await h(info, 4, ['list', '-n', ns, '-q']);
  const nodeSpec = await env.kubectl(['get', 'node', node, '-o', 'jsonpath={.spec.unschedulable} {.spec.taints}']);
  const forwards = await env.call('port_forward_list');
  const helpers = await env.kubectl(['get', 'pods', '-n', ns, '-l', 'kubezilla.dev/pvc-helper', '-o', 'name']);
  return JSON.stringify({ cm, rel, nodeSpec, pods: await podsOn(info, node), forwards, ran: existsSync(execMarker), helpers });
}

let admin: ToolEnv;
beforeAll(async () => {
  process.env.KUBEZILLA_HELM = info.tools.helm4;
  admin = await startToolEnv();
  node = await createTestNode(info, 'kz-t-dclass');
  await createNamespaces(info, ns);
  await apply(info, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: victim, namespace: ${ns}}\ndata: {a: b}\n---\n` + deploymentOnNode(node, ns, 'web', 1));
  // A claim for the PVC tools (never bound: they are refused or declined before they would mount it).
  await apply(
    info,
    `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: kz-class, namespace: ${ns}}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Mi}}\n`,
  );
  await h(info, 4, ['install', 'rel', chart(info, '0.1.0'), '-n', ns]);
}, 180_000);
afterAll(async () => {
  await admin?.close();
  await deleteNamespaces(info, ns);
  await deleteTestNode(info, node);
});

describe('the destructive class', () => {
  it('is off by default: tools/list is every other built-in tool, and each destructive tool is refused', async () => {
    const listed = (await admin.client.listTools()).tools.map((t) => t.name).sort();
    expect(listed).toEqual(BUILT_IN);
    expect(BUILT_IN).toEqual(expect.arrayContaining(['apply_yaml', 'list_nodes', 'scale']));
    const before = await state(admin);
    for (const tool of DESTRUCTIVE) {
      const r = await admin.callRaw(tool, argsFor(tool));
      expect(r.isError, tool).toBe(true);
      expect(r.text, tool).toBe(
        `Error: tool ${tool} is disabled: its safety class "destructive" is not enabled on this server\n` +
          'What to try: Ask the person running Kubezilla to enable that class in the settings if they want it.',
      );
    }
    expect(await state(admin)).toBe(before);
    const audit = admin.server.server.audit.recent(20).filter((e) => DESTRUCTIVE.includes(e.tool));
    expect(audit.map((e) => e.outcome)).toEqual(Array(DESTRUCTIVE.length).fill('refused'));
  });

  it('is offered with every tool marked destructiveHint once enabled, or only the tools policy.destructiveTools names', async () => {
    const all = await startDestructiveEnv();
    const some = await startDestructiveEnv({ destructiveTools: ['cordon_node', 'uncordon_node'] });
    try {
      const tools = (await all.client.listTools()).tools;
      expect(tools.map((t) => t.name).sort()).toEqual([...BUILT_IN, ...DESTRUCTIVE].sort());
      for (const tool of tools.filter((t) => DESTRUCTIVE.includes(t.name))) expect(tool.annotations, tool.name).toEqual({ destructiveHint: true });
      expect((await some.client.listTools()).tools.map((t) => t.name).filter((n) => DESTRUCTIVE.includes(n))).toEqual(['cordon_node', 'uncordon_node']);
      const r = await some.callRaw('delete_resource', argsFor('delete_resource'));
      expect(r.text).toMatch(
        /^Error: tool delete_resource is disabled: destructive tools are enabled on this server only by name, and this one is not listed \(cordon_node, uncordon_node\)/,
      );
      expect(await some.call('cordon_node', { node, dryRun: true })).toMatch(/^Dry run: /);
    } finally {
      await all.close();
      await some.close();
    }
  });

  it('--enable-destructive offers the class for this run only, without writing it to settings.json', async () => {
    const env = await startToolEnv({ enableDestructive: true });
    try {
      const names = (await env.client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(DESTRUCTIVE));
      expect(env.server.server.settings.get().policy.enabledClasses).toEqual(['read', 'safe-mutation']);
    } finally {
      await env.close();
    }
  });

  for (const named of [true, false]) {
    it(`is refused on a read-only context (${named ? 'named' : 'the current one, not named'}), changing nothing`, async () => {
      const env = await startDestructiveEnv({ readOnlyContexts: [info.contexts.admin] });
      try {
        const before = await state(env);
        for (const tool of DESTRUCTIVE) {
          const r = await env.callRaw(tool, { ...argsFor(tool), ...(named ? { context: info.contexts.admin } : {}) });
          expect(r.isError, tool).toBe(true);
          expect(r.text, tool).toMatch(
            new RegExp(`^Error: context ${info.contexts.admin} is read-only on this server \\(.*\\), so ${tool} may not change it\\.`),
          );
        }
        expect(await state(env)).toBe(before);
      } finally {
        await env.close();
      }
    }, 120_000);
  }

  it('a person\'s "no" to any of them changes nothing', async () => {
    const env = await startDestructiveEnv();
    const { client, asked } = await answeringClient(env, () => false);
    try {
      await env.kubectl(['cordon', node]);
      const cordoned = await state(env);
      const un = await client.callTool({ name: 'uncordon_node', arguments: argsFor('uncordon_node') });
      expect(textOf(un)).toMatch(/^Error: Not done: the person declined/);
      expect(await state(env)).toBe(cordoned);
      await env.kubectl(['uncordon', node]);
      const before = await state(env);
      for (const tool of DESTRUCTIVE.filter((t) => t !== 'uncordon_node')) {
        const r = await client.callTool({ name: tool, arguments: argsFor(tool) }, undefined, { timeout: 60_000 });
        expect(textOf(r), tool).toMatch(/^Error: Not done: the person declined/);
      }
      expect(asked).toHaveLength(DESTRUCTIVE.length);
      expect(await state(env)).toBe(before);
      expect(await isCordoned(info, node)).toBe(false);
    } finally {
      await client.close();
      await env.close();
    }
  }, 120_000);
});
