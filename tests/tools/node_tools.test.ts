/**
 * cordon_node, uncordon_node and taint_node against the real test cluster, on a KWOK node of this
 * file's own, checked with kubectl: the change, "already" answers, dry runs, the person's question
 * (elicitation and the token fallback), a declined question, kubectl's taint syntax and its errors,
 * and the restricted user's explained 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { textOf } from '../helpers/server.js';
import { createNamespaces, deleteNamespaces, apply, eventually, type ToolEnv, uniqueName } from './helpers.js';
import { answeringClient, createTestNode, deleteTestNode, deploymentOnNode, isCordoned, startDestructiveEnv } from './destructive-fixtures.js';

const info = testCluster();
const ns = uniqueName('kz-t-node');
let env: ToolEnv;
let node: string;

async function taints(): Promise<string> {
  return env.kubectl(['get', 'node', node, '-o', 'jsonpath={range .spec.taints[*]}{.key}={.value}:{.effect}{" "}{end}']);
}

beforeAll(async () => {
  env = await startDestructiveEnv();
  node = await createTestNode(info, 'kz-t-cordon');
  await createNamespaces(info, ns);
  await apply(info, deploymentOnNode(node, ns, 'web', 2));
  expect(
    await eventually(
      async () =>
        (await env.kubectl(['get', 'pods', '-n', ns, '--field-selector', 'status.phase=Running', '-o', 'name'])).trim().split('\n').filter(Boolean).length ===
        2,
      60_000,
    ),
  ).toBe(true);
}, 120_000);
afterAll(async () => {
  await deleteNamespaces(info, ns);
  await deleteTestNode(info, node);
  await env?.close();
});

describe('cordon_node and uncordon_node', () => {
  it('a dry run changes nothing', async () => {
    const text = await env.call('cordon_node', { node, dryRun: true });
    expect(text).toBe(`Dry run: node/${node} would be cordoned (context ${info.contexts.admin}); 2 pods on it would keep running. Nothing changed.`);
    expect(await isCordoned(info, node)).toBe(false);
  });

  it('asks the person first; a "no" changes nothing, a "yes" cordons and the pods stay', async () => {
    let answer = false;
    const { client, asked } = await answeringClient(env, () => answer);
    try {
      const no = await client.callTool({ name: 'cordon_node', arguments: { node } });
      expect(no.isError).toBe(true);
      expect(textOf(no)).toMatch(/^Error: Not done: the person declined/);
      expect(asked).toEqual([`Cordon node ${node} (context ${info.contexts.admin})? No new pods will be scheduled on it; the 2 pods running there stay.`]);
      expect(await isCordoned(info, node)).toBe(false);
      answer = true;
      const yes = textOf(await client.callTool({ name: 'cordon_node', arguments: { node } }));
      expect(yes).toMatch(new RegExp(`^node/${node} cordoned \\(context ${info.contexts.admin}\\): SchedulingDisabled; 2 pods still run there`));
      expect(await isCordoned(info, node)).toBe(true);
      expect(await env.kubectl(['get', 'node', node, '--no-headers'])).toMatch(/Ready,SchedulingDisabled/);
      expect((await env.kubectl(['get', 'pods', '-n', ns, '-o', 'name'])).trim().split('\n')).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it('cordoning again answers "already", without a question', async () => {
    expect(await env.call('cordon_node', { node })).toBe(`node/${node} is already cordoned (context ${info.contexts.admin}); nothing changed.`);
  });

  it('uncordon: dry run, then with the confirmation token, then "already"', async () => {
    expect(await env.call('uncordon_node', { node, dryRun: true })).toMatch(/^Dry run: .* would be uncordoned/);
    expect(await isCordoned(info, node)).toBe(true);
    const refused = await env.callRaw('uncordon_node', { node });
    expect(refused.text).toMatch(
      new RegExp(`^Error: Needs confirmation: Uncordon node ${node} \\(context ${info.contexts.admin}\\)\\? New pods may be scheduled on it again\\.`),
    );
    expect(await isCordoned(info, node)).toBe(true);
    const done = await env.callConfirmed('uncordon_node', { node });
    expect(done.text).toBe(`node/${node} uncordoned (context ${info.contexts.admin}): it takes new pods again.`);
    expect(await isCordoned(info, node)).toBe(false);
    expect(await env.call('uncordon_node', { node })).toMatch(/is already schedulable \(not cordoned; .*\); nothing changed\./);
  });

  it('an unknown node: not found with the near names', async () => {
    const r = await env.callRaw('cordon_node', { node: `${node}x` });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(new RegExp(`Node "${node}x" not found .*Did you mean: .*${node}`));
  });

  it.skipIf(info.external)('the restricted user gets an explained 403 and the node stays as it was', async () => {
    const before = await env.kubectl(['get', 'node', node, '-o', 'jsonpath={.spec}']);
    for (const [tool, args] of [
      ['cordon_node', {}],
      ['uncordon_node', {}],
      ['taint_node', { taints: ['a=b:NoSchedule'] }],
    ] as const) {
      const r = await env.callRaw(tool, { node, ...args, context: info.contexts.restricted! });
      expect(r.isError, tool).toBe(true);
      expect(r.text, tool).toMatch(/Forbidden: user "kz-restricted" .*cannot get nodes/);
      expect(r.text, tool).toMatch(/kubectl auth can-i get nodes/);
    }
    expect(await env.kubectl(['get', 'node', node, '-o', 'jsonpath={.spec}'])).toBe(before);
  });
});

describe('taint_node', () => {
  it('adds and removes taints in kubectl syntax; kubectl sees them', async () => {
    const before = await taints();
    expect(before).toBe(`kz-test=${node}:NoSchedule `);
    const done = await env.callConfirmed('taint_node', { node, taints: ['dedicated=gpu:NoSchedule', 'maintenance:PreferNoSchedule'] });
    expect(done.questions).toEqual([`Taint node ${node} (context ${info.contexts.admin}): add dedicated=gpu:NoSchedule, maintenance:PreferNoSchedule?`]);
    expect(done.text).toMatch(
      /^node\/\S+ tainted .*: add dedicated=gpu:NoSchedule, maintenance:PreferNoSchedule\. Taints now: kz-test=\S+:NoSchedule, dedicated=gpu:NoSchedule, maintenance:PreferNoSchedule\.$/,
    );
    expect(await taints()).toBe(`kz-test=${node}:NoSchedule dedicated=gpu:NoSchedule maintenance=:PreferNoSchedule `);

    const again = await env.call('taint_node', { node, taints: ['dedicated=gpu:NoSchedule'] });
    expect(again).toMatch(/already has dedicated=gpu:NoSchedule .*nothing changed/);

    const removed = await env.callConfirmed('taint_node', { node, taints: ['dedicated-', 'maintenance:PreferNoSchedule-'] });
    expect(removed.questions[0]).toMatch(/: remove dedicated=gpu:NoSchedule, maintenance:PreferNoSchedule\?$/);
    expect(await taints()).toBe(`kz-test=${node}:NoSchedule `);
  });

  it('a NoExecute taint names the pods it evicts; a dry run changes nothing', async () => {
    const dry = await env.call('taint_node', { node, taints: ['evict=now:NoExecute'], dryRun: true });
    expect(dry).toMatch(/^Dry run: node\/\S+ would add evict=now:NoExecute .*NoExecute evicts the 2 pods on it that do not tolerate it: /);
    expect(dry).toContain(`${ns}/web-`);
    expect(await taints()).toBe(`kz-test=${node}:NoSchedule `);
    const refused = await env.callRaw('taint_node', { node, taints: ['evict=now:NoExecute'] });
    expect(refused.text).toMatch(/Needs confirmation: Taint node .*: add evict=now:NoExecute\? NoExecute evicts the 2 pods/);
    expect(await taints()).toBe(`kz-test=${node}:NoSchedule `);
  });

  it('as kubectl: a changed value needs overwrite, removing a missing taint fails, bad syntax is explained', async () => {
    const clash = await env.callRaw('taint_node', { node, taints: [`kz-test=other:NoSchedule`] });
    expect(clash.text).toMatch(/already has taint kz-test=\S+:NoSchedule .*needs overwrite; nothing changed/);
    const missing = await env.callRaw('taint_node', { node, taints: ['nope-'] });
    expect(missing.text).toMatch(/has no taint nope to remove/);
    for (const bad of ['dedicated=gpu', 'a=b:Sometimes', '=x:NoSchedule', 'a=b=c:NoSchedule']) {
      const r = await env.callRaw('taint_node', { node, taints: [bad] });
      expect(r.text, bad).toMatch(/^Error: taints: /);
    }
    expect(await taints()).toBe(`kz-test=${node}:NoSchedule `);
    const overwritten = await env.callConfirmed('taint_node', { node, taints: [`kz-test=${node}:NoSchedule`, 'x=1:NoSchedule'], overwrite: true });
    expect(overwritten.text).toMatch(/add x=1:NoSchedule\./);
    await env.callConfirmed('taint_node', { node, taints: ['x-'] });
    expect(await taints()).toBe(`kz-test=${node}:NoSchedule `);
  });
});
