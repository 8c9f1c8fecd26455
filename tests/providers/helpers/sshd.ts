/**
 * A real OpenSSH server for tests: host and user keys generated per run, listening on a free
 * loopback port, public-key auth only, TCP forwarding allowed. Each test process starts its own.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface TestSshd {
  dir: string;
  port: number;
  user: string;
  identityFile: string;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…` */
  knownHostsLine: string;
  knownHostsFile: string;
  hostKeyFingerprint: string;
  pid: number;
  /** Kills the per-connection sshd children (drops every SSH connection), keeping the listener. */
  dropConnections(): void;
  /**
   * SIGSTOP (`true`) or SIGCONT the listener and its per-connection children: a hung bastion,
   * whose TCP connections stay open while nothing answers on them.
   */
  freeze(frozen: boolean): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function keygen(path: string, type = 'ed25519'): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'kz-test', '-f', path]);
}

export function fingerprint(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-lf', pubFile, '-E', 'sha256']).toString().split(/\s+/)[1]!;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1');
      s.once('data', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'kz-sshd-'));
  mkdirSync('/run/sshd', { recursive: true });
  keygen(join(dir, 'host_ed25519'));
  keygen(join(dir, 'host_rsa'), 'rsa');
  keygen(join(dir, 'user_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_ed25519.pub')), { mode: 0o600 });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    `HostKey ${join(dir, 'host_rsa')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'AllowTcpForwarding yes',
    'PermitOpen any',
    'ClientAliveInterval 0',
    'LogLevel ERROR',
  ].join('\n');
  writeFileSync(join(dir, 'sshd_config'), config + '\n');
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  try {
    await waitForPort(port, 10_000);
  } catch (err) {
    child.kill();
    throw new Error(`${(err as Error).message}: ${stderr}`);
  }
  const pub = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  const knownHostsLine = `[127.0.0.1]:${port} ${pub[0]} ${pub[1]}`;
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, knownHostsLine + '\n');
  const pid = child.pid!;
  const children = (): number[] => {
    try {
      return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)])
        .toString()
        .split('\n')
        .map((l) => Number(l.trim()))
        .filter((n) => n > 0);
    } catch {
      return []; // no children
    }
  };
  const signal = (target: number, sig: NodeJS.Signals) => {
    try {
      process.kill(target, sig);
    } catch {
      /* already gone */
    }
  };
  const dropConnections = () => {
    for (const childPid of children()) signal(childPid, 'SIGKILL');
  };
  // Per connection OpenSSH forks a monitor, which forks the session process: stop them all.
  const tree = (root: number): number[] => {
    const out: number[] = [];
    const visit = (p: number) => {
      out.push(p);
      try {
        for (const line of execFileSync('ps', ['-o', 'pid=', '--ppid', String(p)])
          .toString()
          .split('\n'))
          if (Number(line.trim()) > 0) visit(Number(line.trim()));
      } catch {
        /* no children */
      }
    };
    visit(root);
    return out;
  };
  const freeze = (frozen: boolean) => {
    for (const p of tree(pid)) signal(p, frozen ? 'SIGSTOP' : 'SIGCONT');
  };
  return {
    dir,
    port,
    user: userInfo().username,
    identityFile: join(dir, 'user_ed25519'),
    knownHostsLine,
    knownHostsFile,
    hostKeyFingerprint: fingerprint(join(dir, 'host_ed25519.pub')),
    pid,
    dropConnections,
    freeze,
    async stop() {
      freeze(false);
      dropConnections();
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
