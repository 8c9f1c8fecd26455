/**
 * Throughput with many sessions at once: 16 and 100 MCP sessions, each its own client and
 * connection, all calling a tool that needs no cluster (fixture_echo) as fast as they are answered.
 * Target: ≥ 80% of the calls per second the bare SDK server (bench/common.ts: the SDK's McpServer
 * with the same tool on the same transport, nothing of ours) answers under the same load, in this run.
 *
 *   npx tsx bench/sessions.bench.ts
 *
 * Both servers run in this process beside the clients, as in kernel.bench.ts: the clients' own cost
 * is then the same on both sides, and on a 2-core machine a second process would only add
 * scheduling noise. Each round measures the bare server and ours back to back, and the figure is
 * the median of ROUNDS rounds (BENCH_ROUNDS, default 3). Exits 1 on a miss.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { setMaxListeners } from 'node:events';
import { connectClient, startTestServer } from '../tests/helpers/server.js';
import { median, startBareSdkServer } from './common.js';
import { atLeast, Report } from './report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CALLS_PER_SESSION = Number(process.env.BENCH_CALLS_PER_SESSION ?? 25);

interface Target {
  url: string;
  token: string;
  tool: string;
}

/** Calls per second over `sessions` sessions (opened before the clock starts, closed after it stops). */
async function rate(target: Target, sessions: number): Promise<number> {
  const clients: Array<{ client: Client; end(): Promise<void> }> = [];
  for (let i = 0; i < sessions; i++) {
    const { client, transport } = await connectClient(target.url, target.token);
    clients.push({ client, end: () => transport.terminateSession().then(() => client.close()) });
  }
  const call = (c: Client) => c.callTool({ name: target.tool, arguments: { text: 'hi' } });
  // Warm-up: every session answers once, so no first-call cost lands inside the timed part.
  await Promise.all(clients.map(({ client }) => call(client)));
  const t0 = performance.now();
  await Promise.all(
    clients.map(async ({ client }) => {
      for (let i = 0; i < CALLS_PER_SESSION; i++) await call(client);
    }),
  );
  const perSecond = (sessions * CALLS_PER_SESSION) / ((performance.now() - t0) / 1000);
  await Promise.all(clients.map((c) => c.end()));
  return perSecond;
}

setMaxListeners(0);
const bare = await startBareSdkServer();
const kz = await startTestServer();
const bareTarget = { url: bare.url, token: 'unused', tool: 'echo' };
const kzTarget = { url: kz.url, token: kz.token, tool: 'fixture_echo' };
const report = new Report('sessions');
for (const sessions of [16, 100]) {
  const bareRates: number[] = [];
  const kzRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRates.push(await rate(bareTarget, sessions));
    kzRates.push(await rate(kzTarget, sessions));
  }
  report.add({
    name: `throughput, ${sessions} concurrent sessions`,
    value: median(kzRates),
    unit: 'calls/s',
    baseline: { name: 'bare SDK McpServer', value: median(bareRates) },
    target: atLeast('ratio', 0.8),
  });
}
await kz.close();
bare.close();
report.done();
