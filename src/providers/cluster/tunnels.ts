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
 * - Host keys are checked against known_hosts (known-hosts.ts); there is no option to accept any key.
 * - State per bastion (idle, connecting, connected, degraded, failed + reason; bastion.ts) is
 *   readable by list_contexts and the settings page.
 *
 * The configuration format is documented in docs/ssh-tunnels.md.
 */
import { homedir } from 'node:os';
import { Bastion } from './bastion.js';
import { bastionKey, connectionKey, type BastionOptions, type TunnelConfig, type TunnelRegistryOptions, type TunnelState } from './tunnel-config.js';

export {
  checkHostKey,
  fingerprintOf,
  hostMatches,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
  type HostKeyVerdict,
  type KnownHostEntry,
} from './known-hosts.js';
export {
  bastionKey,
  connectionKey,
  TUNNEL_EXTENSION,
  TunnelError,
  type TunnelConfig,
  type TunnelErrorKind,
  type TunnelRegistryOptions,
  type TunnelState,
  type TunnelStatus,
} from './tunnel-config.js';

export class TunnelRegistry {
  #bastions = new Map<string, Bastion>();
  #listeners = new Set<(state: TunnelState) => void>();
  #options: BastionOptions;

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
