/**
 * get_pod_logs against the real test cluster through a real MCP client, checked against kubectl.
 * KWOK gives every container the same ten lines (timestamped at cluster start) and two more for
 * --previous, so the expected text is known and kubectl must agree with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { apply, createNamespaces, deleteNamespaces, eventually, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const ns = uniqueName('kz-t-logs');
let env: ToolEnv;
/** An external cluster (KUBEZILLA_TEST_KUBECONFIG) has no restricted user and no bastion. */
const external = testCluster().external;

const pod = (name: string, containers: string[], extra = '') => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
${extra}
spec:
  containers:
${containers.map((c) => `  - {name: ${c}, image: busybox}`).join('\n')}
`;

const lines = (text: string) =>
  text
    .split('\n\n')[0]!
    .split('\n')
    .filter((l) => l !== '');

beforeAll(async () => {
  env = await startToolEnv();
  await createNamespaces(env.info, ns);
  await apply(
    env.info,
    [
      pod('single', ['app']),
      pod('multi', ['alpha', 'beta']),
      pod('multi-default', ['alpha', 'beta'], '  annotations: {kubectl.kubernetes.io/default-container: beta}'),
      `apiVersion: v1
kind: Pod
metadata: {name: stuck, namespace: ${ns}}
spec:
  nodeSelector: {kz-test: no-such-node}
  containers: [{name: app, image: busybox}]`,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}`,
      pod('pulling', ['app']),
      `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: busybox}]}`,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: ${ns}}
spec:
  replicas: 12
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec: {containers: [{name: app, image: nginx}]}`,
      `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ${ns}}
spec:
  schedule: "0 0 1 1 *"
  suspend: true
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: job, image: busybox}]`,
    ].join('\n---\n'),
  );
  await env.kubectl(['-n', ns, 'create', 'job', '--from=cronjob/nightly', 'nightly-manual']);
  const ready = await eventually(async () => {
    const out = await env.kubectl(['-n', ns, 'get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}']);
    const running = out.split(' ').filter((p) => p.endsWith('=Running')).length;
    const jobPod = /nightly-manual-\S+=(Running|Succeeded)/.test(out);
    return running >= 6 + env.info.nodes.length + 12 && jobPod ? out : '';
  }, 60_000);
  expect(ready, 'pods did not start').toBeTruthy();
}, 120_000);

afterAll(async () => {
  await env?.close();
  if (env) await deleteNamespaces(env.info, ns);
});

describe('get_pod_logs', () => {
  it('reads one pod like kubectl logs, with tailLines', async () => {
    const want = await env.kubectl(['-n', ns, 'logs', 'single', '--tail', '3']);
    const text = await env.call('get_pod_logs', { name: 'single', namespace: ns, tailLines: 3 });
    expect(lines(text)).toEqual(want.trim().split('\n'));
    expect(lines(text)).toEqual(env.info.podLogLines.slice(-3));
    // pod/x is the same thing
    expect(await env.call('get_pod_logs', { name: 'pod/single', namespace: ns, tailLines: 3 })).toBe(text);
  });

  it('defaults to 100 lines and shows timestamps only when asked', async () => {
    const all = await env.call('get_pod_logs', { name: 'single', namespace: ns });
    expect(lines(all)).toEqual(env.info.podLogLines);
    const want = await env.kubectl(['-n', ns, 'logs', 'single', '--tail', '2', '--timestamps']);
    const stamped = await env.call('get_pod_logs', { name: 'single', namespace: ns, tailLines: 2, timestamps: true });
    expect(lines(stamped)).toEqual(want.trim().split('\n'));
    expect(lines(stamped)[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z kz-fake-log line 9 of 10$/);
  });

  it('sinceSeconds: nothing in the last seconds (as kubectl), everything over a long window', async () => {
    const kubectlRecent = await env.kubectl(['-n', ns, 'logs', 'single', '--since', '2s']);
    expect(kubectlRecent.trim()).toBe('');
    const recent = await env.call('get_pod_logs', { name: 'single', namespace: ns, sinceSeconds: 2 });
    expect(recent).toContain('(no log lines in the last 2s)');
    const wide = await env.call('get_pod_logs', { name: 'single', namespace: ns, sinceSeconds: 86_400 });
    expect(lines(wide)).toEqual((await env.kubectl(['-n', ns, 'logs', 'single', '--since', '86400s'])).trim().split('\n'));
  });

  it('previous gives the previous run, as kubectl logs --previous', async () => {
    const want = await env.kubectl(['-n', ns, 'logs', 'single', '--previous']);
    const text = await env.call('get_pod_logs', { name: 'single', namespace: ns, previous: true });
    expect(lines(text)).toEqual(want.trim().split('\n'));
    expect(text).toContain('previous container line 2');
  });

  it('filters by substring and by /regex/ before counting the tail', async () => {
    const sub = await env.call('get_pod_logs', { name: 'single', namespace: ns, filter: 'line 1' });
    expect(lines(sub)).toEqual(['kz-fake-log line 1 of 10', 'kz-fake-log line 10 of 10']);
    const re = await env.call('get_pod_logs', { name: 'single', namespace: ns, filter: '/LINE [23] OF/i', tailLines: 1 });
    expect(lines(re)).toEqual(['kz-fake-log line 3 of 10']);
    const none = await env.call('get_pod_logs', { name: 'single', namespace: ns, filter: 'no such text' });
    expect(none).toMatch(/no line matches no such text; scanned 10 lines/);
    const bad = await env.callRaw('get_pod_logs', { name: 'single', namespace: ns, filter: '/(unclosed/' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/filter: .* not a valid regular expression/);
  });

  it("merges a deployment's pods in time order, each line prefixed by its pod", async () => {
    const podNames = (await env.kubectl(['-n', ns, 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ').sort();
    expect(podNames).toHaveLength(2);
    const text = await env.call('get_pod_logs', { name: 'deploy/web', namespace: ns, tailLines: 2 });
    const body = lines(text);
    expect(body[0]).toMatch(/^deployment\/web: 2 pods, container "app", up to 2 newest lines each/);
    // Every pod's lines carry the same timestamps: ties keep pod order, so line 9 of both, then line 10 of both.
    expect(body.slice(1)).toEqual([
      `[${podNames[0]}] kz-fake-log line 9 of 10`,
      `[${podNames[1]}] kz-fake-log line 9 of 10`,
      `[${podNames[0]}] kz-fake-log line 10 of 10`,
      `[${podNames[1]}] kz-fake-log line 10 of 10`,
    ]);
    for (const p of podNames) {
      const want = (await env.kubectl(['-n', ns, 'logs', p, '--tail', '2'])).trim().split('\n');
      expect(body.filter((l) => l.startsWith(`[${p}] `)).map((l) => l.slice(p.length + 3))).toEqual(want);
    }
    const filtered = await env.call('get_pod_logs', { name: 'deploy/web', namespace: ns, filter: '/line 5 of/' });
    expect(lines(filtered).slice(1)).toEqual(podNames.map((p) => `[${p}] kz-fake-log line 5 of 10`));
    const prev = await env.call('get_pod_logs', { name: 'deployment.apps/web', namespace: ns, previous: true, tailLines: 1 });
    expect(lines(prev).slice(1)).toEqual(podNames.map((p) => `[${p}] kz-fake-log previous container line 2`));
  });

  it("cj/ reads the newest job's pods", async () => {
    const text = await env.call('get_pod_logs', { name: 'cj/nightly', namespace: ns, tailLines: 1 });
    expect(lines(text)[0]).toMatch(/^cronjob\/nightly \(newest Job nightly-manual\): 1 pod, container "job"/);
    expect(lines(text)[1]).toMatch(/^\[nightly-manual-\S+\] kz-fake-log line 10 of 10$/);
    const job = await env.call('get_pod_logs', { name: 'job/nightly-manual', namespace: ns, tailLines: 1 });
    expect(lines(job)[1]).toBe(lines(text)[1]);
  });

  it('a multi-container pod without container: the error lists the containers', async () => {
    const r = await env.callRaw('get_pod_logs', { name: 'multi', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/pod multi has 2 containers.*alpha, beta/);
    const ok = await env.call('get_pod_logs', { name: 'multi', namespace: ns, container: 'beta', tailLines: 1 });
    expect(lines(ok)).toEqual([(await env.kubectl(['-n', ns, 'logs', 'multi', '-c', 'beta', '--tail', '1'])).trim()]);
    const wrong = await env.callRaw('get_pod_logs', { name: 'multi', namespace: ns, container: 'gamma' });
    expect(wrong.isError).toBe(true);
    expect(wrong.text).toMatch(/container: pod multi has no container "gamma" \(containers: alpha, beta\)/);
  });

  it('honours the default-container annotation', async () => {
    const text = await env.call('get_pod_logs', { name: 'multi-default', namespace: ns, tailLines: 1 });
    expect(lines(text)).toEqual(['kz-fake-log line 10 of 10']);
    expect(text).toContain('container "beta" (from the kubectl.kubernetes.io/default-container annotation); the others: alpha');
  });

  it('says why a pod has not started', async () => {
    const r = await env.callRaw('get_pod_logs', { name: 'stuck', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/No logs yet: pod stuck has not started \(phase Pending\): not scheduled: Unschedulable/);
    expect(r.text).toMatch(/node\(s\) didn't match Pod's node affinity\/selector/);
  });

  it('points at previous for a restarted container', async () => {
    await env.kubectl([
      '-n',
      ns,
      'patch',
      'pod',
      'single',
      '--subresource=status',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'replace', path: '/status/containerStatuses/0/restartCount', value: 4 },
        {
          op: 'add',
          path: '/status/containerStatuses/0/lastState',
          value: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z' } },
        },
      ]),
    ]);
    const text = await env.call('get_pod_logs', { name: 'single', namespace: ns, tailLines: 1 });
    expect(text).toMatch(
      /container "app" of pod single restarted 4 times; last run ended OOMKilled \(exit 137\).*previous=true shows the log of the run before the restart/,
    );
  });

  it('a missing pod names near names; a non-workload kind is refused', async () => {
    const r = await env.callRaw('get_pod_logs', { name: 'singel', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(new RegExp(`Pod "singel" not found in namespace "${ns}".*Did you mean: single`));
    const cm = await env.callRaw('get_pod_logs', { name: 'configmap/x', namespace: ns });
    expect(cm.isError).toBe(true);
    expect(cm.text).toMatch(/ConfigMap is not a workload kind/);
    const missingDeploy = await env.callRaw('get_pod_logs', { name: 'deploy/webb', namespace: ns });
    expect(missingDeploy.text).toMatch(/Deployment "webb" not found.*Did you mean: web/);
  });

  it.skipIf(external)('403 from the restricted context names the user, verb and namespace', async () => {
    const r = await env.callRaw('get_pod_logs', { name: 'single', namespace: ns, context: env.info.contexts.restricted });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Forbidden: user "[^"]+" \(context "kz-restricted"\) cannot get pods "single" in namespace/);
    expect(r.text).toContain(ns);
  });

  it.skipIf(external)('reads logs through the SSH bastion context', async () => {
    const text = await env.call('get_pod_logs', { name: 'single', namespace: ns, tailLines: 3, context: env.info.contexts.ssh });
    expect(lines(text)).toEqual(env.info.podLogLines.slice(-3));
    const merged = await env.call('get_pod_logs', { name: 'deploy/web', namespace: ns, tailLines: 1, context: env.info.contexts.ssh });
    expect(lines(merged).slice(1)).toHaveLength(2);
  });

  it('keeps the newest lines within the output budget and says what it dropped', async () => {
    const small = await startToolEnv({ settings: { policy: { maxOutputBytes: 1024 } } });
    try {
      const text = await small.call('get_pod_logs', { name: 'deploy/web', namespace: ns });
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024);
      expect(text).toMatch(/\[dropped the \d+ oldest of 20 lines to fit the output budget/);
      expect(lines(text).at(-1)).toMatch(/kz-fake-log line 10 of 10$/);
    } finally {
      await small.close();
    }
  });

  it("reads a DaemonSet's pods, and says which pod has not started and why", async () => {
    const pods = (await env.kubectl(['-n', ns, 'get', 'pods', '-l', 'app=agent', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ').sort();
    expect(pods).toHaveLength(env.info.nodes.length);
    const waiting = JSON.stringify([
      {
        op: 'replace',
        path: '/status/containerStatuses/0/state',
        value: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "busybox"' } },
      },
      { op: 'replace', path: '/status/containerStatuses/0/ready', value: false },
    ]);
    await env.kubectl(['-n', ns, 'patch', 'pod', pods[0]!, '--subresource=status', '--type=json', '-p', waiting]);
    const text = await env.call('get_pod_logs', { name: 'ds/agent', namespace: ns, tailLines: 1 });
    expect(lines(text)[0]).toMatch(new RegExp(`^daemonset/agent: ${pods.length} pods, container "agent"`));
    expect(lines(text).slice(1)).toEqual(pods.slice(1).map((p) => `[${p}] kz-fake-log line 10 of 10`));
    expect(text).toContain(
      `[skipped pod ${pods[0]} has not started (phase Running): container "agent" is waiting: ImagePullBackOff (Back-off pulling image "busybox")]`,
    );

    await env.kubectl(['-n', ns, 'patch', 'pod', 'pulling', '--subresource=status', '--type=json', '-p', waiting]);
    const single = await env.callRaw('get_pod_logs', { name: 'pulling', namespace: ns });
    expect(single.isError).toBe(true);
    expect(single.text).toMatch(/No logs yet: pod pulling has not started \(phase Running\): container "app" is waiting: ImagePullBackOff/);
  });

  it('a workload none of whose pods has started is an error that says why', async () => {
    await apply(
      env.info,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: nowhere, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: nowhere}}
  template:
    metadata: {labels: {app: nowhere}}
    spec: {nodeSelector: {kz-test: no-such-node}, containers: [{name: app, image: nginx}]}`,
    );
    await eventually(
      async () => (await env.kubectl(['-n', ns, 'get', 'pods', '-l', 'app=nowhere', '-o', 'name'])).trim().split('\n').filter(Boolean).length === 2,
      30_000,
    );
    const r = await env.callRaw('get_pod_logs', { name: 'deploy/nowhere', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(
      /No logs from deployment\/nowhere: none of its 2 pods could be read\. pod nowhere-\S+ has not started \(phase Pending\): not scheduled/,
    );
  });

  it('caps a large workload at 10 pods and says so', async () => {
    const text = await env.call('get_pod_logs', { name: 'deploy/big', namespace: ns, tailLines: 1 });
    expect(lines(text)[0]).toMatch(/^deployment\/big: 10 pods, container "app"/);
    expect(lines(text).slice(1)).toHaveLength(10);
    expect(text).toMatch(/\[showing 10 of 12 pods \(running and newest first\); name one pod to read another: big-\S+, big-\S+\]/);
  });

  it('names a running init container when the main one waits for it', async () => {
    await apply(
      env.info,
      `apiVersion: v1
kind: Pod
metadata: {name: initpod, namespace: ${ns}}
spec:
  initContainers: [{name: setup, image: busybox}]
  containers: [{name: app, image: busybox}]`,
    );
    await eventually(async () => (await env.kubectl(['-n', ns, 'get', 'pod', 'initpod', '-o', 'jsonpath={.status.phase}'])) === 'Running', 30_000);
    await env.kubectl([
      '-n',
      ns,
      'patch',
      'pod',
      'initpod',
      '--subresource=status',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'replace', path: '/status/phase', value: 'Pending' },
        { op: 'replace', path: '/status/initContainerStatuses/0/state', value: { running: { startedAt: '2026-01-01T00:00:00Z' } } },
        { op: 'replace', path: '/status/containerStatuses/0/state', value: { waiting: { reason: 'PodInitializing' } } },
      ]),
    ]);
    const r = await env.callRaw('get_pod_logs', { name: 'initpod', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(
      /pod initpod has not started \(phase Pending\): container "app" is waiting: PodInitializing; init container "setup" is running; read its log with container "setup"/,
    );
    const init = await env.call('get_pod_logs', { name: 'initpod', namespace: ns, container: 'setup', tailLines: 1 });
    expect(lines(init)).toEqual([(await env.kubectl(['-n', ns, 'logs', 'initpod', '-c', 'setup', '--tail', '1'])).trim()]);
  });

  it('skips, with a note, a workload pod that lacks the container', async () => {
    await apply(env.info, `${pod('mixed-b', ['other'], '  labels: {app: mixed}')}`);
    await eventually(async () => (await env.kubectl(['-n', ns, 'get', 'pod', 'mixed-b', '-o', 'jsonpath={.status.phase}'])) === 'Running', 30_000);
    await apply(
      env.info,
      `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: mixed, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: mixed}}
  template:
    metadata: {labels: {app: mixed}}
    spec: {containers: [{name: main, image: busybox}]}`,
    );
    const adopted = await eventually(async () => {
      const out = await env.kubectl([
        '-n',
        ns,
        'get',
        'pods',
        '-l',
        'app=mixed',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.metadata.ownerReferences[0].name}={.status.phase} {end}',
      ]);
      const parts = out.trim().split(' ').filter(Boolean);
      return parts.length === 2 && parts.every((p) => p.endsWith('=mixed=Running')) ? parts.map((p) => p.split('=')[0]!) : undefined;
    }, 30_000);
    expect(adopted).toBeDefined();
    const other = adopted!.find((n) => n !== 'mixed-b')!;
    const text = await env.call('get_pod_logs', { name: 'rs/mixed', namespace: ns, tailLines: 1, container: 'main' });
    expect(lines(text)[0]).toMatch(/^replicaset\/mixed: 1 pod, container "main"/);
    expect(lines(text)[1]).toBe(`[${other}] kz-fake-log line 10 of 10`);
    expect(text).toMatch(/\[skipped pod mixed-b: container: replicaset\/mixed \(pod mixed-b\) has no container "main" \(containers: other\)\.\]/);
  });
});
