/**
 * `npm run bench`: every benchmark, one after another, each in its own process (so one's heap, JIT
 * state and open sockets cannot colour the next one's figures), then one report:
 * bench/results/latest.json (the rows, see bench/report.ts, plus the machine they were measured on)
 * and bench/results/latest.md (the Markdown table the README's Performance section shows).
 *
 *   npm run bench                     # builds once, starts or reuses the local test cluster
 *   BENCH_ONLY=kernel,startup npm run bench
 *
 * It exits 0 when every benchmark ran, whatever the targets say: a missed target is a ✗ in the
 * table, not a broken command (each `npm run bench:*` still exits 1 on its own misses). It exits 1
 * only when a benchmark could not run at all, and that is a ✗ row in the table too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, Report, type Row, textLines } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

interface Bench {
  name: string;
  file: string;
  /** Needs the local test cluster (tests/cluster). */
  cluster: boolean;
}

// Cheapest and least disturbing first; the ones that create hundreds of objects last, so their
// clean-up (namespace and CRD deletion) cannot slow the figures of another benchmark.
const BENCHES: Bench[] = [
  { name: 'kernel', file: 'kernel.bench.ts', cluster: false },
  { name: 'process', file: 'process.bench.ts', cluster: false },
  { name: 'sessions', file: 'sessions.bench.ts', cluster: false },
  { name: 'tunnel', file: 'tunnel.bench.ts', cluster: true },
  { name: 'tools', file: 'tools.bench.ts', cluster: true },
  { name: 'helm', file: 'helm.bench.ts', cluster: true },
  { name: 'list_resources', file: 'list_resources.bench.ts', cluster: true },
  { name: 'apply_yaml', file: 'apply_yaml.bench.ts', cluster: true },
  { name: 'discovery', file: 'discovery.bench.ts', cluster: true },
  { name: 'scenarios', file: 'scenarios.bench.ts', cluster: true },
];

function run(command: string, args: string[], env: NodeJS.ProcessEnv, capture = false): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    let stdout = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout }));
  });
}

/** The cluster's info file, after `tests/cluster/cli.ts up` started or reused it; or why not. */
async function cluster(): Promise<{ info: string } | { error: string }> {
  const up = await run(TSX, ['tests/cluster/cli.ts', 'up'], process.env, true);
  const info = join(process.env.KUBEZILLA_CLUSTER_STATE ?? join(process.env.HOME ?? '', '.cache/kubezilla/run'), 'cluster-info.json');
  if (up.code !== 0 || !existsSync(info)) return { error: `cluster:up exited ${up.code}` };
  return { info };
}

const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const selected = BENCHES.filter((b) => !only || only.includes(b.name));
const startedAt = new Date();
const loadBefore = loadavg();
const rowsFile = join(tmpdir(), `kz-bench-rows-${process.pid}.jsonl`);
rmSync(rowsFile, { force: true });
const missing = new Report('run-all');

const clusterState = selected.some((b) => b.cluster) ? await cluster() : undefined;
if (clusterState && 'error' in clusterState) console.error(`bench: no test cluster (${clusterState.error}); the cluster benchmarks are reported as not run`);

for (const bench of selected) {
  const rowsBefore = existsSync(rowsFile) ? readFileSync(rowsFile, 'utf8').split('\n').filter(Boolean).length : 0;
  if (bench.cluster && clusterState && 'error' in clusterState) {
    missing.failed(`${bench.file}`, 'count', `no test cluster: ${clusterState.error}`);
    continue;
  }
  console.log(`\n=== ${bench.file}`);
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_REPORT: rowsFile };
  // With a cluster, the tunnel benchmark measures the real control plane through the real bastion.
  if (clusterState && 'info' in clusterState) env.KUBEZILLA_TEST_CLUSTER_INFO = clusterState.info;
  const { code } = await run(TSX, [join('bench', bench.file)], env);
  const rowsAfter = existsSync(rowsFile) ? readFileSync(rowsFile, 'utf8').split('\n').filter(Boolean).length : 0;
  if (rowsAfter === rowsBefore) missing.failed(bench.file, 'count', `exited ${code} before reporting; see its output above`);
}

const rows: Row[] = [
  ...(existsSync(rowsFile)
    ? readFileSync(rowsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Row)
    : []),
  ...missing.rows,
];
rmSync(rowsFile, { force: true });

const cpu = cpus();
const machine = {
  cpus: cpu.length,
  cpuModel: cpu[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  // Load averages (1, 5, 15 min) before and after: other work on the machine shows up here.
  loadBefore: loadBefore.map((n) => Number(n.toFixed(2))),
  loadAfter: loadavg().map((n) => Number(n.toFixed(2))),
};
const missed = rows.filter((r) => r.met === false);
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify({ startedAt: startedAt.toISOString(), command: 'npm run bench', machine, rows }, null, 2)}\n`);
const summary =
  `Measured ${startedAt.toISOString().slice(0, 10)} by \`npm run bench\` on ${machine.cpus} cores (${machine.cpuModel}), ${machine.platform}, ` +
  `runner on Node ${process.version}; load average ${machine.loadBefore[0]} before, ${machine.loadAfter[0]} after. ` +
  `Every ratio is value ÷ baseline, both measured in this run. ${rows.length} figures, ${missed.length} targets missed.`;
writeFileSync(join(RESULTS, 'latest.md'), `${summary}\n\n${markdownTable(rows)}`);
// `npm test` lints these files too: leave them in the formatter's shape, or the next test run fails.
const formatted = spawnSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', RESULTS], { encoding: 'utf8' });
if (formatted.status !== 0) console.log(`biome could not format ${RESULTS}: ${formatted.stderr || formatted.error?.message}`);

console.log(`\n=== report (bench/results/latest.json, latest.md)\n${textLines(rows)}\n\n${summary}`);
if (missed.length) console.log(`missed: ${missed.map((r) => r.name).join('; ')}`);
// Missed targets are in the table; only a benchmark that did not run at all fails the command.
process.exitCode = missing.rows.length ? 1 : 0;
