/**
 * wait_for against the real test cluster (KWOK runs the pods), checked with kubectl: it returns when
 * kubectl rollout status / kubectl wait would, and a rollout that cannot finish is explained.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, createNamespaces, deleteNamespaces, startToolEnv, textOf, uniqueName, type ToolEnv } from './helpers.js';

const ns = uniqueName('kz-t-wait');
let env: ToolEnv;

function deployment(name: string, replicas: number, extraPodSpec = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {${extraPodSpec}containers: [{name: c, image: nginx:1.27}]}
`;
}

describe('wait_for', () => {
  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
  });
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ns);
      await env.close();
    }
  });

  it('waits for a Deployment to roll out, first and after a change, as kubectl rollout status does', async () => {
    await apply(env.info, deployment('web', 2));
    const first = await env.call('wait_for', { name: 'deploy/web', namespace: ns });
    expect(first).toMatch(
      new RegExp(`^deployment/web rolled out: 2 of 2 replicas updated and available \\(namespace ${ns}, context [^;]+; after \\d+ s\\)\\.$`),
    );
    expect(await env.kubectl(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=1s'])).toMatch(/successfully rolled out/);

    await env.kubectl(['-n', ns, 'set', 'image', 'deploy/web', 'c=nginx:1.28']);
    const second = await env.call('wait_for', { name: 'web', kind: 'deployments', namespace: ns, for: 'rollout' });
    expect(second).toMatch(/^deployment\/web rolled out: 2 of 2/);
    // Done means done: kubectl agrees at once, and only the new ReplicaSet has pods.
    expect(await env.kubectl(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=1s'])).toMatch(/successfully rolled out/);
    const images = await env.kubectl(['-n', ns, 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
    expect(images.split(/\s+/).filter(Boolean)).toEqual(['nginx:1.28', 'nginx:1.28']);
  });

  it('stops at the timeout with what the rollout waits for: pods that cannot be scheduled', async () => {
    await apply(env.info, deployment('stuck', 2, 'nodeSelector: {kz-test/none: "true"}, '));
    const progress: string[] = [];
    const started = Date.now();
    const answer = await env.client.callTool({ name: 'wait_for', arguments: { name: 'deploy/stuck', namespace: ns, timeoutSeconds: 3 } }, undefined, {
      onprogress: (p) => void progress.push(String(p.message)),
    });
    const result = { isError: answer.isError === true, text: textOf(answer) };
    // The stated timeout is the one kept: it waited the 3 s, not a poll interval less.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(progress[0]).toMatch(/^deployment\/stuck: /);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^Error: deployment\/stuck did not finish rolling out within 3 s \(namespace .*\): 0 of 2 updated replicas available\./m);
    expect(result.text).toMatch(/Pods not ready \(2 of 2\):/);
    expect(result.text).toMatch(/pod stuck-\S+: Pending, 0\/1 ready — Unschedulable: 0\/\d+ nodes are available/);
    expect(result.text).toMatch(/What to try: The pods above say what the rollout waits for/);
  });

  it('waits for a condition and for a field, as kubectl wait --for does', async () => {
    const available = await env.call('wait_for', { name: 'deploy/web', namespace: ns, for: 'condition=Available' });
    expect(available).toMatch(/^deployment\/web has condition Available=True/);
    const pod = (await env.kubectl(['-n', ns, 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    expect(await env.call('wait_for', { name: `pod/${pod}`, namespace: ns, for: 'condition=ready' })).toMatch(/has condition Ready=True/);
    expect(await env.call('wait_for', { name: `pod/${pod}`, namespace: ns, for: 'jsonpath={.status.phase}=Running' })).toMatch(/has \.status\.phase = Running/);
    const stuck = (await env.kubectl(['-n', ns, 'get', 'pods', '-l', 'app=stuck', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    const notReady = await env.callRaw('wait_for', { name: `pod/${stuck}`, namespace: ns, for: 'condition=Ready', timeoutSeconds: 2 });
    expect(notReady.text).toMatch(/did not reach condition Ready=True within 2 s .*: (has no condition Ready yet|condition Ready is False)/);
    const byPath = await env.callRaw('wait_for', {
      name: `pod/${stuck}`,
      namespace: ns,
      for: "jsonpath={.spec.containers[0].image}='nginx:9'",
      timeoutSeconds: 1,
    });
    expect(byPath.text).toMatch(/\.spec\.containers\[0\]\.image is nginx:1\.27/);
  });

  it('waits for an object to be deleted while kubectl deletes it', async () => {
    await env.kubectl(['-n', ns, 'create', 'configmap', 'doomed', '--from-literal=a=b']);
    const waiting = env.call('wait_for', { name: 'cm/doomed', namespace: ns, for: 'delete', timeoutSeconds: 30 });
    await new Promise((r) => setTimeout(r, 1500));
    await env.kubectl(['-n', ns, 'delete', 'configmap', 'doomed']);
    expect(await waiting).toMatch(/^configmap\/doomed is deleted/);
  });

  it('refuses what it cannot wait for, naming the argument', async () => {
    const cm = await env.callRaw('wait_for', { name: 'cm/anything', namespace: ns });
    expect(cm.text).toMatch(/for: missing; a ConfigMap has no rollout to wait for/);
    const bad = await env.callRaw('wait_for', { name: 'deploy/web', namespace: ns, for: 'happiness' });
    expect(bad.text).toMatch(/for: "happiness" is not something wait_for can wait for/);
    const rollout = await env.callRaw('wait_for', { name: 'cm/x', namespace: ns, for: 'rollout' });
    expect(rollout.text).toMatch(/a ConfigMap has no rollout/);
    const missing = await env.callRaw('wait_for', { name: 'deploy/nope', namespace: ns });
    expect(missing.text).toMatch(/Deployment "nope" not found/);
  });
});
