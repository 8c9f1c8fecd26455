import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToolEnv, type ToolEnv } from './helpers.js';

describe('list_contexts', () => {
  let env: ToolEnv;
  let broken: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kz-t-lc-'));
    broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: v1\nkind: Config\nclusters: [\n  not yaml: : :\n');
    const { testCluster } = await import('../cluster/context.js');
    env = await startToolEnv({ kubeconfigPaths: [testCluster().kubeconfig, broken] });
  });
  afterAll(async () => env?.close());

  it('lists the contexts kubectl sees, with server, user, namespace, source and the current marker', async () => {
    const text = await env.call('list_contexts');
    const names = (await env.kubectl(['config', 'get-contexts', '-o', 'name'])).trim().split('\n').sort();
    for (const name of names) expect(text).toMatch(new RegExp(`\\b${name}\\b`));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^CURRENT\s+NAME\s+SERVER\s+USER\s+NAMESPACE\s+SOURCE/);
    const current = (await env.kubectl(['config', 'current-context'])).trim();
    const currentLine = lines.find((l) => l.startsWith('*'))!;
    expect(currentLine.split(/\s+/)[1]).toBe(current);
    expect(text).toContain(env.info.apiServer!.url.replace(/\/$/, ''));
    expect(text).toContain(env.info.kubeconfig);
    // Never credentials.
    expect(text).not.toMatch(/BEGIN|client-key|token:/i);
    // The ssh context shows its bastion.
    expect(text).toMatch(/TUNNEL/);
    const ssh = lines.find((l) => l.includes(env.info.contexts.ssh!))!;
    expect(ssh).toMatch(/@127\.0\.0\.1:\d+ (idle|connected|connecting)/);
  });

  it('says which contexts are read-only, including those reaching the same API server as a listed one', async () => {
    const { testCluster } = await import('../cluster/context.js');
    const info = testCluster();
    const ro = await startToolEnv({ settings: { policy: { readOnlyContexts: [info.contexts.ssh!] } } });
    try {
      const text = await ro.call('list_contexts');
      expect(text).toContain(`context ${info.contexts.ssh}: read-only on this server (listed in policy.readOnlyContexts); dry runs still work`);
      expect(text).toContain(
        `context ${info.contexts.admin}: read-only on this server (it reaches the same API server as the read-only context ${info.contexts.ssh}); dry runs still work`,
      );
    } finally {
      await ro.close();
    }
  });

  it('lists a broken kubeconfig source with its error', async () => {
    const text = await env.call('list_contexts');
    expect(text).toContain(broken);
    expect(text.split('\n').find((l) => l.includes(broken) && l.startsWith('source'))).toBeTruthy();
  });

  it('probe: true checks every context in parallel', async () => {
    const started = Date.now();
    const text = await env.call('list_contexts', { probe: true });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(text).toMatch(/REACHABLE/);
    for (const name of [env.info.contexts.admin, env.info.contexts.restricted!, env.info.contexts.ssh!]) {
      const line = text.split('\n').find((l) => l.split(/\s+/)[1] === name)!;
      expect(line, text).toMatch(/yes v1\.\d+/);
    }
    // The probe went through the bastion, so its tunnel is up now.
    expect(text.split('\n').find((l) => l.split(/\s+/)[1] === env.info.contexts.ssh)).toMatch(/@127\.0\.0\.1:\d+ connected/);
  });

  it('probe reports refused and silent clusters within a bounded time, naming them', async () => {
    // A port nothing listens on, and a server that accepts connections but never answers.
    const closed = await freePort();
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'kz-t-lc-dead-'));
    const dead = join(dir, 'dead.yaml');
    writeFileSync(
      dead,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: dead',
        `clusters: [{name: dead, cluster: {server: "https://127.0.0.1:${closed}"}}, {name: silent, cluster: {server: "https://127.0.0.1:${silentPort}"}}]`,
        'users: [{name: nobody, user: {token: abc}}]',
        'contexts: [{name: dead, context: {cluster: dead, user: nobody}}, {name: silent, context: {cluster: silent, user: nobody}}]',
        '',
      ].join('\n'),
    );
    const other = await startToolEnv({ kubeconfigPaths: [dead, env.info.kubeconfig] });
    try {
      const started = Date.now();
      const text = await other.call('list_contexts', { probe: true });
      expect(Date.now() - started).toBeLessThan(6000);
      const row = (name: string) => text.split('\n').find((l) => l.split(/\s+/)[1] === name)!;
      expect(row('dead')).toMatch(new RegExp(`no: .*127\\.0\\.0\\.1:${closed}.*refused`));
      expect(row('silent')).toMatch(/no: context "silent" .*did not answer within 3s/);
      expect(row(env.info.contexts.admin)).toMatch(/yes/);
    } finally {
      await other.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
