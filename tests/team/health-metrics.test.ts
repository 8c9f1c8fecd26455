/**
 * What the cluster asks of a running server, against the real local cluster: the kubelet's probes
 * (/healthz, /readyz) on the MCP port without a token and with the pod's IP as Host, readiness
 * that follows the ServiceAccount files, and Prometheus /metrics on its own port: tool calls,
 * errors and latency per tool, sessions, and API-server request latency, with no secret in it.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/kernel/metrics.js';
import { createLogger } from '../../src/kernel/logger.js';
import { inClusterConfig } from '../../src/providers/cluster/in-cluster.js';
import { KubezillaServer } from '../../src/server.js';
import { testCluster } from '../cluster/context.js';
import { connectClient, serverLog } from '../helpers/server.js';

const cluster = testCluster();
const saDir = mkdtempSync(join(tmpdir(), 'kz-team-sa-'));
let server: KubezillaServer;
let mcpUrl: string;
let metricsUrl: string;
let token: string;

beforeAll(async () => {
  writeFileSync(join(saDir, 'token'), 'not-a-real-token-only-its-presence-is-checked\n');
  writeFileSync(join(saDir, 'ca.crt'), 'placeholder\n');
  const inCluster = inClusterConfig({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '6443', KUBEZILLA_SERVICEACCOUNT_DIR: saDir });
  server = await KubezillaServer.create(
    {
      configDir: mkdtempSync(join(tmpdir(), 'kz-team-health-')),
      kubeconfigPaths: [cluster.kubeconfig],
      toolDirs: [],
      enable: true,
      mcp: { port: 0 },
      team: { inCluster, metrics: new Metrics() },
      metricsAddress: { bind: '127.0.0.1', port: 0 },
    },
    createLogger({ level: 'debug', write: (line) => serverLog.push(line) }),
  );
  await server.start();
  const status = server.listener.status();
  if (status.state !== 'running') throw new Error(`not running: ${JSON.stringify(status)}`);
  mcpUrl = status.url;
  metricsUrl = server.metricsListener!.url!;
  token = server.tokens.ensure();
});

afterAll(async () => {
  await server?.close();
});

/** A request as the kubelet sends it: to the pod's IP, no token. */
async function probe(path: string): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, mcpUrl);
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers: { host: `10.244.1.7:${url.port}`, 'user-agent': 'kube-probe/1.34' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('probes on the MCP port', () => {
  it('answers /healthz and /readyz without a token, whatever the Host', async () => {
    expect(await probe('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await probe('/readyz')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('still refuses /mcp from the same caller', async () => {
    const answer = await probe('/mcp');
    expect([401, 403]).toContain(answer.status);
  });

  it('is not ready while the ServiceAccount token cannot be read, and ready again once it can', async () => {
    renameSync(join(saDir, 'token'), join(saDir, 'token.away'));
    try {
      const answer = await probe('/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ status: 'not ready', problems: [`${join(saDir, 'token')} cannot be read (ENOENT)`] });
      expect((await probe('/healthz')).status).toBe(200); // alive: the kubelet must not restart it for this
    } finally {
      renameSync(join(saDir, 'token.away'), join(saDir, 'token'));
    }
    expect((await probe('/readyz')).status).toBe(200);
  });
});

describe('/metrics', () => {
  it('is not served on the MCP port, even with the token', async () => {
    const res = await fetch(new URL('/metrics', mcpUrl), { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
  });

  it('counts calls, errors and latency per tool, sessions, and API-server requests', async () => {
    const { client } = await connectClient(mcpUrl, token);
    try {
      const ok = await client.callTool({ name: 'list_namespaces', arguments: { context: cluster.contexts.admin } });
      expect(ok.isError).toBeFalsy();
      const bad = await client.callTool({ name: 'list_namespaces', arguments: { context: 42 } });
      expect(bad.isError).toBe(true);

      const res = await fetch(metricsUrl);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toContain('kubezilla_tool_calls_total{tool="list_namespaces",outcome="ok"} 1');
      expect(text).toContain('kubezilla_tool_calls_total{tool="list_namespaces",outcome="error"} 1');
      expect(text).toContain('kubezilla_tool_call_errors_total{tool="list_namespaces"} 1');
      expect(text).toContain('kubezilla_tool_call_duration_seconds_count{tool="list_namespaces"} 2');
      expect(text).toContain('kubezilla_mcp_sessions 1');
      expect(text).toContain('kubezilla_mcp_initializations_total 1');
      expect(text).toMatch(new RegExp(`kubezilla_cluster_request_duration_seconds_count\\{context="${cluster.contexts.admin}",verb="GET",code="2xx"\\} [1-9]`));
      expect(text).toContain('kubezilla_process_cpu_seconds_total');
      expect(text).not.toContain(token);
    } finally {
      await client.close();
    }
  });

  it('answers nothing but GET /metrics on its port', async () => {
    expect((await fetch(new URL('/mcp', metricsUrl))).status).toBe(404);
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(405);
  });
});
