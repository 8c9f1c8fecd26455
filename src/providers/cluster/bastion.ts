/**
 * One bastion's SSH connection and the local forwards through it: the state machine behind the
 * tunnel registry (tunnels.ts).
 *
 *   idle → connecting → connected ⇄ degraded
 *                    ↘ failed        ↓ (keep-alives unanswered past the count: dropped)
 *   connected → idle (closed after the idle period, or by the bastion; the next call reconnects)
 *
 * The connection is opened on first use and shared by every forward. SSH keep-alives run every
 * `keepaliveIntervalMs`: a bastion that stops answering them (sshd hung or stopped, a path that
 * silently drops packets) is shown `degraded` as soon as one goes unanswered, long before TCP
 * would notice, and the connection is dropped once `keepaliveCountMax` in a row went unanswered.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Client as SshClient, ClientChannel, ConnectConfig } from 'ssh2';
import { algorithmsFor, checkHostKey, hostMatches, parseKnownHosts, type HostKeyVerdict, type KnownHostEntry } from './known-hosts.js';
import { untilAborted } from './until-aborted.js';
import { TunnelError, type BastionOptions, type TunnelConfig, type TunnelState, type TunnelStatus } from './tunnel-config.js';

// ssh2 (and its crypto) loads on the first tunnel, not at start-up: most contexts never need one.
let ssh2: Promise<typeof import('ssh2')> | undefined;
const loadSsh2 = () => (ssh2 ??= import('ssh2'));

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

export class Bastion {
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
    private readonly options: BastionOptions,
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
    return untilAborted(pending, signal, () => new TunnelError('aborted', `cancelled while connecting to bastion ${this.key}`));
  }

  async #open(): Promise<SshClient> {
    const { config, options } = this;
    const expand = (path: string) => path.replace(/^~(?=\/|$)/, options.home);
    const knownHostsFile = expand(config.knownHostsFile ?? join(options.home, '.ssh', 'known_hosts'));
    let entries: KnownHostEntry[] = [];
    try {
      entries = existsSync(knownHostsFile) ? parseKnownHosts(readFileSync(knownHostsFile, 'utf8')) : [];
    } catch (err) {
      return this.#fail(
        new TunnelError('config', `cannot read known_hosts ${knownHostsFile}: ${(err as Error).message}`, 'Fix the file permissions or set knownHostsFile.'),
      );
    }
    let privateKey: Buffer | undefined;
    if (config.identityFile) {
      try {
        privateKey = readFileSync(expand(config.identityFile));
      } catch (err) {
        return this.#fail(
          new TunnelError(
            'config',
            `cannot read identity file ${config.identityFile}: ${(err as Error).message}`,
            'Fix identityFile, or remove it to use the SSH agent.',
          ),
        );
      }
    } else if (!options.agentSocket) {
      return this.#fail(
        new TunnelError(
          'config',
          `bastion ${this.key} has no identityFile and no SSH agent is running (SSH_AUTH_SOCK is not set)`,
          'Set identityFile in the tunnel settings, or start ssh-agent and add your key.',
        ),
      );
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
      let keepalivesLost = false;
      client.once('ready', () => {
        settled = true;
        this.#client = client;
        this.#set('connected');
        this.options.logger?.info('ssh tunnel connected', { bastion: this.key });
        this.#armIdleTimer();
        this.#watchKeepalives(client);
        resolveP(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (settled) {
          // ssh2 gives up after keepaliveCountMax unanswered keep-alives, then closes.
          if (err.level === 'client-timeout') keepalivesLost = true;
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
          if (keepalivesLost) {
            const { keepaliveCountMax: count, keepaliveIntervalMs: every } = this.options;
            this.#set(
              'degraded',
              `bastion ${this.key} stopped answering SSH keep-alives (${count} in a row, every ${every / 1000}s), so the connection was dropped; the next call reconnects`,
            );
          } else if (this.status === 'connected' || this.status === 'degraded') {
            this.#set('idle', 'connection closed; the next call reconnects');
          }
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
        const failure =
          err instanceof TunnelError
            ? err
            : new TunnelError(
                'config',
                `cannot connect to bastion ${this.key}: ${(err as Error).message}`,
                (err as Error).message.includes('passphrase')
                  ? 'Load the key into ssh-agent and remove identityFile, or use a key without a passphrase.'
                  : undefined,
              );
        this.#set('failed', failure.message);
        rejectP(failure);
      }
    });
  }

  /**
   * A healthy bastion answers a keep-alive every keepaliveIntervalMs, so its connection is never
   * silent for much longer than that; one that is (sshd stopped, the path dropping packets) is
   * degraded from then on, long before ssh2 gives up on it, and connected again as soon as it
   * says anything. ssh2 has no event for keep-alive replies, so this listens to its socket.
   */
  #watchKeepalives(client: SshClient): void {
    const every = this.options.keepaliveIntervalMs;
    const sock = (client as unknown as { _sock?: NodeJS.EventEmitter })._sock;
    if (!(every > 0) || !sock) return;
    const grace = every + Math.max(1000, every / 2);
    let lastHeard = Date.now();
    sock.on('data', () => {
      lastHeard = Date.now();
      if (this.#client === client && this.status === 'degraded') this.#set('connected');
    });
    const timer = setInterval(
      () => {
        if (this.#client !== client) {
          clearInterval(timer);
          return;
        }
        const silentMs = Date.now() - lastHeard;
        if (silentMs > grace && this.status === 'connected') {
          this.#set(
            'degraded',
            `bastion ${this.key} has not answered SSH keep-alives for ${Math.round(silentMs / 100) / 10}s; calls through it wait until it answers or the connection is dropped`,
          );
        }
      },
      Math.max(100, every / 2),
    );
    timer.unref();
  }

  #fail(error: TunnelError): Promise<never> {
    this.#set('failed', error.message);
    return Promise.reject(error);
  }

  #explain(err: Error & { level?: string; code?: string }, verdict: HostKeyVerdict | undefined): TunnelError {
    if (verdict && !verdict.ok) return new TunnelError(verdict.kind, verdict.message, verdict.hint);
    const where = `bastion ${this.key}`;
    if (err.level === 'client-authentication') {
      return new TunnelError(
        'auth',
        `${where} rejected the SSH login for user "${this.config.user}" (all authentication methods failed)`,
        this.config.identityFile
          ? `Check that ${this.config.identityFile} is authorized for ${this.config.user} on the bastion.`
          : 'Check that the SSH agent holds a key authorized on the bastion (ssh-add -l).',
      );
    }
    if (err.level === 'client-timeout' || /timed out/i.test(err.message)) {
      return new TunnelError(
        'timeout',
        `${where} did not complete the SSH handshake within ${Math.round(this.options.connectTimeoutMs / 1000)}s`,
        'Check that the bastion is up and reachable from here (VPN, firewall), and the host and port in the tunnel settings.',
      );
    }
    if (
      err.code === 'ECONNREFUSED' ||
      err.code === 'EHOSTUNREACH' ||
      err.code === 'ENETUNREACH' ||
      err.code === 'ENOTFOUND' ||
      err.code === 'EAI_AGAIN' ||
      err.code === 'ECONNRESET'
    ) {
      return new TunnelError(
        'unreachable',
        `cannot reach ${where}: ${err.code} (${err.message})`,
        'Check the bastion host and port, and that sshd is running there.',
      );
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
        this.connect().then(
          (fresh) => open(fresh, false),
          () => socket.destroy(),
        );
      }
    };
    this.connect().then(
      (client) => open(client, true),
      () => socket.destroy(),
    );
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
      forwards: [...this.forwards.values()].map((f) => ({
        localPort: f.localPort,
        target: f.target,
        openChannels: f.openChannels,
        ...(f.lastError ? { lastError: f.lastError } : {}),
      })),
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
