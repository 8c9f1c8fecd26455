// Acceptance tests for the local test cluster: each one runs the real binaries against the real cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { helm, kubectl, testCluster, type ClusterInfo } from './context.js';
import { freePort, sleep, tcpOpen } from './proc.js';

const info: ClusterInfo = testCluster();
const ns = `kz-accept-${randomBytes(3).toString('hex')}`;

async function ok(args: string[], opts: { context?: string; input?: string } = {}): Promise<string> {
  const r = await kubectl(info, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}`);
  return r.stdout;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await sleep(500);
  }
}

type Pod = { metadata: { name: string }; spec: { nodeName?: string }; status: { phase?: string } };
const runningPods = async (selector: string, namespace = ns) => {
  const list = JSON.parse(await ok(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json'])) as { items: Pod[] };
  return list.items.filter((p) => p.status.phase === 'Running');
};

const deployment = (name: string, replicas: number) =>
  toYaml({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10' }] },
      },
    },
  });

beforeAll(async () => {
  await ok(['create', 'namespace', ns]);
  await eventually('the default ServiceAccount', async () => (await kubectl(info, ['get', 'sa', 'default', '-n', ns])).code === 0);
});

afterAll(async () => {
  await kubectl(info, ['delete', 'namespace', ns, '--wait=false']);
});

describe('the local test cluster', () => {
  it('kubectl get nodes shows Ready KWOK nodes', async () => {
    const nodes = JSON.parse(await ok(['get', 'nodes', '-o', 'json'])) as {
      items: { metadata: { name: string; annotations?: Record<string, string> }; status: { conditions: { type: string; status: string }[] } }[];
    };
    const ready = nodes.items.filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
    expect(ready.length).toBeGreaterThanOrEqual(1);
    if (!info.external) {
      // Other test files add and remove nodes of their own meanwhile: the cluster's own must all be Ready.
      expect(ready.map((n) => n.metadata.name)).toEqual(expect.arrayContaining(info.nodes));
      expect(ready.every((n) => n.metadata.annotations?.['kwok.x-k8s.io/node'] === 'fake')).toBe(true);
    }
    expect(await ok(['get', 'nodes'])).toMatch(/\bReady\b/);
  });

  it('serves the Metrics API: kubectl top node and pod answer with the usage KWOK emulates', async () => {
    if (info.external) return;
    const svc = JSON.parse(await ok(['get', 'apiservice', 'v1beta1.metrics.k8s.io', '-o', 'json'])) as {
      status: { conditions: { type: string; status: string }[] };
    };
    expect(svc.status.conditions.find((c) => c.type === 'Available')?.status).toBe('True');
    const nodes = await eventually('kubectl top node to list every node', async () => {
      const r = await kubectl(info, ['top', 'node', '--no-headers']);
      const names = r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]);
      return r.code === 0 && info.nodes.every((n) => names.includes(n)) ? r.stdout : undefined;
    });
    expect(nodes).toMatch(/kwok-node-0\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
    await ok(['apply', '-f', '-'], {
      input: toYaml({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'busy', namespace: ns, annotations: { 'kwok.x-k8s.io/usage-cpu': '750m', 'kwok.x-k8s.io/usage-memory': '96Mi' } },
        spec: { containers: [{ name: 'busy', image: 'registry.k8s.io/pause:3.10' }] },
      }),
    });
    const top = await eventually('kubectl top pod busy', async () => {
      const r = await kubectl(info, ['top', 'pod', 'busy', '-n', ns, '--no-headers']);
      return r.code === 0 ? r.stdout : undefined;
    });
    // CPU is a rate over two scrapes, so clock jitter moves it by a millicore or two.
    const [name, cpu, memory] = top.trim().split(/\s+/);
    expect([name, memory]).toEqual(['busy', '96Mi']);
    expect(Math.abs(Number.parseInt(cpu!, 10) - 750)).toBeLessThanOrEqual(15);
  });

  it('fails on purpose: a pod labelled kz.test/fault=crashloop crash-loops with its exit code and its own logs', async () => {
    if (info.external) return;
    const { CONTAINER_FAULTS, faultPod } = await import('./faults.js');
    await ok(['apply', '-f', '-'], { input: faultPod('crashloop', { name: 'crashy', namespace: ns }) });
    type Status = { state?: { waiting?: { reason?: string } }; lastState?: { terminated?: { exitCode?: number; reason?: string } }; restartCount?: number };
    const st = await eventually('the crashloop pod to be in CrashLoopBackOff', async () => {
      const pod = JSON.parse(await ok(['get', 'pod', 'crashy', '-n', ns, '-o', 'json'])) as { status: { containerStatuses?: Status[] } };
      const s = pod.status.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    expect(st.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(st.restartCount).toBe(5);
    const previous = await ok(['logs', 'crashy', '-n', ns, '--previous']);
    expect(previous.trim().split('\n')).toEqual(CONTAINER_FAULTS.crashloop.previousLogLines);
  });

  it('records the fingerprint of what it was made of, which the harness compares before reusing it', async () => {
    if (info.external) return;
    const { clusterFingerprint } = await import('./harness.js');
    expect(info.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(info.fingerprint).toBe(clusterFingerprint());
  });

  it('a 3-replica Deployment reaches 3 Running pods on the fake nodes', async () => {
    await ok(['apply', '-f', '-'], { input: deployment('web', 3) });
    await ok(['rollout', 'status', `deployment/web`, '-n', ns, '--timeout=90s']);
    const pods = await eventually('3 Running pods', async () => {
      const p = await runningPods('app=web');
      return p.length === 3 && p;
    });
    expect(pods.every((p) => p.spec.nodeName && (info.external || info.nodes.includes(p.spec.nodeName)))).toBe(true);
  });

  it('kubectl logs deploy/<name> returns lines', async () => {
    const out = await eventually('log lines', async () => {
      const r = await kubectl(info, ['logs', 'deploy/web', '-n', ns]);
      return r.code === 0 && r.stdout.trim() !== '' && r.stdout;
    });
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    if (!info.external) expect(lines).toEqual(info.podLogLines);
    const tailed = await ok(['logs', 'deploy/web', '-n', ns, '--tail=2']);
    expect(tailed.trim().split('\n')).toHaveLength(2);
  });

  for (const major of [3, 4] as const) {
    it(`helm ${major}: install a fixture chart from the chart repository, list, upgrade, roll back`, async () => {
      const release = `kzdemo${major}`;
      const h = async (args: string[]) => {
        const r = await helm(info, major, args, { timeoutMs: 180_000 });
        if (r.code !== 0) throw new Error(`helm${major} ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}`);
        return r.stdout;
      };
      expect(await h(['version', '--short'])).toMatch(new RegExp(`^v${major}\\.`));
      await h(['repo', 'add', info.charts.repoName, info.charts.repoUrl, '--force-update']);
      await h(['repo', 'update']);
      expect(await h(['search', 'repo', `${info.charts.repoName}/kz-demo`, '--versions'])).toContain('0.2.0');
      await h(['install', release, `${info.charts.repoName}/kz-demo`, '--version', '0.1.0', '-n', ns, '--wait', '--timeout', '120s']);
      const list = JSON.parse(await h(['list', '-n', ns, '-o', 'json'])) as { name: string; status: string; chart: string }[];
      expect(list).toContainEqual(expect.objectContaining({ name: release, status: 'deployed', chart: 'kz-demo-0.1.0' }));
      expect((await runningPods(`app.kubernetes.io/instance=${release}`)).length).toBe(2);

      const localChart = info.charts.paths['kz-demo']?.['0.2.0'];
      expect(localChart).toBeDefined();
      await h(['upgrade', release, localChart!, '-n', ns, '--wait', '--timeout', '120s']);
      const cm = await ok(['get', 'configmap', `${release}-kz-demo`, '-n', ns, '-o', 'jsonpath={.data.chartVersion}']);
      expect(cm).toBe('0.2.0');
      await h(['rollback', release, '1', '-n', ns, '--wait', '--timeout', '120s']);
      const history = JSON.parse(await h(['history', release, '-n', ns, '-o', 'json'])) as { revision: number; chart: string }[];
      expect(history.map((r) => r.chart)).toEqual(['kz-demo-0.1.0', 'kz-demo-0.2.0', 'kz-demo-0.1.0']);
    });
  }

  it.skipIf(info.external)('the restricted user gets 403 listing Secrets, and may read its namespace', async () => {
    const ctx = info.contexts.restricted!;
    const rns = info.restrictedNamespace!;
    const secrets = await kubectl(info, ['get', 'secrets', '-n', rns, '-v=6'], { context: ctx });
    expect(secrets.code).not.toBe(0);
    expect(secrets.stderr).toMatch(/403 Forbidden/);
    expect(secrets.stderr).toContain('Error from server (Forbidden): secrets is forbidden: User "kz-restricted"');
    const elsewhere = await kubectl(info, ['get', 'pods', '-n', 'default'], { context: ctx });
    expect(elsewhere.stderr).toContain('(Forbidden)');
    expect(await ok(['get', 'configmap', 'kz-sample', '-n', rns, '-o', 'name'], { context: ctx })).toContain('configmap/kz-sample');
  });

  it.skipIf(info.external)('kubectl get ns works through the SSH bastion (real ssh -L forward, TLS checked against the real name)', async () => {
    const ssh = info.ssh!;
    const api = info.apiServer!;
    const kc = parseYaml(await readFile(info.kubeconfig, 'utf8')) as {
      contexts: { name: string; context: { cluster: string } }[];
      clusters: { name: string; cluster: { extensions?: { name: string; extension: Record<string, unknown> }[] } }[];
    };
    const clusterName = kc.contexts.find((c) => c.name === info.contexts.ssh)?.context.cluster;
    const ext = kc.clusters.find((c) => c.name === clusterName)?.cluster.extensions?.find((e) => e.name === 'kubezilla.dev/ssh-tunnel');
    expect(ext?.extension).toMatchObject({
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      identityFile: ssh.identityFile,
      knownHostsFile: ssh.knownHostsFile,
    });

    const fwd = await freePort();
    const child: ChildProcess = spawn(
      info.tools.ssh,
      [
        '-F',
        '/dev/null',
        '-N',
        '-p',
        String(ssh.port),
        '-i',
        ssh.identityFile,
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        `UserKnownHostsFile=${ssh.knownHostsFile}`,
        '-o',
        'ExitOnForwardFailure=yes',
        '-L',
        `127.0.0.1:${fwd}:${ssh.targetHost}:${ssh.targetPort}`,
        `${ssh.user}@${ssh.host}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let sshErr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (sshErr += c));
    try {
      await eventually(
        `the ssh forward on 127.0.0.1:${fwd}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`ssh exited ${child.exitCode}: ${sshErr}`);
          return tcpOpen(fwd);
        },
        20_000,
      );
      const out = await ok(['get', 'ns', '--server', `https://127.0.0.1:${fwd}`, '--tls-server-name', api.tlsServerName], { context: info.contexts.ssh! });
      expect(out).toMatch(/^default\s+Active/m);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('behaves like a real cluster: scale, rollout restart, events, StatefulSet, DaemonSet, Job, CronJob, CRD, Secret, ConfigMap', async () => {
    // Scale.
    await ok(['scale', 'deployment/web', '-n', ns, '--replicas=5']);
    await eventually('5 Running pods', async () => (await runningPods('app=web')).length === 5);
    await ok(['scale', 'deployment/web', '-n', ns, '--replicas=2']);
    await eventually('2 Running pods', async () => (await runningPods('app=web')).length === 2);
    // Rollout restart creates a new ReplicaSet.
    await ok(['rollout', 'restart', 'deployment/web', '-n', ns]);
    await ok(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=90s']);
    const rs = await ok(['get', 'rs', '-n', ns, '-l', 'app=web', '-o', 'name']);
    expect(rs.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    // Events.
    const events = await eventually('events for deployment/web', async () => {
      const out = await ok(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=web', '-o', 'json']);
      const items = (JSON.parse(out) as { items: { reason: string }[] }).items;
      return items.length > 0 && items;
    });
    expect(events.map((e) => e.reason)).toContain('ScalingReplicaSet');

    const manifests = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: ns }, data: { a: '1' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec', namespace: ns }, stringData: { token: 's3cr3t' } },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: ns },
        spec: {
          replicas: 2,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'registry.k8s.io/pause:3.10' }] } },
        },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: ns },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'registry.k8s.io/pause:3.10' }] } },
        },
      },
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'once', namespace: ns },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'once', image: 'registry.k8s.io/pause:3.10' }] } } },
      },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'tick', namespace: ns },
        spec: {
          schedule: '*/5 * * * *',
          jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'tick', image: 'registry.k8s.io/pause:3.10' }] } } } },
        },
      },
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `widgets.${ns}.kubezilla.dev` },
        spec: {
          group: `${ns}.kubezilla.dev`,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: [] },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
            },
          ],
        },
      },
    ];
    await ok(['apply', '-f', '-'], { input: manifests.map((m) => toYaml(m)).join('---\n') });
    expect(await ok(['get', 'secret', 'sec', '-n', ns, '-o', 'jsonpath={.data.token}'])).toBe(Buffer.from('s3cr3t').toString('base64'));
    expect(await ok(['get', 'configmap', 'cfg', '-n', ns, '-o', 'jsonpath={.data.a}'])).toBe('1');
    await ok(['rollout', 'status', 'statefulset/db', '-n', ns, '--timeout=90s']);
    expect((await runningPods('app=db')).map((p) => p.metadata.name).sort()).toEqual(['db-0', 'db-1']);
    await ok(['rollout', 'status', 'daemonset/agent', '-n', ns, '--timeout=90s']);
    expect((await runningPods('app=agent')).length).toBe(info.external ? (await runningPods('app=agent')).length : info.nodes.length);
    await ok(['wait', '--for=condition=complete', 'job/once', '-n', ns, '--timeout=90s']);
    await ok(['create', 'job', 'tick-now', '--from=cronjob/tick', '-n', ns]);
    await ok(['wait', '--for=condition=complete', 'job/tick-now', '-n', ns, '--timeout=90s']);
    await ok(['wait', '--for=condition=established', `crd/widgets.${ns}.kubezilla.dev`, '--timeout=60s']);
    await eventually('the Widget kind to be served', async () => (await kubectl(info, ['get', `widgets.${ns}.kubezilla.dev`, '-n', ns])).code === 0);
    await ok(['apply', '-f', '-'], {
      input: toYaml({ apiVersion: `${ns}.kubezilla.dev/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 3 } }),
    });
    expect(await ok(['get', `widgets.${ns}.kubezilla.dev`, 'w1', '-n', ns, '-o', 'jsonpath={.spec.size}'])).toBe('3');
    await ok(['delete', 'crd', `widgets.${ns}.kubezilla.dev`, '--wait=false']);
  });
});
