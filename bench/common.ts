/**
 * What the benchmarks share, one of each: statistics, timing, kubectl for setup, a cluster
 * provider over the test cluster, the bare SDK server every kernel figure is compared with, and
 * spawning the built program the way a user runs it.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { connectClient } from '../tests/helpers/server.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ClusterProvider } from '../src/providers/cluster/clusters.js';
import { KubeconfigStore } from '../src/providers/cluster/kubeconfig.js';
import { TunnelRegistry } from '../src/providers/cluster/tunnels.js';
import { type ClusterInfo, kubectl as runKubectl } from '../tests/cluster/harness.js';

/** The single-file build users run (npm run build makes it). */
export const BUNDLED_CLI = fileURLToPath(new URL('../dist/kubezilla-mcp.js', import.meta.url));
/** The plain tsc output, for comparison with the bundle. */
export const UNBUNDLED_CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** A tool module directory with `fixture_echo`, a tool that needs no cluster. */
export const FIXTURE_TOOLS = fileURLToPath(new URL('../tests/fixtures/modules/basic', import.meta.url));

export function median(xs: number[]): number {
  if (!xs.length) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** q in [0, 1] of an already sorted list (nearest rank). */
export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

/** kubectl for setting a benchmark up: its stdout, or an error with its stderr. */
export async function kubectl(info: ClusterInfo, args: string[], input?: string): Promise<string> {
  const r = await runKubectl(info, args, { input, timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Creates a benchmark's namespace, first waiting out the deletion a previous run started
 * (benchmarks delete theirs with --wait=false): objects cannot be created in a terminating one.
 */
export async function ensureNamespace(info: ClusterInfo, ns: string): Promise<void> {
  const phase = await kubectl(info, ['get', 'namespace', ns, '-o', 'jsonpath={.status.phase}', '--ignore-not-found']);
  if (phase === 'Terminating') await kubectl(info, ['wait', '--for=delete', `namespace/${ns}`, '--timeout=300s']);
  if (phase !== 'Active') await kubectl(info, ['create', 'namespace', ns]);
}

/** A ClusterProvider over the test cluster's kubeconfig only (no ~/.kube, no settings). */
export function clusterProvider(info: ClusterInfo): ClusterProvider {
  return new ClusterProvider({
    kubeconfig: new KubeconfigStore({ env: {}, home: '/nonexistent', flagPaths: () => [info.kubeconfig], settingsFiles: () => [], inline: () => [] }),
    tunnels: new TunnelRegistry({}),
  });
}

/**
 * The baseline of every kernel figure: the SDK's own McpServer with the same echo tool as the
 * fixture_echo module, behind the same Streamable HTTP transport on node:http, with no auth,
 * guards, registry or policy: exactly what Kubezilla adds. One McpServer per session, as ours.
 */
export async function startBareSdkServer(): Promise<{ url: string; close(): void }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http: HttpServer = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const id = req.headers['mcp-session-id'] as string | undefined;
    let transport = id ? transports.get(id) : undefined;
    if (!transport && isInitializeRequest(body)) {
      const server = new McpServer({ name: 'bare', version: '1' });
      server.registerTool('echo', { inputSchema: { text: z.string(), times: z.number().int().optional() } }, async ({ text }) => ({
        content: [{ type: 'text', text }],
      }));
      const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void transports.set(sid, created),
      });
      // Closed sessions are forgotten, as ours are, so a many-sessions run compares like with like.
      created.onclose = () => created.sessionId && transports.delete(created.sessionId);
      await server.connect(created);
      transport = created;
    }
    if (!transport) return void res.writeHead(404).end();
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: () => {
      http.closeAllConnections();
      http.close();
    },
  };
}

export interface ServeProcess {
  child: ChildProcessByStdio<null, Readable, null>;
  url: string;
  token: string;
  /** performance.now() just before the spawn. */
  spawnedAt: number;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** More `serve` flags. */
  args?: string[];
  /** Flags for node itself, before the script. */
  nodeArgs?: string[];
  /**
   * A config directory to reuse (kept afterwards): a restart as a person has it, with the token and
   * settings already written. Without it each start gets a fresh one, removed when it stops.
   */
  configDir?: string;
}

/**
 * `<node> <cli> serve --enable --port 0` resolved once it prints its URL. The settings page binds
 * port 0 too, so a person's running server is never in the way, and KUBECONFIG points at nothing,
 * so the person's own clusters are never read.
 */
export async function spawnServe(node: string, cli: string, options: SpawnOptions = {}): Promise<ServeProcess> {
  const dir = options.configDir ?? mkdtempSync(join(tmpdir(), 'kz-bench-'));
  const spawnedAt = performance.now();
  const child = spawn(
    node,
    [...(options.nodeArgs ?? []), cli, 'serve', '--enable', '--port', '0', '--ui-port', '0', '--config-dir', dir, ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, KUBECONFIG: join(dir, 'no-kubeconfig') } },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (!options.configDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /running on (\S+\/mcp)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`${cli} serve exited ${code}: ${out}`)));
    });
    return { child, url, token: readFileSync(join(dir, 'mcp.token'), 'utf8').trim(), spawnedAt, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Milliseconds from spawning `<node> <cli> serve` to its first tools/list answered. */
export async function startToFirstList(node: string, cli: string, options: SpawnOptions = {}): Promise<number> {
  const serve = await spawnServe(node, cli, options);
  try {
    const { client } = await connectClient(serve.url, serve.token);
    await client.listTools();
    const elapsed = performance.now() - serve.spawnedAt;
    await client.close();
    return elapsed;
  } finally {
    await serve.stop();
  }
}

/** Resident set size of a process in MB, from /proc (Linux, which is where the benchmarks run). */
export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb[1]) / 1024;
}

/** Node 22 for the start-up figure: KUBEZILLA_NODE22 or where tests/interop/install.sh puts it. */
export function node22(): string | undefined {
  const candidates = [
    process.env.KUBEZILLA_NODE22,
    join(process.env.KUBEZILLA_NODE22_PREFIX ?? join(process.env.HOME ?? '', '.cache/kubezilla/node22'), 'node_modules/node/bin/node'),
  ];
  for (const path of candidates) {
    if (!path) continue;
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}
