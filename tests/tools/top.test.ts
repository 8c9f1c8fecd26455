/**
 * top against the test cluster's real Metrics API: metrics-server behind the API server's aggregation
 * layer, scraping KWOK's emulated kubelet metrics, where each container's usage is set by pod annotations
 * (tests/cluster/kwok-config.ts). The tool's rows are compared with `kubectl top` for the same pods and
 * nodes, digit for digit; then the answers when the Metrics API is forbidden, absent or down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_ANNOTATIONS } from '../cluster/kwok-config.js';
import { apply, createNamespaces, deleteNamespaces, eventually, rows, startToolEnv, tableLines, type ToolEnv, uniqueName } from './helpers.js';

const ns = uniqueName('kz-t-top');
/** A second namespace with a fleet of pods, more rows than a small answer budget holds. */
const fleetNs = uniqueName('kz-t-top-fleet');
const FLEET = 24;
let env: ToolEnv;

/** A pod with one container per entry; usage per container through the harness's annotations. */
function pod(name: string, containers: Record<string, { cpu: string; memory: string }>, labels: Record<string, string> = {}): string {
  const annotations: Record<string, string> = {};
  for (const [c, u] of Object.entries(containers)) {
    annotations[USAGE_ANNOTATIONS.containerCpu(c)] = u.cpu;
    annotations[USAGE_ANNOTATIONS.containerMemory(c)] = u.memory;
  }
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: name, ...labels }, annotations },
    spec: { containers: Object.keys(containers).map((c) => ({ name: c, image: 'registry.example.com/shop/app:1.4.2' })) },
  });
}

/** The table's rows (cells split on runs of spaces) without the header and the notes. */
const cells = (text: string) => tableLines(text).map((l) => l.trim().split(/\s{2,}/));
/**
 * CPU is a rate: metrics-server divides the growth of KWOK's cumulative counter by the time between two
 * scrapes, and the two clocks differ by a few milliseconds, so 250m can read 249m or 251m. Memory is exact.
 */
const cpuNear = (cell: string | undefined, milli: number) => {
  const got = Number.parseInt(cell ?? '', 10);
  expect(cell, `${cell} ≈ ${milli}m`).toMatch(/^\d+m$/);
  expect(Math.abs(got - milli), `${cell} ≈ ${milli}m`).toBeLessThanOrEqual(Math.max(2, milli * 0.02));
};
const kubectlTop = async (args: string[]) => rows(await env.kubectl(['top', ...args, '--no-headers']));

/**
 * The tool's answer and kubectl top's rows for the same question, read within one scrape: metrics-server
 * replaces its numbers every 10s, so when a scrape lands between the two reads (CPU may move by 1m) the
 * pair is read again, at most three times.
 */
async function withKubectl(args: Record<string, unknown>, kubectlArgs: string[]): Promise<{ text: string; ours: string[][]; theirs: string[][] }> {
  let last = { text: '', ours: [] as string[][], theirs: [] as string[][] };
  for (let i = 0; i < 3; i++) {
    const text = await env.call('top', args);
    last = { text, ours: cells(text), theirs: await kubectlTop(kubectlArgs) };
    if (JSON.stringify([...last.ours].sort()) === JSON.stringify([...last.theirs].sort())) break;
  }
  return last;
}

describe('top', () => {
  beforeAll(async () => {
    env = await startToolEnv();
    if (!env.info.metrics) throw new Error('the test cluster has no Metrics API (ClusterInfo.metrics is null); top cannot be tested against it');
    await createNamespaces(env.info, ns, fleetNs);
    // A Deployment's pods share one template, so all use 10m and 8Mi: the budget test checks that the
    // answer keeps the first rows by name, whole, and says how many it left out.
    await apply(
      env.info,
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'fleet', namespace: fleetNs },
        spec: {
          replicas: FLEET,
          selector: { matchLabels: { app: 'fleet' } },
          template: {
            metadata: { labels: { app: 'fleet' }, annotations: { [USAGE_ANNOTATIONS.podCpu]: '10m', [USAGE_ANNOTATIONS.podMemory]: '8Mi' } },
            spec: { containers: [{ name: 'app', image: 'registry.example.com/shop/app:1.4.2' }] },
          },
        },
      }),
    );
    await apply(
      env.info,
      [
        pod('api', { app: { cpu: '250m', memory: '64Mi' }, sidecar: { cpu: '50m', memory: '16Mi' } }, { tier: 'web' }),
        pod('worker', { main: { cpu: '1200m', memory: '512Mi' } }, { tier: 'batch' }),
        pod('cache', { redis: { cpu: '20m', memory: '300Mi' } }, { tier: 'web' }),
      ].join('\n---\n'),
    );
    // metrics-server reports a pod once it has two scrapes of it (CPU is a rate), 10-20s after it runs.
    const ready = await eventually(
      async () => {
        const out = await env.kubectl(['top', 'pods', '-n', ns, '--no-headers'], { allowFail: true });
        const fleet = await env.kubectl(['top', 'pods', '-n', fleetNs, '--no-headers'], { allowFail: true });
        return rows(out).filter((r) => ['api', 'worker', 'cache'].includes(r[0]!)).length === 3 && rows(fleet).length === FLEET;
      },
      120_000,
      2000,
    );
    if (!ready) throw new Error(`metrics-server did not report the pods of ${ns} within 120s`);
  }, 180_000);
  afterAll(async () => {
    await env?.close();
    if (env) await deleteNamespaces(env.info, ns, fleetNs);
  });

  it('shows each pod with the CPU and memory its containers use, the same numbers kubectl top prints', async () => {
    const { text, ours, theirs } = await withKubectl({ resource: 'pods', namespace: ns }, ['pods', '-n', ns]);
    expect(text.split('\n')[0]).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)$/);
    expect([...ours].sort()).toEqual([...theirs].sort());
    const byName = Object.fromEntries(ours.map((r) => [r[0], r.slice(1)]));
    // And they are what the pods were told to use: 250m + 50m, 64Mi + 16Mi.
    cpuNear(byName.api?.[0], 300);
    expect(byName.api?.[1]).toBe('80Mi');
    cpuNear(byName.worker?.[0], 1200);
    expect(byName.worker?.[1]).toBe('512Mi');
    expect(text).toMatch(new RegExp(`3 pods in namespace "${ns}"; in total 15\\d\\dm CPU, 892Mi memory\\.`));
  });

  it('sorts heaviest first by cpu or memory, and narrows by label', async () => {
    const byCpu = cells(await env.call('top', { resource: 'pods', namespace: ns, sortBy: 'cpu' })).map((r) => r[0]);
    expect(byCpu).toEqual(['worker', 'api', 'cache']);
    const byMemory = cells(await env.call('top', { resource: 'pods', namespace: ns, sortBy: 'memory' })).map((r) => r[0]);
    expect(byMemory).toEqual(['worker', 'cache', 'api']);
    const web = cells(await env.call('top', { resource: 'pods', namespace: ns, labelSelector: 'tier=web' })).map((r) => r[0]);
    expect(web).toEqual(['api', 'cache']);
  });

  it('shows one row per container on request, as kubectl top --containers does', async () => {
    const {
      text,
      ours: rows,
      theirs,
    } = await withKubectl({ resource: 'pods', namespace: ns, containers: true, labelSelector: 'app=api' }, ['pods', '-n', ns, '--containers', '-l', 'app=api']);
    expect(text.split('\n')[0]).toMatch(/^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)$/);
    expect([...rows].sort()).toEqual([...theirs].sort());
    expect(rows.map((r) => [r[0], r[1], r[3]])).toEqual([
      ['api', 'app', '64Mi'],
      ['api', 'sidecar', '16Mi'],
    ]);
    cpuNear(rows[0]?.[2], 250);
    cpuNear(rows[1]?.[2], 50);
  });

  it('across namespaces, names the namespace of each pod', async () => {
    const text = await env.call('top', { resource: 'pods', allNamespaces: true, labelSelector: 'tier' });
    expect(text.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+CPU/);
    expect(
      cells(text)
        .filter((r) => r[0] === ns)
        .map((r) => r[1]),
    ).toEqual(['api', 'cache', 'worker']);
  });

  it('shows nodes with usage and its share of allocatable, as kubectl top node does', async () => {
    // Node usage is the sum over the node's pods, which other test files change at any time: compare the
    // shape and each node's percentages with its own numbers, and the names with kubectl.
    const text = await env.call('top', { resource: 'nodes' });
    expect(text.split('\n')[0]).toMatch(/^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)$/);
    const table = cells(text);
    expect(table.map((r) => r[0]).sort()).toEqual(env.info.nodes.slice().sort());
    expect(table.map((r) => r[0]).sort()).toEqual((await kubectlTop(['nodes'])).map((r) => r[0]).sort());
    for (const [name, cpu, cpuPct, memory, memPct] of table) {
      expect(cpu, name).toMatch(/^\d+m$/);
      expect(memory, name).toMatch(/^\d+Mi$/);
      // Allocatable is 32 cores and 256Gi (tests/cluster/faults.ts NODE_ALLOCATABLE).
      expect(cpuPct, name).toBe(`${Math.trunc((Number.parseInt(cpu!, 10) / 32_000) * 100)}%`);
      expect(memPct, name).toMatch(/^\d+%$/);
    }
    // The worker's 1200m is on some node: the nodes' CPU adds up to at least the pods of this file.
    const totalMilli = table.reduce((t, r) => t + Number.parseInt(r[1]!, 10), 0);
    expect(totalMilli).toBeGreaterThanOrEqual(1520);
    const heaviest = cells(await env.call('top', { resource: 'nodes', sortBy: 'cpu' })).map((r) => Number.parseInt(r[1]!, 10));
    expect(heaviest).toEqual([...heaviest].sort((a, b) => b - a));
  });

  it('fits a small answer budget: the first rows whole, and a line saying how many were left out and how to narrow', async () => {
    const small = await startToolEnv({ settings: { policy: { maxOutputBytes: 1024 } } });
    try {
      const text = await small.call('top', { resource: 'pods', namespace: fleetNs });
      const kept = cells(text);
      expect(kept.length).toBeGreaterThan(3);
      expect(kept.length).toBeLessThan(FLEET);
      const all = (await kubectlTop(['pods', '-n', fleetNs])).map((r) => r[0]!).sort();
      expect(kept.map((r) => r[0])).toEqual(all.slice(0, kept.length));
      expect(text).toContain(`${FLEET} pods in namespace "${fleetNs}"`);
      expect(text).toContain(`${FLEET - kept.length} more rows left out to fit the answer budget. Narrow with labelSelector or namespace, or use sortBy`);
      for (const r of kept) expect(r).toHaveLength(3);
    } finally {
      await small.close();
    }
  });

  it('says plainly when there is nothing to measure', async () => {
    const text = await env.call('top', { resource: 'pods', namespace: ns, labelSelector: 'app=nothing-here' });
    expect(text).toMatch(/^No pod metrics in namespace "kz-t-top-\w+" matching "app=nothing-here"/);
  });

  it("reads metrics with the caller's own rights: the restricted user may top its namespace only", async () => {
    const restricted = env.info.contexts.restricted;
    if (!restricted) return;
    const own = await env.callRaw('top', { resource: 'pods', context: restricted });
    expect(own.isError, own.text).toBe(false);
    const other = await env.callRaw('top', { resource: 'pods', namespace: ns, context: restricted });
    expect(other.isError).toBe(true);
    expect(other.text).toMatch(/forbidden|not allowed|cannot/i);
  });
});

describe('top without a working Metrics API', () => {
  // Both cases change what the whole cluster serves, for a few seconds: the APIService is taken away
  // (absent) or pointed at a port nothing listens on (down), and put back as it was in afterAll.
  let saved: string;
  beforeAll(async () => {
    env = await startToolEnv();
    saved = await env.kubectl(['get', 'apiservice', 'v1beta1.metrics.k8s.io', '-o', 'json']);
  });
  afterAll(async () => {
    const svc = JSON.parse(saved) as { metadata: Record<string, unknown>; status?: unknown };
    const { name, labels, annotations } = svc.metadata as { name: string; labels?: unknown; annotations?: unknown };
    await env.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ ...svc, metadata: { name, labels, annotations }, status: undefined }) });
    await env.close();
  });

  it('says the cluster has no Metrics API when metrics.k8s.io is not served', async () => {
    await env.kubectl(['delete', 'apiservice', 'v1beta1.metrics.k8s.io']);
    const r = await eventually(async () => {
      const res = await env.callRaw('top', { resource: 'nodes' });
      return res.isError && /not available/.test(res.text) ? res : undefined;
    }, 30_000);
    expect(r?.text).toContain('The Metrics API (metrics.k8s.io) is not available in context "kz-admin"');
    expect(r?.text).toMatch(/What to try: Install metrics-server/);
  });

  it('says it is registered but not answering when metrics-server cannot be reached, with the APIService condition', async () => {
    const broken = JSON.parse(saved) as { metadata: { name: string }; spec: { service: { port: number } } };
    await env.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: broken.metadata.name },
        spec: { ...broken.spec, service: { ...broken.spec.service, port: 1 } },
      }),
    });
    const r = await eventually(
      async () => {
        const res = await env.callRaw('top', { resource: 'pods', allNamespaces: true });
        return res.isError && /not answering/.test(res.text) ? res : undefined;
      },
      60_000,
      1000,
    );
    expect(r?.text).toMatch(/registered in context "kz-admin" but not answering: APIService v1beta1\.metrics\.k8s\.io is Available=False \(\w+/);
    expect(r?.text).toMatch(/metrics-server is down or unreachable/);
  });
});
