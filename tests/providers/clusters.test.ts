/**
 * The clusters provider end to end against a fake HTTPS API server (real TLS with a per-run CA)
 * and a real OpenSSH bastion. The same behaviours are checked against the real control plane in
 * cluster.integration.test.ts when it is available.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { readFileSync, statSync, writeFileSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../src/kernel/contract.js';
import { isWorkload, resolveObjectRef, type RefInput } from '../../src/tools/common/refs.js';
import { ClusterProvider } from '../../src/providers/cluster/clusters.js';
import { describeApiPath } from '../../src/providers/cluster/kube-errors.js';
import { KubeApiError } from '../../src/providers/cluster/kube-errors.js';
import { KubeconfigStore } from '../../src/providers/cluster/kubeconfig.js';
import { TunnelRegistry, type TunnelConfig } from '../../src/providers/cluster/tunnels.js';
import { makePki, startFakeApiServer, type FakeApiServer, type Pki } from './helpers/fake-apiserver.js';
import { freePort, startSshd, type TestSshd } from './helpers/sshd.js';

const TOKEN = 'kz-test-token-4f1c9a7e2b';

describe('clusters provider', () => {
  let pki: Pki;
  let api: FakeApiServer;
  let legacy: FakeApiServer;
  let sshd: TestSshd;
  let silent: Server;
  let silentPort: number;
  let deadPort: number;
  let dir: string;
  let kubeconfigFile: string;
  let provider: ClusterProvider;
  let clockAhead = 0;
  let tunnelSettings: Record<string, TunnelConfig> = {};
  let proxy: HttpServer;
  let proxyPort: number;
  const proxyConnects: string[] = [];

  const writeKubeconfig = (namespace = 'default') => {
    const ca = Buffer.from(pki.caPem).toString('base64');
    const bastion = (port: number, knownHostsFile = sshd.knownHostsFile) => ({
      name: 'kubezilla.dev/ssh-tunnel',
      extension: { host: '127.0.0.1', port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile, remoteServer: api.url },
    });
    const cluster = (name: string, server: string, extra: Record<string, unknown> = {}) => ({
      name,
      cluster: { server, 'certificate-authority-data': ca, ...extra },
    });
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        cluster('direct', api.url),
        cluster('legacy', legacy.url),
        cluster('wrongname', api.url, { 'tls-server-name': 'wrong.test' }),
        cluster('remote', `https://kube.test:${api.port}`, { extensions: [bastion(sshd.port)] }),
        cluster('remote-unknown-key', `https://kube.test:${api.port}`, { extensions: [bastion(sshd.port, join(dir, 'empty_known_hosts'))] }),
        cluster('remote-dead-bastion', `https://kube.test:${api.port}`, { extensions: [bastion(deadPort)] }),
        cluster('remote-by-settings', `https://kube.test:${api.port}`),
        cluster('remote-api-down', `https://kube.test:${deadPort}`, {
          extensions: [
            {
              name: 'kubezilla.dev/ssh-tunnel',
              extension: {
                host: '127.0.0.1',
                port: sshd.port,
                user: sshd.user,
                identityFile: sshd.identityFile,
                knownHostsFile: sshd.knownHostsFile,
                remoteServer: `https://127.0.0.1:${deadPort}`,
              },
            },
          ],
        }),
        cluster('dead', `https://127.0.0.1:${deadPort}`),
        cluster('blackhole', `https://127.0.0.1:${silentPort}`),
        { name: 'insecure', cluster: { server: api.url, 'insecure-skip-tls-verify': true } },
        { name: 'no-ca', cluster: { server: api.url } },
        cluster('proxied', api.url, { 'proxy-url': `http://127.0.0.1:${proxyPort}` }),
      ],
      users: [
        { name: 'jane', user: { token: TOKEN } },
        { name: 'stale', user: { token: 'expired-token-000000' } },
        ...(['ok', 'fail', 'hang'] as const).map((k) => ({
          name: `exec-${k}`,
          user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: join(dir, `plugin-${k}.sh`), args: ['--cluster', 'c1'] } },
        })),
        { name: 'exec-missing', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'kz-no-such-plugin' } } },
        { name: 'from-file', user: { 'token-file': join(dir, 'token') } },
      ],
      contexts: [
        { name: 'direct', context: { cluster: 'direct', user: 'jane', namespace } },
        { name: 'legacy', context: { cluster: 'legacy', user: 'jane' } },
        { name: 'stale', context: { cluster: 'direct', user: 'stale' } },
        { name: 'wrongname', context: { cluster: 'wrongname', user: 'jane' } },
        { name: 'remote', context: { cluster: 'remote', user: 'jane' } },
        { name: 'remote-unknown-key', context: { cluster: 'remote-unknown-key', user: 'jane' } },
        { name: 'remote-dead-bastion', context: { cluster: 'remote-dead-bastion', user: 'jane' } },
        { name: 'remote-by-settings', context: { cluster: 'remote-by-settings', user: 'jane' } },
        { name: 'remote-api-down', context: { cluster: 'remote-api-down', user: 'jane' } },
        { name: 'dead', context: { cluster: 'dead', user: 'jane' } },
        { name: 'blackhole', context: { cluster: 'blackhole', user: 'jane' } },
        ...['ok', 'fail', 'hang', 'missing'].map((k) => ({ name: `exec-${k}`, context: { cluster: 'direct', user: `exec-${k}` } })),
        { name: 'insecure', context: { cluster: 'insecure', user: 'jane' } },
        { name: 'no-ca', context: { cluster: 'no-ca', user: 'jane' } },
        { name: 'token-file', context: { cluster: 'direct', user: 'from-file' } },
        { name: 'proxied', context: { cluster: 'proxied', user: 'jane' } },
      ],
      'current-context': 'direct',
    };
    writeFileSync(kubeconfigFile, JSON.stringify(config));
    utimesSync(kubeconfigFile, new Date(), new Date(Date.now() + Math.random() * 100000));
  };

  beforeAll(async () => {
    // An HTTP CONNECT proxy (proxy-url), counting the tunnels it opens.
    proxy = createHttpServer((_, res) => res.writeHead(405).end());
    proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      proxyConnects.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    proxyPort = (proxy.address() as { port: number }).port;
    pki = makePki();
    const cert = pki.cert('apiserver', 'DNS:kube.test,IP:127.0.0.1');
    api = await startFakeApiServer({ ...cert, token: TOKEN });
    legacy = await startFakeApiServer({ ...cert, token: TOKEN, legacy: true });
    sshd = await startSshd();
    silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    silentPort = (silent.address() as { port: number }).port;
    deadPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'kz-clusters-'));
    writeFileSync(join(dir, 'empty_known_hosts'), '');
    kubeconfigFile = join(dir, 'config');
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: TOKEN } });
    writeFileSync(join(dir, 'plugin-ok.sh'), `#!/bin/sh\necho '${credential}'\n`, { mode: 0o755 });
    writeFileSync(join(dir, 'plugin-fail.sh'), '#!/bin/sh\necho "error: SSO session expired, run login" >&2\nexit 1\n', { mode: 0o755 });
    writeFileSync(join(dir, 'plugin-hang.sh'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    writeFileSync(join(dir, 'token'), 'not-yet-valid');
    writeKubeconfig();
    tunnelSettings = {
      'remote-by-settings': {
        host: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        identityFile: sshd.identityFile,
        knownHostsFile: sshd.knownHostsFile,
        remoteServer: api.url,
      },
    };
    provider = new ClusterProvider({
      kubeconfig: new KubeconfigStore({ env: { KUBECONFIG: kubeconfigFile }, home: dir }),
      tunnels: new TunnelRegistry({ agentSocket: '', connectTimeoutMs: 3000 }),
      tunnelSettings: () => tunnelSettings,
      requestTimeoutMs: 1500,
      clock: () => Date.now() + clockAhead,
    });
  });

  afterAll(async () => {
    await provider?.close();
    await api?.close();
    await legacy?.close();
    silent?.close();
    proxy?.closeAllConnections();
    proxy?.close();
    await sshd?.stop();
    pki?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every context with tunnel state and contacts nothing', async () => {
    const list = provider.listContexts();
    expect(list.current).toBe('direct');
    expect(list.contexts.map((c) => c.name)).toContain('remote');
    const remote = list.contexts.find((c) => c.name === 'remote')!;
    expect(remote).toMatchObject({ server: `https://kube.test:${api.port}`, user: 'jane', namespace: 'default', source: kubeconfigFile, isCurrent: false });
    expect(remote.tunnel).toMatchObject({ bastion: `${sshd.user}@127.0.0.1:${sshd.port}`, status: 'idle', via: 'kubeconfig' });
    expect(list.contexts.find((c) => c.name === 'remote-by-settings')!.tunnel?.via).toBe('settings');
    expect(JSON.stringify(list)).not.toContain(TOKEN);
    await provider.get('dead');
    await provider.get('remote');
    expect(api.seen).toEqual([]);
  });

  it('makes raw requests (Table rendering) and client-node API calls', async () => {
    const h = await provider.get();
    expect(h.context).toBe('direct');
    expect(h.namespace).toBe('default');
    const table = await h.request('/api/v1/namespaces/default/pods', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.json<{ kind: string }>().kind).toBe('Table');
    const ns = await h.api(CoreV1Api).listNamespace();
    expect(ns.items.map((n) => n.metadata?.name)).toEqual(['default', 'kube-system']);
    expect(await provider.get('direct')).toBe(h); // cached
  });

  it('resolves kinds like kubectl, including CRDs and preferred versions', async () => {
    const h = await provider.get('direct');
    const r = async (t: string) => {
      const k = await h.resolveKind(t);
      return `${k.plural}.${k.group}/${k.version}`;
    };
    for (const t of ['Deployment', 'deployments', 'deployment', 'deploy', 'deployments.apps', 'deployments.v1.apps', 'Deployment.apps', 'DEPLOY']) {
      expect(await r(t), t).toBe('deployments.apps/v1');
    }
    expect(await r('po')).toBe('pods./v1');
    expect(await r('Pod')).toBe('pods./v1');
    expect(await r('events')).toBe('events./v1'); // core wins, like kubectl
    expect(await r('events.events.k8s.io')).toBe('events.events.k8s.io/v1');
    expect(await r('wd')).toBe('widgets.example.com/v2'); // preferred version
    expect(await r('widgets.example.com')).toBe('widgets.example.com/v2');
    expect(await r('widgets.v1.example.com')).toBe('widgets.example.com/v1');
    const pods = await h.resolveKind('pods');
    expect(pods).toMatchObject({ kind: 'Pod', namespaced: true, shortNames: ['po'], subresources: ['log', 'exec'] });
    expect((await h.resolveKind('ns')).namespaced).toBe(false);

    const err = await h.resolveKind('deploymnt').catch((e) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toContain('Unknown kind "deploymnt" in context "direct"');
    expect(err.message).toContain('deployments.apps (Deployment');
  });

  it('reads object references one way for every tool: kind/name, kind name, or a kind beside a bare name', async () => {
    const h = await provider.get('direct');
    const ref = (input: Omit<RefInput, 'field'>) => resolveObjectRef(h, { field: 'name', ...input });
    expect(await ref({ ref: 'deploy/web' })).toMatchObject({ name: 'web', kind: { kind: 'Deployment' } });
    expect(await ref({ ref: ' sts db ' })).toMatchObject({ name: 'db', kind: { kind: 'StatefulSet' } });
    expect(await ref({ ref: 'web-0', kind: 'po' })).toMatchObject({ name: 'web-0', kind: { kind: 'Pod' } });
    expect(await ref({ ref: 'web-0', bareKind: 'pod' })).toMatchObject({ name: 'web-0', kind: { kind: 'Pod' } });
    // The same kind spelled two ways is one kind; two kinds are refused, naming both.
    expect(await ref({ ref: 'deployment/web', kind: 'deploy' })).toMatchObject({ name: 'web', kind: { kind: 'Deployment' } });
    await expect(ref({ ref: 'pod/web', kind: 'deploy' })).rejects.toThrow(/kind "deploy" and name "pod\/web" name two different kinds \(Deployment and Pod\)/);
    await expect(ref({ ref: 'web' })).rejects.toThrow(/name: "web" is not kind\/name/);
    await expect(ref({ ref: 'a/b/c' })).rejects.toThrow(/name: "a\/b\/c" is neither a name nor kind\/name/);
    await expect(ref({ ref: '/web' })).rejects.toThrow(ToolError);
    expect(isWorkload((await ref({ ref: 'sts/x' })).kind)).toBe(true);
    expect(isWorkload((await ref({ ref: 'pod/x' })).kind)).toBe(false);
    expect(isWorkload((await ref({ ref: 'pod/x' })).kind, 'pods')).toBe(true);
    expect(isWorkload((await ref({ ref: 'svc/x' })).kind, 'pods')).toBe(false);
  });

  it('refreshes discovery once on a miss and finds a new CRD', async () => {
    const h = await provider.get('direct');
    h.discovery.invalidate();
    await h.resolveKind('pods'); // fetched now
    const before = api.seen.filter((s) => s === 'GET /apis').length;
    api.addGadgets();
    // Within the refresh-on-miss throttle a miss does not fetch again; past it, it does.
    await expect(h.resolveKind('gadget')).rejects.toThrow(/Unknown kind "gadget"/);
    expect(api.seen.filter((s) => s === 'GET /apis').length).toBe(before);
    clockAhead += 2001;
    expect((await h.resolveKind('gadget')).group).toBe('toys.example.com');
    expect(api.seen.filter((s) => s === 'GET /apis').length).toBe(before + 1);
    await h.resolveKind('gadgets');
    await h.resolveKind('deploy');
    expect(api.seen.filter((s) => s === 'GET /apis').length).toBe(before + 1); // hits are cached
  });

  it('falls back to legacy discovery and skips an unavailable aggregated API', async () => {
    const h = await provider.get('legacy');
    expect((await h.resolveKind('deploy')).plural).toBe('deployments');
    expect((await h.resolveKind('po')).subresources).toEqual(['log']);
    expect(h.discovery.failedGroups).toEqual(['metrics.k8s.io/v1beta1']);
    expect(legacy.seen).toContain('GET /apis/apps/v1');
  });

  it('explains 401, 403, 404, 409 and 422', async () => {
    const h = await provider.get('direct');
    const forbidden = await h.request('/api/v1/namespaces/secret/pods').catch((e) => e);
    expect(forbidden).toBeInstanceOf(KubeApiError);
    expect(forbidden.code).toBe(403);
    expect(forbidden.message).toMatch(/Forbidden: user "jane" \(context "direct"\) cannot list pods in namespace "secret"/);
    expect(forbidden.hint).toContain('kubectl auth can-i list pods -n secret --context direct');

    const missing = await h
      .api(AppsV1Api)
      .readNamespacedDeployment({ name: 'missing', namespace: 'default' })
      .catch((e) => e);
    expect(missing).toBeInstanceOf(KubeApiError);
    expect(missing.code).toBe(404);
    expect(missing.message).toContain('"missing" not found in namespace "default"');

    const exists = await h.request('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'cm' } } }).catch((e) => e);
    expect(exists.code).toBe(409);
    expect(exists.message).toContain('already exists');

    const invalid = await h.request('/api/v1/namespaces/default/services', { method: 'POST', body: {} }).catch((e) => e);
    expect(invalid.code).toBe(422);
    expect(invalid.message).toContain('spec.ports: Required value');

    const stale = await provider.get('stale');
    const unauthorized = await stale.request('/api/v1/namespaces').catch((e) => e);
    expect(unauthorized.code).toBe(401);
    expect(unauthorized.message).toContain('user "stale"');
    expect(unauthorized.message).not.toContain('expired-token');
  });

  it('runs exec credential plugins and explains their failures within the timeout', async () => {
    const ok = await provider.get('exec-ok');
    expect((await ok.api(CoreV1Api).listNamespace()).items).toHaveLength(2);
    expect((await ok.request('/api/v1/namespaces')).status).toBe(200);

    const fail = await (await provider.get('exec-fail')).request('/api/v1/namespaces').catch((e) => e);
    expect(fail).toBeInstanceOf(ToolError);
    expect(fail.message).toBe(`context "exec-fail": the credential plugin "${join(dir, 'plugin-fail.sh')}" failed: error: SSO session expired, run login.`);
    expect(fail.hint).toContain('--cluster c1');

    const missing = await (await provider.get('exec-missing'))
      .api(CoreV1Api)
      .listNamespace()
      .catch((e) => e);
    expect(missing.message).toMatch(/"kz-no-such-plugin" is not installed/);

    const t0 = Date.now();
    const hang = await (await provider.get('exec-hang')).request('/api/v1/namespaces').catch((e) => e);
    expect(hang.message).toMatch(/did not answer within 1.5s \(is it waiting for an interactive login\?\)/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('honours insecure-skip-tls-verify, refuses an unknown CA, and re-reads a rotated token-file', async () => {
    expect((await (await provider.get('insecure')).request('/api/v1/namespaces')).status).toBe(200);
    const noCa = await (await provider.get('no-ca')).request('/api/v1/namespaces').catch((e) => e);
    expect(noCa.message).toMatch(
      /TLS verification of context "no-ca" .* failed: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)/,
    );

    const before = await provider.get('token-file');
    expect((await before.request('/api/v1/namespaces').catch((e) => e)).code).toBe(401);
    writeFileSync(join(dir, 'token'), TOKEN);
    utimesSync(join(dir, 'token'), new Date(), new Date(Date.now() + 60_000));
    const after = await provider.get('token-file');
    expect(after).not.toBe(before);
    expect((await after.request('/api/v1/namespaces')).status).toBe(200);
  });

  it('streams a body beyond the request timeout (which covers only the headers) until the caller aborts', async () => {
    const h = await provider.get('direct');
    const t0 = Date.now();
    const { status, body } = await h.stream('/api/v1/namespaces/default/pods/web-0/log', { query: { follow: true }, accept: '*/*' });
    expect(status).toBe(200);
    let text = '';
    for await (const chunk of body) text += Buffer.from(chunk).toString();
    expect(text.trim().split('\n')).toHaveLength(10);
    expect(Date.now() - t0).toBeGreaterThan(2000); // longer than the 1.5 s request timeout

    const ac = new AbortController();
    const stream = await h.stream('/api/v1/namespaces/default/pods/web-0/log', { query: { follow: true }, signal: ac.signal });
    const lines: string[] = [];
    const reading = (async () => {
      try {
        for await (const chunk of stream.body) {
          lines.push(Buffer.from(chunk).toString());
          if (lines.length === 2) ac.abort();
        }
      } catch (err) {
        return (err as Error).name;
      }
      return 'ended';
    })();
    expect(await reading).toBe('AbortError');
    expect(lines.length).toBeLessThan(5);
  });

  it('goes through an HTTP proxy-url, keeping the connection alive', async () => {
    const h = await provider.get('proxied');
    for (let i = 0; i < 20; i++) expect((await h.request('/api/v1/namespaces')).status).toBe(200);
    expect(new Set(proxyConnects)).toEqual(new Set([`127.0.0.1:${api.port}`]));
    expect(proxyConnects.length).toBeLessThanOrEqual(2); // kept alive, not one CONNECT per call
  });

  it('verifies TLS against the server name', async () => {
    const h = await provider.get('wrongname');
    const err = await h.request('/api/v1/namespaces').catch((e) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toMatch(/TLS verification of context "wrongname"/);
  });

  it('fails an unreachable cluster within the timeout, naming context and address, without delaying another', async () => {
    const dead = await provider.get('dead');
    let t0 = Date.now();
    const refused = await dead.request('/api').catch((e) => e);
    expect(refused.message).toBe(`Cannot connect to context "dead" (https://127.0.0.1:${deadPort}): connection refused.`);
    expect(Date.now() - t0).toBeLessThan(1400);

    const hole = await provider.get('blackhole');
    const direct = await provider.get('direct');
    t0 = Date.now();
    const [slow, fast] = await Promise.all([
      hole.request('/api').catch((e) => ({ err: e, ms: Date.now() - t0 })),
      direct.request('/api/v1/namespaces').then(() => Date.now() - t0),
    ]);
    expect(fast).toBeLessThan(1200);
    const s = slow as { err: ToolError; ms: number };
    expect(s.err.message).toBe(`context "blackhole" (https://127.0.0.1:${silentPort}) did not answer within 1.5s.`);
    expect(s.ms).toBeGreaterThanOrEqual(1400);
    expect(s.ms).toBeLessThan(3000);

    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const cancelled = await hole
      .api(CoreV1Api, { signal: ac.signal })
      .listNamespace()
      .catch((e) => e);
    expect(cancelled.message).toMatch(/cancelled/);
  });

  it('goes through the SSH bastion with TLS checked against the real name, and reconnects after a drop', async () => {
    const h = await provider.get('remote');
    expect(h.localServer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ns = await h.api(CoreV1Api).listNamespace();
    expect(ns.items).toHaveLength(2);
    expect(h.tunnelState()).toMatchObject({ status: 'connected', connectionsOpened: 1 });
    for (let i = 0; i < 50; i++) await h.request('/api/v1/namespaces');
    expect(h.tunnelState()!.connectionsOpened).toBe(1);

    sshd.dropConnections(); // no pause: the very next call must succeed
    expect((await h.request('/api/v1/namespaces')).status).toBe(200);
    expect(h.tunnelState()!.connectionsOpened).toBe(2);

    // The settings-configured context shares the same bastion connection.
    const viaSettings = await provider.get('remote-by-settings');
    await viaSettings.request('/api/v1/namespaces');
    expect(viaSettings.tunnelState()!.connectionsOpened).toBe(2);
    expect(provider.tunnelStates()).toHaveLength(1); // one shared connection; other bastions appear once used
  });

  it('shows a hung bastion degraded in listContexts, and a call through it says the bastion is not answering', async () => {
    const fast = new ClusterProvider({
      kubeconfig: new KubeconfigStore({ env: { KUBECONFIG: kubeconfigFile }, home: dir }),
      tunnels: new TunnelRegistry({ agentSocket: '', connectTimeoutMs: 3000, keepaliveIntervalMs: 300, keepaliveCountMax: 60 }),
      requestTimeoutMs: 1500,
    });
    const tunnelOf = () => fast.listContexts().contexts.find((c) => c.name === 'remote')!.tunnel!;
    try {
      const h = await fast.get('remote');
      expect((await h.request('/api/v1/namespaces')).status).toBe(200);
      expect(tunnelOf().status).toBe('connected');
      sshd.freeze(true);
      try {
        await expect.poll(() => tunnelOf().status, { timeout: 10_000 }).toBe('degraded');
        expect(tunnelOf().reason).toMatch(/has not answered SSH keep-alives/);
        const err = await h.request('/api/v1/namespaces').catch((e) => e);
        expect(err.message).toMatch(/context "remote" .* did not answer within 1\.5s: bastion .* has not answered SSH keep-alives/);
      } finally {
        sshd.freeze(false);
      }
      await expect.poll(() => tunnelOf().status, { timeout: 10_000 }).toBe('connected');
      expect((await h.request('/api/v1/namespaces')).status).toBe(200);
    } finally {
      await fast.close();
    }
  });

  it('writes a 0600 kubeconfig for helm that points through the tunnel', async () => {
    const h = await provider.get('remote');
    const file = await h.kubeconfigFileFor();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const cfg = parse(readFileSync(file, 'utf8'));
    expect(cfg['current-context']).toBe('remote');
    expect(cfg.clusters[0].cluster.server).toBe(h.localServer);
    expect(cfg.clusters[0].cluster['tls-server-name']).toBe('kube.test');
    expect(cfg.clusters[0].cluster.extensions).toBeUndefined();
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    const list = await kc.makeApiClient(CoreV1Api).listNamespace();
    expect(list.items).toHaveLength(2);
  });

  it('refuses an unknown bastion host key and reports an unreachable bastion while others answer', async () => {
    const unknown = await provider.get('remote-unknown-key');
    const err = await unknown.request('/api').catch((e) => e);
    expect(err.message).toContain('reached through an SSH bastion');
    expect(err.message).toContain(sshd.hostKeyFingerprint);
    expect(err.hint).toContain(sshd.knownHostsLine);
    expect(provider.listContexts().contexts.find((c) => c.name === 'remote-unknown-key')!.tunnel).toMatchObject({ status: 'failed' });

    const deadBastion = await provider.get('remote-dead-bastion');
    const direct = await provider.get('direct');
    const t0 = Date.now();
    const [bad, good] = await Promise.all([deadBastion.request('/api').catch((e) => e), direct.request('/api/v1/namespaces')]);
    expect(good.status).toBe(200);
    expect(bad.message).toContain(`cannot reach bastion ${sshd.user}@127.0.0.1:${deadPort}`);
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('says so when the bastion works but cannot reach the API server behind it', async () => {
    const h = await provider.get('remote-api-down');
    const err = await h.request('/api').catch((e) => e);
    expect(err.message).toBe(
      `context "remote-api-down" (https://kube.test:${deadPort}): the SSH bastion ${sshd.user}@127.0.0.1:${sshd.port} is reachable, but the bastion could not open 127.0.0.1:${deadPort}: Connection refused.`,
    );
  });

  it('drops a handle when its kubeconfig changes', async () => {
    const before = await provider.get('direct');
    writeKubeconfig('apps');
    const after = await provider.get('direct');
    expect(after).not.toBe(before);
    expect(after.namespace).toBe('apps');
    writeKubeconfig('default');
  });

  it('says which contexts exist when one is missing', async () => {
    const err = await provider.get('direkt').catch((e) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toMatch(/Context "direkt" does not exist\. Known contexts include: direct/);
  });

  it('maps API paths to verbs and resources', () => {
    expect(describeApiPath('/api/v1/namespaces/ns/pods/p/log?follow=true', 'GET')).toEqual({ verb: 'get', resource: 'pods/log', namespace: 'ns', name: 'p' });
    expect(describeApiPath('/apis/apps/v1/namespaces/ns/deployments', 'GET')).toEqual({ verb: 'list', resource: 'deployments.apps', namespace: 'ns' });
    expect(describeApiPath('/apis/apps/v1/deployments?watch=true', 'GET')).toEqual({ verb: 'watch', resource: 'deployments.apps' });
    expect(describeApiPath('/api/v1/nodes/n1', 'PATCH')).toEqual({ verb: 'patch', resource: 'nodes', name: 'n1' });
    expect(describeApiPath('/api/v1/namespaces/x', 'DELETE')).toEqual({ verb: 'delete', resource: 'namespaces', name: 'x' });
  });
});
