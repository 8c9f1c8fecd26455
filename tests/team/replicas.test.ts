/**
 * Two replicas behind one address: two server processes started as the chart's pods run them
 * (the rendered Deployment's args: --stateless, the shared confirmation key and token, a kubeconfig
 * Secret for the test cluster) behind Debian's HAProxy, balancing round-robin on every request and
 * checking /readyz. The real clients pass through it: the SDK client and the MCP Inspector CLI. A
 * confirmation token one replica issues is honoured by the other; each replica's audit entries
 * reach its stdout; losing a replica loses no client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { kubectl, testCluster } from '../cluster/context.js';
import { textOf } from '../helpers/server.js';
import { freshHome, removeHomes, requireClients, runClient, transcript } from '../interop/helpers/clients.js';
import { renderChart, startAsPod, type Manifest, type PodProcess } from './chart-pod.js';

const cluster = testCluster();
const NS = 'kz-team-replicas';
const RELEASE = 'kzr';
const NAME = `${RELEASE}-kubezilla-mcp`;
const TOKEN = `kz_${randomBytes(32).toString('base64url')}`;
const HAPROXY = '/usr/sbin/haproxy';

let replicas: PodProcess[] = [];
let haproxy: ChildProcess | undefined;
let haproxyOutput = '';
let proxyUrl: string;
const scratch = mkdtempSync(join(tmpdir(), 'kz-replicas-'));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** An SDK client that notes which replica answered each of its requests (HAProxy's X-Served-By). */
async function connect(url: string): Promise<{ client: Client; servedBy: string[] }> {
  const servedBy: string[] = [];
  const client = new Client({ name: 'kubezilla-replicas-test', version: '1.0.0' }, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      servedBy.push(`${init?.method ?? 'GET'} ${res.headers.get('x-served-by') ?? 'direct'} ${res.status}`);
      return res;
    },
  });
  await client.connect(transport);
  return { client, servedBy };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`gave up waiting: ${what}`);
}

beforeAll(async () => {
  // A namespace an earlier run left Terminating must be gone before it is made again.
  await kubectl(cluster, ['delete', 'namespace', NS, '--ignore-not-found', '--wait=true'], { timeoutMs: 120_000 });
  for (const args of [
    ['create', 'namespace', NS],
    ['-n', NS, 'create', 'deployment', 'web', '--image', 'nginx', '--replicas', '3'],
  ]) {
    const made = await kubectl(cluster, args);
    if (made.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${made.stderr}`);
  }

  const manifests: Manifest[] = await renderChart(cluster.tools.helm4, RELEASE, NS, [
    'extraKubeconfigs[0].secret=test-cluster',
    'extraKubeconfigs[0].key=config',
  ]);
  const files = {
    // This test is about replicas, not RBAC (chart.test.ts is): the pod's own context is present
    // but unused, and calls name the test cluster's admin context from the kubeconfig Secret.
    serviceAccount: { token: 'unused', caCrt: readFileSync(cluster.apiServer!.caFile, 'utf8'), namespace: NS },
    secrets: {
      [`${NAME}-token`]: { token: TOKEN },
      [`${NAME}-confirmation-key`]: { key: randomBytes(48).toString('base64url') },
      'test-cluster': { config: readFileSync(cluster.kubeconfig, 'utf8') },
    },
    apiServer: { host: '127.0.0.1', port: cluster.apiServer!.port },
  };
  replicas = [await startAsPod(manifests, files, 'replica-a'), await startAsPod(manifests, files, 'replica-b')];

  const port = await freePort();
  const config = join(scratch, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 256',
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 120s',
      '  timeout server 120s',
      '  retries 2',
      '  option redispatch',
      'frontend mcp',
      `  bind 127.0.0.1:${port}`,
      '  default_backend replicas',
      'backend replicas',
      '  balance roundrobin',
      '  option httpchk GET /readyz',
      '  http-check expect status 200',
      '  http-response set-header X-Served-By %s',
      ...replicas.map((r, i) => `  server replica-${'ab'[i]} ${new URL(r.url).host} check inter 500 fall 1 rise 1`),
      '',
    ].join('\n'),
  );
  haproxy = spawn(HAPROXY, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout!.on('data', (c: Buffer) => (haproxyOutput += c.toString()));
  haproxy.stderr!.on('data', (c: Buffer) => (haproxyOutput += c.toString()));
  proxyUrl = `http://127.0.0.1:${port}/mcp`;
  await until(`HAProxy answering on ${proxyUrl}: ${haproxyOutput}`, async () => {
    try {
      return (await fetch(new URL('/healthz', proxyUrl))).status === 200;
    } catch {
      return false;
    }
  });
}, 120_000);

afterAll(async () => {
  haproxy?.kill('SIGTERM');
  await Promise.all(replicas.map((r) => r.stop()));
  removeHomes();
  rmSync(scratch, { recursive: true, force: true });
  await kubectl(cluster, ['delete', 'namespace', NS, '--wait=false']);
});

describe('two stateless replicas behind HAProxy', () => {
  it('serve one SDK client whichever replica answers', async () => {
    const { client, servedBy } = await connect(proxyUrl);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('list_namespaces');
      for (let i = 0; i < 4; i++) {
        const result = await client.callTool({ name: 'list_namespaces', arguments: { context: cluster.contexts.admin } });
        expect(result.isError, textOf(result)).toBeFalsy();
        expect(textOf(result)).toContain(NS);
      }
      const posts = servedBy.filter((line) => line.startsWith('POST'));
      expect(posts.every((line) => line.endsWith(' 200') || line.endsWith(' 202'))).toBe(true);
      expect(new Set(posts.map((line) => line.split(' ')[1]))).toEqual(new Set(['replica-a', 'replica-b']));
      // No session to stick to: the server never hands one out.
      expect(servedBy.some((line) => line.startsWith('GET') && line.endsWith(' 405'))).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('honour on one replica the confirmation token the other issued, once', async () => {
    const a = await connect(replicas[0]!.url);
    const b = await connect(replicas[1]!.url);
    const args = { resource: 'deploy/web', namespace: NS, replicas: 0, context: cluster.contexts.admin };
    try {
      const refused = textOf(await a.client.callTool({ name: 'scale', arguments: args }));
      const token = /"confirm": "(kzc_[^"]+)"/.exec(refused)?.[1];
      expect(token, refused).toBeDefined();
      const other = await b.client.callTool({ name: 'scale', arguments: { ...args, replicas: 1, confirm: token } });
      expect(other.isError).toBe(true);
      expect(textOf(other)).toContain('issued for another call');

      const confirmed = await b.client.callTool({ name: 'scale', arguments: { ...args, confirm: token } });
      expect(confirmed.isError, textOf(confirmed)).toBeFalsy();
      const replicasNow = await kubectl(cluster, ['-n', NS, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']);
      expect(replicasNow.stdout).toBe('0');
      const again = await b.client.callTool({ name: 'scale', arguments: { ...args, confirm: token } });
      expect(textOf(again)).toContain('already used');
    } finally {
      await a.client.close();
      await b.client.close();
    }
    // Each replica's audit entries reach its own stdout, for the cluster's log collector.
    const audit = replicas[1]!
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{"stream":"audit"'))
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(audit).toContainEqual(
      expect.objectContaining({ tool: 'scale', outcome: 'ok', context: cluster.contexts.admin, namespace: NS, target: 'deploy/web' }),
    );
    expect(replicas.map((r) => r.output()).join('\n')).not.toContain(TOKEN);
  });

  it('pass the MCP Inspector CLI through the proxy', async () => {
    await requireClients();
    const inspector = (...method: string[]) =>
      runClient(
        'inspector',
        ['--cli', proxyUrl, '--transport', 'http', '--header', `Authorization: Bearer ${TOKEN}`, '--format', 'json', ...method],
        freshHome('inspector-replicas'),
      );
    const list = await inspector('--method', 'tools/list');
    expect(list.code, transcript(list)).toBe(0);
    expect((JSON.parse(list.stdout) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name)).toContain('scale');
    for (let i = 0; i < 2; i++) {
      const call = await inspector('--method', 'tools/call', '--tool-name', 'list_namespaces', '--tool-arg', `context=${cluster.contexts.admin}`);
      expect(call.code, transcript(call)).toBe(0);
      expect(call.stdout).toContain(NS);
    }
  });

  it('keep a client going when one replica goes away', async () => {
    const { client } = await connect(proxyUrl);
    try {
      await replicas[0]!.stop();
      await until(
        'replica-a to stop answering',
        async () =>
          !(await fetch(new URL('/readyz', replicas[0]!.url)).then(
            () => true,
            () => false,
          )),
      );
      for (let i = 0; i < 3; i++) {
        const result = await client.callTool({ name: 'list_namespaces', arguments: { context: cluster.contexts.admin } });
        expect(result.isError, textOf(result)).toBeFalsy();
      }
    } finally {
      await client.close();
    }
  });
});
