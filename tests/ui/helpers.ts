/**
 * Helpers for the settings-page tests: a real KubezillaServer in this process with an isolated
 * config directory, kubeconfig fixtures (two good contexts, one through an SSH tunnel, and a
 * broken file), free ports, raw MCP `initialize` probes, and Debian's Chromium.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createLogger } from '../../src/kernel/logger.js';
import { KubezillaServer } from '../../src/server.js';

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/ui/', import.meta.url));
export const CHROMIUM = process.env.KUBEZILLA_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run \`bash tests/ui/install-deps.sh\` (or set KUBEZILLA_CHROMIUM).`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export function shot(name: string): string {
  return join(ARTIFACTS, `${name}.png`);
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const KUBECONFIG_GOOD = `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443
- name: staging-cluster
  cluster:
    server: https://10.20.0.5:6443
contexts:
- name: dev
  context: { cluster: dev-cluster, user: dev-user, namespace: web }
- name: staging
  context: { cluster: staging-cluster, user: staging-user }
users:
- name: dev-user
  user: { token: not-a-real-token }
- name: staging-user
  user: { token: not-a-real-token-either }
`;

export interface UiServer {
  server: KubezillaServer;
  pageUrl: string;
  configDir: string;
  /** Every log line the server wrote. */
  log: string[];
  close(): Promise<void>;
}

/**
 * A server with MCP off (configured on `mcpPort`), its settings page on a free port. By default
 * KUBECONFIG names the fixtures above (and settings.json a tunnel for `staging`); `kubeconfig`
 * replaces KUBECONFIG and leaves the settings without tunnels, for tests that add their own.
 */
export async function startUiServer(mcpPort: number, options: { kubeconfig?: string } = {}): Promise<UiServer> {
  const configDir = mkdtempSync(join(tmpdir(), 'kz-ui-'));
  const kubeDir = mkdtempSync(join(tmpdir(), 'kz-ui-kube-'));
  const good = join(kubeDir, 'config');
  const broken = join(kubeDir, 'broken.yaml');
  writeFileSync(good, KUBECONFIG_GOOD);
  writeFileSync(broken, 'apiVersion: v1\nkind: Config\ncontexts: [\n  - this is: not yaml\n');
  process.env.KUBECONFIG = options.kubeconfig ?? `${good}:${broken}`;
  writeFileSync(
    join(configDir, 'settings.json'),
    JSON.stringify({
      mcp: { enabled: false, bind: '127.0.0.1', port: mcpPort },
      ...(options.kubeconfig === undefined ? { tunnels: { staging: { host: 'bastion.example.internal', user: 'ops' } } } : {}),
    }),
    { mode: 0o600 },
  );
  const log: string[] = [];
  const server = await KubezillaServer.create(
    { configDir, kubeconfigPaths: [], toolDirs: [], enable: false, mcp: {} },
    createLogger({ level: 'debug', write: (line) => log.push(line) }),
  );
  await server.start();
  const page = await server.page.start({ bind: '127.0.0.1', port: 0 });
  return { server, pageUrl: page.url, configDir, log, close: () => server.close() };
}

export interface InitializeAnswer {
  status: number;
  session: string | null;
}

const MCP_HEADERS = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
};

/** A raw authenticated MCP initialize POST, as the README's curl smoke check sends it. */
export async function initialize(url: string, token: string): Promise<InitializeAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'ui-test', version: '1' } },
    }),
    signal: AbortSignal.timeout(5000),
  });
  await response.body?.cancel();
  return { status: response.status, session: response.headers.get('mcp-session-id') };
}

/** A follow-up request on an existing session (tools/list). */
export async function sessionRequest(url: string, token: string, session: string): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    signal: AbortSignal.timeout(5000),
  });
  await response.body?.cancel();
  return response.status;
}

/** The error code of a connection attempt (ECONNREFUSED when nothing listens), or 'connected'. */
export async function connectOutcome(url: string): Promise<string> {
  try {
    const response = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(3000) });
    await response.body?.cancel();
    return 'connected';
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
  }
}

/** A raw request with any Host header (fetch will not let us forge one). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A hostile page: on load it tries, against the settings page at `target`, to read the page (for
 * the CSRF token), read the state and the token, enable MCP, change its port, regenerate the token
 * (with fetch in cors and no-cors modes, and with a plain HTML form), then publishes what it saw.
 */
export async function startHostileSite(bind: string, target: string): Promise<{ url: (name: string) => string; close(): Promise<void> }> {
  const html = `<!doctype html><html><head><title>cute cats</title></head><body>
<h1>Totally harmless page</h1>
<iframe name="sink" style="display:none"></iframe>
<form id="f" method="POST" action="${target}api/mcp/enable" target="sink" enctype="text/plain">
  <input type="hidden" name='{"port":1,"x":"' value='"}'>
</form>
<script>
const target = ${JSON.stringify(target)};
const results = {};
async function attempt(name, fn) {
  try { results[name] = await fn(); } catch (e) { results[name] = 'blocked: ' + e.name + ': ' + e.message; }
}
(async () => {
  await attempt('readPage', async () => { const r = await fetch(target); return 'read ' + (await r.text()); });
  await attempt('readPageNoCors', async () => { const r = await fetch(target, { mode: 'no-cors' }); return 'type=' + r.type + ' body=' + (await r.text()); });
  await attempt('readState', async () => { const r = await fetch(target + 'api/state', { headers: { 'x-csrf-token': 'guess' } }); return 'read ' + (await r.text()); });
  await attempt('readToken', async () => {
    const r = await fetch(target + 'api/token/command', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': 'guess' }, body: '{}' });
    return 'read ' + (await r.text());
  });
  await attempt('enableJson', async () => {
    const r = await fetch(target + 'api/mcp/enable', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return 'status ' + r.status;
  });
  await attempt('enableNoCors', async () => {
    const r = await fetch(target + 'api/mcp/enable', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"port":1}' });
    return 'sent, type=' + r.type;
  });
  await attempt('addressNoCors', async () => {
    const r = await fetch(target + 'api/mcp/address', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"port":1}' });
    return 'sent, type=' + r.type;
  });
  await attempt('regenerateNoCors', async () => {
    const r = await fetch(target + 'api/token/regenerate', { method: 'POST', mode: 'no-cors', body: '{}' });
    return 'sent, type=' + r.type;
  });
  await attempt('form', async () => {
    document.getElementById('f').submit();
    await new Promise((resolve) => setTimeout(resolve, 800));
    try { return 'frame read: ' + window.frames.sink.document.body.innerText; } catch (e) { return 'frame unreadable: ' + e.name; }
  });
  window.__results = results;
  document.title = 'done';
})();
</script></body></html>`;
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, bind, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name: string) => `http://${name}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
