/**
 * Discovery with hundreds of CRDs. Target (issue 4): "a cluster with hundreds of CRDs must not
 * make any call slow". Measured as ratios in one run against the same cluster before and after
 * 300 CRDs (in 30 API groups) are added:
 *   - a cold first call on a fresh context (discovery + resolveKind + one list) ≤ 3× the baseline;
 *   - a warm resolveKind (cached) and a warm list_resources call ≤ 1.2× the baseline;
 *   - a miss for a kind that does not exist (refresh, then the closest matches among all ~1,000
 *     names) costs no more than 1.5× one warm list request against the same cluster.
 *
 *   npm run cluster:up && npx tsx bench/discovery.bench.ts
 *
 * The CRDs are deleted at the end unless BENCH_KEEP=1. Exits 1 when a target is missed.
 */
import { ClusterProvider } from '../src/providers/cluster/clusters.js';
import { KubeconfigStore } from '../src/providers/cluster/kubeconfig.js';
import { TunnelRegistry } from '../src/providers/cluster/tunnels.js';
import { clusterInfo, kubectl as runKubectl, type ClusterInfo } from '../tests/cluster/harness.js';

const CRDS = 300;
const GROUPS = 30;
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const LABEL = 'kubezilla.dev/bench=discovery';

async function kubectl(info: ClusterInfo, args: string[], input?: string): Promise<string> {
  const r = await runKubectl(info, args, { input, timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function crd(i: number) {
  const group = `g${i % GROUPS}.bench.kubezilla.dev`;
  const plural = `widgets${i}`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels: { 'kubezilla.dev/bench': 'discovery' } },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: `widget${i}`, kind: `Widget${i}`, shortNames: [`bw${i}`] },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

interface Sample {
  cold: number;
  warmResolve: number;
  warmList: number;
  miss: number;
}

async function measure(info: ClusterInfo): Promise<Sample> {
  const colds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const provider = newProvider(info);
    colds.push(
      await timed(async () => {
        const handle = await provider.get(info.contexts.admin);
        const kind = await handle.resolveKind('deploy');
        await handle.request(`/apis/apps/v1/namespaces/default/${kind.plural}`, { query: { limit: 10 } });
      }),
    );
    await provider.close();
  }
  const provider = newProvider(info);
  const handle = await provider.get(info.contexts.admin);
  await handle.resolveKind('deploy');
  const resolves: number[] = [];
  const lists: number[] = [];
  const misses: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    resolves.push(await timed(() => handle.resolveKind('deployments.apps')));
    lists.push(await timed(() => handle.request('/apis/apps/v1/namespaces/default/deployments', { query: { limit: 10 } })));
  }
  for (let i = 0; i < 5; i++) misses.push(await timed(() => handle.resolveKind('no-such-kind').catch(() => undefined)));
  await provider.close();
  return { cold: median(colds), warmResolve: median(resolves), warmList: median(lists), miss: median(misses) };
}

function newProvider(info: ClusterInfo): ClusterProvider {
  return new ClusterProvider({
    kubeconfig: new KubeconfigStore({ env: {}, home: '/nonexistent', flagPaths: () => [info.kubeconfig], settingsFiles: () => [], inline: () => [] }),
    tunnels: new TunnelRegistry({}),
  });
}

const info = clusterInfo();
await kubectl(info, ['delete', 'crd', '-l', LABEL, '--wait=true']);
const before = await measure(info);
const items = Array.from({ length: CRDS }, (_, i) => crd(i));
for (let start = 0; start < CRDS; start += 50) {
  await kubectl(info, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: items.slice(start, start + 50) }));
}
await kubectl(info, ['wait', '--for=condition=Established', 'crd', '-l', LABEL, '--timeout=300s']);
// The aggregated discovery document is regenerated asynchronously after CRDs are established.
await new Promise((resolve) => setTimeout(resolve, 5000));
const after = await measure(info);
if (process.env.BENCH_KEEP !== '1') await kubectl(info, ['delete', 'crd', '-l', LABEL, '--wait=false']);

const rows: Array<[string, keyof Sample, number]> = [
  ['cold first call (discovery + resolve + list)', 'cold', 3],
  ['warm resolveKind', 'warmResolve', 1.2],
  ['warm list (10 deployments)', 'warmList', 1.2],
];
let missed = 0;
console.log(`discovery with ${CRDS} CRDs in ${GROUPS} groups vs none (medians):`);
for (const [label, key, target] of rows) {
  const ratio = after[key] / before[key];
  const ok = ratio <= target;
  if (!ok) missed++;
  console.log(
    `  ${label.padEnd(46)} ${before[key].toFixed(2).padStart(8)} ms → ${after[key].toFixed(2).padStart(8)} ms  ${ratio.toFixed(2)}× (target ≤ ${target}×) ${ok ? 'PASS' : 'MISS'}`,
  );
}
const missRatio = after.miss / after.warmList;
if (missRatio > 1.5) missed++;
console.log(
  `  ${'unknown kind (refresh + closest matches)'.padEnd(46)} ${before.miss.toFixed(2).padStart(8)} ms → ${after.miss.toFixed(2).padStart(8)} ms  ${missRatio.toFixed(2)}× a warm list (target ≤ 1.5×) ${missRatio <= 1.5 ? 'PASS' : 'MISS'}`,
);
process.exitCode = missed ? 1 : 0;
