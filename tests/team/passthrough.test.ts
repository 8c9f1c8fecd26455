/**
 * Token passthrough: where the API server trusts the same issuer (here it is the issuer), the
 * person's own access token replaces the server's credentials on every request, so the cluster
 * authenticates the person itself. The token names both audiences: this server's (which it
 * checks) and the API server's own.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { chart } from '../tools/helm-fixtures.js';
import { applyAsAdmin, clusterIssuer, RESOURCE, serviceAccountTokenFor, startTeamServer, type TeamServer } from './team-server.js';

const info = testCluster();
const ns = `kz-pass-${randomBytes(3).toString('hex')}`;
const who = `system:serviceaccount:${ns}:kim`;
let team: TeamServer;
let kim: Client;
let token: string;
const savedHelm = process.env.KUBEZILLA_HELM;

beforeAll(async () => {
  if (info.external) return; // the issuer is the local test cluster's (see team-server.ts)
  process.env.KUBEZILLA_HELM = info.tools.helm4;
  await applyAsAdmin(
    info,
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: kim, namespace: ${ns}}\n---\n` +
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: kim-edit, namespace: ${ns}}\n` +
      `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\nsubjects: [{kind: ServiceAccount, name: kim, namespace: ${ns}}]\n`,
  );
  team = await startTeamServer(info, { acting: 'token', defaultScopes: ['kubezilla:read', 'kubezilla:write'] });
  token = await serviceAccountTokenFor(info, ns, 'kim', [RESOURCE, clusterIssuer(info).issuer]);
  ({ client: kim } = await connectClient(team.url, token));
});

afterAll(async () => {
  await kim?.close();
  await team?.close();
  if (savedHelm === undefined) delete process.env.KUBEZILLA_HELM;
  else process.env.KUBEZILLA_HELM = savedHelm;
  await kubectl(info, ['delete', 'namespace', ns, '--wait=false']);
});

async function call(name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }> {
  const result = await kim.callTool({ name, arguments: args });
  return { isError: Boolean(result.isError), text: textOf(result) };
}

describe.skipIf(info.external)('token passthrough', () => {
  it('the API server sees the person, not the server: refused outside their namespace from the first call', async () => {
    const elsewhere = await call('list_resources', { kind: 'configmaps', namespace: 'kube-system' });
    expect(elsewhere.isError).toBe(true);
    expect(elsewhere.text).toContain(who);
    const own = await call('list_resources', { kind: 'configmaps', namespace: ns });
    expect(own.isError, own.text).toBe(false);
    expect(own.text).toContain('kube-root-ca.crt');
  });

  it("changes and helm go with the person's token too", async () => {
    const applied = await call('apply_yaml', { manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: by-kim, namespace: ${ns}}\ndata: {a: b}\n` });
    expect(applied.isError, applied.text).toBe(false);
    const installed = await call('helm_install', { release: 'kims', chart: chart(info, '0.1.0'), namespace: ns });
    expect(installed.isError, installed.text).toBe(false);
    const refused = await call('helm_install', { release: 'kims', chart: chart(info, '0.1.0'), namespace: 'default' });
    expect(refused.isError, refused.text).toBe(true);
    expect(refused.text).toMatch(/forbidden/i);
    expect(team.server.audit.recent(3).every((e) => e.person === who)).toBe(true);
  });

  it('the token never reaches the log or the audit log', async () => {
    const audit = JSON.stringify(team.server.audit.recent(50));
    for (const text of [team.log.join('\n'), audit]) expect(text).not.toContain(token.split('.')[2]!);
  });
});
