/**
 * Cluster requests leave nothing behind: the heap after a forced GC is where it was before
 * thousands of requests made with one long-lived signal (a tool call's, or a session's), through
 * the real client (TLS, credentials, the deadline) against the fake API server.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClusterProvider } from '../../src/providers/cluster/clusters.js';
import { KubeconfigStore } from '../../src/providers/cluster/kubeconfig.js';
import { TunnelRegistry } from '../../src/providers/cluster/tunnels.js';
import { makePki, startFakeApiServer, type FakeApiServer, type Pki } from './helpers/fake-apiserver.js';

const TOKEN = 'kz-memory-token-8d2e51';
let pki: Pki;
let api: FakeApiServer;
let dir: string;
let provider: ClusterProvider;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after full collections (finalizers given a turn in between). */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().heapUsed;
}

beforeAll(async () => {
  pki = makePki();
  api = await startFakeApiServer({ ...pki.cert('apiserver', 'IP:127.0.0.1'), token: TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'kz-memory-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: api.url, 'certificate-authority-data': Buffer.from(pki.caPem).toString('base64') } }],
      users: [{ name: 'u', user: { token: TOKEN } }],
      contexts: [{ name: 'direct', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'direct',
    }),
  );
  provider = new ClusterProvider({
    kubeconfig: new KubeconfigStore({ env: { KUBECONFIG: file }, home: dir }),
    tunnels: new TunnelRegistry({ agentSocket: '' }),
  });
});

afterAll(async () => {
  await provider?.close();
  await api?.close();
  pki?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('20,000 requests with one long-lived signal leave the heap where it was', { timeout: 240_000 }, async () => {
  const handle = await provider.get('direct');
  const call = new AbortController(); // never fires, like the signal of a long session
  const requests = async (count: number) => {
    const parallel = 16;
    await Promise.all(
      Array.from({ length: parallel }, async (_, worker) => {
        for (let i = worker; i < count; i += parallel) {
          // Both ways tools reach the API: raw requests and client-node API clients.
          if (i % 2) await handle.request('/api/v1/namespaces', { signal: call.signal });
          else await handle.api(CoreV1Api, { signal: call.signal }).listNamespace();
        }
      }),
    );
    api.seen.length = 0;
  };
  await requests(2_000); // warm: connections, TLS sessions, JIT
  const before = await settledHeap();
  await requests(20_000);
  const after = await settledHeap();
  const grownMb = (after - before) / 1024 / 1024;
  // A retained kilobyte per request would be 20 MB here; noise is a few.
  expect(grownMb, `heap grew ${grownMb.toFixed(1)} MB over 20,000 requests`).toBeLessThan(8);
});
