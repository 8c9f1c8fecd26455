/**
 * Team mode under test: a real KubezillaServer in this process whose sign-in trusts a real
 * issuer, the test cluster's kube-apiserver (its ServiceAccount token issuer, with OIDC discovery
 * and JWKS), and tokens minted for test identities with TokenRequest (`kubectl create token`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/kernel/logger.js';
import { KubezillaServer } from '../../src/server.js';
import type { OAuthOptions } from '../../src/transports/oauth.js';
import { type ClusterInfo, kubectl } from '../cluster/context.js';

/** The URL clients are told to use; the server is reached on loopback, as behind a reverse proxy. */
export const RESOURCE = 'https://kubezilla-team.test/mcp';

export interface TeamServer {
  server: KubezillaServer;
  /** The loopback URL the MCP endpoint listens on. */
  url: string;
  log: string[];
  close(): Promise<void>;
}

/** The cluster's issuer: the API server's own URL (the harness signs ServiceAccount tokens for it). */
export function clusterIssuer(info: ClusterInfo): { issuer: string; caFile: string } {
  if (!info.apiServer) throw new Error('team-mode tests need the local test cluster (its issuer)');
  return { issuer: `https://127.0.0.1:${info.apiServer.port}`, caFile: info.apiServer.caFile };
}

export async function startTeamServer(
  info: ClusterInfo,
  oauth: Partial<OAuthOptions> & Pick<OAuthOptions, 'acting'>,
  options: { enableDestructive?: boolean } = {},
): Promise<TeamServer> {
  const log: string[] = [];
  const server = await KubezillaServer.create(
    {
      configDir: mkdtempSync(join(tmpdir(), 'kz-team-')),
      kubeconfigPaths: [info.kubeconfig],
      toolDirs: [],
      enableDestructive: options.enableDestructive ?? false,
      enable: true,
      mcp: { port: 0 },
      oauth: { ...(oauth.issuer ? { issuer: oauth.issuer } : clusterIssuer(info)), resource: RESOURCE, ...oauth } as OAuthOptions,
    },
    createLogger({ level: 'debug', write: (line) => log.push(line) }),
  );
  await server.start();
  const status = server.listener.status();
  if (status.state !== 'running') throw new Error(`server did not start: ${JSON.stringify(status)}`);
  return { server, url: status.url, log, close: () => server.close() };
}

/** A real ServiceAccount token (TokenRequest) for `audience`, valid for `minutes` (at least 10). */
export async function serviceAccountToken(info: ClusterInfo, namespace: string, name: string, audience = RESOURCE, minutes = 10): Promise<string> {
  const r = await kubectl(info, ['create', 'token', name, '-n', namespace, '--audience', audience, '--duration', `${minutes}m`]);
  if (r.code !== 0) throw new Error(`kubectl create token failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Applies `yaml` as the cluster admin; throws with kubectl's message on failure. */
export async function applyAsAdmin(info: ClusterInfo, yaml: string): Promise<void> {
  const r = await kubectl(info, ['apply', '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

/** A raw JSON-RPC initialize, for the HTTP-level answers (status and WWW-Authenticate). */
export function initialize(url: string, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'kz-team-test', version: '1' } },
    }),
  });
}

/** A ServiceAccount token for several audiences at once (this server's and the API server's own, for passthrough). */
export async function serviceAccountTokenFor(info: ClusterInfo, namespace: string, name: string, audiences: string[]): Promise<string> {
  const r = await kubectl(info, ['create', 'token', name, '-n', namespace, ...audiences.flatMap((a) => ['--audience', a]), '--duration', '10m']);
  if (r.code !== 0) throw new Error(`kubectl create token failed: ${r.stderr}`);
  return r.stdout.trim();
}
