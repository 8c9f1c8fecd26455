/**
 * Runs the server the way the chart's pod runs it, on this machine: the rendered Deployment's own
 * init-container script and container args, with the pod's mounts (the settings ConfigMap, the
 * token and key Secrets, kubeconfig Secrets) written under a scratch directory and the pod's paths
 * mapped into it, the ServiceAccount directory holding a token minted for the chart's
 * ServiceAccount, and KUBERNETES_SERVICE_HOST/PORT naming the test API server. Only the ports change
 * (0, so runs never collide, unless the test chose free ones in the values), plus a loopback-only
 * settings page on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { runTool } from '../cluster/harness.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CHART = join(REPO, 'deploy', 'chart');
export const CLI = join(REPO, 'dist', 'kubezilla-mcp.js');

export type Manifest = Record<string, any>;

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => Boolean(m?.kind));
}

export function find(manifests: Manifest[], kind: string): Manifest {
  const found = manifests.find((m) => m.kind === kind);
  if (!found) throw new Error(`the chart rendered no ${kind}`);
  return found;
}

/** `helm template` of the chart with these --set values; throws with helm's stderr on failure. */
export async function renderChart(helmBin: string, release: string, namespace: string, sets: string[] = []): Promise<Manifest[]> {
  const run = await runTool(helmBin, ['template', release, CHART, '--namespace', namespace, ...sets.flatMap((s) => ['--set', s])]);
  if (run.code !== 0) throw new Error(`helm template failed: ${run.stderr}`);
  return parseManifests(run.stdout);
}

export interface PodFiles {
  /** ServiceAccount token and CA (the kubelet's projected volume). */
  serviceAccount: { token: string; caCrt: string; namespace: string };
  /** Secret name → key → content, for the Secrets the Deployment mounts. */
  secrets: Record<string, Record<string, string>>;
  apiServer: { host: string; port: number };
}

export interface PodProcess {
  url: string;
  metricsUrl: string | undefined;
  /** The scratch root: `<root>/sa/token` is the ServiceAccount token file. */
  root: string;
  output(): string;
  stop(): Promise<void>;
}

const POD_PATHS = ['/var/lib/kubezilla', '/etc/kubezilla', '/var/run/secrets/kubernetes.io/serviceaccount'];

/** Starts `node dist/kubezilla-mcp.js` with the Deployment's args, after its init container's script. */
export async function startAsPod(manifests: Manifest[], files: PodFiles, label = 'pod', options: { keepPorts?: boolean } = {}): Promise<PodProcess> {
  const deployment = find(manifests, 'Deployment');
  const spec = deployment.spec.template.spec;
  const root = mkdtempSync(join(tmpdir(), `kz-chart-${label}-`));
  const mapped = (text: string) => POD_PATHS.reduce((out, path) => out.split(path).join(join(root, path.replace(/^\//, ''))), text);

  // The volumes, as the kubelet would fill them.
  const configMaps = new Map(manifests.filter((m) => m.kind === 'ConfigMap').map((m) => [m.metadata.name as string, m.data as Record<string, string>]));
  const volumes = new Map<string, Record<string, string>>();
  for (const volume of spec.volumes as Manifest[]) {
    if (volume.configMap) volumes.set(volume.name, configMaps.get(volume.configMap.name) ?? {});
    if (volume.secret) {
      const data = files.secrets[volume.secret.secretName];
      if (!data) throw new Error(`no content given for the Secret ${volume.secret.secretName} the Deployment mounts`);
      volumes.set(volume.name, data);
    }
  }
  const container = spec.containers[0];
  const init = spec.initContainers[0];
  for (const mount of [...container.volumeMounts, ...init.volumeMounts] as Manifest[]) {
    const content = volumes.get(mount.name);
    const dir = mapped(mount.mountPath);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const [key, value] of Object.entries(content ?? {})) writeFileSync(join(dir, key), value, { mode: 0o440 });
  }
  const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, 'token'), files.serviceAccount.token);
  writeFileSync(join(sa, 'ca.crt'), files.serviceAccount.caCrt);
  writeFileSync(join(sa, 'namespace'), files.serviceAccount.namespace);

  // The init container's own script.
  const script = init.command as string[];
  if (script[0] !== 'sh' || script[1] !== '-c') throw new Error(`unexpected init command ${JSON.stringify(script)}`);
  const prepared = await runTool('sh', ['-c', mapped(script[2]!)]);
  if (prepared.code !== 0) throw new Error(`the init container's script failed: ${prepared.stderr}`);

  const free = (arg: string) => (options.keepPorts ? arg : arg.replace(/^--port=\d+$/, '--port=0').replace(/^--metrics-port=\d+$/, '--metrics-port=0'));
  const args = (container.args as string[]).map((arg) => free(mapped(arg)));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...Object.fromEntries((container.env as Manifest[]).map((e) => [e.name, mapped(e.value)])),
    KUBERNETES_SERVICE_HOST: files.apiServer.host,
    KUBERNETES_SERVICE_PORT: String(files.apiServer.port),
    KUBEZILLA_SERVICEACCOUNT_DIR: sa,
  };
  mkdirSync(env.HOME!, { recursive: true });
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args, '--ui-port=0'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 30 s:\n${output}`)), 30_000);
    const wantsMetrics = args.some((arg) => arg.startsWith('--metrics-port'));
    const look = () => {
      const match = /MCP server running on http:\/\/0\.0\.0\.0:(\d+)\/mcp/.exec(output);
      if (match && (!wantsMetrics || output.includes('"msg":"metrics listening"'))) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}/mcp`);
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it was ready:\n${output}`));
    });
  });
  const metrics = /"msg":"metrics listening"[^\n]*"url":"http:\/\/0\.0\.0\.0:(\d+)\/metrics"/.exec(output);
  return {
    url,
    metricsUrl: metrics ? `http://127.0.0.1:${metrics[1]}/metrics` : undefined,
    root,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The mounted token file's directory in a running pod process. */
export function serviceAccountDir(pod: PodProcess): string {
  return join(pod.root, 'var/run/secrets/kubernetes.io/serviceaccount');
}

/** Replaces a file the way the kubelet updates a projected volume: a new file renamed over it. */
export function replaceFile(path: string, content: string): void {
  const next = join(dirname(path), `..next-${process.pid}`);
  writeFileSync(next, content);
  renameSync(next, path);
}
