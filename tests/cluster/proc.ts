// Small process, port and polling helpers for the test cluster harness.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createConnection, createServer } from 'node:net';

export interface Daemon {
  name: string;
  pid: number;
  /** The executable it was started as: used to recognise it later (a recycled pid is not ours). */
  exe: string;
  log: string;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; the socket is closed before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolve(addr.port));
    });
  });
}

/** `count` distinct free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < count) out.add(await freePort());
  return [...out];
}

/** Starts a long-running process detached from this one, stdout+stderr appended to `log`. */
export function startDaemon(name: string, exe: string, args: string[], log: string, env?: NodeJS.ProcessEnv): Daemon {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(exe, args, { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${exe})`);
    child.on('error', () => undefined);
    child.unref();
    return { name, pid: child.pid, exe, log };
  } finally {
    closeSync(fd);
  }
}

/** True if `pid` is a live (non-zombie) process running `exe`. */
export function isOurs(d: Pick<Daemon, 'pid' | 'exe'>): boolean {
  try {
    const stat = readFileSync(`/proc/${d.pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    // The executable behind the pid (sshd rewrites its command line, so that is not enough).
    try {
      if (readlinkSync(`/proc/${d.pid}/exe`) === realpathSync(d.exe)) return true;
    } catch {
      /* not readable: fall back to the command line */
    }
    return readFileSync(`/proc/${d.pid}/cmdline`, 'utf8').includes(d.exe);
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Stops the process: SIGTERM, then SIGKILL after `graceMs`. Does nothing if the pid is no longer ours. */
export async function stopDaemon(d: Daemon, graceMs = 10_000): Promise<void> {
  if (!isOurs(d)) return;
  try {
    process.kill(d.pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    if (!isOurs(d)) return;
    await sleep(100);
  }
  try {
    process.kill(d.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  const hard = Date.now() + 5000;
  while (isOurs(d) && Date.now() < hard) await sleep(100);
}

/** The last `lines` lines of a log file (for error messages). */
export async function tail(path: string, lines = 25): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `probe` until it returns a truthy value; fails after `timeoutMs` with `what`, and with the
 * daemon's log tail if the daemon died meanwhile.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false | null>,
  opts: { timeoutMs: number; intervalMs?: number; daemon?: Daemon },
): Promise<T> {
  const until = Date.now() + opts.timeoutMs;
  let lastErr: unknown;
  for (;;) {
    if (opts.daemon && !isOurs(opts.daemon)) {
      throw new Error(`${opts.daemon.name} exited while waiting for ${what}. Last lines of ${opts.daemon.log}:\n${await tail(opts.daemon.log)}`);
    }
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > until) {
      const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
      const log = opts.daemon ? `\nLast lines of ${opts.daemon.log}:\n${await tail(opts.daemon.log)}` : '';
      throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${what}${why}${log}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/** True once something accepts TCP connections on 127.0.0.1:port. */
export function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** A GET over HTTPS with a client certificate; resolves with status and body. */
export async function httpsGet(
  url: string,
  tls: { ca: string; cert: string; key: string; servername?: string },
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  const [ca, cert, key] = await Promise.all([readFile(tls.ca), readFile(tls.cert), readFile(tls.key)]);
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, cert, key, servername: tls.servername, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
