/**
 * What a ServiceAccount token cannot carry, from an issuer that signs its own access tokens
 * (local-issuer.ts): scopes decide which safety classes a person reaches (tools outside them are
 * neither listed nor callable), and groups from the token, prefixed, are impersonated one header
 * line each, so a RoleBinding to a group decides.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { type LocalIssuer, startLocalIssuer } from './local-issuer.js';
import { applyAsAdmin, initialize, RESOURCE, startTeamServer, type TeamServer } from './team-server.js';

const info = testCluster();
const ns = `kz-groups-${randomBytes(3).toString('hex')}`;
let issuer: LocalIssuer;
let team: TeamServer;
const clients: Client[] = [];

async function signIn(claims: Record<string, unknown>): Promise<Client> {
  const token = await issuer.mint(claims, { audience: RESOURCE });
  const { client } = await connectClient(team.url, token);
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }> {
  const result = await client.callTool({ name, arguments: args });
  return { isError: Boolean(result.isError), text: textOf(result) };
}

const listed = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);
const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${ns}}\ndata: {a: b}\n`;

beforeAll(async () => {
  issuer = await startLocalIssuer();
  await applyAsAdmin(
    info,
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n---\n` +
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: team-y-edit, namespace: ${ns}}\n` +
      'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\n' +
      'subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "oidc:team-y"}]\n---\n' +
      configMap('present'),
  );
  team = await startTeamServer(info, { issuer: issuer.issuer, caFile: undefined, acting: 'impersonate' });
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await team?.close();
  await issuer?.close();
  await kubectl(info, ['delete', 'namespace', ns, '--wait=false']);
});

describe('scopes decide the safety classes a person reaches', () => {
  it('a read-only sign-in is offered no mutation tool, and calling one is refused naming the scope', async () => {
    const reader = await signIn({ sub: 'dana', groups: ['team-x', 'team-y'], scope: 'kubezilla:read' });
    const names = await listed(reader);
    expect(names).toContain('list_resources');
    expect(names).not.toContain('apply_yaml');
    expect(names).not.toContain('scale');
    const refused = await call(reader, 'apply_yaml', { manifest: configMap('by-reader') });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('needs the scope "kubezilla:write"');
    expect(refused.text).toContain('oidc:dana');
    expect((await kubectl(info, ['get', 'configmap', 'by-reader', '-n', ns, '--ignore-not-found', '-o', 'name'])).stdout).toBe('');
    expect(team.server.audit.recent(5).find((e) => e.tool === 'apply_yaml')).toMatchObject({ person: 'oidc:dana', outcome: 'refused' });
  });

  it('a sign-in with the write scope may change what its groups allow, as the person', async () => {
    const writer = await signIn({ sub: 'dana', groups: ['team-x', 'team-y'], scope: 'kubezilla:read kubezilla:write' });
    expect(await listed(writer)).toContain('apply_yaml');
    const applied = await call(writer, 'apply_yaml', { manifest: configMap('by-writer') });
    expect(applied.isError, applied.text).toBe(false);
    expect((await kubectl(info, ['get', 'configmap', 'by-writer', '-n', ns, '-o', 'name'])).stdout.trim()).toBe('configmap/by-writer');
    const audit = team.server.audit.recent(5).find((e) => e.tool === 'apply_yaml' && e.outcome === 'ok');
    expect(audit).toMatchObject({ person: 'oidc:dana', namespace: ns });
  });

  it('a scope never turns on a class the server keeps off (destructive)', async () => {
    const everything = await signIn({ sub: 'erin', scope: 'kubezilla:read kubezilla:write kubezilla:destructive' });
    const names = await listed(everything);
    expect(names).toContain('apply_yaml');
    expect(names).not.toContain('delete_resource');
  });

  it('reads the scopes of an `scp` list too (as some identity providers send them)', async () => {
    const listStyle = await signIn({ sub: 'fay', scp: ['kubezilla:read'] });
    expect(await listed(listStyle)).toContain('list_resources');
  });
});

describe('groups from the token', () => {
  it('each group is impersonated on its own, with the prefix: a binding to the second one decides', async () => {
    const member = await signIn({ sub: 'gus', groups: ['team-x', 'team-y'], scope: 'kubezilla:read' });
    const seen = await call(member, 'list_resources', { kind: 'configmaps', namespace: ns });
    expect(seen.isError, seen.text).toBe(false);
    expect(seen.text).toContain('present');
    const outsider = await signIn({ sub: 'hal', groups: ['team-x'], scope: 'kubezilla:read' });
    const refused = await call(outsider, 'list_resources', { kind: 'configmaps', namespace: ns });
    expect(refused.isError, refused.text).toBe(true);
    expect(refused.text).toContain('oidc:hal');
  });

  it('without a prefix, a token naming a reserved cluster identity is refused', async () => {
    const bare = await startTeamServer(info, { issuer: issuer.issuer, caFile: undefined, acting: 'impersonate', identityPrefix: '' });
    try {
      const token = await issuer.mint({ sub: 'ivy', groups: ['system:masters'], scope: 'kubezilla:read' }, { audience: RESOURCE });
      const response = await initialize(bare.url, token);
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toContain('system:masters');
    } finally {
      await bare.close();
    }
  });

  it('refuses a token its key signed for another issuer name', async () => {
    const token = await issuer.mint({ sub: 'jo', scope: 'kubezilla:read' }, { audience: RESOURCE, issuer: 'https://impostor.test' });
    const response = await initialize(team.url, token);
    expect(response.status).toBe(401);
    const header = response.headers.get('www-authenticate') ?? '';
    expect(header).toContain('error="invalid_token"');
    expect(header).toContain('https://impostor.test');
  });

  it('answers 503 with Retry-After, not 401, while the issuer cannot be reached (the token may be fine)', async () => {
    const unreachable = await startTeamServer(info, { issuer: 'http://127.0.0.1:9', caFile: undefined, acting: 'impersonate' });
    try {
      const token = await issuer.mint({ sub: 'kai', scope: 'kubezilla:read' }, { audience: RESOURCE });
      const response = await initialize(unreachable.url, token);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('10');
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain('http://127.0.0.1:9 could not be discovered');
    } finally {
      await unreachable.close();
    }
  });

  it('quotes a wrong audience in the header safely, whatever characters it has', async () => {
    const token = await issuer.mint({ sub: 'lou', scope: 'kubezilla:read' }, { audience: 'https://other.test/\u00e9t\u00e9\r\n"x"' });
    const response = await initialize(team.url, token);
    expect(response.status).toBe(401);
    const header = response.headers.get('www-authenticate') ?? '';
    expect(header).toContain('error="invalid_token"');
    expect(header).toContain("https://other.test/?t???'x'");
  });
});
