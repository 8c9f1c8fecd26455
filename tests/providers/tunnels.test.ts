import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { request, createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkHostKey,
  fingerprintOf,
  hostMatches,
  keyTypeOf,
  parseKnownHosts,
  TunnelError,
  TunnelRegistry,
  type TunnelConfig,
} from '../../src/providers/cluster/tunnels.js';
import { freePort, keygen, startSshd, type TestSshd } from './helpers/sshd.js';

function hashed(name: string): string {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

describe('known_hosts', () => {
  const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
  const other = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
  const b64 = blob.toString('base64');

  it('parses markers, comments and fields with line numbers', () => {
    const entries = parseKnownHosts(
      `# comment\n\nbastion.example.com,10.0.0.1 ssh-ed25519 ${b64} me@host\n@revoked * ssh-ed25519 ${other.toString('base64')}\n@cert-authority *.example.com ssh-rsa AAAA\ngarbage\n`,
    );
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({ patterns: 'bastion.example.com,10.0.0.1', keyType: 'ssh-ed25519', key: b64, line: 3 });
    expect(entries[1]).toMatchObject({ marker: 'revoked', line: 4 });
    expect(entries[2]).toMatchObject({ marker: 'cert-authority', line: 5 });
  });

  it('matches plain, [host]:port, wildcard, negated and hashed patterns', () => {
    expect(hostMatches('bastion,10.0.0.1', 'bastion', 22)).toBe(true);
    expect(hostMatches('bastion', 'bastion', 2222)).toBe(false);
    expect(hostMatches('[bastion]:2222', 'bastion', 2222)).toBe(true);
    expect(hostMatches('[bastion]:2222', 'bastion', 22)).toBe(false);
    expect(hostMatches('*.example.com', 'b1.example.com', 22)).toBe(true);
    expect(hostMatches('*.example.com,!b2.example.com', 'b2.example.com', 22)).toBe(false);
    expect(hostMatches('b?.example.com', 'b3.example.com', 22)).toBe(true);
    expect(hostMatches(hashed('bastion'), 'bastion', 22)).toBe(true);
    expect(hostMatches(hashed('[bastion]:2222'), 'bastion', 2222)).toBe(true);
    expect(hostMatches(hashed('bastion'), 'other', 22)).toBe(false);
  });

  it('accepts the known key, refuses unknown with fingerprint and line, refuses a changed key hard', () => {
    expect(keyTypeOf(blob)).toBe('ssh-ed25519');
    const ok = checkHostKey(parseKnownHosts(`${hashed('[b]:2222')} ssh-ed25519 ${b64}\n`), '/kh', 'b', 2222, blob);
    expect(ok.ok).toBe(true);

    const unknown = checkHostKey([], '/kh', 'b', 2222, blob);
    expect(unknown.ok).toBe(false);
    if (unknown.ok) return;
    expect(unknown.kind).toBe('host-key-unknown');
    expect(unknown.fingerprint).toBe(fingerprintOf(blob));
    expect(unknown.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(unknown.hint).toContain(`[b]:2222 ssh-ed25519 ${b64}`);

    const changed = checkHostKey(parseKnownHosts(`[b]:2222 ssh-ed25519 ${other.toString('base64')}\n`), '/kh', 'b', 2222, blob);
    expect(changed.ok).toBe(false);
    if (changed.ok) return;
    expect(changed.kind).toBe('host-key-changed');
    expect(changed.message).toContain('/kh:1');

    const revoked = checkHostKey(parseKnownHosts(`[b]:2222 ssh-ed25519 ${b64}\n@revoked * ssh-ed25519 ${b64}\n`), '/kh', 'b', 2222, blob);
    expect(revoked.ok).toBe(false);
    if (!revoked.ok) expect(revoked.kind).toBe('host-key-revoked');
  });
});

function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('tunnels through a real OpenSSH server', () => {
  let sshd: TestSshd;
  let target: HttpServer;
  let targetPort: number;
  const registries: TunnelRegistry[] = [];
  const newRegistry = (opts: ConstructorParameters<typeof TunnelRegistry>[0] = {}) => {
    const r = new TunnelRegistry({ agentSocket: '', connectTimeoutMs: 5000, ...opts });
    registries.push(r);
    return r;
  };
  const tunnel = (over: Partial<TunnelConfig> = {}): TunnelConfig => ({
    host: '127.0.0.1',
    port: sshd.port,
    user: sshd.user,
    identityFile: sshd.identityFile,
    knownHostsFile: sshd.knownHostsFile,
    ...over,
  });

  beforeAll(async () => {
    sshd = await startSshd();
    target = createHttpServer((req, res) => res.end(`echo ${req.url}`));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    targetPort = (target.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const r of registries) await r.close();
    await new Promise((r) => target.close(r));
    await sshd.stop();
  });

  it('forwards through one shared SSH connection', async () => {
    const registry = newRegistry();
    const states: string[] = [];
    registry.onStateChange((s) => states.push(s.status));
    const { localPort, bastion } = await registry.forward(tunnel(), '127.0.0.1', targetPort);
    expect(bastion).toBe(`${sshd.user}@127.0.0.1:${sshd.port}`);
    expect(registry.state(tunnel()).status).toBe('idle'); // listening contacts nothing
    await registry.connect(tunnel());
    for (let i = 0; i < 20; i++) {
      const res = await get(localPort, `/n${i}`);
      expect(res.body).toBe(`echo /n${i}`);
    }
    const again = await registry.forward(tunnel(), '127.0.0.1', targetPort);
    expect(again.localPort).toBe(localPort);
    const state = registry.state(tunnel());
    expect(state.status).toBe('connected');
    expect(state.connectionsOpened).toBe(1);
    expect(states).toEqual(['connecting', 'connected']);
    expect(state.forwards).toEqual([expect.objectContaining({ localPort, target: `127.0.0.1:${targetPort}` })]);
  });

  it('reconnects on the next call after the SSH connection is killed', async () => {
    const registry = newRegistry();
    const { localPort } = await registry.forward(tunnel(), '127.0.0.1', targetPort);
    expect((await get(localPort)).status).toBe(200);
    sshd.dropConnections();
    await new Promise((r) => setTimeout(r, 300));
    expect(registry.state(tunnel()).status).toBe('idle');
    expect((await get(localPort, '/after')).body).toBe('echo /after');
    expect(registry.state(tunnel()).connectionsOpened).toBe(2);
  });

  it('shows a hung bastion degraded, from its unanswered keep-alives, and recovers once it answers', async () => {
    const registry = newRegistry({ keepaliveIntervalMs: 300, keepaliveCountMax: 10 });
    const states: string[] = [];
    registry.onStateChange((s) => states.push(s.status));
    const { localPort } = await registry.forward(tunnel(), '127.0.0.1', targetPort);
    expect((await get(localPort)).status).toBe(200);
    expect(registry.state(tunnel()).status).toBe('connected');
    sshd.freeze(true);
    try {
      await expect.poll(() => registry.state(tunnel()).status, { timeout: 10_000 }).toBe('degraded');
      expect(registry.state(tunnel()).reason).toMatch(/has not answered SSH keep-alives for \d+(\.\d)?s/);
      // Past the count the connection is dropped, and the state still says why.
      await expect.poll(() => registry.state(tunnel()).reason, { timeout: 10_000 }).toMatch(/stopped answering SSH keep-alives \(10 in a row, every 0\.3s\)/);
      expect(registry.state(tunnel()).status).toBe('degraded');
    } finally {
      sshd.freeze(false);
    }
    expect((await get(localPort, '/back')).body).toBe('echo /back');
    expect(registry.state(tunnel()).status).toBe('connected');
    expect(states).toEqual(['connecting', 'connected', 'degraded', 'degraded', 'connecting', 'connected']);
  });

  it('refuses an unknown host with the fingerprint to verify and the line to add', async () => {
    const empty = join(sshd.dir, 'known_hosts_empty');
    writeFileSync(empty, '');
    const registry = newRegistry();
    const err = await registry.connect(tunnel({ knownHostsFile: empty })).catch((e) => e);
    expect(err).toBeInstanceOf(TunnelError);
    expect(err.kind).toBe('host-key-unknown');
    expect(err.message).toContain(sshd.hostKeyFingerprint);
    expect(err.hint).toContain(sshd.knownHostsLine);
    const state = registry.state(tunnel({ knownHostsFile: empty }));
    expect(state.status).toBe('failed');
    expect(state.reason).toContain(sshd.hostKeyFingerprint);
  });

  it('refuses a changed host key hard', async () => {
    keygen(join(sshd.dir, 'impostor'));
    const impostor = readFileSync(join(sshd.dir, 'impostor.pub'), 'utf8').trim().split(/\s+/);
    const file = join(sshd.dir, 'known_hosts_changed');
    writeFileSync(file, `# old key\n[127.0.0.1]:${sshd.port} ${impostor[0]} ${impostor[1]}\n`);
    const err = await newRegistry()
      .connect(tunnel({ knownHostsFile: file }))
      .catch((e) => e);
    expect(err.kind).toBe('host-key-changed');
    expect(err.message).toContain(`${file}:2`);
    expect(err.message).toContain(sshd.hostKeyFingerprint);
  });

  it('accepts a hashed known_hosts entry', async () => {
    const file = join(sshd.dir, 'known_hosts_hashed');
    const [, type, key] = sshd.knownHostsLine.split(' ');
    writeFileSync(file, `${hashed(`[127.0.0.1]:${sshd.port}`)} ${type} ${key}\n`);
    const registry = newRegistry();
    await registry.connect(tunnel({ knownHostsFile: file }));
    expect(registry.state(tunnel({ knownHostsFile: file })).status).toBe('connected');
  });

  it('reports a rejected login', async () => {
    keygen(join(sshd.dir, 'stranger'));
    const err = await newRegistry()
      .connect(tunnel({ identityFile: join(sshd.dir, 'stranger') }))
      .catch((e) => e);
    expect(err.kind).toBe('auth');
    expect(err.message).toContain(sshd.user);
  });

  it('fails fast on a closed port and within the timeout on a silent one', async () => {
    const closed = await freePort();
    let t0 = Date.now();
    const refused = await newRegistry()
      .connect(tunnel({ port: closed }))
      .catch((e) => e);
    expect(refused.kind).toBe('unreachable');
    expect(refused.message).toContain(`127.0.0.1:${closed}`);
    expect(Date.now() - t0).toBeLessThan(2000);

    const silent: Server = createServer(() => {}); // accepts, never speaks SSH
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    t0 = Date.now();
    const timedOut = await newRegistry({ connectTimeoutMs: 1000 })
      .connect(tunnel({ port }))
      .catch((e) => e);
    const elapsed = Date.now() - t0;
    silent.close();
    expect(timedOut.kind).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3000);
  });

  it('closes an idle connection and reopens it on the next call', async () => {
    const registry = newRegistry();
    const cfg = tunnel({ idleTimeoutSeconds: 1 });
    const { localPort } = await registry.forward(cfg, '127.0.0.1', targetPort);
    await get(localPort);
    await new Promise((r) => setTimeout(r, 1800));
    const state = registry.state(cfg);
    expect(state.status).toBe('idle');
    expect(state.reason).toMatch(/without use/);
    expect((await get(localPort, '/x')).body).toBe('echo /x');
    expect(registry.state(cfg).connectionsOpened).toBe(2);
  });

  it('authenticates with the SSH agent when no identity file is set', async () => {
    const sock = join(sshd.dir, 'agent.sock');
    const out = execFileSync('ssh-agent', ['-a', sock, '-s']).toString();
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
    try {
      execFileSync('ssh-add', [sshd.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'pipe' });
      const registry = newRegistry({ agentSocket: sock });
      await registry.connect(tunnel({ identityFile: undefined }));
      expect(registry.state(tunnel({ identityFile: undefined })).status).toBe('connected');
    } finally {
      process.kill(agentPid, 'SIGTERM');
    }
  });

  it('asks the bastion for the host key type known_hosts holds', async () => {
    // The bastion also has an RSA host key; known_hosts only lists that one.
    const file = join(sshd.dir, 'known_hosts_rsa');
    const rsa = readFileSync(join(sshd.dir, 'host_rsa.pub'), 'utf8').trim().split(/\s+/);
    writeFileSync(file, `[127.0.0.1]:${sshd.port} ${rsa[0]} ${rsa[1]}\n`);
    const registry = newRegistry();
    await registry.connect(tunnel({ knownHostsFile: file }));
    expect(registry.state(tunnel({ knownHostsFile: file })).status).toBe('connected');
  });

  it('says when neither a key nor an agent is configured', async () => {
    const err = await newRegistry()
      .connect(tunnel({ identityFile: undefined }))
      .catch((e) => e);
    expect(err.kind).toBe('config');
    expect(err.message).toMatch(/SSH_AUTH_SOCK/);
  });
});
