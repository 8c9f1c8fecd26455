/**
 * Kernel overhead benchmark. Targets (issue 2), each measured against a baseline in the same run:
 *   - tools/call of a tool that needs no cluster: p50 overhead ≤ 1 ms over a bare SDK server
 *   - throughput (concurrent calls) ≥ 80% of the bare SDK server's
 *   - process start to first successful tools/list ≤ 500 ms, for the program users run (the
 *     single-file build, dist/kubezilla-mcp.js); the unbundled dist/cli.js is measured beside it
 *
 *   npm run build && npx tsx bench/kernel.bench.ts
 *
 * The baseline is the SDK's own McpServer with the same echo tool behind the same Streamable HTTP
 * transport on node:http, with no auth, guards, registry or policy: exactly what Kubezilla adds.
 * Exits 1 when a target is missed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { connectClient, startTestServer } from '../tests/helpers/server.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const CONCURRENCY = 8;
const CLI = fileURLToPath(new URL('../dist/kubezilla-mcp.js', import.meta.url));
const UNBUNDLED_CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

async function startBareSdkServer(): Promise<{ url: string; http: HttpServer }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer(async (req, res) => {
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
      await server.connect(created);
      transport = created;
    }
    if (!transport) return void res.writeHead(404).end();
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`, http };
}

type Call = () => Promise<unknown>;

async function latencies(call: Call): Promise<number[]> {
  for (let i = 0; i < 100; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

async function throughput(call: Call): Promise<number> {
  let remaining = CALLS;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (remaining-- > 0) await call();
    }),
  );
  return CALLS / ((performance.now() - t0) / 1000);
}

async function startToFirstList(cli = CLI): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'kz-bench-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'serve', '--enable', '--port', '0', '--config-dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /running on (\S+\/mcp)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const { client } = await connectClient(url, readFileSync(join(dir, 'mcp.token'), 'utf8').trim());
    await client.listTools();
    const elapsed = performance.now() - t0;
    await client.close();
    return elapsed;
  } finally {
    child.kill('SIGTERM');
  }
}

const p = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

// The SDK's HTTP client adds an abort listener per request to one long-lived signal; after a
// few thousand calls Node warns about a leak on every call. It is the client's, not the server's
// under test: lift the limit here so the output stays readable.
setMaxListeners(0);

const bare = await startBareSdkServer();
const kz = await startTestServer();
const bareClient = (await connectClient(bare.url, 'unused')).client;
const kzClient = (await connectClient(kz.url, kz.token)).client;
const bareCall = () => bareClient.callTool({ name: 'echo', arguments: { text: 'hi' } });
const kzCall = () => kzClient.callTool({ name: 'fixture_echo', arguments: { text: 'hi' } });

// Back to back in one process, so both see the same machine; the numbers are only read as ratios.
const bareLat = await latencies(bareCall);
const kzLat = await latencies(kzCall);
const bareRate = await throughput(bareCall);
const kzRate = await throughput(kzCall);
const starts: number[] = [];
const unbundledStarts: number[] = [];
for (let i = 0; i < 5; i++) {
  starts.push(await startToFirstList());
  unbundledStarts.push(await startToFirstList(UNBUNDLED_CLI));
}
starts.sort((a, b) => a - b);
unbundledStarts.sort((a, b) => a - b);

const overhead = p(kzLat, 0.5) - p(bareLat, 0.5);
const ratio = kzRate / bareRate;
const start = p(starts, 0.5);
console.log(
  `tools/call p50: kubezilla ${p(kzLat, 0.5).toFixed(3)} ms, bare SDK ${p(bareLat, 0.5).toFixed(3)} ms → overhead ${overhead.toFixed(3)} ms (target ≤ 1 ms)`,
);
console.log(`tools/call p95: kubezilla ${p(kzLat, 0.95).toFixed(3)} ms, bare SDK ${p(bareLat, 0.95).toFixed(3)} ms`);
console.log(
  `throughput (${CONCURRENCY} concurrent): kubezilla ${kzRate.toFixed(0)}/s, bare SDK ${bareRate.toFixed(0)}/s → ${(ratio * 100).toFixed(0)}% (target ≥ 80%)`,
);
console.log(
  `process start → first tools/list: median ${start.toFixed(0)} ms of 5 (target ≤ 500 ms); unbundled dist/cli.js ${p(unbundledStarts, 0.5).toFixed(0)} ms → ${(start / p(unbundledStarts, 0.5)).toFixed(2)}×`,
);

await kzClient.close();
await bareClient.close();
await kz.close();
bare.http.closeAllConnections();
bare.http.close();
const missed = [overhead > 1 && 'overhead', ratio < 0.8 && 'throughput', start > 500 && 'start-up'].filter(Boolean);
if (missed.length) {
  console.log(`missed: ${missed.join(', ')}`);
  process.exitCode = 1;
}
