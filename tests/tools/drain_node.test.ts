/**
 * drain_node against the real test cluster, on a KWOK node of this file's own, checked with
 * kubectl: kubectl's filters (DaemonSet and mirror pods left alone, pods without a controller and emptyDir
 * pods refused unless allowed), the dry run, a declined question, a full drain through the
 * Eviction API, a PodDisruptionBudget that blocks an eviction (the drain waits with progress and
 * times out cleanly, node cordoned), cancellation, and the restricted user's 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { textOf } from '../helpers/server.js';
import { apply, createNamespaces, deleteNamespaces, eventually, uniqueName, type ToolEnv } from './helpers.js';
import { answeringClient, createTestNode, deleteTestNode, deploymentOnNode, isCordoned, onNode, podsOn, startDestructiveEnv } from './destructive-fixtures.js';

const info = testCluster();
const ns = uniqueName('kz-t-drain');
let env: ToolEnv;
let node: string;

async function running(count: number): Promise<void> {
  const ok = await eventually(async () => {
    const out = await env.kubectl(['get', 'pods', '-n', ns, '--field-selector', `spec.nodeName=${node},status.phase=Running`, '-o', 'name']);
    return out.split('\n').filter(Boolean).length === count;
  }, 60_000);
  expect(ok, `${count} pods Running on ${node}`).toBe(true);
}

const onTheNode = async () => (await podsOn(info, node)).map((p) => p.replace(`${ns}/`, '').replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}$|-[a-z0-9]{5}$/, '-*'));

beforeAll(async () => {
  env = await startDestructiveEnv();
  node = await createTestNode(info, 'kz-t-drain');
  await createNamespaces(info, ns);
  await apply(
    info,
    deploymentOnNode(node, ns, 'web', 2) +
      `---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      ${onNode(node)}
      containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: bare, namespace: ${ns}}
spec:
  ${onNode(node).replace('\n      ', '\n  ')}
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata:
  name: static-x
  namespace: ${ns}
  annotations: {kubernetes.io/config.mirror: kz-test, kubernetes.io/config.source: file}
spec:
  nodeName: ${node}
  containers: [{name: c, image: busybox}]
---
` +
      deploymentOnNode(node, ns, 'cache', 1, '\n      volumes: [{name: scratch, emptyDir: {}}]'),
  );
  await running(6);
}, 180_000);
afterAll(async () => {
  await deleteNamespaces(info, ns);
  await deleteTestNode(info, node);
  await env?.close();
});

describe('drain_node', () => {
  it('refuses, before anything changes, pods without a controller and pods with emptyDir data', async () => {
    const r = await env.callRaw('drain_node', { node });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(
      `Cannot drain node ${node} (context ${info.contexts.admin}): pods without a controller (they would not be recreated; force: true evicts them): ${ns}/bare; pods with emptyDir volumes (their data would be lost; deleteEmptyDirData: true evicts them): ${ns}/cache-`,
    );
    expect(r.text).toContain('Nothing changed (the node was not cordoned).');
    expect(await isCordoned(info, node)).toBe(false);
    expect(await podsOn(info, node)).toHaveLength(6);
  });

  it('a dry run lists the pods it would evict and those it leaves alone, and changes nothing', async () => {
    const text = await env.call('drain_node', { node, force: true, deleteEmptyDirData: true, dryRun: true });
    expect(text).toMatch(new RegExp(`^Dry run: draining node ${node} \\(context ${info.contexts.admin}\\) would cordon it and evict 4 pods: `));
    for (const pod of ['bare', 'cache-', 'web-']) expect(text.split('\n')[0]).toContain(`${ns}/${pod}`);
    expect(text).toContain(`Without a controller (not recreated): ${ns}/bare.`);
    expect(text).toMatch(/emptyDir data lost: \S+\/cache-/);
    expect(text).toMatch(new RegExp(`Left alone: 1 DaemonSet pod \\(${ns}/agent-\\S+\\), 1 mirror pod \\(${ns}/static-x\\)\\.`));
    expect(await isCordoned(info, node)).toBe(false);
    expect(await podsOn(info, node)).toHaveLength(6);
  });

  it('a declined question changes nothing', async () => {
    const { client, asked } = await answeringClient(env, () => false);
    try {
      const r = await client.callTool({ name: 'drain_node', arguments: { node, force: true, deleteEmptyDirData: true } });
      expect(textOf(r)).toMatch(/^Error: Not done: the person declined/);
      expect(asked[0]).toMatch(
        new RegExp(
          `^Drain node ${node} \\(context ${info.contexts.admin}\\): cordon it, then evict 4 pods: .*\\? Pods without a controller are deleted for good: ${ns}/bare\\. emptyDir data is lost for: ${ns}/cache-\\S+\\. Left alone: 1 DaemonSet pod`,
        ),
      );
    } finally {
      await client.close();
    }
    expect(await isCordoned(info, node)).toBe(false);
    expect(await podsOn(info, node)).toHaveLength(6);
  });

  it("drains: cordons, evicts every pod but the DaemonSet's, with progress per pod", async () => {
    const { client, asked } = await answeringClient(env, () => true);
    const progress: string[] = [];
    try {
      const r = await client.callTool({ name: 'drain_node', arguments: { node, force: true, deleteEmptyDirData: true, timeoutSeconds: 90 } }, undefined, {
        timeout: 120_000,
        onprogress: (p) => void progress.push(p.message ?? ''),
      });
      const text = textOf(r);
      expect(r.isError, text).toBeFalsy();
      expect(asked).toHaveLength(1);
      expect(text).toMatch(new RegExp(`^Drained node ${node} \\(context ${info.contexts.admin}\\): cordoned, evicted `));
      expect(text).toMatch(/Left alone: 1 DaemonSet pod/);
    } finally {
      await client.close();
    }
    expect(progress[0]).toBe(`node ${node} cordoned; evicting 4 pods`);
    expect(progress.filter((m) => / gone \(\d\/4\)$/.test(m))).toHaveLength(4);
    expect(await isCordoned(info, node)).toBe(true);
    // Only the DaemonSet's pod and the mirror pod are left; the Deployments' new pods wait (Pending) for a node they may use.
    expect(await onTheNode()).toEqual(['agent-*', 'static-x']);
    expect(await env.kubectl(['get', 'pod', 'bare', '-n', ns, '--ignore-not-found', '-o', 'name'])).toBe('');
    const pending = await env.kubectl(['get', 'pods', '-n', ns, '-l', 'app=web', '-o', 'jsonpath={.items[*].status.phase}']);
    expect(
      pending
        .split(' ')
        .filter(Boolean)
        .every((phase) => phase === 'Pending'),
    ).toBe(true);
  });

  describe('with a PodDisruptionBudget that allows no disruption', () => {
    beforeAll(async () => {
      await env.kubectl(['uncordon', node]);
      await env.kubectl(['delete', 'deploy', 'web', 'cache', '-n', ns, '--wait=true']);
      await apply(
        info,
        deploymentOnNode(node, ns, 'guarded', 2) +
          `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: guarded-pdb, namespace: ${ns}}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: guarded}}
`,
      );
      await running(4);
      await eventually(async () => (await env.kubectl(['get', 'pdb', 'guarded-pdb', '-n', ns, '-o', 'jsonpath={.status.currentHealthy}'])) === '2', 30_000);
    }, 120_000);

    it('the dry run says the budget refuses the evictions now', async () => {
      const text = await env.call('drain_node', { node, dryRun: true });
      expect(text).toMatch(/would cordon it and evict 2 pods: /);
      expect(text).toMatch(
        /A PodDisruptionBudget refuses these evictions now \(a real drain waits for it\): \S+\/guarded-\S+ \(The disruption budget guarded-pdb needs 2 healthy pods and has 2 currently\)/,
      );
      expect(await isCordoned(info, node)).toBe(false);
    });

    it('the drain waits with progress, then times out cleanly: node cordoned, the guarded pods named and still there', async () => {
      const progress: string[] = [];
      const started = Date.now();
      const r = await env.client.callTool({ name: 'drain_node', arguments: { node, timeoutSeconds: 8 } }, undefined, {
        timeout: 60_000,
        onprogress: (p) => void progress.push(p.message ?? ''),
      });
      // Without elicitation: the first answer is the question with a token.
      const token = /"confirm": "(kzc_[\w-]+)"/.exec(textOf(r))?.[1];
      expect(token, textOf(r)).toBeTruthy();
      const done = await env.client.callTool({ name: 'drain_node', arguments: { node, timeoutSeconds: 8, confirm: token } }, undefined, {
        timeout: 60_000,
        onprogress: (p) => void progress.push(p.message ?? ''),
      });
      const text = textOf(done);
      expect(done.isError).toBe(true);
      expect(Date.now() - started).toBeGreaterThan(7_000);
      expect(text).toMatch(
        new RegExp(
          `^Error: Drain of node ${node} incomplete \\(context ${info.contexts.admin}\\): it did not finish within 8 s\\. The node stays cordoned; evicted none; still on it: `,
        ),
      );
      expect(text).toMatch(/guarded-\S+ \(The disruption budget guarded-pdb needs 2 healthy pods and has 2 currently\)/);
      expect(text).toMatch(/What to try: A PodDisruptionBudget allows no more disruptions/);
      expect(progress.some((m) => /guarded-\S+: The disruption budget guarded-pdb .*; retrying every 5 s$/.test(m))).toBe(true);
      expect(await isCordoned(info, node)).toBe(true);
      expect(await onTheNode()).toEqual(['agent-*', 'guarded-*', 'guarded-*', 'static-x']);
    });

    it('cancelling stops the drain cleanly: node cordoned, the pods still there, the audit line names them', async () => {
      await env.kubectl(['uncordon', node]);
      const { client } = await answeringClient(env, () => true);
      const controller = new AbortController();
      try {
        const call = client
          .callTool({ name: 'drain_node', arguments: { node, timeoutSeconds: 600 } }, undefined, {
            signal: controller.signal,
            timeout: 60_000,
            onprogress: (p) => {
              if (/retrying every/.test(p.message ?? '')) controller.abort();
            },
          })
          .catch((err: unknown) => err);
        expect(await call).toBeInstanceOf(Error);
      } finally {
        await client.close();
      }
      const audit = await eventually(
        async () => env.server.server.audit.recent(20).find((e) => e.tool === 'drain_node' && e.outcome === 'cancelled'),
        15_000,
        200,
      );
      expect(audit?.summary).toMatch(
        new RegExp(
          `^Error: Cancelled: the drain of node ${node} stopped \\(context ${info.contexts.admin}\\); it stays cordoned; evicted none; still on it: \\S+/guarded-`,
        ),
      );
      expect(audit?.target).toBe(`node/${node}`);
      expect(await isCordoned(info, node)).toBe(true);
      expect(await onTheNode()).toEqual(['agent-*', 'guarded-*', 'guarded-*', 'static-x']);
    });
  });

  it.skipIf(info.external)('the restricted user gets an explained 403 and the node is untouched', async () => {
    const r = await env.callRaw('drain_node', { node, context: info.contexts.restricted! });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Forbidden: user "kz-restricted" .*cannot get nodes/);
  });
});
