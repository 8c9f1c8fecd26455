/**
 * apply_yaml dry-run benchmark. The target is a ratio against a baseline measured in the same
 * run, never an absolute time: a 300-document dry run costs at most 0.3× per document what a
 * one-document dry run costs as a whole call (MCP tools/call over HTTP, end to end). Documents
 * are read and dry-run a bounded number at a time and each kind is resolved once, so a big
 * manifest pays the round trips of its slowest documents, not the sum of all of them. Measured
 * on the 2-core test machine: 0.63 when each document waited for the one before it, about 0.25
 * with 16 in flight (the API server's own time per request is then most of what is left).
 *
 *   npm run cluster:up && npx tsx bench/apply_yaml.bench.ts
 *
 * Needs the local test cluster (tests/cluster/README.md). The manifest mixes ConfigMaps,
 * Secrets and Services (a third of them already exist, so both "created" and "configured" are
 * dry-run); its namespace (kz-bench-apply) is deleted at the end unless BENCH_KEEP=1.
 * BENCH_RUNS sets the timed runs per side (default 5). Exits 1 when the target is missed.
 */
import { stringify } from 'yaml';
import { clusterInfo } from '../tests/cluster/harness.js';
import { connectClient, startTestServer, textOf } from '../tests/helpers/server.js';
import { kubectl, median } from './common.js';
import { atMost, Report } from './report.js';

const NS = 'kz-bench-apply';
const DOCS = 300;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET = 0.3;

function object(i: number): Record<string, unknown> {
  const metadata = { name: `bench-${String(i).padStart(3, '0')}`, namespace: NS, labels: { app: 'bench' } };
  switch (i % 3) {
    case 0:
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { index: String(i), greeting: 'hello' } };
    case 1:
      return { apiVersion: 'v1', kind: 'Secret', metadata, stringData: { token: `t-${i}` } };
    default:
      return { apiVersion: 'v1', kind: 'Service', metadata, spec: { selector: { app: 'bench' }, ports: [{ port: 80 + (i % 5) }] } };
  }
}

const manifest = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => stringify(object(from + k))).join('---\n');

async function main(): Promise<void> {
  const info = clusterInfo();
  await kubectl(info, ['create', 'namespace', NS]).catch(() => undefined);
  // A third exist already (with other data), so the dry run also configures, not only creates.
  await kubectl(info, ['apply', '--server-side', '--field-manager', 'kubezilla-mcp', '-f', '-'], manifest(0, DOCS / 3).replaceAll('hello', 'before'));

  const server = await startTestServer({ kubeconfigPaths: [info.kubeconfig], toolDirs: [], settings: { policy: { maxOutputBytes: 1024 * 1024 } } });
  const { client } = await connectClient(server.url, server.token);
  const dryRun = async (text: string) => {
    const t0 = performance.now();
    const result = await client.callTool({ name: 'apply_yaml', arguments: { manifest: text, dryRun: true } }, undefined, { timeout: 300_000 });
    const ms = performance.now() - t0;
    if (result.isError) throw new Error(`apply_yaml failed: ${textOf(result).slice(0, 500)}`);
    return ms;
  };
  try {
    const one = manifest(DOCS / 3, DOCS / 3 + 1);
    const all = manifest(0, DOCS);
    await dryRun(one); // warm: discovery, connections
    await dryRun(all);
    const single: number[] = [];
    const many: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      single.push(await dryRun(one));
      many.push(await dryRun(all));
    }
    console.log(`${DOCS}-document dry run: median ${median(many).toFixed(0)} ms`);
    const report = new Report('apply_yaml');
    report.add({
      name: `apply_yaml dry run, ${DOCS} documents: time per document`,
      value: median(many) / DOCS,
      unit: 'ms',
      baseline: { name: 'one-document call', value: median(single) },
      target: atMost('ratio', TARGET),
    });
    report.done();
  } finally {
    await client.close().catch(() => undefined);
    await server.close();
    if (process.env.BENCH_KEEP !== '1') await kubectl(info, ['delete', 'namespace', NS, '--wait=false']).catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
