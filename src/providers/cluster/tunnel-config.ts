/**
 * What a tunnel is (the configuration a context names, the state list_contexts and the settings
 * page show, the errors it explains itself with) and which tunnels share an SSH connection.
 * The configuration format is documented in docs/ssh-tunnels.md.
 */
import type { Logger } from '../../kernel/logger.js';

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

/**
 * `degraded`: the bastion stopped answering SSH keep-alives, so calls through it wait for nothing;
 * the connection is still open (it may come back) or was dropped for it (the next call reconnects).
 */
export type TunnelStatus = 'idle' | 'connecting' | 'connected' | 'degraded' | 'failed';

export interface TunnelState {
  /** `user@host:port` */
  bastion: string;
  status: TunnelStatus;
  /** Why it failed, is degraded, or went idle. */
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

/** Options as the registry resolved them. */
export type BastionOptions = Required<Omit<TunnelRegistryOptions, 'logger' | 'agentSocket'>> & { agentSocket?: string; logger?: Logger };

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
