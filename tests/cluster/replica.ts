// A second kube-apiserver over the running test cluster's etcd: the same binary and flags as the
// cluster's own (read from its command line), on a port of its own. Fault tests freeze, kill and
// restart it; the API server the rest of the suite uses is never touched.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { type ClusterInfo, stateDir } from './harness.js';
import { type Daemon, freePort, httpsGet, isOurs, sleep, startDaemon, waitFor } from './proc.js';

export interface ApiServerReplica {
  /** https://127.0.0.1:<port> */
  url: string;
  /** A kubeconfig with one context, `context`: the admin user against the replica. */
  kubeconfig: string;
  context: string;
  /** SIGSTOP: the socket still accepts connections, nothing answers (a hung API server). */
  freeze(): void;
  /** SIGCONT after freeze. */
  thaw(): void;
  /** SIGKILL, and wait until it is gone (connections are then refused). */
  kill(): Promise<void>;
  /** Starts it again on the same port after kill, and waits until it is ready. */
  restart(): Promise<void>;
  /** Kills it for good (thawing it first if frozen). */
  stop(): Promise<void>;
}

interface RunningState {
  daemons: Daemon[];
}

export async function startApiServerReplica(info: ClusterInfo): Promise<ApiServerReplica> {
  const state = JSON.parse(await readFile(join(stateDir(), 'state.json'), 'utf8')) as RunningState;
  const original = state.daemons.find((d) => d.name === 'kube-apiserver');
  if (!original || !isOurs(original)) throw new Error('the test cluster has no running kube-apiserver to copy (npm run cluster:up)');
  const port = await freePort();
  const args = readFileSync(`/proc/${original.pid}/cmdline`, 'utf8')
    .split('\0')
    .slice(1, -1)
    .map((arg) => (arg.startsWith('--secure-port=') ? `--secure-port=${port}` : arg));
  const url = `https://127.0.0.1:${port}`;
  const pki = join(stateDir(), 'pki');
  const log = join(stateDir(), 'logs', `kube-apiserver-replica-${port}.log`);

  let daemon: Daemon | undefined;
  const launch = async () => {
    daemon = startDaemon('kube-apiserver-replica', original.exe, args, log);
    await waitFor(
      'the kube-apiserver replica to be ready (/readyz)',
      async () => (await httpsGet(`${url}/readyz`, { ca: join(pki, 'ca.crt'), cert: join(pki, 'admin.crt'), key: join(pki, 'admin.key') })).status === 200,
      { timeoutMs: 120_000, intervalMs: 300, daemon },
    );
  };
  const gone = async () => {
    for (let i = 0; i < 200 && daemon && isOurs(daemon); i++) await sleep(50);
  };
  // A test run that dies early must not leave a frozen API server behind.
  const onExit = () => {
    if (!daemon) return;
    try {
      process.kill(daemon.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', onExit);
  await launch();

  // The admin context of the cluster's kubeconfig, pointed at the replica.
  const config = parse(await readFile(info.kubeconfig, 'utf8')) as {
    contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
    clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
    users: Array<{ name: string; user: unknown }>;
  };
  const admin = config.contexts.find((c) => c.name === info.contexts.admin)!.context;
  const cluster = config.clusters.find((c) => c.name === admin.cluster)!.cluster;
  const user = config.users.find((u) => u.name === admin.user)!;
  const context = 'kz-replica';
  const kubeconfig = join(await mkdtemp(join(tmpdir(), 'kz-replica-')), 'config');
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': context,
      clusters: [{ name: context, cluster: { ...cluster, server: url } }],
      users: [user],
      contexts: [{ name: context, context: { cluster: context, user: user.name } }],
    }),
    { mode: 0o600 },
  );

  const signal = (name: NodeJS.Signals) => {
    if (daemon) process.kill(daemon.pid, name);
  };
  return {
    url,
    kubeconfig,
    context,
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    async kill() {
      signal('SIGKILL');
      await gone();
    },
    restart: launch,
    async stop() {
      if (!daemon || !isOurs(daemon)) return;
      signal('SIGCONT');
      signal('SIGKILL');
      await gone();
      process.off('exit', onExit);
    },
  };
}
