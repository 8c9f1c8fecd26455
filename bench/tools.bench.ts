/**
 * The read tools a model calls most, against the two ways of getting the same data without us:
 *   - the floor: a direct @kubernetes/client-node call in this process (what any TypeScript code
 *     pays; our answer also crosses MCP over HTTP, validation, policy and formatting);
 *   - spawning kubectl (what a server that shells out pays on every call).
 * Latency for list_resources pods, get_resource_yaml pod, get_pod_logs and get_events in a namespace
 * holding 100 and 1,000 pods; targets: ≤ 1.5× the floor, and < 1× kubectl (never slower than a
 * shell-out). Answer bytes against kubectl's own text for the same objects (the `kubectl get pods`
 * table, `get pod -o yaml`, `describe pod`, `logs`, `get events`); target ≤ 1.1× each, the budget the
 * tools are written to (compact for a model's context window, never bigger than what a person reads).
 *
 *   npm run cluster:up && npx tsx bench/tools.bench.ts
 *
 * Needs the local test cluster (tests/cluster/README.md). Each namespace (kz-bench-pods-100,
 * kz-bench-pods-1000) holds one running pod, the one get/logs/describe read, and a Deployment
 * whose pods carry a scheduling gate: they exist for every list but take no node capacity from
 * tests running at the same time (three fake nodes hold 330 pods). The namespaces are deleted at the
 * end unless BENCH_KEEP=1. BENCH_RUNS sets the timed runs per side (default 10; kubectl gets half).
 *
 * The server runs with a 1 MB output budget so every answer holds all of the data the other two
 * return (at the default 48 KB budget a 1,000-pod list is cut to a page with a continue token,
 * which would be cheaper and not the same data). Exits 1 on a miss.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type ClusterInfo, clusterInfo, kubectl as runKubectl } from '../tests/cluster/harness.js';
import { connectClient, startTestServer, textOf } from '../tests/helpers/server.js';
import { ensureNamespace, kubectl, median, timed } from './common.js';
import { atMost, Report } from './report.js';

const SIZES = [100, 1000];
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const KUBECTL_RUNS = Math.max(3, Math.ceil(RUNS / 2));
const TARGET = 'bench-target';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A kubectl command line as the table shows it: without the namespace, page size and pod name. */
function shown(args: string[]): string {
  const kept = args.filter((a, i) => a !== '-n' && args[i - 1] !== '-n' && a !== TARGET && !a.startsWith('--chunk-size') && !a.startsWith('--tail'));
  return `kubectl ${kept.join(' ')}`;
}

/** One running pod (it logs ten lines on the fake nodes) and `pods - 1` gated ones beside it. */
async function prepare(info: ClusterInfo, ns: string, pods: number): Promise<void> {
  await ensureNamespace(info, ns);
  const manifest = [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: TARGET, namespace: ns, labels: { app: 'bench-target' } },
      spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bench', namespace: ns },
      spec: {
        replicas: pods - 1,
        selector: { matchLabels: { app: 'bench' } },
        template: {
          metadata: { labels: { app: 'bench' } },
          spec: { schedulingGates: [{ name: 'kubezilla.dev/bench' }], containers: [{ name: 'main', image: 'busybox:1.36' }] },
        },
      },
    },
  ];
  await kubectl(info, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifest }));
  await kubectl(info, ['wait', '--for=condition=Ready', `pod/${TARGET}`, '-n', ns, '--timeout=300s']);
  for (let waited = 0; ; waited += 2000) {
    const have = (await kubectl(info, ['get', 'pods', '-n', ns, '-o', 'name'])).split('\n').filter(Boolean).length;
    if (have >= pods) return;
    if (waited > 600_000) throw new Error(`${ns}: ${have} of ${pods} pods after 10 minutes`);
    await sleep(2000);
  }
}

interface Case {
  tool: string;
  args: Record<string, unknown>;
  /** The same data through client-node, returning something whose size proves it was all read. */
  floor: { name: string; call: () => Promise<unknown> };
  /** The same data from kubectl, as text. */
  kubectl: string[];
}

async function main(): Promise<void> {
  // No setMaxListeners(0) here, unlike the benchmarks without a cluster: with @kubernetes/client-node
  // loaded in the same process it makes every cluster call fail ("The emitter argument must be an
  // instance of EventEmitter or EventTarget"). The SDK client's listener warnings are only noise.
  const info = clusterInfo();
  const server = await startTestServer({ kubeconfigPaths: [info.kubeconfig], toolDirs: [], settings: { policy: { maxOutputBytes: 1024 * 1024 } } });
  const { client } = await connectClient(server.url, server.token);
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfig);
  kc.setCurrentContext(info.contexts.admin);
  const core = kc.makeApiClient(CoreV1Api);
  const report = new Report('tools');
  const namespaces: string[] = [];
  const call = async (tool: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name: tool, arguments: args });
    const text = textOf(result);
    if (result.isError) throw new Error(`${tool} failed: ${text.slice(0, 300)}`);
    return text;
  };
  const shell = async (args: string[]) => {
    const r = await runKubectl(info, args, { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  try {
    for (const pods of SIZES) {
      const ns = `kz-bench-pods-${pods}`;
      namespaces.push(ns);
      const t0 = Date.now();
      await prepare(info, ns, pods);
      console.log(`${ns}: ${pods} pods ready in ${Date.now() - t0} ms`);
      const cases: Case[] = [
        {
          tool: 'list_resources',
          args: { kind: 'pods', namespace: ns, limit: pods },
          floor: { name: 'client-node listNamespacedPod', call: () => core.listNamespacedPod({ namespace: ns, limit: pods }) },
          kubectl: ['get', 'pods', '-n', ns, `--chunk-size=${pods}`],
        },
        {
          tool: 'get_resource_yaml',
          args: { kind: 'pod', name: TARGET, namespace: ns },
          floor: { name: 'client-node readNamespacedPod', call: () => core.readNamespacedPod({ name: TARGET, namespace: ns }) },
          kubectl: ['get', 'pod', TARGET, '-n', ns, '-o', 'yaml'],
        },
        {
          tool: 'get_pod_logs',
          args: { name: TARGET, namespace: ns },
          // The tool's defaults: the last 100 lines, read with timestamps (it merges by them).
          floor: {
            name: 'client-node readNamespacedPodLog',
            call: () => core.readNamespacedPodLog({ name: TARGET, namespace: ns, tailLines: 100, timestamps: true }),
          },
          kubectl: ['logs', TARGET, '-n', ns, '--tail=100'],
        },
        {
          tool: 'get_events',
          args: { namespace: ns },
          floor: { name: 'client-node listNamespacedEvent', call: () => core.listNamespacedEvent({ namespace: ns }) },
          kubectl: ['get', 'events', '-n', ns],
        },
      ];
      for (const c of cases) {
        // Warm-up: discovery, connections, JIT, kubectl's discovery cache.
        for (let i = 0; i < 3; i++) {
          await call(c.tool, c.args);
          await c.floor.call();
        }
        await shell(c.kubectl);
        const ours: number[] = [];
        const floor: number[] = [];
        const spawned: number[] = [];
        // Alternating, so drift on a shared machine hits both sides alike.
        for (let i = 0; i < RUNS; i++) {
          ours.push((await timed(() => call(c.tool, c.args)))[0]);
          floor.push((await timed(c.floor.call))[0]);
          if (i < KUBECTL_RUNS) spawned.push((await timed(() => shell(c.kubectl)))[0]);
        }
        const name = `${c.tool}, ${pods.toLocaleString('en-US')} pods in the namespace: latency (median)`;
        report.add({ name, value: median(ours), unit: 'ms', baseline: { name: c.floor.name, value: median(floor) }, target: atMost('ratio', 1.5) });
        report.add({
          name,
          value: median(ours),
          unit: 'ms',
          baseline: { name: `${shown(c.kubectl)} (spawned)`, value: median(spawned) },
          target: atMost('ratio', 1),
        });
      }

      // Bytes: what a model reads from each tool against what kubectl prints for the same objects.
      const bytes: Array<[string, Record<string, unknown>, string[]]> = [
        ['list_resources', { kind: 'pods', namespace: ns, limit: pods }, ['get', 'pods', '-n', ns, `--chunk-size=${pods}`]],
        ['get_resource_yaml', { kind: 'pod', name: TARGET, namespace: ns }, ['get', 'pod', TARGET, '-n', ns, '-o', 'yaml']],
        ['describe_resource', { kind: 'pod', name: TARGET, namespace: ns }, ['describe', 'pod', TARGET, '-n', ns]],
        ['get_pod_logs', { name: TARGET, namespace: ns }, ['logs', TARGET, '-n', ns, '--tail=100']],
        ['get_events', { namespace: ns }, ['get', 'events', '-n', ns]],
      ];
      for (const [tool, args, kube] of bytes) {
        // Single objects are the same in both namespaces: their bytes are reported once.
        if (pods !== SIZES[0] && tool !== 'list_resources' && tool !== 'get_events') continue;
        const ours = Buffer.byteLength(await call(tool, args));
        const text = await shell(kube);
        const theirs = Buffer.byteLength(text);
        // The events a namespace holds are what its controllers wrote (the ReplicaSet's are rate
        // limited to a burst), so their number is shown rather than assumed.
        const rows = text.trim().split('\n').length - 1;
        const where =
          tool === 'list_resources'
            ? `, ${pods.toLocaleString('en-US')} pods`
            : tool === 'get_events'
              ? `, ${rows} events (${pods.toLocaleString('en-US')} pods)`
              : ', one pod';
        report.add({
          name: `${tool}${where}: answer bytes`,
          value: ours,
          unit: 'B',
          baseline: { name: shown(kube), value: theirs },
          target: atMost('ratio', 1.1),
        });
      }
    }
  } finally {
    await client.close().catch(() => undefined);
    await server.close();
    if (process.env.BENCH_KEEP !== '1') for (const ns of namespaces) await kubectl(info, ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
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
