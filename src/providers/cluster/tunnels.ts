/**
 * SSH tunnels through bastions: one shared registry for the whole process.
 *
 * - One SSH connection per bastion (`user@host:port`), shared by every call and every context
 *   behind it. It is opened on first use, kept alive with SSH keep-alives, closed after an idle
 *   period, and reopened by the next call after a drop or an idle close.
 * - One local forward per API server: a TCP listener on 127.0.0.1:<ephemeral port> whose
 *   connections are piped through `forwardOut` on the bastion connection. The listener lives as
 *   long as the registry, so the port stays stable (the temporary kubeconfig handed to helm keeps
 *   working across reconnects). Opening a listener contacts nothing.
 * - Host keys are checked against known_hosts (plain, wildcard, negated, `[host]:port` and hashed
 *   `|1|salt|hash` entries, `@revoked` honoured). An unknown host is refused with its SHA256
 *   fingerprint and the exact line to add; a changed key is refused hard. There is no option to
 *   accept any key.
 * - State per bastion (idle, connecting, connected, failed + reason) is readable by
 *   list_contexts and the settings page.
 *
 * The configuration format is documented in docs/ssh-tunnels.md.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Client as SshClient, ClientChannel, ConnectConfig } from 'ssh2';
import type { Logger } from '../../kernel/logger.js';

// ssh2 (and its crypto) loads on the first tunnel, not at start-up: most contexts never need one.
let ssh2: Promise<typeof import('ssh2')> | undefined;
const loadSsh2 = () => (ssh2 ??= import('ssh2'));

/** The kubeconfig cluster extension that marks a cluster as reached through a bastion. */
export const TUNNEL_EXTENSION = 'kubezilla.dev/ssh-tunnel';

/** A bastion, as configured (settings `tunnels[context]` or the kubeconfig extension). */
export interface TunnelConfig {
  host: string;
  port?: number;
  user: string;
  /** Private key file; when absent the SSH agent (`SSH_AUTH_SOCK`) is used. */
  identityFile?: string;
  /** Defaults to ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** The API server URL as seen from the bastion, when it differs from the kubeconfig's. */
  remoteServer?: string;
  idleTimeoutSeconds?: number;
}

export type TunnelStatus = 'idle' | 'connecting' | 'connected' | 'failed';

export interface TunnelState {
  /** `user@host:port` */
  bastion: string;
  status: TunnelStatus;
  /** Why it failed, or why it went idle. */
  reason?: string;
  /** When the status last changed (ISO). */
  since: string;
  /** Local forwards opened through this bastion: `127.0.0.1:<port> → <target>`. */
  /** `lastError`: why the bastion last refused to open the target (e.g. the API server is down). */
  forwards: Array<{ localPort: number; target: string; openChannels: number; lastError?: string }>;
  /** SSH connections opened so far (1 for the whole run when nothing dropped). */
  connectionsOpened: number;
}

export type TunnelErrorKind = 'host-key-unknown' | 'host-key-changed' | 'host-key-revoked' | 'auth' | 'unreachable' | 'timeout' | 'config' | 'aborted';

export class TunnelError extends Error {
  constructor(
    readonly kind: TunnelErrorKind,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'TunnelError';
  }
}

// ---------------------------------------------------------------------------------------------
// known_hosts

export interface KnownHostEntry {
  marker?: 'cert-authority' | 'revoked';
  patterns: string;
  keyType: string;
  /** base64 key blob */
  key: string;
  line: number;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!.slice(1);
      if (m !== 'cert-authority' && m !== 'revoked') return;
      marker = m;
    }
    const [patterns, keyType, key] = fields;
    if (!patterns || !keyType || !key) return;
    out.push({ ...(marker ? { marker } : {}), patterns, keyType, key, line: index + 1 });
  });
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Whether a known_hosts host field matches this host and port (OpenSSH semantics). */
export function hostMatches(patterns: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    const expected = Buffer.from(hash, 'base64');
    return expected.length === digest.length && timingSafeEqual(expected, digest);
  }
  let matched = false;
  for (const part of patterns.split(',')) {
    const negated = part.startsWith('!');
    const pattern = negated ? part.slice(1) : part;
    if (globToRegExp(pattern).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export function fingerprintOf(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type written inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('ascii');
}

export type HostKeyVerdict =
  | { ok: true; line: number }
  | { ok: false; kind: 'host-key-unknown' | 'host-key-changed' | 'host-key-revoked'; fingerprint: string; message: string; hint: string };

export function checkHostKey(entries: KnownHostEntry[], knownHostsFile: string, host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const fingerprint = fingerprintOf(keyBlob);
  const keyType = keyTypeOf(keyBlob);
  const blob = keyBlob.toString('base64');
  const name = knownHostsName(host, port);
  const lineToAdd = `${name} ${keyType} ${blob}`;
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && hostMatches(e.patterns, host, port));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key === blob);
  if (revoked) {
    return {
      ok: false,
      kind: 'host-key-revoked',
      fingerprint,
      message: `bastion ${name} presented the ${keyType} key ${fingerprint}, which ${knownHostsFile}:${revoked.line} marks @revoked; connection refused`,
      hint: 'Ask the bastion owner which key is current; do not remove the @revoked line.',
    };
  }
  const same = forHost.find((e) => e.marker === undefined && e.key === blob);
  if (same) return { ok: true, line: same.line };
  const known = forHost.filter((e) => e.marker === undefined);
  if (known.length > 0) {
    const where = known.map((e) => `${knownHostsFile}:${e.line} (${e.keyType})`).join(', ');
    return {
      ok: false,
      kind: 'host-key-changed',
      fingerprint,
      message: `HOST KEY CHANGED for bastion ${name}: it presented ${keyType} ${fingerprint}, which does not match ${where}. Someone may be intercepting the connection; refused`,
      hint: `Verify the new fingerprint with the bastion's owner out of band. Only if it is legitimate, remove the old entry (ssh-keygen -R '${name}' -f ${knownHostsFile}) and add: ${lineToAdd}`,
    };
  }
  return {
    ok: false,
    kind: 'host-key-unknown',
    fingerprint,
    message: `bastion ${name} is not in ${knownHostsFile}; it presented ${keyType} ${fingerprint}; refused`,
    hint: `Check that fingerprint with the bastion's owner (ssh-keygen -lf /etc/ssh/ssh_host_${keyType.replace(/^ssh-|-.*$/g, '')}_key.pub on the bastion), then add this line to ${knownHostsFile}: ${lineToAdd}`,
  };
}

/** Host-key algorithms ssh2 can verify. */
const SUPPORTED_HOST_KEY_ALGORITHMS = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
  'ssh-dss',
]);

/** ssh2 host-key algorithm names accepted for a known_hosts key type. */
function algorithmsFor(keyType: string): string[] {
  const names = keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
  return names.filter((n) => SUPPORTED_HOST_KEY_ALGORITHMS.has(n));
}

// ---------------------------------------------------------------------------------------------
// registry

export interface TunnelRegistryOptions {
  logger?: Logger;
  /** TCP connect + SSH handshake + auth, in ms (default 10 000). */
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Used when a tunnel sets no idleTimeoutSeconds (default 300). */
  defaultIdleSeconds?: number;
  /** Defaults to process.env.SSH_AUTH_SOCK. */
  agentSocket?: string;
  home?: string;
}

interface LocalForward {
  server: Server;
  localPort: number;
  target: string;
  targetHost: string;
  targetPort: number;
  sockets: Set<Socket>;
  openChannels: number;
  lastError?: string;
}

class Bastion {
  status: TunnelStatus = 'idle';
  reason: string | undefined;
  since = new Date();
  connectionsOpened = 0;
  forwards = new Map<string, LocalForward>();
  idleMs: number;
  #client: SshClient | undefined;
  #connecting: Promise<SshClient> | undefined;
  #lastActivity = Date.now();
  #idleTimer: NodeJS.Timeout | undefined;
  #openChannels = 0;

  constructor(
    readonly key: string,
    public config: TunnelConfig & { port: number },
    private readonly options: Required<Omit<TunnelRegistryOptions, 'logger' | 'agentSocket'>> & { agentSocket?: string; logger?: Logger },
  ) {
    this.idleMs = (config.idleTimeoutSeconds ?? options.defaultIdleSeconds) * 1000;
  }

  /** Only the idle timeout can change without a new connection (see connectionKey). */
  reconfigure(config: TunnelConfig & { port: number }): void {
    this.config = config;
    this.idleMs = (config.idleTimeoutSeconds ?? this.options.defaultIdleSeconds) * 1000;
  }

  #set(status: TunnelStatus, reason?: string) {
    this.status = status;
    this.reason = reason;
    this.since = new Date();
    this.onState?.(this.state());
  }

  /** Set by the registry: told about every state change. */
  onState: ((state: TunnelState) => void) | undefined;

  /** Resolves with a ready SSH connection, opening one if needed (shared by concurrent callers). */
  connect(signal?: AbortSignal): Promise<SshClient> {
    this.#lastActivity = Date.now();
    if (this.#client) return Promise.resolve(this.#client);
    if (!this.#connecting) {
      this.#connecting = this.#open().finally(() => {
        this.#connecting = undefined;
      });
    }
    const pending = this.#connecting;
    if (!signal) return pending;
    if (signal.aborted) return Promise.reject(new TunnelError('aborted', 'cancelled'));
    return new Promise<SshClient>((resolveP, rejectP) => {
      const onAbort = () => rejectP(new TunnelError('aborted', `cancelled while connecting to bastion ${this.key}`));
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(
        (c) => {
          signal.removeEventListener('abort', onAbort);
          resolveP(c);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          rejectP(e);
        },
      );
    });
  }

  async #open(): Promise<SshClient> {
    const { config, options } = this;
    const expand = (path: string) => path.replace(/^~(?=\/|$)/, options.home);
    const knownHostsFile = expand(config.knownHostsFile ?? join(options.home, '.ssh', 'known_hosts'));
    let entries: KnownHostEntry[] = [];
    try {
      entries = existsSync(knownHostsFile) ? parseKnownHosts(readFileSync(knownHostsFile, 'utf8')) : [];
    } catch (err) {
      return this.#fail(new TunnelError('config', `cannot read known_hosts ${knownHostsFile}: ${(err as Error).message}`, 'Fix the file permissions or set knownHostsFile.'));
    }
    let privateKey: Buffer | undefined;
    if (config.identityFile) {
      try {
        privateKey = readFileSync(expand(config.identityFile));
      } catch (err) {
        return this.#fail(new TunnelError('config', `cannot read identity file ${config.identityFile}: ${(err as Error).message}`, 'Fix identityFile, or remove it to use the SSH agent.'));
      }
    } else if (!options.agentSocket) {
      return this.#fail(new TunnelError('config', `bastion ${this.key} has no identityFile and no SSH agent is running (SSH_AUTH_SOCK is not set)`, 'Set identityFile in the tunnel settings, or start ssh-agent and add your key.'));
    }
    const knownTypes = [...new Set(entries.filter((e) => e.marker === undefined && hostMatches(e.patterns, config.host, config.port)).map((e) => e.keyType))];
    let verdict: HostKeyVerdict | undefined;
    this.#set('connecting');
    this.connectionsOpened++;
    const { Client } = await loadSsh2();
    const client = new Client();
    const connectConfig: ConnectConfig = {
      host: config.host,
      port: config.port,
      username: config.user,
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax,
      hostVerifier: (key: Buffer) => {
        verdict = checkHostKey(entries, knownHostsFile, config.host, config.port, key);
        return verdict.ok;
      },
      ...(privateKey ? { privateKey } : {}),
      ...(options.agentSocket ? { agent: options.agentSocket } : {}),
      // Ask for the key types known_hosts has for this host, as OpenSSH does, so a bastion with
      // several host keys presents the one we can check.
      ...(knownTypes.flatMap(algorithmsFor).length > 0 ? { algorithms: { serverHostKey: knownTypes.flatMap(algorithmsFor) as never } } : {}),
    };
    return new Promise<SshClient>((resolveP, rejectP) => {
      let settled = false;
      client.once('ready', () => {
        settled = true;
        this.#client = client;
        this.#set('connected');
        this.options.logger?.info('ssh tunnel connected', { bastion: this.key });
        this.#armIdleTimer();
        resolveP(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (settled) {
          this.options.logger?.warn('ssh tunnel error', { bastion: this.key, error: err.message });
          return;
        }
        settled = true;
        const failure = this.#explain(err, verdict);
        this.#set('failed', failure.message);
        client.end();
        rejectP(failure);
      });
      client.on('close', () => {
        if (this.#client === client) {
          this.#client = undefined;
          if (this.status === 'connected') this.#set('idle', 'connection closed; the next call reconnects');
          this.options.logger?.info('ssh tunnel closed', { bastion: this.key });
        }
        if (!settled) {
          settled = true;
          const failure = new TunnelError('unreachable', `bastion ${this.key} closed the connection during the handshake`);
          this.#set('failed', failure.message);
          rejectP(failure);
        }
      });
      try {
        client.connect(connectConfig);
      } catch (err) {
        settled = true;
        const failure = err instanceof TunnelError ? err : new TunnelError('config', `cannot connect to bastion ${this.key}: ${(err as Error).message}`,
          (err as Error).message.includes('passphrase') ? 'Load the key into ssh-agent and remove identityFile, or use a key without a passphrase.' : undefined);
        this.#set('failed', failure.message);
        rejectP(failure);
      }
    });
  }

  #fail(error: TunnelError): Promise<never> {
    this.#set('failed', error.message);
    return Promise.reject(error);
  }

  #explain(err: Error & { level?: string; code?: string }, verdict: HostKeyVerdict | undefined): TunnelError {
    if (verdict && !verdict.ok) return new TunnelError(verdict.kind, verdict.message, verdict.hint);
    const where = `bastion ${this.key}`;
    if (err.level === 'client-authentication') {
      return new TunnelError('auth', `${where} rejected the SSH login for user "${this.config.user}" (all authentication methods failed)`,
        this.config.identityFile ? `Check that ${this.config.identityFile} is authorized for ${this.config.user} on the bastion.` : 'Check that the SSH agent holds a key authorized on the bastion (ssh-add -l).');
    }
    if (err.level === 'client-timeout' || /timed out/i.test(err.message)) {
      return new TunnelError('timeout', `${where} did not complete the SSH handshake within ${Math.round(this.options.connectTimeoutMs / 1000)}s`,
        'Check that the bastion is up and reachable from here (VPN, firewall), and the host and port in the tunnel settings.');
    }
    if (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'ECONNRESET') {
      return new TunnelError('unreachable', `cannot reach ${where}: ${err.code} (${err.message})`, 'Check the bastion host and port, and that sshd is running there.');
    }
    return new TunnelError('unreachable', `SSH connection to ${where} failed: ${err.message}`);
  }

  #armIdleTimer() {
    if (this.#idleTimer) return;
    const every = Math.max(250, Math.min(this.idleMs / 2, 30_000));
    this.#idleTimer = setInterval(() => {
      if (!this.#client) {
        clearInterval(this.#idleTimer);
        this.#idleTimer = undefined;
        return;
      }
      if (this.#openChannels === 0 && Date.now() - this.#lastActivity >= this.idleMs) {
        const client = this.#client;
        this.#client = undefined;
        this.#set('idle', `closed after ${Math.round(this.idleMs / 1000)}s without use; the next call reconnects`);
        client.end();
        clearInterval(this.#idleTimer);
        this.#idleTimer = undefined;
      }
    }, every);
    this.#idleTimer.unref();
  }

  /** Opens (or returns) the local listener forwarding to target. Contacts nothing. */
  async forward(targetHost: string, targetPort: number): Promise<LocalForward> {
    const target = `${targetHost}:${targetPort}`;
    const existing = this.forwards.get(target);
    if (existing) return existing;
    const forward: LocalForward = { server: createServer(), localPort: 0, target, targetHost, targetPort, sockets: new Set(), openChannels: 0 };
    forward.server.on('connection', (socket) => this.#pipe(forward, socket));
    this.forwards.set(target, forward);
    await new Promise<void>((resolveP, rejectP) => {
      forward.server.once('error', rejectP);
      forward.server.listen(0, '127.0.0.1', () => {
        forward.server.off('error', rejectP);
        resolveP();
      });
    }).catch((err) => {
      this.forwards.delete(target);
      throw err;
    });
    forward.server.unref();
    forward.localPort = (forward.server.address() as AddressInfo).port;
    return forward;
  }

  #pipe(forward: LocalForward, socket: Socket) {
    forward.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => forward.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const open = (client: SshClient, mayRetry: boolean) => {
      if (socket.destroyed) return;
      try {
        client.forwardOut('127.0.0.1', socket.remotePort ?? 0, forward.targetHost, forward.targetPort, (err, channel: ClientChannel) => {
          if (err) {
            forward.lastError = `the bastion could not open ${forward.target}: ${err.message.replace(/^\(SSH\) Channel open failure:\s*/, '')}`;
            this.options.logger?.warn('ssh forward refused', { bastion: this.key, target: forward.target, error: err.message });
            socket.destroy();
            return;
          }
          forward.lastError = undefined;
          this.#attach(forward, socket, channel);
        });
      } catch (err) {
        // The connection died and ssh2 has not emitted 'close' yet: forget it and dial again once.
        this.#forget(client, `connection lost (${(err as Error).message})`);
        if (!mayRetry) {
          socket.destroy();
          return;
        }
        this.connect().then((fresh) => open(fresh, false), () => socket.destroy());
      }
    };
    this.connect().then((client) => open(client, true), () => socket.destroy());
  }

  #forget(client: SshClient, reason: string) {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#set('idle', `${reason}; the next call reconnects`);
    client.end();
  }

  #attach(forward: LocalForward, socket: Socket, channel: ClientChannel) {
    if (socket.destroyed) {
      channel.close();
      return;
    }
    this.#openChannels++;
    forward.openChannels++;
    this.#lastActivity = Date.now();
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      this.#openChannels--;
      forward.openChannels--;
      this.#lastActivity = Date.now();
    };
    channel.on('close', () => {
      done();
      socket.destroy();
    });
    channel.on('error', () => socket.destroy());
    socket.on('close', () => {
      done();
      channel.close();
    });
    socket.pipe(channel);
    channel.pipe(socket);
  }

  state(): TunnelState {
    return {
      bastion: this.key,
      status: this.status,
      ...(this.reason ? { reason: this.reason } : {}),
      since: this.since.toISOString(),
      forwards: [...this.forwards.values()].map((f) => ({ localPort: f.localPort, target: f.target, openChannels: f.openChannels, ...(f.lastError ? { lastError: f.lastError } : {}) })),
      connectionsOpened: this.connectionsOpened,
    };
  }

  /** Local TCP port of the live SSH connection (diagnostics, tests). */
  sshLocalPort(): number | undefined {
    return (this.#client as unknown as { _sock?: { localPort?: number } } | undefined)?._sock?.localPort;
  }

  /** Drops the SSH connection (tests, settings changes); forwards stay and reconnect on use. */
  disconnect(reason = 'disconnected'): void {
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      this.#set('idle', reason);
      client.end();
    }
  }

  async close(): Promise<void> {
    this.disconnect('registry closed');
    if (this.#idleTimer) clearInterval(this.#idleTimer);
    for (const forward of this.forwards.values()) {
      for (const s of forward.sockets) s.destroy();
      await new Promise<void>((r) => forward.server.close(() => r()));
    }
    this.forwards.clear();
  }
}

/** How a bastion is shown: `user@host:port`. */
export function bastionKey(config: TunnelConfig): string {
  return `${config.user}@${config.host}:${config.port ?? 22}`;
}

/**
 * What makes two tunnels share one SSH connection: same user, host, port, key and known_hosts.
 * (Two contexts naming the same bastion with different keys get separate connections rather than
 * fighting over one.) The remote API address is per forward, not per connection.
 */
export function connectionKey(config: TunnelConfig): string {
  return JSON.stringify([config.user, config.host, config.port ?? 22, config.identityFile ?? '', config.knownHostsFile ?? '']);
}

export class TunnelRegistry {
  #bastions = new Map<string, Bastion>();
  #listeners = new Set<(state: TunnelState) => void>();
  #options: Required<Omit<TunnelRegistryOptions, 'logger' | 'agentSocket'>> & { agentSocket?: string; logger?: Logger };

  constructor(options: TunnelRegistryOptions = {}) {
    const agentSocket = options.agentSocket ?? process.env.SSH_AUTH_SOCK;
    this.#options = {
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      defaultIdleSeconds: options.defaultIdleSeconds ?? 300,
      home: options.home ?? homedir(),
      ...(agentSocket ? { agentSocket } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    };
  }

  #bastion(config: TunnelConfig): Bastion {
    const id = connectionKey(config);
    const normalized = { ...config, port: config.port ?? 22 };
    let bastion = this.#bastions.get(id);
    if (!bastion) {
      bastion = new Bastion(bastionKey(config), normalized, this.#options);
      bastion.onState = (state) => {
        for (const listener of this.#listeners) listener(state);
      };
      this.#bastions.set(id, bastion);
    } else if (config.idleTimeoutSeconds !== bastion.config.idleTimeoutSeconds) {
      bastion.reconfigure(normalized);
    }
    return bastion;
  }

  /** A local listener (127.0.0.1) forwarding to targetHost:targetPort through the bastion. */
  async forward(config: TunnelConfig, targetHost: string, targetPort: number): Promise<{ localPort: number; bastion: string }> {
    const bastion = this.#bastion(config);
    const forward = await bastion.forward(targetHost, targetPort);
    return { localPort: forward.localPort, bastion: bastion.key };
  }

  /** Makes sure the SSH connection is up; throws a TunnelError that explains why not. */
  async connect(config: TunnelConfig, signal?: AbortSignal): Promise<void> {
    await this.#bastion(config).connect(signal);
  }

  state(config: TunnelConfig): TunnelState {
    const bastion = this.#bastions.get(connectionKey(config));
    return bastion ? bastion.state() : { bastion: bastionKey(config), status: 'idle', since: new Date(0).toISOString(), forwards: [], connectionsOpened: 0 };
  }

  /** Called on every bastion state change (connecting, connected, idle, failed). */
  onStateChange(listener: (state: TunnelState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  list(): TunnelState[] {
    return [...this.#bastions.values()].map((b) => b.state());
  }

  /** Local TCP port of the live SSH connection to this bastion, if any (diagnostics, tests). */
  sshLocalPort(config: TunnelConfig): number | undefined {
    return this.#bastions.get(connectionKey(config))?.sshLocalPort();
  }

  /** Drops one bastion's SSH connection; the next call reconnects. */
  disconnect(config: TunnelConfig, reason?: string): void {
    this.#bastions.get(connectionKey(config))?.disconnect(reason);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#bastions.values()].map((b) => b.close()));
    this.#bastions.clear();
  }
}
