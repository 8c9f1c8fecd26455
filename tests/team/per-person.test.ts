/**
 * One team server, two people: each signs in with their own token (real ServiceAccount tokens of
 * the test cluster's issuer) through the real SDK client, and each call acts as that person by
 * impersonation, so the cluster's own RBAC decides. alice may edit namespace A, bob may only view
 * namespace B: through the same server, with the same kubeconfig (the cluster admin's), each sees
 * and changes exactly what their RoleBinding allows, helm included, and the audit log names them.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helm, kubectl, testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { chart } from '../tools/helm-fixtures.js';
import { applyAsAdmin, initialize, serviceAccountToken, startTeamServer, type TeamServer } from './team-server.js';

const info = testCluster();
const home = `kz-team-${randomBytes(3).toString('hex')}`;
const nsA = `${home}-a`;
const nsB = `${home}-b`;
const aliceName = `system:serviceaccount:${home}:alice`;
const bobName = `system:serviceaccount:${home}:bob`;
let team: TeamServer;
let alice: Client;
let bob: Client;
let aliceToken: string;
let bobToken: string;
const savedHelm = process.env.KUBEZILLA_HELM;

const binding = (ns: string, role: string, sa: string) =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ${sa}-${role}, namespace: ${ns}}\n` +
  `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role}}\n` +
  `subjects: [{kind: ServiceAccount, name: ${sa}, namespace: ${home}}]\n`;
const configMap = (ns: string, name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${ns}}\ndata: {owner: ${name}}\n`;

beforeAll(async () => {
  if (info.external) return; // the issuer is the local test cluster's (see team-server.ts)
  process.env.KUBEZILLA_HELM = info.tools.helm4;
  await applyAsAdmin(
    info,
    [home, nsA, nsB].map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`).join('---\n') +
      ['alice', 'bob'].map((sa) => `---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${sa}, namespace: ${home}}\n`).join(''),
  );
  await applyAsAdmin(info, [binding(nsA, 'edit', 'alice'), binding(nsB, 'view', 'bob'), configMap(nsA, 'only-a'), configMap(nsB, 'only-b')].join('---\n'));
  team = await startTeamServer(info, { acting: 'impersonate', identityPrefix: '', defaultScopes: ['kubezilla:read', 'kubezilla:write'] });
  aliceToken = await serviceAccountToken(info, home, 'alice');
  bobToken = await serviceAccountToken(info, home, 'bob');
  ({ client: alice } = await connectClient(team.url, aliceToken));
  ({ client: bob } = await connectClient(team.url, bobToken));
});

afterAll(async () => {
  await alice?.close();
  await bob?.close();
  await team?.close();
  if (savedHelm === undefined) delete process.env.KUBEZILLA_HELM;
  else process.env.KUBEZILLA_HELM = savedHelm;
  await kubectl(info, ['delete', 'namespace', home, nsA, nsB, '--wait=false']);
});

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }> {
  const result = await client.callTool({ name, arguments: args });
  return { isError: Boolean(result.isError), text: textOf(result) };
}

describe.skipIf(info.external)('per-person RBAC through one server', () => {
  it('each person reads what their own RoleBinding allows, and nothing else', async () => {
    // Each person's first call is one their rights refuse: nothing is sent as the server, ever.
    const aliceB = await call(alice, 'list_resources', { kind: 'configmaps', namespace: nsB });
    expect(aliceB.isError, aliceB.text).toBe(true);
    expect(aliceB.text).toMatch(/forbidden/i);
    expect(aliceB.text).toContain(aliceName);
    expect(aliceB.text).not.toContain('only-b');
    const aliceA = await call(alice, 'list_resources', { kind: 'configmaps', namespace: nsA });
    expect(aliceA.isError, aliceA.text).toBe(false);
    expect(aliceA.text).toContain('only-a');

    const bobA = await call(bob, 'list_resources', { kind: 'configmaps', namespace: nsA });
    expect(bobA.isError, bobA.text).toBe(true);
    expect(bobA.text).toContain(bobName);
    const bobB = await call(bob, 'list_resources', { kind: 'configmaps', namespace: nsB });
    expect(bobB.isError, bobB.text).toBe(false);
    expect(bobB.text).toContain('only-b');
  });

  it('the cluster answers "may I?" for the person, not for the server', async () => {
    const aliceCan = await call(alice, 'can_i', { verb: 'create', kind: 'configmaps', namespace: nsA });
    const bobCan = await call(bob, 'can_i', { verb: 'create', kind: 'configmaps', namespace: nsB });
    expect(aliceCan.text).toMatch(new RegExp(`^yes: ${aliceName} may`));
    expect(bobCan.text).toMatch(new RegExp(`^no: ${bobName} may not`));
  });

  it('each person changes only what their RoleBinding allows', async () => {
    const applied = await call(alice, 'apply_yaml', { manifest: configMap(nsA, 'by-alice') });
    expect(applied.isError, applied.text).toBe(false);
    expect((await kubectl(info, ['get', 'configmap', 'by-alice', '-n', nsA, '-o', 'jsonpath={.data.owner}'])).stdout).toBe('by-alice');

    const refused = await call(bob, 'apply_yaml', { manifest: configMap(nsB, 'by-bob') });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/forbidden/i);
    expect((await kubectl(info, ['get', 'configmap', 'by-bob', '-n', nsB, '--ignore-not-found', '-o', 'name'])).stdout).toBe('');
  });

  it('helm runs as the person too', async () => {
    const installed = await call(alice, 'helm_install', { release: 'alices', chart: chart(info, '0.1.0'), namespace: nsA });
    expect(installed.isError, installed.text).toBe(false);
    const refused = await call(bob, 'helm_install', { release: 'bobs', chart: chart(info, '0.1.0'), namespace: nsB });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/forbidden/i);
    const list = (ns: string) => helm(info, 4, ['list', '-n', ns, '-q']).then((r) => r.stdout.trim());
    expect(await list(nsA)).toBe('alices');
    expect(await list(nsB)).toBe('');
    // The release's history is read (from its records, with the person's rights) by alice only.
    const history = await call(alice, 'get_helm_history', { release: 'alices', namespace: nsA });
    expect(history.isError, history.text).toBe(false);
    const bobHistory = await call(bob, 'get_helm_history', { release: 'alices', namespace: nsA });
    expect(bobHistory.isError).toBe(true);
  });

  it('the audit log names the person each change was made as', () => {
    const entries = team.server.audit.recent(50);
    expect(entries.find((e) => e.tool === 'apply_yaml' && e.outcome === 'ok')).toMatchObject({ person: aliceName, namespace: nsA });
    expect(entries.find((e) => e.tool === 'apply_yaml' && e.outcome !== 'ok')).toMatchObject({ person: bobName });
    expect(entries.find((e) => e.tool === 'helm_install' && e.target === 'alices')).toMatchObject({ person: aliceName, outcome: 'ok' });
  });

  it('the server log says whom each call acted for', () => {
    const calls = team.log.map((line) => JSON.parse(line) as { msg?: string; person?: string; tool?: string }).filter((l) => l.msg === 'tools/call');
    expect(calls.some((l) => l.tool === 'apply_yaml' && l.person === aliceName)).toBe(true);
    expect(calls.some((l) => l.tool === 'apply_yaml' && l.person === bobName)).toBe(true);
  });

  it('a session belongs to the person who opened it', async () => {
    const opened = await initialize(team.url, aliceToken);
    const session = opened.headers.get('mcp-session-id')!;
    await opened.body?.cancel();
    const asBob = await fetch(team.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bobToken}`,
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-11-25',
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(asBob.status).toBe(404);
  });
});
