/**
 * The clusters provider against the real local control plane (kube-apiserver + etcd + KWOK) and
 * its OpenSSH bastion, from tests/cluster/. Contexts: kz-admin, kz-restricted, kz-ssh.
 */
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster, type ClusterInfo } from '../cluster/context.js';
import { ToolError } from '../../src/kernel/contract.js';
import { ClusterProvider } from '../../src/providers/cluster/clusters.js';
import { KubeApiError } from '../../src/providers/cluster/kube-errors.js';
import { KubeconfigStore } from '../../src/providers/cluster/kubeconfig.js';
import { TunnelRegistry, type TunnelConfig } from '../../src/providers/cluster/tunnels.js';
import { freePort, keygen } from './helpers/sshd.js';

const execFileAsync = promisify(execFile);
const CRD_GROUP = 'providers.kubezilla.dev';
const CRD_NAME = `kzwidgets.${CRD_GROUP}`;

/** Kills the bastion's sshd processes serving the SSH connection from our local port (only ours). */
function killSshSession(sshPort: number, localPort: number): number[] {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( sport = :${sshPort} and dport = :${localPort} )`]).toString();
  const pids = [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
  for (const pid of new Set(pids)) process.kill(pid, 'SIGKILL');
  return pids;
}

describe('clusters provider against the real control plane', () => {
  let info: ClusterInfo;
  let dir: string;
  let provider: ClusterProvider;
  let tunnels: TunnelRegistry;
  let sshTunnel: TunnelConfig;

  beforeAll(() => {
    info = testCluster();
    dir = mkdtempSync(join(tmpdir(), 'kz-providers-it-'));
    tunnels = new TunnelRegistry({ agentSocket: '', connectTimeoutMs: 5000 });
    provider = new ClusterProvider({
      kubeconfig: new KubeconfigStore({ env: { KUBECONFIG: info.kubeconfig }, home: dir }),
      tunnels,
      requestTimeoutMs: 10_000,
    });
  });

  afterAll(async () => {
    if (provider && info?.contexts.admin) {
      const admin = await provider.get(info.contexts.admin);
      await admin.request(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`, { method: 'DELETE' }).catch(() => undefined);
    }
    await provider?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the three contexts, with the bastion of kz-ssh, without contacting anything', () => {
    const list = provider.listContexts();
    expect(list.current).toBe(info.contexts.admin);
    expect(list.problems).toEqual([]);
    const names = list.contexts.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['kz-admin', 'kz-restricted', 'kz-ssh']));
    const ssh = list.contexts.find((c) => c.name === 'kz-ssh')!;
    expect(ssh.tunnel).toMatchObject({ status: 'idle', via: 'kubeconfig', bastion: `${info.ssh!.user}@${info.ssh!.host}:${info.ssh!.port}` });
    expect(JSON.stringify(list)).not.toMatch(/BEGIN|client-key/);
  });

  it('resolves core kinds, short names and group-qualified names from real discovery', async () => {
    const h = await provider.get();
    expect(h.context).toBe('kz-admin');
    const cases: Record<string, string> = {
      pods: 'v1/Pod',
      pod: 'v1/Pod',
      po: 'v1/Pod',
      Pod: 'v1/Pod',
      svc: 'v1/Service',
      ns: 'v1/Namespace',
      cm: 'v1/ConfigMap',
      secrets: 'v1/Secret',
      no: 'v1/Node',
      pvc: 'v1/PersistentVolumeClaim',
      events: 'v1/Event',
      ev: 'v1/Event',
      'events.events.k8s.io': 'events.k8s.io/v1/Event',
      deploy: 'apps/v1/Deployment',
      Deployment: 'apps/v1/Deployment',
      'deployments.apps': 'apps/v1/Deployment',
      'deployments.v1.apps': 'apps/v1/Deployment',
      sts: 'apps/v1/StatefulSet',
      ds: 'apps/v1/DaemonSet',
      rs: 'apps/v1/ReplicaSet',
      cj: 'batch/v1/CronJob',
      'jobs.batch': 'batch/v1/Job',
      ing: 'networking.k8s.io/v1/Ingress',
      crd: 'apiextensions.k8s.io/v1/CustomResourceDefinition',
      clusterroles: 'rbac.authorization.k8s.io/v1/ClusterRole',
    };
    for (const [text, expected] of Object.entries(cases)) {
      const k = await h.resolveKind(text);
      expect(`${k.apiVersion}/${k.kind}`, text).toBe(expected);
    }
    expect(h.discovery.aggregated).toBe(true); // two requests for the whole cluster
    expect((await h.resolveKind('nodes')).namespaced).toBe(false);
    expect((await h.resolveKind('pods')).subresources).toEqual(expect.arrayContaining(['log', 'exec', 'status']));
    expect(await h.resolveWorkload('cj/nightly')).toMatchObject({ name: 'nightly', kind: { kind: 'CronJob' } });
    const err = await h.resolveKind('deploymnets').catch((e) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toMatch(/Closest matches: deployments\.apps \(Deployment/);
  });

  it('finds a CRD created while running (refresh on miss), by plural, short name and group', async () => {
    const h = await provider.get('kz-admin');
    await h.resolveKind('pods'); // discovery cached before the CRD exists
    await h
      .request('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        method: 'POST',
        body: {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: CRD_NAME },
          spec: {
            group: CRD_GROUP,
            scope: 'Namespaced',
            names: { plural: 'kzwidgets', singular: 'kzwidget', kind: 'KzWidget', shortNames: ['kzw'] },
            versions: [
              { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
            ],
          },
        },
      })
      .catch((e) => {
        if (!(e instanceof KubeApiError && e.code === 409)) throw e;
      });
    const deadline = Date.now() + 60_000;
    let found;
    while (!found) {
      found = await h.resolveKind('kzw').catch((e) => {
        if (Date.now() > deadline) throw e;
        return undefined;
      });
      if (!found) await new Promise((r) => setTimeout(r, 500));
    }
    expect(found).toMatchObject({ group: CRD_GROUP, version: 'v1', kind: 'KzWidget', plural: 'kzwidgets', namespaced: true });
    expect((await h.resolveKind(`kzwidgets.${CRD_GROUP}`)).kind).toBe('KzWidget');
    expect((await h.resolveKind('KzWidget')).plural).toBe('kzwidgets');
  });

  it('forgets a CRD deleted since discovery: one explained 404, then the kind is read afresh', async () => {
    const h = await provider.get('kz-admin');
    const kind = await h.resolveKind('kzw'); // cached by the test above
    await h.request(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`, { method: 'DELETE' });
    // Until the API server stops serving the path it lists (200) or, while CRD storage is being
    // rebuilt, answers 429; then the 404 of a path nobody serves.
    const list = () =>
      h.request(h.pathFor(kind, { namespace: 'default' })).then(
        () => undefined,
        (e: unknown) => e,
      );
    const deadline = Date.now() + 60_000;
    let err = await list();
    while (!(err instanceof ToolError && /Not found/.test(err.message)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      err = await list();
    }
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).message).toMatch(/Not found: .*kzwidgets.* 404 page not found/);
    expect((err as ToolError).hint).toMatch(/re-read on the next call/);
    // Still inside the cache's lifetime, yet the kind is looked up again and is gone.
    await expect(h.resolveKind('kzw')).rejects.toThrow(/Unknown kind "kzw"/);
  });

  it('gets Table renderings and explains 403 and 404 with who, what and where', async () => {
    const admin = await provider.get('kz-admin');
    const table = await admin.request('/api/v1/nodes', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    const t = table.json<{ kind: string; rows: unknown[] }>();
    expect(t.kind).toBe('Table');
    expect(t.rows.length).toBe(info.nodes.length);

    const missing = await admin
      .api(AppsV1Api)
      .readNamespacedDeployment({ name: 'no-such-deploy', namespace: 'default' })
      .catch((e) => e);
    expect(missing).toBeInstanceOf(KubeApiError);
    expect(missing.code).toBe(404);
    expect(missing.message).toContain('"no-such-deploy" not found in namespace "default"');

    const restricted = await provider.get('kz-restricted');
    expect(restricted.namespace).toBe(info.restrictedNamespace);
    const pods = await restricted.api(CoreV1Api).listNamespacedPod({ namespace: info.restrictedNamespace! });
    expect(Array.isArray(pods.items)).toBe(true);
    const secrets = await restricted.request(`/api/v1/namespaces/${info.restrictedNamespace}/secrets`).catch((e) => e);
    expect(secrets).toBeInstanceOf(KubeApiError);
    expect(secrets.code).toBe(403);
    expect(secrets.message).toMatch(
      new RegExp(`^Forbidden: user "[^"]+" \\(context "kz-restricted"\\) cannot list secrets in namespace "${info.restrictedNamespace}"`),
    );
    expect(secrets.hint).toContain(`kubectl auth can-i list secrets -n ${info.restrictedNamespace} --context kz-restricted`);
    const elsewhere = await restricted
      .api(CoreV1Api)
      .listNamespacedPod({ namespace: 'default' })
      .catch((e) => e);
    expect(elsewhere.code).toBe(403);
    expect(elsewhere.message).toContain('cannot list pods in namespace "default"');
  });

  it('works through the SSH context on one connection, and reconnects after the SSH connection is killed', async () => {
    const h = await provider.get('kz-ssh');
    expect(h.tunnel).toBeDefined();
    sshTunnel = h.tunnel!;
    expect(h.localServer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ns = await h.api(CoreV1Api).listNamespace();
    expect(ns.items.map((n) => n.metadata?.name)).toContain('default');
    for (let i = 0; i < 100; i++) await h.request('/api/v1/namespaces/default/pods', { query: { limit: 1 } });
    expect(h.tunnelState()).toMatchObject({ status: 'connected', connectionsOpened: 1 });
    expect(provider.listContexts().contexts.find((c) => c.name === 'kz-ssh')!.tunnel!.status).toBe('connected');

    // Kill our SSH session on the bastion while calls are running; the next call must succeed.
    const sshLocalPort = tunnels.sshLocalPort(sshTunnel)!;
    expect(sshLocalPort).toBeGreaterThan(0);
    const running = Array.from({ length: 5 }, () =>
      h.request('/api/v1/namespaces').then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    );
    const killed = killSshSession(info.ssh!.port, sshLocalPort);
    expect(killed.length).toBeGreaterThan(0);
    await Promise.all(running); // some may fail, with an explained error
    await new Promise((r) => setTimeout(r, 500));
    const after = await h.request('/api/v1/namespaces');
    expect(after.status).toBe(200);
    expect(h.tunnelState()!.connectionsOpened).toBe(2);
    expect(h.tunnelState()!.status).toBe('connected');

    // helm/kubectl get a kubeconfig that goes through the same tunnel.
    const file = await h.kubeconfigFileFor();
    // (async: the forward is served by this very process, so a blocking execFileSync would deadlock)
    const { stdout } = await execFileAsync(info.tools.kubectl, ['--kubeconfig', file, 'get', 'ns', 'default', '-o', 'name'], { timeout: 30_000 });
    expect(stdout.trim()).toBe('namespace/default');
    expect(readFileSync(file, 'utf8')).toContain(h.localServer!);
    const helm = await execFileAsync(info.tools.helm4, ['list', '-A', '--kubeconfig', file, '-o', 'json'], {
      timeout: 60_000,
      env: { ...process.env, HELM_CACHE_HOME: join(dir, 'helm-cache'), HELM_CONFIG_HOME: join(dir, 'helm-config'), HELM_DATA_HOME: join(dir, 'helm-data') },
    });
    expect(Array.isArray(JSON.parse(helm.stdout))).toBe(true);
    expect(h.tunnelState()!.connectionsOpened).toBe(2); // kubectl and helm rode the same SSH connection
  });

  it('refuses a changed bastion host key, and an unreachable bastion fails in time while kz-admin answers', async () => {
    keygen(join(dir, 'impostor'));
    const impostor = readFileSync(join(dir, 'impostor.pub'), 'utf8').trim().split(/\s+/);
    const wrongKnownHosts = join(dir, 'known_hosts_wrong');
    writeFileSync(wrongKnownHosts, `[${info.ssh!.host}]:${info.ssh!.port} ${impostor[0]} ${impostor[1]}\n`);
    const deadPort = await freePort();
    let overrides: Record<string, TunnelConfig> = {};
    const second = new ClusterProvider({
      kubeconfig: new KubeconfigStore({ env: { KUBECONFIG: info.kubeconfig }, home: dir }),
      tunnels: new TunnelRegistry({ agentSocket: '', connectTimeoutMs: 3000 }),
      tunnelSettings: () => overrides,
      requestTimeoutMs: 5000,
    });
    try {
      overrides = { 'kz-ssh': { host: info.ssh!.host, user: info.ssh!.user, knownHostsFile: wrongKnownHosts } };
      const changed = await (await second.get('kz-ssh')).request('/api').catch((e) => e);
      expect(changed).toBeInstanceOf(ToolError);
      expect(changed.message).toContain('HOST KEY CHANGED');
      expect(changed.message).toContain(`${wrongKnownHosts}:1`);

      overrides = { 'kz-ssh': { host: info.ssh!.host, user: info.ssh!.user, port: deadPort } };
      const viaDead = await second.get('kz-ssh');
      const admin = await second.get('kz-admin');
      const t0 = Date.now();
      const [dead, alive] = await Promise.all([
        viaDead.request('/api').then(
          () => undefined,
          (e: ToolError) => ({ e, ms: Date.now() - t0 }),
        ),
        admin.request('/api/v1/namespaces/default').then(() => Date.now() - t0),
      ]);
      expect(alive).toBeLessThan(2000);
      expect(dead!.e.message).toContain('context "kz-ssh"');
      expect(dead!.e.message).toContain(`cannot reach bastion ${info.ssh!.user}@${info.ssh!.host}:${deadPort}`);
      expect(dead!.ms).toBeLessThan(5000);
    } finally {
      await second.close();
    }
  });
});
