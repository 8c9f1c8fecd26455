/**
 * An API server that accepts connections and never answers costs a call the timeout its message
 * states, once: a cold discovery is not repeated for `kind: all`, a Helm release lookup that got
 * no answer ends the call before helm starts, and a call that joined a discovery another call
 * started keeps its own deadline. The hung server is a real TCP listener that never speaks; what
 * it saw (one connection per request sent) is what the tests check.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { chart, helmSwitch } from '../tools/helm-fixtures.js';
import { startToolEnv, type ToolEnv } from '../tools/helpers.js';

const info = testCluster();
const useHelm = helmSwitch(() => info);
let env: ToolEnv;
let hung: Server;
let sockets: Socket[] = [];
let savedTimeout: string | undefined;

beforeAll(async () => {
  hung = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
  const port = (hung.address() as { port: number }).port;
  const file = join(mkdtempSync(join(tmpdir(), 'kz-hung-')), 'config');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'hung', cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'kz-hung-token' } }],
      contexts: [{ name: 'hung', context: { cluster: 'hung', user: 'u' } }],
    }),
  );
  savedTimeout = process.env.KUBEZILLA_REQUEST_TIMEOUT_MS;
  process.env.KUBEZILLA_REQUEST_TIMEOUT_MS = '1500';
  env = await startToolEnv({ kubeconfigPaths: [info.kubeconfig, file] });
});

afterAll(async () => {
  if (savedTimeout === undefined) delete process.env.KUBEZILLA_REQUEST_TIMEOUT_MS;
  else process.env.KUBEZILLA_REQUEST_TIMEOUT_MS = savedTimeout;
  await env?.close();
  for (const s of sockets) s.destroy();
  hung?.close();
});

beforeEach(() => {
  for (const s of sockets) s.destroy();
  sockets = [];
});

describe('a hung API server', () => {
  it('kind: all discovers once and says it waited 1.5 s', async () => {
    const r = await env.callRaw('list_resources', { context: 'hung', kind: 'all', namespace: 'default' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/context "hung" \(https:\/\/127\.0\.0\.1:\d+\) did not answer within 1\.5s/);
    expect(r.text).not.toMatch(/unexpectedly/);
    // One discovery: /api and /apis. A second one would double the wait the message states.
    expect(sockets).toHaveLength(2);
  });

  it('helm_install stops at the release lookup that got no answer, before helm runs', async () => {
    useHelm(4);
    const r = await env.callRaw('helm_install', { context: 'hung', release: 'never', chart: chart(info, '0.1.0'), namespace: 'default' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/did not answer within 1\.5s/);
    expect(r.text).not.toMatch(/^Error: helm failed/);
    // The Secret and ConfigMap lookups, sent together; helm itself sent nothing.
    expect(sockets).toHaveLength(2);
  });

  it("a call that joined another call's discovery keeps its own deadline and says so truthfully", async () => {
    const args = { context: 'hung', kind: 'pod', name: 'web', namespace: 'default' };
    const first = env.callRaw('get_resource_yaml', args);
    await new Promise((r) => setTimeout(r, 700));
    const second = env.callRaw('get_resource_yaml', args);
    const [a, b] = await Promise.all([first, second]);
    for (const r of [a, b]) {
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/did not answer within 1\.5s/);
    }
    // The second call outlived the first call's discovery and asked again for the rest of its
    // own time rather than failing with the first call's timeout.
    expect(sockets).toHaveLength(4);
  });
});
