/**
 * list_resources and tools/list benchmark. Targets, each a ratio against a baseline
 * measured in the same run, never an absolute time:
 *   - list_resources of a 1,000-pod page returns ≤ 1.1× the bytes of `kubectl get pods` for the
 *     same page;
 *   - its latency (MCP tools/call over HTTP, end to end) is ≤ 1.2× a direct
 *     @kubernetes/client-node list of the same page (CoreV1Api.listNamespacedPod, limit 1000);
 *   - tools/list under the default classes (read, safe-mutation) ≤ 15,800 B, as a client receives it. Beside it, for
 *     scale: the same list with every shared argument described in every tool (what the kernel's
 *     hoisting into the server instructions saves) and the instructions themselves;
 *   - tools/list with every safety class enabled (the destructive tools too) ≤ 24,000 B.
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
import { type ClusterInfo, clusterInfo } from '../tests/cluster/harness.js';
import { connectClient, startTestServer, textOf } from '../tests/helpers/server.js';
import { clusterProvider, kubectl, median, timed as time } from './common.js';
import { atMost, Report } from './report.js';

const NS = 'kz-bench-lr';
const PODS = 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

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
  const provider = clusterProvider(info);
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
  // The same tools as the list above (the destructive ones are registered too, but not listed by default).
  const listedNames = new Set(tools.map((t) => t.name));
  const inlineBytes = Buffer.byteLength(
    JSON.stringify({
      tools: [...registry.tools.values()].filter(({ module }) => listedNames.has(module.name)).map(({ module }) => describeTool(module)),
    }),
  );
  await c3.close();
  await all.close();
  const everyClass = await startTestServer({
    kubeconfigPaths: [info.kubeconfig],
    toolDirs: [],
    settings: { policy: { enabledClasses: ['read', 'safe-mutation', 'destructive'] } },
  });
  const c4 = (await connectClient(everyClass.url, everyClass.token)).client;
  const everyTool = (await c4.listTools()).tools;
  const everyBytes = Buffer.byteLength(JSON.stringify({ tools: everyTool }));
  await c4.close();
  await everyClass.close();

  if (process.env.BENCH_KEEP !== '1') await kubectl(info, ['delete', 'namespace', NS, '--wait=false']);

  const report = new Report('list_resources');
  report.add({
    name: `list_resources pods, ${PODS}-row page: answer bytes`,
    value: ourBytes,
    unit: 'B',
    baseline: { name: 'kubectl get pods', value: kubeBytes },
    target: atMost('ratio', 1.1),
  });
  report.add({
    name: `list_resources pods, ${PODS}-row page: latency (p50)`,
    value: median(toolTimes),
    unit: 'ms',
    baseline: { name: 'client-node listNamespacedPod', value: median(directTimes) },
    target: atMost('ratio', 1.2),
  });
  // For scale: where the time goes (the same page as JSON, no Table rendering, no MCP) and what
  // a shell-out costs for the same page.
  report.add({ name: `${PODS}-pod page as JSON over the provider's kept-alive connection (p50)`, value: median(rawTimes), unit: 'ms' });
  report.add({ name: `kubectl get pods, ${PODS}-row page (median of ${kubectlTimes.length})`, value: median(kubectlTimes), unit: 'ms' });
  report.add({
    name: `tools/list, default classes (${tools.length} tools)`,
    value: listBytes,
    unit: 'B',
    baseline: { name: 'shared arguments described in every tool', value: inlineBytes },
    // 15,000 until the port-forward tools: port_forward_list and port_forward_stop are listed by
    // default (a person must be able to stop a forward with the destructive class off), ~800 B.
    target: atMost('value', 15_800),
  });
  const everyRow = report.add({
    name: `tools/list, every class enabled (${everyTool.length} tools)`,
    value: everyBytes,
    unit: 'B',
    baseline: { name: 'default classes', value: listBytes },
    // 19,000 until Phase 2's streaming tools: the three port-forward tools (~1,720 B), exec_in_pod
    // (~1,000 B: argv, stdin and timeout each need saying) and the three PVC tools (~2,100 B), with
    // descriptions cut to the minimum. Only a person who turns the destructive class on pays it.
    target: atMost('value', 24_000),
  });
  // The destructive tools must really be in the longer list, or its byte count proves nothing.
  if (everyTool.length <= tools.length) everyRow.met = false;
  report.add({ name: 'server instructions (sent once, at initialize)', value: instructionsBytes, unit: 'B' });
  console.log(
    `info  default 48 KB budget: ${Buffer.byteLength(cut)} B, ${cut.split('\n\n')[0]!.split('\n').length - 1} rows, then: ${cut.split('\n').at(-1)!.slice(0, 100)}...`,
  );
  console.log(`info  tools: ${everyTool.map((t) => `${t.name} ${Buffer.byteLength(JSON.stringify(t))}`).join(', ')}`);
  report.done();
}

main().then(
  () => process.exit(),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
