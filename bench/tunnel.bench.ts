/**
 * Tunnel overhead benchmark. Targets: the SSH tunnel adds ≤ 2 ms p50 per API call on
 * loopback, and 1,000 sequential calls use one SSH connection.
 *
 *   npx tsx bench/tunnel.bench.ts            # fake TLS API server + a real sshd started here
 *   KUBEZILLA_TEST_CLUSTER_INFO=~/.cache/kubezilla/run/cluster-info.json npx tsx bench/tunnel.bench.ts
 *                                            # the real local control plane: kz-admin vs kz-ssh
 *
 * Each mode makes the same 1,000 sequential GETs directly and through the tunnel (after 50 warm-up
 * calls each) and prints p50/p95/p99; exits 1 when a target is missed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterProvider } from '../src/providers/cluster/clusters.js';
import type { ClusterHandle } from '../src/providers/cluster/handle.js';
import { KubeconfigStore } from '../src/providers/cluster/kubeconfig.js';
import { TunnelRegistry } from '../src/providers/cluster/tunnels.js';
import { clusterInfo } from '../tests/cluster/harness.js';
import { makePki, startFakeApiServer } from '../tests/providers/helpers/fake-apiserver.js';
import { startSshd } from '../tests/providers/helpers/sshd.js';
import { percentile } from './common.js';
import { atMost, Report } from './report.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const WARMUP = 50;

async function measure(h: ClusterHandle, path: string): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await h.request(path);
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = process.hrtime.bigint();
    await h.request(path);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

const fmt = (n: number) => n.toFixed(3).padStart(8);

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<void> | void> = [];
  let provider: ClusterProvider;
  let direct: string;
  let tunnelled: string;
  let path: string;
  let mode: string;
  const dir = mkdtempSync(join(tmpdir(), 'kz-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const infoPath = process.env.KUBEZILLA_TEST_CLUSTER_INFO;
  if (infoPath) {
    const info = clusterInfo(infoPath);
    if (!info.contexts.ssh) throw new Error('this cluster has no SSH context');
    provider = new ClusterProvider({
      kubeconfig: new KubeconfigStore({ env: { KUBECONFIG: info.kubeconfig }, home: dir }),
      tunnels: new TunnelRegistry({ agentSocket: '' }),
    });
    direct = info.contexts.admin;
    tunnelled = info.contexts.ssh;
    path = '/api/v1/namespaces/default';
    mode = 'real control plane';
    console.log(`real control plane: ${direct} vs ${tunnelled} (bastion ${info.ssh!.host}:${info.ssh!.port}), GET ${path}`);
  } else {
    const pki = makePki();
    cleanups.push(() => pki.cleanup());
    const token = 'bench-token-0123456789';
    const api = await startFakeApiServer({ ...pki.cert('apiserver', 'DNS:kube.test,IP:127.0.0.1'), token });
    cleanups.push(() => api.close());
    const sshd = await startSshd();
    cleanups.push(() => sshd.stop());
    const ca = Buffer.from(pki.caPem).toString('base64');
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        clusters: [
          { name: 'direct', cluster: { server: api.url, 'certificate-authority-data': ca } },
          {
            name: 'ssh',
            cluster: {
              server: `https://kube.test:${api.port}`,
              'certificate-authority-data': ca,
              extensions: [
                {
                  name: 'kubezilla.dev/ssh-tunnel',
                  extension: {
                    host: '127.0.0.1',
                    port: sshd.port,
                    user: sshd.user,
                    identityFile: sshd.identityFile,
                    knownHostsFile: sshd.knownHostsFile,
                    remoteServer: api.url,
                  },
                },
              ],
            },
          },
        ],
        users: [{ name: 'u', user: { token } }],
        contexts: [
          { name: 'direct', context: { cluster: 'direct', user: 'u' } },
          { name: 'ssh', context: { cluster: 'ssh', user: 'u' } },
        ],
        'current-context': 'direct',
      }),
    );
    provider = new ClusterProvider({
      kubeconfig: new KubeconfigStore({ env: { KUBECONFIG: kubeconfig }, home: dir }),
      tunnels: new TunnelRegistry({ agentSocket: '' }),
    });
    direct = 'direct';
    tunnelled = 'ssh';
    path = '/api/v1/namespaces';
    mode = 'fake API server';
    console.log(`fake TLS API server ${api.url} + OpenSSH bastion 127.0.0.1:${sshd.port}, GET ${path}`);
  }
  cleanups.unshift(() => provider.close());
  try {
    const d = await measure(await provider.get(direct), path);
    const th = await provider.get(tunnelled);
    const t = await measure(th, path);
    const state = th.tunnelState()!;
    console.log(`calls: ${CALLS} sequential (after ${WARMUP} warm-up)`);
    console.log(`                 p50      p95      p99   (ms)`);
    console.log(`direct      ${fmt(percentile(d, 0.5))} ${fmt(percentile(d, 0.95))} ${fmt(percentile(d, 0.99))}`);
    console.log(`tunnel      ${fmt(percentile(t, 0.5))} ${fmt(percentile(t, 0.95))} ${fmt(percentile(t, 0.99))}`);
    const report = new Report('tunnel');
    report.add({
      name: `SSH tunnel, GET p50 (${mode}, ${CALLS} sequential)`,
      value: percentile(t, 0.5),
      unit: 'ms',
      baseline: { name: 'direct', value: percentile(d, 0.5) },
      target: atMost('delta', 2),
    });
    report.add({
      name: `SSH connections opened for ${CALLS + WARMUP} tunnelled calls`,
      value: state.connectionsOpened,
      unit: 'count',
      target: atMost('value', 1),
    });
    report.done();
  } finally {
    for (const c of cleanups) await c();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
