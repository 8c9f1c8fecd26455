/**
 * Load: many MCP sessions at once, each making mixed read calls against the real test cluster,
 * every answer checked against what kubectl says; once the sessions are closed the heap (after a
 * forced GC) is back near where it was before them, and so are the open file descriptors.
 *
 * `npm test` runs a small load (KZ_LOAD_SESSIONS × KZ_LOAD_CALLS, default 4 × 10);
 * `npm run test:load` runs 100 sessions × 100 calls.
 */
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { connectClient, startTestServer, textOf, type TestServer } from '../helpers/server.js';
import { createNamespaces, deleteNamespaces, kubectl, tableLines, uniqueName } from '../tools/helpers.js';

const SESSIONS = Number(process.env.KZ_LOAD_SESSIONS ?? 4);
const CALLS = Number(process.env.KZ_LOAD_CALLS ?? 10);
const info = testCluster();
const ns = uniqueName('kz-t-load');
let server: TestServer;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage().heapUsed;
}

/** This process's open file descriptors (sockets included): the test server runs in it. */
const openFds = () => readdirSync('/proc/self/fd').length;

/** One read call and how to check its answer against kubectl's. */
interface ReadCall {
  name: string;
  args: Record<string, unknown>;
  check(text: string): void;
}

beforeAll(async () => {
  await createNamespaces(info, ns);
  const configMaps = Array.from(
    { length: 6 },
    (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: load-${i}, namespace: ${ns}}\ndata: {index: "${i}"}`,
  );
  await kubectl(info, ['apply', '-f', '-'], { input: configMaps.join('\n---\n') });
  server = await startTestServer({ kubeconfigPaths: [info.kubeconfig], toolDirs: [] });
});

afterAll(async () => {
  await server?.close();
  await deleteNamespaces(info, ns);
});

it(`${SESSIONS} sessions × ${CALLS} mixed reads agree with kubectl, and leave the heap where it was`, { timeout: 900_000 }, async () => {
  // What kubectl says, once: nothing in the namespace changes during the load.
  const cmNames = (await kubectl(info, ['-n', ns, 'get', 'configmaps', '-o', 'jsonpath={.items[*].metadata.name}'])).split(/\s+/).filter(Boolean).sort();
  // Other test files create and delete their namespaces meanwhile: compare the ones that stay.
  const namespaces = (await kubectl(info, ['get', 'namespaces', '-o', 'jsonpath={.items[*].metadata.name}']))
    .split(/\s+/)
    .filter((name) => name === 'default' || name.startsWith('kube-') || name === ns);
  const nodes = (await kubectl(info, ['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).split(/\s+/).filter(Boolean).sort();
  const index3 = await kubectl(info, ['-n', ns, 'get', 'configmap', 'load-3', '-o', 'jsonpath={.data.index}']);
  expect(cmNames).toContain('load-3');

  const calls: ReadCall[] = [
    {
      name: 'list_resources',
      args: { kind: 'configmaps', namespace: ns },
      check: (text) =>
        expect(
          tableLines(text)
            .map((l) => l.split(/\s+/)[0])
            .sort(),
        ).toEqual(cmNames),
    },
    {
      name: 'get_resource_yaml',
      args: { kind: 'cm', name: 'load-3', namespace: ns },
      check: (text) => expect(text).toMatch(new RegExp(`index: "${index3}"`)),
    },
    { name: 'list_namespaces', args: {}, check: (text) => expect(tableLines(text).map((l) => l.split(/\s+/)[0])).toEqual(expect.arrayContaining(namespaces)) },
    {
      name: 'list_nodes',
      args: {},
      check: (text) =>
        expect(
          tableLines(text)
            .map((l) => l.split(/\s+/)[0])
            .sort(),
        ).toEqual(nodes),
    },
    { name: 'list_kinds', args: { search: 'configmap' }, check: (text) => expect(text).toMatch(/configmaps/) },
  ];

  const run = async (sessions: number, perSession: number) => {
    const clients = await Promise.all(Array.from({ length: sessions }, () => connectClient(server.url, server.token)));
    await Promise.all(
      clients.map(async ({ client }, s) => {
        for (let i = 0; i < perSession; i++) {
          const call = calls[(s + i) % calls.length]!;
          const result = await client.callTool({ name: call.name, arguments: call.args }, undefined, { timeout: 120_000 });
          const text = textOf(result);
          expect(result.isError, `${call.name}: ${text.slice(0, 300)}`).not.toBe(true);
          call.check(text);
        }
      }),
    );
    for (const { client, transport } of clients) {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
  };

  await run(2, calls.length); // warm: the client, discovery, connections
  const before = await settledHeap();
  const fdsBefore = openFds();
  await run(SESSIONS, CALLS);
  const after = await settledHeap();
  // Connections to the API server beyond the warm run's are idle keep-alives: they close within
  // seconds. A session that kept its sockets or a stream would stay.
  await expect
    .poll(openFds, { timeout: 30_000, interval: 500, message: `open file descriptors: ${fdsBefore} before the load` })
    .toBeLessThanOrEqual(fdsBefore + 4);
  const grownMb = (after - before) / 1024 / 1024;
  // A session that kept its SDK server, transport or call state would hold a few hundred KB.
  expect(grownMb, `heap grew ${grownMb.toFixed(1)} MB after ${SESSIONS} sessions closed`).toBeLessThan(Math.max(15, SESSIONS * 0.15));
});
