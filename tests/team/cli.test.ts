/**
 * Team mode from the built CLI, as whoever deploys it starts it: flags that cannot work stop the
 * start in one line naming the fix, and `serve` with the cluster's issuer signs a person in and
 * acts as them.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { kubectl, testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { applyAsAdmin, clusterIssuer, RESOURCE, serviceAccountToken } from './team-server.js';

const CLI = fileURLToPath(new URL('../../dist/kubezilla-mcp.js', import.meta.url));
const info = testCluster();
const ns = `kz-team-cli-${randomBytes(3).toString('hex')}`;
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await kubectl(info, ['delete', 'namespace', ns, '--wait=false']);
});

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr });
    });
  });
}

describe('team mode flags', () => {
  const issuer = ['--oauth-issuer', 'https://login.example.com'];
  const resource = ['--resource-url', 'https://kubezilla.example.com/mcp'];
  it.each([
    [['--impersonate'], /--impersonate needs --oauth-issuer/],
    [[...issuer, '--impersonate'], /--oauth-issuer needs --resource-url/],
    [[...issuer, ...resource], /exactly one of --impersonate .* and --token-passthrough/],
    [[...issuer, ...resource, '--impersonate', '--token-passthrough'], /exactly one of --impersonate/],
    [['--oauth-issuer', 'http://login.example.com', ...resource, '--impersonate'], /--oauth-issuer must be an https URL/],
    [[...issuer, ...resource, '--impersonate', '--default-scopes', 'admin'], /--default-scopes: "admin" is not one of kubezilla:read/],
    [[...issuer, ...resource, '--token-passthrough', '--identity-prefix', 'x:'], /apply to --impersonate only/],
  ])('serve %j is refused in one line', async (args, message) => {
    const r = await run(['serve', '--config-dir', mkdtempSync(join(tmpdir(), 'kz-team-cli-')), ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^kubezilla-mcp: BAD_FLAG: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe.skipIf(info.external)('serve in team mode', () => {
  it('signs a person in with the cluster issuer and answers as that person', async () => {
    await applyAsAdmin(
      info,
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: lee, namespace: ${ns}}\n`,
    );
    const { issuer, caFile } = clusterIssuer(info);
    const configDir = mkdtempSync(join(tmpdir(), 'kz-team-cli-'));
    const child = spawn(
      process.execPath,
      [
        CLI,
        'serve',
        ...['--enable', '--port', '0', '--ui-port', '0', '--config-dir', configDir, '--kubeconfig', info.kubeconfig],
        ...['--oauth-issuer', issuer, '--oauth-ca', caFile, '--resource-url', RESOURCE],
        ...['--impersonate', '--identity-prefix', '', '--default-scopes', 'kubezilla:read'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    const firstLine = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    expect(firstLine).toContain(`team mode: people sign in with ${issuer}`);
    const url = /running on (\S+)/.exec(firstLine)![1]!;
    const metadata = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', url));
    expect(await metadata.json()).toMatchObject({ resource: RESOURCE, authorization_servers: [issuer] });

    const { client } = await connectClient(url, await serviceAccountToken(info, ns, 'lee'));
    try {
      const answer = await client.callTool({ name: 'can_i', arguments: { verb: 'list', kind: 'secrets', namespace: 'kube-system' } });
      expect(textOf(answer)).toMatch(new RegExp(`^no: system:serviceaccount:${ns}:lee may not list secrets`));
    } finally {
      await client.close();
    }
    // People sign in: there is no static token to steal.
    expect(existsSync(join(configDir, 'mcp.token'))).toBe(false);
  });
});
