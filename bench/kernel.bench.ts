/**
 * Kernel overhead benchmark. Targets, each measured against a baseline in the same run:
 *   - tools/call of a tool that needs no cluster: p50 overhead ≤ 1 ms over a bare SDK server
 *   - throughput (concurrent calls) ≥ 80% of the bare SDK server's
 *   - process start to first successful tools/list ≤ 500 ms, for the program users run (the
 *     single-file build, dist/kubezilla-mcp.js); the unbundled dist/cli.js is measured beside it
 *     (bench/startup.bench.ts holds the start-up figures against a bare `node -e 0`)
 *
 *   npm run build && npx tsx bench/kernel.bench.ts
 *
 * The baseline is the SDK's own McpServer with the same echo tool behind the same Streamable HTTP
 * transport on node:http (bench/common.ts), with no auth, guards, registry or policy: exactly what
 * Kubezilla adds. Exits 1 when a target is missed.
 */
import { setMaxListeners } from 'node:events';
import { connectClient, startTestServer } from '../tests/helpers/server.js';
import { BUNDLED_CLI, percentile as p, startBareSdkServer, startToFirstList, UNBUNDLED_CLI } from './common.js';
import { atLeast, atMost, Report } from './report.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const CONCURRENCY = 8;

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
// One unmeasured start of each first: the bench's own client code and the disk cache are then warm.
await startToFirstList(process.execPath, BUNDLED_CLI);
await startToFirstList(process.execPath, UNBUNDLED_CLI);
for (let i = 0; i < 5; i++) {
  starts.push(await startToFirstList(process.execPath, BUNDLED_CLI));
  unbundledStarts.push(await startToFirstList(process.execPath, UNBUNDLED_CLI));
}
starts.sort((a, b) => a - b);
unbundledStarts.sort((a, b) => a - b);

await kzClient.close();
await bareClient.close();
await kz.close();
bare.close();

const report = new Report('kernel');
const bareSdk = 'bare SDK McpServer';
report.add({
  name: 'tools/call p50, no-cluster tool (kernel overhead)',
  value: p(kzLat, 0.5),
  unit: 'ms',
  baseline: { name: bareSdk, value: p(bareLat, 0.5) },
  target: atMost('delta', 1),
});
report.add({ name: 'tools/call p95, no-cluster tool', value: p(kzLat, 0.95), unit: 'ms', baseline: { name: bareSdk, value: p(bareLat, 0.95) } });
report.add({
  name: `throughput, ${CONCURRENCY} concurrent calls on one session`,
  value: kzRate,
  unit: 'calls/s',
  baseline: { name: bareSdk, value: bareRate },
  target: atLeast('ratio', 0.8),
});
report.add({
  name: 'start → first tools/list, dist/kubezilla-mcp.js (Node 20, median of 5)',
  value: p(starts, 0.5),
  unit: 'ms',
  baseline: { name: 'unbundled dist/cli.js', value: p(unbundledStarts, 0.5) },
  target: atMost('value', 500),
});
report.done();
