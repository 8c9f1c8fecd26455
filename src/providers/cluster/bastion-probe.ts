/**
 * "Test connection" and "Trust this key" for a bastion, as the settings page offers them before a
 * tunnel is used: what host key the bastion presents, what the known_hosts file the tunnel names
 * says of it, and, only once that key is trusted, whether the login works.
 *
 * - The key is judged by checkHostKey (known-hosts.ts), the same rules the tunnels use, so what
 *   the page says is what a tool call would meet.
 * - No credential is offered to a host whose key is not trusted: with an unknown, changed or
 *   revoked key the handshake is ended in the host-key check, before authentication.
 * - Trusting adds one line to the known_hosts file, only for a host that is not in it yet, and
 *   only when the bastion still presents the key whose fingerprint the person accepted (it is
 *   fetched again, so a key swapped between the Test and the click is refused). A changed or
 *   revoked key is never replaced here: the person removes the old line knowingly
 *   (`ssh-keygen -R`), after checking with the bastion's owner.
 */
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ConnectConfig } from 'ssh2';
import { algorithmsFor, checkHostKey, fingerprintOf, hostMatches, keyTypeOf, knownHostsName, parseKnownHosts, type KnownHostEntry } from './known-hosts.js';
import { bastionKey, type TunnelConfig } from './tunnel-config.js';

export type HostKeyStatus = 'known' | 'unknown' | 'changed' | 'revoked';

export interface BastionProbe {
  /** `user@host:port` */
  bastion: string;
  knownHostsFile: string;
  /** What the bastion presented; absent when it could not be reached. */
  hostKey?: { type: string; fingerprint: string; status: HostKeyStatus; message: string; hint?: string; line?: number };
  /** `ok`: logged in; `refused`: the key or agent was not accepted; `not-tried`: the host key is not trusted. */
  login: 'ok' | 'refused' | 'not-tried';
  /** Why the probe could not finish (unreachable, timeout, unreadable key file). */
  error?: string;
}

export interface ProbeOptions {
  home?: string;
  agentSocket?: string | undefined;
  timeoutMs?: number;
}

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

function expand(path: string, home: string): string {
  return path.replace(/^~(?=\/|$)/, home);
}

export function knownHostsFileOf(config: TunnelConfig, home = homedir()): string {
  return expand(config.knownHostsFile ?? join(home, '.ssh', 'known_hosts'), home);
}

function readEntries(file: string): KnownHostEntry[] {
  return existsSync(file) ? parseKnownHosts(readFileSync(file, 'utf8')) : [];
}

/** Connects to the bastion once: host key judged, login tried only when it is trusted. */
export async function probeBastion(config: TunnelConfig, options: ProbeOptions = {}): Promise<BastionProbe & { keyBlob?: Buffer }> {
  const home = options.home ?? homedir();
  const port = config.port ?? 22;
  const knownHostsFile = knownHostsFileOf(config, home);
  const result: BastionProbe & { keyBlob?: Buffer } = { bastion: bastionKey(config), knownHostsFile, login: 'not-tried' };
  let entries: KnownHostEntry[];
  try {
    entries = readEntries(knownHostsFile);
  } catch (err) {
    return { ...result, error: `cannot read known_hosts ${knownHostsFile}: ${(err as Error).message}` };
  }
  let privateKey: Buffer | undefined;
  if (config.identityFile) {
    try {
      privateKey = readFileSync(expand(config.identityFile, home));
    } catch (err) {
      return { ...result, error: `cannot read identity file ${config.identityFile}: ${(err as Error).message}` };
    }
  } else if (!options.agentSocket) {
    return { ...result, error: 'no identity file is set and no SSH agent is running (SSH_AUTH_SOCK is not set)' };
  }
  const knownTypes = [...new Set(entries.filter((e) => e.marker === undefined && hostMatches(e.patterns, config.host, port)).map((e) => e.keyType))];
  const algorithms = knownTypes.flatMap(algorithmsFor);
  const { Client } = await import('ssh2');
  const client = new Client();
  const connectConfig: ConnectConfig = {
    host: config.host,
    port,
    username: config.user,
    readyTimeout: options.timeoutMs ?? 10_000,
    hostVerifier: (key: Buffer) => {
      const verdict = checkHostKey(entries, knownHostsFile, config.host, port, key);
      result.keyBlob = key;
      result.hostKey = verdict.ok
        ? { type: keyTypeOf(key), fingerprint: fingerprintOf(key), status: 'known', message: `matches ${knownHostsFile}:${verdict.line}`, line: verdict.line }
        : {
            type: keyTypeOf(key),
            fingerprint: verdict.fingerprint,
            status: verdict.kind === 'host-key-unknown' ? 'unknown' : verdict.kind === 'host-key-changed' ? 'changed' : 'revoked',
            message: verdict.message,
            hint: verdict.hint,
          };
      return verdict.ok;
    },
    ...(privateKey ? { privateKey } : {}),
    ...(options.agentSocket ? { agent: options.agentSocket } : {}),
    ...(algorithms.length ? { algorithms: { serverHostKey: algorithms as never } } : {}),
  };
  return new Promise((resolveProbe) => {
    let done = false;
    const finish = (patch: Partial<BastionProbe>) => {
      if (done) return;
      done = true;
      client.end();
      resolveProbe({ ...result, ...patch });
    };
    client.once('ready', () => finish({ login: 'ok' }));
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (result.hostKey && result.hostKey.status !== 'known') return finish({ login: 'not-tried' });
      if (err.level === 'client-authentication') return finish({ login: 'refused', error: `${result.bastion} refused the login for user "${config.user}"` });
      const reason = err.level === 'client-timeout' || /timed out/i.test(err.message) ? 'did not complete the SSH handshake in time' : err.message;
      finish({ error: `cannot reach ${result.bastion}: ${err.code ? `${err.code} ` : ''}${reason}` });
    });
    client.on('close', () => finish({ ...(result.hostKey ? {} : { error: `${result.bastion} closed the connection during the handshake` }) }));
    try {
      client.connect(connectConfig);
    } catch (err) {
      finish({ error: `cannot connect to ${result.bastion}: ${(err as Error).message}` });
    }
  });
}

export class TrustRefused extends Error {
  constructor(
    message: string,
    readonly probe: BastionProbe,
  ) {
    super(message);
    this.name = 'TrustRefused';
  }
}

/**
 * Adds the bastion's key to the known_hosts file the tunnel names, when the bastion still presents
 * the key whose fingerprint the person accepted and the file does not know the host yet (see the
 * header). Creates the file (0600, its directory 0700) when it does not exist; never follows a link
 * at the file's name. Returns the line written and the fresh probe (login tried with the new trust).
 */
export async function trustHostKey(
  config: TunnelConfig,
  acceptedFingerprint: string,
  options: ProbeOptions = {},
): Promise<{ line: string; probe: BastionProbe }> {
  const probe = await probeBastion(config, options);
  const { keyBlob, ...shown } = probe;
  const key = probe.hostKey;
  if (!key || !keyBlob) throw new TrustRefused(probe.error ?? `${probe.bastion} presented no host key`, shown);
  if (key.status === 'changed' || key.status === 'revoked')
    throw new TrustRefused(`${key.message}. The page never replaces a known key: ${key.hint ?? ''}`.trim(), shown);
  if (key.fingerprint !== acceptedFingerprint)
    throw new TrustRefused(
      `${probe.bastion} now presents ${key.type} ${key.fingerprint}, not the ${acceptedFingerprint} you accepted: nothing was trusted. Test the connection again and compare.`,
      shown,
    );
  const line = `${knownHostsName(config.host, config.port ?? 22)} ${key.type} ${keyBlob.toString('base64')}`;
  if (key.status === 'known') return { line, probe: shown };
  appendKnownHost(probe.knownHostsFile, line);
  const { keyBlob: _again, ...after } = await probeBastion(config, options);
  return { line, probe: after };
}

function appendKnownHost(file: string, line: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const fd = openSync(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | O_NOFOLLOW, 0o600);
  try {
    const size = fstatSync(fd).size;
    let lead = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last.toString() !== '\n') lead = '\n';
    }
    // One write: a concurrent reader sees the file with or without the whole line.
    writeSync(fd, `${lead}${line}\n`);
  } finally {
    closeSync(fd);
  }
}
