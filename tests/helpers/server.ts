/**
 * Starts a real KubezillaServer in this process on a free loopback port with an isolated config
 * directory, and connects real SDK clients to it. Every log line is kept so a test can check
 * that no token was ever written.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/kernel/logger.js';
import { KubezillaServer } from '../../src/server.js';

export const FIXTURE_MODULES = fileURLToPath(new URL('../fixtures/modules/basic', import.meta.url));

/** Everything logged by servers started through this helper, in this worker. */
export const serverLog: string[] = [];

export interface TestServer {
  server: KubezillaServer;
  url: string;
  token: string;
  configDir: string;
  close(): Promise<void>;
}

export async function startTestServer(
  options: { toolDirs?: string[]; settings?: Record<string, unknown>; kubeconfigPaths?: string[]; enableDestructive?: boolean } = {},
): Promise<TestServer> {
  const configDir = mkdtempSync(join(tmpdir(), 'kz-test-'));
  if (options.settings) writeFileSync(join(configDir, 'settings.json'), JSON.stringify(options.settings), { mode: 0o600 });
  const server = await KubezillaServer.create(
    {
      configDir,
      kubeconfigPaths: options.kubeconfigPaths ?? [],
      toolDirs: options.toolDirs ?? [FIXTURE_MODULES],
      enableDestructive: options.enableDestructive ?? false,
      enable: true,
      mcp: { port: 0 },
    },
    createLogger({ level: 'debug', write: (line) => serverLog.push(line) }),
  );
  await server.start();
  const status = server.listener.status();
  if (status.state !== 'running') throw new Error(`server did not start: ${JSON.stringify(status)}`);
  return { server, url: status.url, token: server.tokens.ensure(), configDir, close: () => server.close() };
}

export async function connectClient(
  url: string,
  token: string,
  capabilities: ClientCapabilities = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'kubezilla-test', version: '1.0.0' }, { capabilities });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport };
}

/** The text of a tool result's first content block. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}
