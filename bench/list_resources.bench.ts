/**
 * list_resources and tools/list benchmark. Targets (issue 5), each a ratio against a baseline
 * measured in the same run, never an absolute time:
 *   - list_resources of a 1,000-pod page returns ≤ 1.1× the bytes of `kubectl get pods` for the
 *     same page;
 *   - its latency (MCP tools/call over HTTP, end to end) is ≤ 1.2× a direct
 *     @kubernetes/client-node list of the same page (CoreV1Api.listNamespacedPod, limit 1000);
 *   - tools/list for all 18 tools ≤ 12 KB (12,288 B), as a client receives it. Beside it, for
 *     scale: the same list with every shared argument described in every tool (what the kernel's
 *     hoisting into the server instructions saves) and the instructions themselves.
 *
 *   npm run cluster:up && npx tsx bench/list_resources.bench.ts
 *
 * Needs the local test cluster (tests/cluster/README.md). The 1,000 pods carry a scheduling gate,
 * so they take no node capacity away from tests running at the same time; their namespace
 * (kz-bench-lr) is deleted at the end unless BENCH_KEEP=1. BENCH_RUNS sets the timed runs per
 * side (default 15). Exits 1 when a target is missed.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { loadRegistry } from '../src/kernel/registry.js';
import { describeTool } from '../src/kernel/tool-calls.js';
import { ClusterProvider } from '../src/providers/cluster/clusters.js';
import { KubeconfigStore } from '../src/providers/cluster/kubeconfig.js';
import { TunnelRegistry } from '../src/providers/cluster/tunnels.js';
import { clusterInfo, kubectl as runKubectl, type ClusterInfo } from '../tests/cluster/harness.js';
import { connectClient, startTestServer, textOf } from '../tests/helpers/server.js';

const NS = 'kz-bench-lr';
const PODS = 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

async function kubectl(info: ClusterInfo, args: string[], input?: string): Promise<string> {
  const r = await runKubectl(info, args, { input, timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function ensurePods(info: ClusterInfo): Promise<void> {
  await kubectl(info, ['create', 'namespace', NS]).catch(() => undefined);
  const have = (await kubectl(info, ['get', 'pods', '-n', NS, '-o', 'name'])).split('\n').filter(Boolean).length;
  if (have >= PODS) return;
  const pod = (i: number) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${String(i).padStart(4, '0')}`, namespace: NS, labels: { app: 'bench', shard: String(i % 10) } },
    spec: { schedulingGates: [{ name: 'kubezilla.dev/bench' }], containers: [{ name: 'main', image: 'busybox:1.36' }] },
  });
  for (let start = have; start < PODS; start += 250) {
    const items = Array.from({ length: Math.min(250, PODS - start) }, (_, k) => pod(start + k));
    await kubectl(info, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

async function main(): Promise<void> {
  const info = clusterInfo();
  const started = Date.now();
  await ensurePods(info);
  console.log(`pods ready in ${NS}: ${PODS} (${Date.now() - started} ms to prepare)`);

  // A budget large enough for the whole 1,000-row page, so both sides print the same page.
  const big = await startTestServer({ kubeconfigPaths: [info.kubeconfig], toolDirs: [], settings: { policy: { maxOutputBytes: 1024 * 1024 } } });
  const { client } = await connectClient(big.url, big.token);
  const callTool = async () => textOf(await client.callTool({ name: 'list_resources', arguments: { kind: 'pods', namespace: NS, limit: PODS } }));

  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfig);
  kc.setCurrentContext(info.contexts.admin);
  const direct = () => kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS, limit: PODS });

  // Bytes: the same page both ways.
  const ours = await callTool();
  const kube = await kubectl(info, ['get', 'pods', '-n', NS, `--chunk-size=${PODS}`]);
  const ourRows = ours.split('\n\n')[0]!.split('\n').length - 1;
  const kubeRows = kube.trim().split('\n').length - 1;
  if (ourRows !== PODS || kubeRows !== PODS) throw new Error(`expected ${PODS} rows each, got list_resources ${ourRows}, kubectl ${kubeRows}`);
  const ourBytes = Buffer.byteLength(ours);
  const kubeBytes = Buffer.byteLength(kube);

  // Latency: warm up both, then alternate so drift hits both sides alike.
  for (let i = 0; i < 3; i++) {
    await callTool();
    await direct();
  }
  const toolTimes: number[] = [];
  const directTimes: number[] = [];
  let directItems = 0;
  for (let i = 0; i < RUNS; i++) {
    toolTimes.push((await time(callTool))[0]);
    const [ms, list] = await time(direct);
    directTimes.push(ms);
    directItems = list.items.length;
  }
  if (directItems !== PODS) throw new Error(`direct list returned ${directItems} pods`);
  // For information: the same page as plain JSON over one kept-alive connection (what the tool's
  // transport does, without the Table rendering and MCP), to show where the time goes.
  const provider = new ClusterProvider({
    kubeconfig: new KubeconfigStore({ env: {}, home: '/nonexistent', flagPaths: () => [info.kubeconfig], settingsFiles: () => [], inline: () => [] }),
    tunnels: new TunnelRegistry({}),
  });
  const handle = await provider.get(info.contexts.admin);
  const rawJson = () => handle.request(`/api/v1/namespaces/${NS}/pods`, { query: { limit: PODS } });
  await rawJson();
  const rawTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) rawTimes.push((await time(rawJson))[0]);
  await provider.close();
  const kubectlTimes: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 5); i++) kubectlTimes.push((await time(() => kubectl(info, ['get', 'pods', '-n', NS, `--chunk-size=${PODS}`])))[0]);
  await client.close();
  await big.close();

  // With the default 48 KB budget: the page is cut to what fits, with a continue token.
  const dflt = await startTestServer({ kubeconfigPaths: [info.kubeconfig], toolDirs: [] });
  const c2 = (await connectClient(dflt.url, dflt.token)).client;
  const cut = textOf(await c2.callTool({ name: 'list_resources', arguments: { kind: 'pods', namespace: NS, limit: PODS } }));
  await c2.close();
  await dflt.close();

  // tools/list with every built-in tool, as a client receives it, and the instructions beside it.
  const all = await startTestServer({ kubeconfigPaths: [info.kubeconfig], toolDirs: [] });
  const c3 = (await connectClient(all.url, all.token)).client;
  const tools = (await c3.listTools()).tools;
  const listBytes = Buffer.byteLength(JSON.stringify({ tools }));
  const instructionsBytes = Buffer.byteLength(c3.getInstructions() ?? '');
  const registry = await loadRegistry(() => true, []);
  const inlineBytes = Buffer.byteLength(JSON.stringify({ tools: [...registry.tools.values()].map(({ module }) => describeTool(module)) }));
  await c3.close();
  await all.close();

  if (process.env.BENCH_KEEP !== '1') await kubectl(info, ['delete', 'namespace', NS, '--wait=false']);

  const bytesRatio = ourBytes / kubeBytes;
  const latencyRatio = median(toolTimes) / median(directTimes);
  const results = [
    {
      target: `list_resources bytes ≤ 1.1× kubectl get pods (${PODS} rows)`,
      value: `${ourBytes} vs ${kubeBytes} B = ${bytesRatio.toFixed(3)}×`,
      ok: bytesRatio <= 1.1,
    },
    {
      target: 'list_resources latency ≤ 1.2× direct client-node list (p50)',
      value: `${median(toolTimes).toFixed(1)} vs ${median(directTimes).toFixed(1)} ms = ${latencyRatio.toFixed(3)}× (kubectl get: ${median(kubectlTimes).toFixed(0)} ms)`,
      ok: latencyRatio <= 1.2,
    },
    {
      target: 'tools/list for all 18 tools ≤ 12 KB',
      value: `${tools.length} tools, ${listBytes} B = ${(listBytes / 12_288).toFixed(3)}× of 12,288 B; ${(listBytes / inlineBytes).toFixed(3)}× the list with shared arguments described in every tool (${inlineBytes} B)`,
      ok: tools.length === 18 && listBytes <= 12 * 1024,
    },
  ];
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.target}: ${r.value}`);
  console.log(`info  server instructions (sent once, at initialize): ${instructionsBytes} B; with tools/list ${listBytes + instructionsBytes} B`);
  console.log(`info  same page as JSON over the provider's kept-alive connection: p50 ${median(rawTimes).toFixed(1)} ms (no table, no MCP)`);
  console.log(
    `info  default 48 KB budget: ${Buffer.byteLength(cut)} B, ${cut.split('\n\n')[0]!.split('\n').length - 1} rows, then: ${cut.split('\n').at(-1)!.slice(0, 100)}...`,
  );
  console.log(`info  tools: ${tools.map((t) => `${t.name} ${Buffer.byteLength(JSON.stringify(t))}`).join(', ')}`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
