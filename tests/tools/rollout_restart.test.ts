/**
 * rollout_restart against the real test cluster, checked with kubectl: the same annotation
 * `kubectl rollout restart` sets, a new ReplicaSet for a Deployment, clear refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { apply, createNamespaces, deleteNamespaces, eventually, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const ns = uniqueName('kz-t-mut-restart');
const external = testCluster().external;
const RESTARTED_AT = 'kubectl\\.kubernetes\\.io/restartedAt';
let env: ToolEnv;

function workload(kind: string, name: string, namespace: string, extra = ''): string {
  return `apiVersion: apps/v1
kind: ${kind}
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${extra}  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
`;
}

async function replicaSets(app: string): Promise<string[]> {
  const out = await env.kubectl(['get', 'rs', '-n', ns, '-l', `app=${app}`, '-o', 'jsonpath={.items[*].metadata.name}']);
  return out.split(/\s+/).filter(Boolean).sort();
}

async function restartedAt(kind: string, name: string): Promise<string> {
  return env.kubectl(['get', kind, name, '-n', ns, '-o', `jsonpath={.spec.template.metadata.annotations.${RESTARTED_AT}}`]);
}

describe('rollout_restart', () => {
  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
    await apply(
      env.info,
      [
        workload('Deployment', 'web', ns, '  replicas: 2\n'),
        workload('Deployment', 'frozen', ns, '  replicas: 1\n  paused: true\n'),
        workload('StatefulSet', 'db', ns, '  replicas: 1\n  serviceName: db\n'),
        workload('DaemonSet', 'agent', ns),
      ].join('---\n'),
    );
    await env.kubectl(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=60s']);
  });
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ns);
      await env.close();
    }
  });

  it('restarts a Deployment like kubectl: the restartedAt annotation, then a new ReplicaSet', async () => {
    const before = await replicaSets('web');
    expect(before).toHaveLength(1);
    const text = await env.call('rollout_restart', { resource: 'deploy/web', namespace: ns });
    expect(text).toMatch(
      new RegExp(
        `^deployment/web restarted \\(namespace ${ns}, context kz-admin; kubectl.kubernetes.io/restartedAt=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ, generation 2\\)`,
      ),
    );
    const stamp = text.match(/restartedAt=(\S+?),/)![1]!;
    expect(Math.abs(Date.parse(stamp) - Date.now())).toBeLessThan(60_000);
    expect(await restartedAt('deploy', 'web')).toBe(stamp);
    const after = await eventually(async () => {
      const now = await replicaSets('web');
      return now.length > before.length ? now : undefined;
    }, 30_000);
    expect(after, 'a new ReplicaSet appears').toBeTruthy();
    const fresh = after!.filter((n) => !before.includes(n));
    expect(fresh).toHaveLength(1);
    const template = await env.kubectl(['get', 'rs', fresh[0]!, '-n', ns, '-o', `jsonpath={.spec.template.metadata.annotations.${RESTARTED_AT}}`]);
    expect(template).toBe(stamp);
    await env.kubectl(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=60s']);
  });

  it('restarts a StatefulSet and a DaemonSet', async () => {
    const sts = await env.call('rollout_restart', { resource: 'statefulset/db', namespace: ns });
    expect(sts).toMatch(/^statefulset\/db restarted /);
    expect(await restartedAt('sts', 'db')).toMatch(/^\d{4}-/);
    const ds = await env.call('rollout_restart', { resource: 'ds/agent', namespace: ns });
    expect(ds).toMatch(/^daemonset\/agent restarted /);
    expect(await restartedAt('ds', 'agent')).toMatch(/^\d{4}-/);
  });

  it('refuses other kinds, paused Deployments and missing objects, changing nothing', async () => {
    const cm = await env.callRaw('rollout_restart', { resource: 'cm/web', namespace: ns });
    expect(cm.isError).toBe(true);
    expect(cm.text).toMatch(/rollout_restart works on Deployments, StatefulSets and DaemonSets, not on ConfigMap/);
    const rs = (await replicaSets('web'))[0]!;
    const onRs = await env.callRaw('rollout_restart', { resource: `rs/${rs}`, namespace: ns });
    expect(onRs.text).toMatch(/not on ReplicaSet.*Restart the workload that owns it/s);

    const paused = await env.callRaw('rollout_restart', { resource: 'deploy/frozen', namespace: ns });
    expect(paused.isError).toBe(true);
    expect(paused.text).toMatch(/deployment\/frozen is paused.*nothing was changed.*rollout resume/s);
    expect(await restartedAt('deploy', 'frozen')).toBe('');

    const missing = await env.callRaw('rollout_restart', { resource: 'deploy/wbe', namespace: ns });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(new RegExp(`Deployment "wbe" not found in namespace "${ns}" .*Did you mean: web\\?`));
  });

  it.skipIf(external)('the restricted context gets an explained 403', async () => {
    const restrictedNs = env.info.restrictedNamespace!;
    const name = `${ns}-web`;
    await apply(env.info, workload('Deployment', name, restrictedNs, '  replicas: 1\n'));
    try {
      const r = await env.callRaw('rollout_restart', { resource: `deploy/${name}`, namespace: restrictedNs, context: env.info.contexts.restricted! });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(new RegExp(`Forbidden: user "kz-restricted" .*cannot patch deployments.apps "${name}" in namespace "${restrictedNs}"`));
    } finally {
      await env.kubectl(['delete', 'deploy', name, '-n', restrictedNs, '--ignore-not-found'], { allowFail: true });
    }
  });

  it('a restart in a protected namespace (kube-system) asks for confirmation first', async () => {
    const name = `${ns}-sys`;
    await apply(env.info, workload('Deployment', name, 'kube-system'));
    try {
      const r = await env.callRaw('rollout_restart', { resource: `deploy/${name}`, namespace: 'kube-system' });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/Needs confirmation: rollout_restart will change the protected namespace "kube-system"/);
      expect(await env.kubectl(['get', 'deploy', name, '-n', 'kube-system', '-o', 'jsonpath={.spec.template.metadata.annotations}'])).toBe('');
      const done = await env.callConfirmed('rollout_restart', { resource: `deploy/${name}`, namespace: 'kube-system' });
      expect(done.text).toMatch(/restarted/);
    } finally {
      await env.kubectl(['delete', 'deploy', name, '-n', 'kube-system', '--ignore-not-found'], { allowFail: true });
    }
  });

  it('records the calls in the audit log with their target', async () => {
    const audit = env.server.server.audit.recent(200).filter((e) => e.tool === 'rollout_restart' && e.namespace === ns);
    expect(audit.find((e) => e.target === 'deploy/web' && e.outcome === 'ok' && e.summary.startsWith('deployment/web restarted'))).toBeTruthy();
    expect(audit.find((e) => e.target === 'deploy/frozen' && e.outcome === 'error')).toBeTruthy();
  });
});
