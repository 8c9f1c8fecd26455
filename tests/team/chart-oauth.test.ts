/**
 * The chart end to end with sign-in: installed with an OAuth issuer (the test cluster's own API
 * server, whose ServiceAccount tokens serve as the people's access tokens), then run as its pod
 * runs it (the Deployment's args, a token minted for the chart's ServiceAccount). A person's calls
 * are made as that person through the chart's impersonation rights alone: what their RoleBinding
 * allows works, what it does not is refused naming them, never the server's ServiceAccount. The
 * server's own token rotates under it; a confirmation one person got does not serve another; and
 * Claude Code, registered without a header as the README says, finds that it needs a sign-in.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helm, kubectl, testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { CHART, parseManifests, replaceFile, serviceAccountDir, startAsPod, type PodProcess } from './chart-pod.js';
import { freshHome, removeHomes, requireClients, runClient, transcript } from '../interop/helpers/clients.js';
import { applyAsAdmin, serviceAccountToken } from './team-server.js';

const cluster = testCluster();
const NS = 'kz-team-oauth';
const RELEASE = 'kzo';
const SA = `${RELEASE}-kubezilla-mcp`;
const api = cluster.apiServer!;
/** The server's first token is bound to this Secret, so deleting it voids the token (for the rotation test). */
const BOUND = 'kzo-server-token-a';
const PERSON = `oidc:system:serviceaccount:${NS}:alice`;

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

async function ok(run: Promise<{ code: number | null; stdout: string; stderr: string }>): Promise<string> {
  const result = await run;
  if (result.code !== 0) throw new Error(`failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

let pod: PodProcess;
let resource: string;
let alice: string;
let bob: string;

beforeAll(async () => {
  await kubectl(cluster, ['delete', 'namespace', NS, '--ignore-not-found', '--wait=true'], { timeoutMs: 120_000 });
  await ok(kubectl(cluster, ['create', 'namespace', NS]));
  await ok(kubectl(cluster, ['-n', NS, 'create', 'deployment', 'web', '--image', 'nginx', '--replicas', '1']));
  await ok(kubectl(cluster, ['-n', NS, 'create', 'serviceaccount', 'alice']));
  await ok(kubectl(cluster, ['-n', NS, 'create', 'secret', 'generic', 'issuer-ca', `--from-file=ca.crt=${api.caFile}`]));
  // Alice (as the server impersonates her: the identity prefix before her token's sub) may read
  // and scale Deployments in this namespace, and nothing else.
  await applyAsAdmin(
    cluster,
    `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: ${NS}}
rules:
  - {apiGroups: [apps], resources: [deployments, deployments/scale], verbs: [get, list, watch, patch, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-deployer, namespace: ${NS}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "${PERSON}"}]
`,
  );
  // The resource URL is where this pod really listens, so a client can follow the sign-in metadata.
  const [mcpPort, metricsPort] = [await freePort(), await freePort()];
  resource = `http://127.0.0.1:${mcpPort}/mcp`;
  const sets = [
    `mcp.port=${mcpPort}`,
    `metrics.port=${metricsPort}`,
    `auth.oauth.issuer=https://127.0.0.1:${api.port}`,
    `auth.oauth.resourceUrl=${resource}`,
    'auth.oauth.caSecret=issuer-ca',
    'auth.oauth.defaultScopes=kubezilla:read kubezilla:write',
  ];
  await helm(cluster, 4, ['uninstall', RELEASE, '-n', NS, '--wait']);
  await ok(helm(cluster, 4, ['install', RELEASE, CHART, '-n', NS, ...sets.flatMap((s) => ['--set', s])], { timeoutMs: 120_000 }));
  const installed = parseManifests(await ok(helm(cluster, 4, ['get', 'manifest', RELEASE, '-n', NS])));
  const secret = (name: string) =>
    ok(kubectl(cluster, ['-n', NS, 'get', 'secret', name, '-o', 'yaml'])).then((text) => {
      const { data } = parse(text) as { data: Record<string, string> };
      return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    });
  await ok(kubectl(cluster, ['-n', NS, 'create', 'secret', 'generic', BOUND]));
  const serverToken = (
    await ok(kubectl(cluster, ['-n', NS, 'create', 'token', SA, '--duration', '10m', '--bound-object-kind', 'Secret', '--bound-object-name', BOUND]))
  ).trim();
  pod = await startAsPod(
    installed,
    {
      serviceAccount: { token: serverToken, caCrt: readFileSync(api.caFile, 'utf8'), namespace: NS },
      secrets: { [`${SA}-confirmation-key`]: await secret(`${SA}-confirmation-key`), 'issuer-ca': await secret('issuer-ca') },
      apiServer: { host: '127.0.0.1', port: api.port },
    },
    'oauth',
    { keepPorts: true },
  );
  alice = await serviceAccountToken(cluster, NS, 'alice', resource);
  await ok(kubectl(cluster, ['-n', NS, 'create', 'serviceaccount', 'bob']));
  bob = await serviceAccountToken(cluster, NS, 'bob', resource);
}, 180_000);

afterAll(async () => {
  await pod?.stop();
  await helm(cluster, 4, ['uninstall', RELEASE, '-n', NS, '--wait'], { timeoutMs: 120_000 });
  await kubectl(cluster, ['delete', 'namespace', NS, '--wait=false']);
});

describe('the chart with an OAuth issuer, run as its pod', () => {
  it('has no shared token: a request without a sign-in is told where to sign in', async () => {
    const res = await fetch(pod.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('resource_metadata=');
  });

  it("acts as the signed-in person with the chart's impersonation rights alone", async () => {
    const { client } = await connectClient(pod.url, alice);
    try {
      const list = await client.callTool({ name: 'list_resources', arguments: { kind: 'deployments', namespace: NS } });
      expect(list.isError, textOf(list)).toBeFalsy();
      expect(textOf(list)).toContain('web');

      const scaled = await client.callTool({ name: 'scale', arguments: { resource: 'deploy/web', namespace: NS, replicas: 2 } });
      expect(scaled.isError, textOf(scaled)).toBeFalsy();
      expect((await ok(kubectl(cluster, ['-n', NS, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']))).trim()).toBe('2');

      const secrets = await client.callTool({ name: 'list_resources', arguments: { kind: 'secrets', namespace: NS } });
      expect(secrets.isError).toBe(true);
      expect(textOf(secrets)).toContain(PERSON);
      expect(textOf(secrets)).not.toContain(`serviceaccount:${NS}:${SA}`);
    } finally {
      await client.close();
    }
    // The audit line on stdout names the person.
    const audit = pod
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{"stream":"audit"'))
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(audit.find((entry) => entry.tool === 'scale' && entry.outcome === 'ok')).toBeDefined();
    expect(JSON.stringify(audit)).toContain('alice');
    expect(pod.output()).not.toContain(alice);
    // A person's requests are timed like any other.
    const metrics = await (await fetch(pod.metricsUrl!)).text();
    expect(metrics).toMatch(/kubezilla_cluster_request_duration_seconds_count\{context="in-cluster",verb="PATCH",code="2xx"\} [1-9]/);
    expect(metrics).toContain('kubezilla_tool_calls_total{tool="scale",outcome="ok"} 1');
  });

  it("follows a rotation of the server's own token while acting for people", async () => {
    const tokenFile = join(serviceAccountDir(pod), 'token');
    const { client } = await connectClient(pod.url, alice);
    const list = () => client.callTool({ name: 'list_resources', arguments: { kind: 'deployments', namespace: NS } });
    try {
      expect((await list()).isError).toBeFalsy();
      await ok(kubectl(cluster, ['-n', NS, 'delete', 'secret', BOUND])); // the server's token is void now
      for (let i = 0; i < 120 && !(await list()).isError; i++) await new Promise((resolve) => setTimeout(resolve, 500));
      expect(textOf(await list())).toMatch(/401|unauthori[sz]ed|credentials/i);
      replaceFile(tokenFile, (await ok(kubectl(cluster, ['-n', NS, 'create', 'token', SA, '--duration', '10m']))).trim());
      const after = await list();
      expect(after.isError, textOf(after)).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it("keeps one person's confirmation from another's call (stateless: bound to the person)", async () => {
    const a = await connectClient(pod.url, alice);
    const b = await connectClient(pod.url, bob);
    const args = { resource: 'deploy/web', namespace: NS, replicas: 0 };
    try {
      const refused = textOf(await a.client.callTool({ name: 'scale', arguments: args }));
      const token = /"confirm": "(kzc_[^"]+)"/.exec(refused)?.[1];
      expect(token, refused).toBeDefined();
      const byBob = await b.client.callTool({ name: 'scale', arguments: { ...args, confirm: token } });
      expect(byBob.isError).toBe(true);
      expect(textOf(byBob)).toContain('issued for another call');
      const byAlice = await a.client.callTool({ name: 'scale', arguments: { ...args, confirm: token } });
      expect(byAlice.isError, textOf(byAlice)).toBeFalsy();
      expect((await ok(kubectl(cluster, ['-n', NS, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']))).trim()).toBe('0');
    } finally {
      await a.client.close();
      await b.client.close();
    }
  });

  it('is registered in Claude Code without a header, and Claude Code sees it asks for a sign-in', async () => {
    await requireClients();
    const home = freshHome('claude-oauth');
    const add = await runClient('claude', ['mcp', 'add', '--scope', 'user', '--transport', 'http', 'kubezilla', pod.url], home);
    expect(add.code, transcript(add)).toBe(0);
    const list = await runClient('claude', ['mcp', 'list'], home, { env: { NODE_EXTRA_CA_CERTS: api.caFile } });
    const config = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')) as { mcpServers?: Record<string, unknown> };
    expect(config.mcpServers?.kubezilla).toEqual({ type: 'http', url: pod.url }); // no token in the client's config
    // Claude Code followed the 401 to the server's sign-in metadata and the issuer's: the next step
    // is the person's browser sign-in (`/mcp` → Authenticate), which a test cannot click through.
    const line = list.stdout.split('\n').find((l) => l.startsWith('kubezilla:'));
    expect(line, transcript(list)).toMatch(/^kubezilla: http:\/\/127\.0\.0\.1:\d+\/mcp \(HTTP\) - ! Needs authentication\s*$/);
    removeHomes();
  });
});
