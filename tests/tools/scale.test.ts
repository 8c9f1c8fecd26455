/**
 * scale against the real test cluster through a real MCP client, checked with kubectl: replicas and
 * Running pods follow, risky changes need confirmation, errors explain themselves, and every call
 * is in the audit log.
 */
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { apply, createNamespaces, deleteNamespaces, eventually, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const ns = uniqueName('kz-t-mut-scale');
const external = testCluster().external;
let env: ToolEnv;

function deployment(name: string, namespace: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
`;
}

async function replicas(kind: string, name: string): Promise<number> {
  return Number(await env.kubectl(['get', kind, name, '-n', ns, '-o', 'jsonpath={.spec.replicas}']));
}

async function runningPods(app: string): Promise<number> {
  const out = await env.kubectl(['get', 'pods', '-n', ns, '-l', `app=${app}`, '--field-selector', 'status.phase=Running', '-o', 'name']);
  return out.split('\n').filter((l) => l.trim()).length;
}

describe('scale', () => {
  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
    await apply(
      env.info,
      deployment('web', ns, 1) +
        `---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${ns}}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: postgres:16}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: busybox}]}
`,
    );
  });
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ns);
      await env.close();
    }
  });

  it('scales a Deployment up and down; kubectl sees the replicas and the Running pods follow', async () => {
    const up = await env.call('scale', { resource: 'deploy/web', replicas: 3, namespace: ns });
    expect(up).toMatch(/^deployment\/web scaled: 1 → 3 /);
    expect(up).toMatch(/list_resources/);
    expect(up).not.toContain('Note: hpa/');
    expect(await replicas('deploy', 'web')).toBe(3);
    expect(await eventually(async () => (await runningPods('web')) === 3, 45_000)).toBe(true);

    const down = await env.call('scale', { resource: 'deployment.apps/web', replicas: 2, namespace: ns });
    expect(down).toMatch(/^deployment\/web scaled: 3 → 2 /);
    expect(await replicas('deploy', 'web')).toBe(2);
    expect(await eventually(async () => (await runningPods('web')) === 2, 45_000)).toBe(true);

    const same = await env.call('scale', { resource: 'deploy web', replicas: 2, namespace: ns });
    expect(same).toMatch(/already has 2 replicas; nothing changed/);
  });

  it('says when a HorizontalPodAutoscaler manages the workload, since it will set the replicas again', async () => {
    await apply(
      env.info,
      deployment('auto', ns, 1) +
        `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: auto-hpa, namespace: ${ns}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: auto}
  minReplicas: 1
  maxReplicas: 3
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]
`,
    );
    const text = await env.call('scale', { resource: 'deploy/auto', replicas: 2, namespace: ns });
    expect(text).toMatch(/^deployment\/auto scaled: 1 → 2 /);
    expect(text).toContain('\nNote: hpa/auto-hpa (min 1, max 3) scales deployment/auto itself and will set its replicas again at its next sync;');
    expect(await env.kubectl(['get', 'hpa', 'auto-hpa', '-n', ns, '-o', 'jsonpath={.spec.scaleTargetRef.name}'])).toBe('auto');
  });

  it('scales a StatefulSet', async () => {
    expect(await env.call('scale', { resource: 'sts/db', replicas: 2, namespace: ns })).toMatch(/^statefulset\/db scaled: 1 → 2 /);
    expect(await replicas('sts', 'db')).toBe(2);
    expect(await eventually(async () => (await runningPods('db')) === 2, 45_000)).toBe(true);
  });

  it("scaling to 0 needs confirmation; repeated with the refusal's token it happens", async () => {
    await env.call('scale', { resource: 'sts/db', replicas: 1, namespace: ns });
    const refused = await env.callRaw('scale', { resource: 'sts/db', replicas: 0, namespace: ns });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/Needs confirmation: Scale statefulset\/db .* from 1 to 0 replicas/);
    expect(refused.text).toMatch(/"confirm": "kzc_/);
    expect(await replicas('sts', 'db')).toBe(1);
    const invented = await env.callRaw('scale', { resource: 'sts/db', replicas: 0, namespace: ns, confirm: true });
    expect(invented.text).toMatch(/"confirm": true is not a confirmation/);
    expect(await replicas('sts', 'db')).toBe(1);

    const done = await env.callConfirmed('scale', { resource: 'sts/db', replicas: 0, namespace: ns });
    expect(done.questions).toEqual([expect.stringMatching(/^Scale statefulset\/db .* from 1 to 0 replicas/)]);
    expect(done.text).toMatch(/^statefulset\/db scaled: 1 → 0 /);
    expect(await replicas('sts', 'db')).toBe(0);
    expect(await eventually(async () => (await runningPods('db')) === 0, 45_000)).toBe(true);
  });

  it('asks through elicitation when the client offers it: a yes scales, a no changes nothing', async () => {
    const { client } = await connectClient(env.server.url, env.server.token, { elicitation: { form: {} } });
    try {
      const asked: string[] = [];
      let answer = false;
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params.message);
        return { action: 'accept', content: { confirm: answer } };
      });
      await env.kubectl(['scale', 'sts/db', '-n', ns, '--replicas=1']);
      const no = await client.callTool({ name: 'scale', arguments: { resource: 'sts/db', replicas: 0, namespace: ns } });
      expect(no.isError).toBe(true);
      expect(textOf(no)).toMatch(/Not done: the person declined/);
      expect(asked[0]).toMatch(/Scale statefulset\/db .* from 1 to 0 replicas\?/);
      expect(await replicas('sts', 'db')).toBe(1);
      answer = true;
      const yes = await client.callTool({ name: 'scale', arguments: { resource: 'sts/db', replicas: 0, namespace: ns } });
      expect(textOf(yes)).toMatch(/^statefulset\/db scaled: 1 → 0 /);
      expect(await replicas('sts', 'db')).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('a tenfold jump needs confirmation; a smaller one does not', async () => {
    await env.kubectl(['scale', 'deploy/web', '-n', ns, '--replicas=2']);
    const refused = await env.callRaw('scale', { resource: 'deploy/web', replicas: 20, namespace: ns });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/Needs confirmation: Scale deployment\/web .* from 2 to 20 replicas \(a 10× jump\)/);
    expect(await replicas('deploy', 'web')).toBe(2);
    expect((await env.callConfirmed('scale', { resource: 'deploy/web', replicas: 20, namespace: ns })).text).toMatch(/scaled: 2 → 20/);
    expect(await replicas('deploy', 'web')).toBe(20);
    expect(await env.call('scale', { resource: 'deploy/web', replicas: 2, namespace: ns })).toMatch(/scaled: 20 → 2/);
    expect(await env.call('scale', { resource: 'deploy/web', replicas: 19, namespace: ns })).toMatch(/scaled: 2 → 19/);
    await env.call('scale', { resource: 'deploy/web', replicas: 1, namespace: ns });
  });

  it('an unknown workload: not found with near names', async () => {
    const r = await env.callRaw('scale', { resource: 'deploy/wbe', replicas: 2, namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(new RegExp(`Deployment "wbe" not found in namespace "${ns}" .*Did you mean: web\\?`));
    const kube = await env.kubectl(['scale', 'deploy/wbe', '-n', ns, '--replicas=2'], { allowFail: true });
    expect(kube).toMatch(/not found/);
  });

  it('refuses kinds without a scale subresource, and references that are not kind/name', async () => {
    const ds = await env.callRaw('scale', { resource: 'ds/agent', replicas: 2, namespace: ns });
    expect(ds.isError).toBe(true);
    expect(ds.text).toMatch(/DaemonSet cannot be scaled.*one pod per matching node/s);
    const cm = await env.callRaw('scale', { resource: 'cm/x', replicas: 2, namespace: ns });
    expect(cm.text).toMatch(/ConfigMap cannot be scaled/);
    const bare = await env.callRaw('scale', { resource: 'web', replicas: 2, namespace: ns });
    expect(bare.text).toMatch(/resource: "web" is not kind\/name/);
  });

  it.skipIf(external)('the restricted context gets an explained 403 and nothing changes', async () => {
    const restrictedNs = env.info.restrictedNamespace!;
    const name = `${ns}-web`;
    await apply(env.info, deployment(name, restrictedNs, 1));
    try {
      const r = await env.callRaw('scale', { resource: `deploy/${name}`, replicas: 2, namespace: restrictedNs, context: env.info.contexts.restricted! });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(new RegExp(`Forbidden: user "kz-restricted" .*cannot patch deployments.apps/scale "${name}" in namespace "${restrictedNs}"`));
      expect(r.text).toMatch(/kubectl auth can-i patch/);
      expect(await env.kubectl(['get', 'deploy', name, '-n', restrictedNs, '-o', 'jsonpath={.spec.replicas}'])).toBe('1');
    } finally {
      await env.kubectl(['delete', 'deploy', name, '-n', restrictedNs, '--ignore-not-found'], { allowFail: true });
    }
  });

  it('a change in a protected namespace (kube-system) asks for confirmation first', async () => {
    const name = `${ns}-sys`;
    await apply(env.info, deployment(name, 'kube-system', 1));
    try {
      const r = await env.callRaw('scale', { resource: `deploy/${name}`, replicas: 2, namespace: 'kube-system' });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/Needs confirmation: scale will change the protected namespace "kube-system"/);
      expect(await env.kubectl(['get', 'deploy', name, '-n', 'kube-system', '-o', 'jsonpath={.spec.replicas}'])).toBe('1');
    } finally {
      await env.kubectl(['delete', 'deploy', name, '-n', 'kube-system', '--ignore-not-found'], { allowFail: true });
    }
  });

  it('asks also when the namespace comes from the context rather than the arguments', async () => {
    const guarded = await startToolEnv({ settings: { policy: { protectedNamespaces: ['default'] } } });
    try {
      const name = `${ns}-guard`;
      await apply(env.info, deployment(name, 'default', 1));
      try {
        const r = await guarded.callRaw('scale', { resource: `deploy/${name}`, replicas: 2 });
        expect(r.text).toMatch(/Needs confirmation: scale will change the protected namespace "default" in context kz-admin/);
        expect(await env.kubectl(['get', 'deploy', name, '-n', 'default', '-o', 'jsonpath={.spec.replicas}'])).toBe('1');
        expect((await guarded.callConfirmed('scale', { resource: `deploy/${name}`, replicas: 2 })).text).toMatch(/scaled: 1 → 2/);
      } finally {
        await env.kubectl(['delete', 'deploy', name, '-n', 'default', '--ignore-not-found'], { allowFail: true });
      }
    } finally {
      await guarded.close();
    }
  });

  it('records every call in the audit log with its target', async () => {
    const audit = env.server.server.audit.recent(200).filter((e) => e.tool === 'scale' && e.namespace === ns);
    const done = audit.find((e) => e.target === 'deploy/web' && e.outcome === 'ok' && e.summary.startsWith('deployment/web scaled: 1 → 3'));
    expect(done).toBeTruthy();
    expect(audit.find((e) => e.target === 'sts/db' && e.outcome === 'refused' && /Needs confirmation/.test(e.summary))).toBeTruthy();
    expect(audit.find((e) => e.target === 'deploy/wbe' && e.outcome === 'error')).toBeTruthy();
  });
});
