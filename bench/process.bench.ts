/**
 * The program as a user runs it (dist/kubezilla-mcp.js, the single-file build): how long from
 * process start to the first tools/list answered, and how much memory it holds idle and after
 * load. Targets, each against a baseline measured in this run:
 *   - start → first tools/list ≤ 150 ms under Node 22, shown beside a bare `node -e 0` start of the
 *     same Node binary (what no program can beat); the same under Node 20 for information;
 *   - idle RSS (serving, one session open, after its first tools/list) ≤ 100 MB, beside a bare Node
 *     process that only waits;
 *   - RSS after 10,000 calls, and after 1,000 sessions opened and closed, ≤ 1.5× the idle RSS of
 *     the same process (V8 grows its young generation under load: some growth is the collector's
 *     sizing, not a leak); and once warm, 20,000 more calls add no more than noise (RSS after
 *     30,000 ≤ 1.25× RSS after 10,000; measured here it wanders ±20% from round to round).
 *
 *   npm run build && npx tsx bench/process.bench.ts
 *
 * Node 22 is the one tests/interop/install.sh installs (~/.cache/kubezilla/node22, or
 * KUBEZILLA_NODE22_PREFIX), or KUBEZILLA_NODE22=<path to node>. BENCH_STARTS sets the timed starts
 * per side (default 10). No cluster is needed: the calls go to fixture_echo. Exits 1 on a miss.
 *
 * Why wall time from spawn and not a log line: the person waits for exactly that (the client
 * launching the server, or a restart), so it includes Node's own boot, loading and compiling the
 * bundle, reading the config dir, binding the port, and the initialize + tools/list round trips.
 * The first start of each kind is not timed: it fills the OS file cache (and Node's compile
 * cache, on Node 22), writes the token and settings.json, as every start after a person's first
 * one finds them; the timed starts reuse that config directory, as a restart does.
 */
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClient } from '../tests/helpers/server.js';
import { BUNDLED_CLI, FIXTURE_TOOLS, median, node22, rssMb, spawnServe, startToFirstList } from './common.js';
import { atMost, Report } from './report.js';

const STARTS = Number(process.env.BENCH_STARTS ?? 10);
const CALLS = 10_000;
/** Rounds of CALLS for the growth figure: a leak keeps growing round after round, noise does not. */
const ROUNDS = 3;
const SESSIONS = 1_000;
const CONCURRENCY = 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exitTime(node: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const child = spawn(node, args, { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${node} ${args.join(' ')} exited ${code}`))));
  });
}

/** Median start-up of the program and of `node -e 0`, alternating so drift hits both alike. */
async function startup(node: string): Promise<{ program: number; bare: number }> {
  const configDir = mkdtempSync(join(tmpdir(), 'kz-bench-start-'));
  try {
    await startToFirstList(node, BUNDLED_CLI, { configDir });
    await exitTime(node, ['-e', '0']);
    const program: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      program.push(await startToFirstList(node, BUNDLED_CLI, { configDir }));
      bare.push(await exitTime(node, ['-e', '0']));
    }
    return { program: median(program), bare: median(bare) };
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** RSS of a Node process doing nothing but staying alive, read after the same settling pause. */
async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await sleep(1500);
    return rssMb(child.pid!);
  } finally {
    child.kill('SIGTERM');
  }
}

/** RSS after a pause: the collector runs on its own schedule, so read what a person's `ps` shows. */
async function settledRss(pid: number): Promise<number> {
  await sleep(1500);
  return rssMb(pid);
}

async function memory(report: Report): Promise<void> {
  const bare = await bareNodeRss();
  const serve = await spawnServe(process.execPath, BUNDLED_CLI, { args: ['--tools-dir', FIXTURE_TOOLS] });
  try {
    const { client } = await connectClient(serve.url, serve.token);
    await client.listTools();
    const idle = await settledRss(serve.child.pid!);
    const calls = async () => {
      let remaining = CALLS;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (remaining-- > 0) await client.callTool({ name: 'fixture_echo', arguments: { text: 'hi' } });
        }),
      );
    };
    await calls();
    const afterCalls = await settledRss(serve.child.pid!);
    for (let round = 1; round < ROUNDS; round++) await calls();
    const afterMoreCalls = await settledRss(serve.child.pid!);
    await client.close();

    // Each session: initialize, one call, DELETE (as a well-behaved client ends it).
    let remaining = SESSIONS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (remaining-- > 0) {
          const { client: c, transport } = await connectClient(serve.url, serve.token);
          await c.callTool({ name: 'fixture_echo', arguments: { text: 'hi' } });
          await transport.terminateSession();
          await c.close();
        }
      }),
    );
    const afterSessions = await settledRss(serve.child.pid!);

    const node = `Node ${process.versions.node.split('.')[0]}`;
    const idleBaseline = { name: 'idle RSS, same process', value: idle };
    report.add({
      name: `idle RSS, serving one session (${node})`,
      value: idle,
      unit: 'MB',
      baseline: { name: 'bare node process', value: bare },
      target: atMost('value', 100),
    });
    report.add({
      name: `RSS after ${CALLS.toLocaleString('en-US')} calls`,
      value: afterCalls,
      unit: 'MB',
      baseline: idleBaseline,
      target: atMost('ratio', 1.5),
    });
    report.add({
      name: `RSS after ${(ROUNDS * CALLS).toLocaleString('en-US')} calls`,
      value: afterMoreCalls,
      unit: 'MB',
      baseline: { name: `after ${CALLS.toLocaleString('en-US')} calls`, value: afterCalls },
      target: atMost('ratio', 1.25),
    });
    report.add({
      name: `RSS after ${SESSIONS.toLocaleString('en-US')} sessions opened and closed`,
      value: afterSessions,
      unit: 'MB',
      baseline: idleBaseline,
      target: atMost('ratio', 1.5),
    });
  } finally {
    await serve.stop();
  }
}

// The SDK client adds an abort listener per request to one long-lived signal (see kernel.bench.ts).
setMaxListeners(0);
const report = new Report('process');
const n22 = node22();
if (n22) {
  const { program, bare } = await startup(n22);
  report.add({
    name: 'start → first tools/list (Node 22)',
    value: program,
    unit: 'ms',
    baseline: { name: 'node -e 0', value: bare },
    target: atMost('value', 150),
  });
} else {
  report.failed('start → first tools/list (Node 22)', 'ms', 'no Node 22: run tests/interop/install.sh or set KUBEZILLA_NODE22', atMost('value', 150));
}
const here = await startup(process.execPath);
report.add({
  name: `start → first tools/list (Node ${process.versions.node.split('.')[0]})`,
  value: here.program,
  unit: 'ms',
  baseline: { name: 'node -e 0', value: here.bare },
});
await memory(report);
report.done();
