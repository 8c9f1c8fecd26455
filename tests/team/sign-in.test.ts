/**
 * Team mode's sign-in against a real issuer: the test cluster's kube-apiserver, whose
 * ServiceAccount tokens (TokenRequest, with a chosen audience) are signed JWTs published through
 * OIDC discovery and JWKS. Each way a token can be wrong is refused with the status and the
 * WWW-Authenticate header an MCP client acts on; a good one opens a session.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, testCluster } from '../cluster/context.js';
import { startLocalIssuer } from './local-issuer.js';
import { applyAsAdmin, clusterIssuer, initialize, RESOURCE, serviceAccountToken, startTeamServer, type TeamServer } from './team-server.js';

const info = testCluster();
const ns = `kz-signin-${randomBytes(3).toString('hex')}`;
const METADATA_URL = 'https://kubezilla-team.test/.well-known/oauth-protected-resource/mcp';
let team: TeamServer;
let good: string;

beforeAll(async () => {
  if (info.external) return; // the issuer is the local test cluster's (see team-server.ts)
  await applyAsAdmin(
    info,
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: carol, namespace: ${ns}}\n`,
  );
  team = await startTeamServer(info, { acting: 'impersonate', identityPrefix: '', defaultScopes: ['kubezilla:read'] });
  good = await serviceAccountToken(info, ns, 'carol');
});

afterAll(async () => {
  await team?.close();
  await kubectl(info, ['delete', 'namespace', ns, '--wait=false']);
});

/** The parameters of a Bearer challenge, by name. */
function challengeOf(response: Response): Record<string, string> {
  const header = response.headers.get('www-authenticate') ?? '';
  expect(header.startsWith('Bearer ')).toBe(true);
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

describe.skipIf(info.external)('Protected Resource Metadata (RFC 9728)', () => {
  it('tells a client, without any token, which authorization server to sign in with and which scopes exist', async () => {
    const origin = new URL(team.url).origin;
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const response = await fetch(origin + path);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        resource: RESOURCE,
        authorization_servers: [clusterIssuer(info).issuer],
        scopes_supported: ['kubezilla:read', 'kubezilla:write', 'kubezilla:destructive'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('answers a request without a token with 401 pointing at the metadata', async () => {
    const response = await initialize(team.url);
    expect(response.status).toBe(401);
    expect(challengeOf(response)).toMatchObject({ resource_metadata: METADATA_URL });
  });
});

describe.skipIf(info.external)('access tokens from the cluster issuer', () => {
  it('opens a session with a token for this server', async () => {
    const response = await initialize(team.url, good);
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeTruthy();
  });

  it('refuses a token for another audience', async () => {
    const other = await serviceAccountToken(info, ns, 'carol', 'https://some-other-service.test');
    const response = await initialize(team.url, other);
    expect(response.status).toBe(401);
    const challenge = challengeOf(response);
    expect(challenge).toMatchObject({ error: 'invalid_token', resource_metadata: METADATA_URL });
    expect(challenge.error_description).toContain('https://some-other-service.test');
    expect(challenge.error_description).toContain(`resource=${RESOURCE}`);
  });

  it("refuses a token whose signature is not the issuer's (the same claims re-signed with another key)", async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(decodeJwt(good)).setProtectedHeader({ alg: 'RS256', kid: decodeProtectedHeader(good).kid! }).sign(privateKey);
    const response = await initialize(team.url, forged);
    expect(response.status).toBe(401);
    const challenge = challengeOf(response);
    expect(challenge.error).toBe('invalid_token');
    expect(challenge.error_description).toContain('signature does not verify');
  });

  it('refuses a token that is not a JWT at all', async () => {
    const response = await initialize(team.url, 'kz_not-a-jwt');
    expect(response.status).toBe(401);
    expect(challengeOf(response).error).toBe('invalid_token');
  });

  it('refuses an expired token (the same real token, judged an hour after it expired)', async () => {
    const later = await startTeamServer(info, {
      acting: 'impersonate',
      identityPrefix: '',
      defaultScopes: ['kubezilla:read'],
      now: () => new Date((decodeJwt(good).exp! + 3600) * 1000),
    });
    try {
      const response = await initialize(later.url, good);
      expect(response.status).toBe(401);
      const challenge = challengeOf(response);
      expect(challenge.error).toBe('invalid_token');
      expect(challenge.error_description).toMatch(/expired at \d{4}-/);
    } finally {
      await later.close();
    }
  });

  it('refuses a token from another issuer, even a well-formed one for this server', async () => {
    // A second real issuer (its own discovery, keys and signed access tokens): not the one trusted here.
    const other = await startLocalIssuer();
    try {
      const foreign = await other.mint({ sub: 'mallory', scope: 'kubezilla:read' }, { audience: RESOURCE });
      const response = await initialize(team.url, foreign);
      expect(response.status).toBe(401);
      const challenge = challengeOf(response);
      expect(challenge.error).toBe('invalid_token');
      expect(challenge.error_description).toContain(`signature does not verify with the keys of ${clusterIssuer(info).issuer}`);
    } finally {
      await other.close();
    }
  });

  it('refuses a token that grants none of the scopes with 403 insufficient_scope', async () => {
    const noScopes = await startTeamServer(info, { acting: 'impersonate', identityPrefix: '' });
    try {
      const response = await initialize(noScopes.url, good);
      expect(response.status).toBe(403);
      const challenge = challengeOf(response);
      expect(challenge).toMatchObject({ error: 'insufficient_scope', resource_metadata: METADATA_URL });
      expect(challenge.scope).toContain('kubezilla:read');
    } finally {
      await noScopes.close();
    }
  });

  it('never writes a token into the log', () => {
    const text = team.log.join('\n');
    expect(text).not.toContain(good);
    expect(text).not.toContain(good.split('.')[2]!);
  });
});
