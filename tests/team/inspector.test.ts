/**
 * Team mode with an unmodified MCP client, the MCP Inspector CLI (installed by
 * tests/interop/install.sh): with a person's access token it lists what their scopes reach; with
 * none it reports that the server asks for a sign-in.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, testCluster } from '../cluster/context.js';
import { freshHome, removeHomes, requireClients, runClient } from '../interop/helpers/clients.js';
import { applyAsAdmin, clusterIssuer, serviceAccountToken, startTeamServer, type TeamServer } from './team-server.js';

const info = testCluster();
const ns = `kz-team-insp-${randomBytes(3).toString('hex')}`;
let team: TeamServer;
let token: string;

beforeAll(async () => {
  await requireClients();
  if (info.external) return; // the issuer is the local test cluster's (see team-server.ts)
  await applyAsAdmin(
    info,
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: max, namespace: ${ns}}\n`,
  );
  team = await startTeamServer(info, { acting: 'impersonate', identityPrefix: '', defaultScopes: ['kubezilla:read'] });
  token = await serviceAccountToken(info, ns, 'max');
});

afterAll(async () => {
  await team?.close();
  removeHomes();
  await kubectl(info, ['delete', 'namespace', ns, '--wait=false']);
});

const inspector = (headers: string[], ...method: string[]) =>
  runClient(
    'inspector',
    ['--cli', team.url, '--transport', 'http', ...headers, '--stored-auth-only', '--format', 'json', ...method],
    freshHome('team-inspector'),
  );

describe.skipIf(info.external)('MCP Inspector CLI against a team server', () => {
  it('lists, for a person with the read scope, the read tools only', async () => {
    const run = await inspector(['--header', `Authorization: Bearer ${token}`], '--method', 'tools/list');
    expect(run.code, run.stderr).toBe(0);
    const names = (JSON.parse(run.stdout) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name);
    expect(names).toContain('list_resources');
    expect(names).not.toContain('apply_yaml');
  });

  it('without a token, reports that the server wants a sign-in', async () => {
    const run = await inspector([], '--method', 'tools/list');
    expect(run.code).not.toBe(0);
    expect(run.stdout).not.toContain('list_resources');
    expect(run.stderr).toMatch(/auth_required/);
    expect(run.stderr).toContain(`Sign-in required: get an access token from ${clusterIssuer(info).issuer}`);
  });
});
