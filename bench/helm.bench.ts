/**
 * Helm reads without the helm binary: list_helm_releases and get_helm_history decode the release
 * records stored in the cluster themselves, where a shell-out server runs `helm list` / `helm
 * history` (a process start, kubeconfig and discovery, then the same Secrets). Target: ≥ 10× faster
 * than helm on the same releases, i.e. a ratio ≤ 0.1 (MCP tools/call over HTTP, end to end, against
 * the helm process start to exit), medians after a warm-up.
 *
 *   npm run cluster:up && npx tsx bench/helm.bench.ts
 *
 * Needs the local test cluster (tests/cluster/README.md). Installs RELEASES releases of the fixture
 * chart kz-demo in kz-bench-helm, each upgraded to REVISIONS revisions (alternating the chart's two
 * versions, so the history has real differences), with helm 4, and measures against helm 4 (the
 * current major; helm 3 reads the same records the same way). Nothing is waited for: the records
 * are what both sides read, not the pods. The namespace is deleted at the end unless BENCH_KEEP=1.
 * BENCH_RUNS sets the timed runs per side (default 10). Exits 1 on a miss.
 */
import { type ClusterInfo, clusterInfo, helm as runHelm } from '../tests/cluster/harness.js';
import { connectClient, startTestServer, textOf } from '../tests/helpers/server.js';
import { ensureNamespace, kubectl, median, timed } from './common.js';
import { atMost, Report } from './report.js';

const NS = 'kz-bench-helm';
const RELEASES = 5;
const REVISIONS = 6;
const RUNS = Number(process.env.BENCH_RUNS ?? 10);

async function helm(info: ClusterInfo, args: string[]): Promise<string> {
  const r = await runHelm(info, 4, args, { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function prepare(info: ClusterInfo): Promise<string[]> {
  await ensureNamespace(info, NS);
  const charts = info.charts.paths['kz-demo'];
  const versions = Object.keys(charts ?? {}).sort();
  if (!charts || versions.length < 2)
    throw new Error(`the fixture chart kz-demo (two versions) is missing from cluster-info.json: ${JSON.stringify(info.charts.paths)}`);
  const names = Array.from({ length: RELEASES }, (_, i) => `bench-${i}`);
  for (const name of names) {
    const have = (await helm(info, ['history', name, '-n', NS, '-o', 'json']).catch(() => '[]')).trim();
    const revisions = (JSON.parse(have || '[]') as unknown[]).length;
    for (let rev = revisions; rev < REVISIONS; rev++) {
      const chart = charts[versions[rev % versions.length]!]!;
      await helm(info, ['upgrade', '--install', name, chart, '-n', NS, '--set', `greeting=revision ${rev + 1}`]);
    }
  }
  return names;
}

async function main(): Promise<void> {
  // No setMaxListeners(0) here, unlike the benchmarks without a cluster: with @kubernetes/client-node
  // loaded in the same process it makes every cluster call fail ("The emitter argument must be an
  // instance of EventEmitter or EventTarget"). The SDK client's listener warnings are only noise.
  const info = clusterInfo();
  const t0 = Date.now();
  const names = await prepare(info);
  console.log(`${NS}: ${RELEASES} releases × ${REVISIONS} revisions ready in ${Date.now() - t0} ms`);
  const server = await startTestServer({ kubeconfigPaths: [info.kubeconfig], toolDirs: [] });
  const { client } = await connectClient(server.url, server.token);
  const call = async (tool: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name: tool, arguments: args });
    const text = textOf(result);
    if (result.isError) throw new Error(`${tool} failed: ${text.slice(0, 300)}`);
    return text;
  };
  const release = names[0]!;
  const cases: Array<{ name: string; ours: () => Promise<string>; theirs: () => Promise<string>; expect: (ours: string, theirs: string) => boolean }> = [
    {
      name: `list_helm_releases (${RELEASES} releases)`,
      ours: () => call('list_helm_releases', { namespace: NS }),
      theirs: () => helm(info, ['list', '-n', NS]),
      expect: (ours, theirs) => names.every((n) => ours.includes(n) && theirs.includes(n)),
    },
    {
      name: `get_helm_history (${REVISIONS} revisions)`,
      ours: () => call('get_helm_history', { release, namespace: NS }),
      theirs: () => helm(info, ['history', release, '-n', NS]),
      // helm prints a header and one row per revision; ours is a table of the same rows.
      expect: (ours, theirs) => theirs.trim().split('\n').length === REVISIONS + 1 && ours.trim().split('\n').length >= REVISIONS + 1,
    },
  ];
  const report = new Report('helm');
  try {
    for (const c of cases) {
      // The same releases on both sides, or the comparison means nothing.
      const [ours, theirs] = [await c.ours(), await c.theirs()];
      if (!c.expect(ours, theirs)) throw new Error(`${c.name}: the answers do not show the same releases:\n${ours}\n---\n${theirs}`);
      for (let i = 0; i < 2; i++) {
        await c.ours();
        await c.theirs();
      }
      const oursMs: number[] = [];
      const theirsMs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        oursMs.push((await timed(c.ours))[0]);
        theirsMs.push((await timed(c.theirs))[0]);
      }
      report.add({
        name: `${c.name}: latency, median`,
        value: median(oursMs),
        unit: 'ms',
        baseline: { name: `helm 4 ${c.name.startsWith('list') ? 'list' : 'history'} (spawned)`, value: median(theirsMs) },
        target: atMost('ratio', 0.1),
      });
    }
  } finally {
    await client.close().catch(() => undefined);
    await server.close();
    if (process.env.BENCH_KEEP !== '1') await kubectl(info, ['delete', 'namespace', NS, '--wait=false']).catch(() => undefined);
  }
  report.done();
}

main().then(
  () => process.exit(),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
