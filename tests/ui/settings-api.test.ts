/**
 * The settings page's HTTP surface without a browser: the guards (Host/Origin, CSRF, method,
 * content type, no CORS), the JSON API's answers and refusals, the loopback-only listener, the
 * persisted state, and `serve` printing the page's address.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asFunction } from 'awilix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/kernel/logger.js';
import { KubezillaServer } from '../../src/server.js';
import { SettingsPage } from '../../src/ui-web/listener.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { builtInToolNames } from '../helpers/registry.js';
import { connectClient } from '../helpers/server.js';
import { eventually } from '../tools/helpers.js';
import { freePort, initialize, rawRequest, startUiServer, type UiServer } from './helpers.js';

let ui: UiServer;
let csrf: string;

async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(new URL(path, ui.pageUrl), {
    method: init.method ?? 'GET',
    headers: {
      'x-csrf-token': csrf,
      ...(init.method === 'POST' ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

beforeAll(async () => {
  ui = await startUiServer(await freePort());
  const html = await (await fetch(ui.pageUrl)).text();
  csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(html)![1]!;
});

afterAll(async () => {
  await ui?.close();
});

describe('the page and its guards', () => {
  it('serves the page with a CSRF token, a strict CSP and no CORS headers; assets are same-origin files', async () => {
    const response = await fetch(ui.pageUrl);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/); // no CDN, nothing fetched from elsewhere
    expect(html).toContain('<script type="module" src="/assets/app.js"></script>');
    const js = await fetch(new URL('/assets/app.js', ui.pageUrl));
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(await js.text()).toContain("from './common.js'");
    const common = await fetch(new URL('/assets/common.js', ui.pageUrl));
    expect(common.headers.get('content-type')).toContain('text/javascript');
    expect(await common.text()).toContain("'X-CSRF-Token': csrf");
    // Nothing else under /assets: only the page's own files are served.
    expect((await fetch(new URL('/assets/files.js', ui.pageUrl))).status).toBe(404);
    const css = await fetch(new URL('/assets/app.css', ui.pageUrl));
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  it('refuses a Host that is not a loopback name (DNS rebinding), for the page and the API', async () => {
    const port = new URL(ui.pageUrl).port;
    for (const path of ['/', '/api/state']) {
      const answer = await rawRequest(new URL(path, ui.pageUrl).href, { headers: { host: `attacker.example:${port}`, 'x-csrf-token': csrf } });
      expect(answer.status).toBe(403);
      expect(answer.body).not.toContain(csrf);
    }
    const ok = await rawRequest(ui.pageUrl, { headers: { host: `localhost:${port}` } });
    expect(ok.status).toBe(200);
  });

  it('requires the CSRF token on every API call, reads included', async () => {
    expect((await api('/api/state', { headers: { 'x-csrf-token': '' } })).status).toBe(403);
    expect((await api('/api/state', { headers: { 'x-csrf-token': 'x'.repeat(43) } })).status).toBe(403);
    const refused = await api('/api/token/command', { method: 'POST', body: {}, headers: { 'x-csrf-token': 'nope' } });
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain(ui.server.tokens.ensure());
    expect((await api('/api/state')).status).toBe(200);
  });

  it('refuses state changes from another origin even with the token, and anything but JSON', async () => {
    const foreign = await api('/api/mcp/enable', { method: 'POST', body: {}, headers: { origin: 'http://localhost:1' } });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error.message).toContain("is not this page's origin");
    const evil = await api('/api/mcp/enable', { method: 'POST', body: {}, headers: { origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    const text = await api('/api/mcp/enable', { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const form = await api('/api/mcp/enable', { method: 'POST', body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect(ui.server.listener.status().state).toBe('stopped');
  });

  it('answers no preflight and no other method, and sends no CORS headers', async () => {
    const preflight = await rawRequest(new URL('/api/mcp/enable', ui.pageUrl).href, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:9', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-csrf-token,content-type' },
    });
    expect(preflight.status).toBe(405);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect((await api('/api/mcp/enable', { method: 'PUT', body: {} })).status).toBe(405);
    expect((await api('/api/token/command')).status).toBe(405); // the token only by POST
  });

  it('rejects malformed bodies and addresses with a message', async () => {
    const bad = await api('/api/mcp/address', { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    const port = await api('/api/mcp/address', { method: 'POST', body: { port: 70000 } });
    expect(port.status).toBe(400);
    expect(port.json.problem).toContain('0 to 65535');
    const bind = await api('/api/mcp/address', { method: 'POST', body: { bind: 'not a host' } });
    expect(bind.status).toBe(400);
    expect(bind.json.problem).toContain('not a host name');
  });
});

describe('the API drives the running server', () => {
  it('enables, refuses an address change while running, persists the state, disables', async () => {
    const port = await freePort();
    expect((await api('/api/mcp/address', { method: 'POST', body: { bind: '127.0.0.1', port } })).status).toBe(200);
    const on = await api('/api/mcp/enable', { method: 'POST', body: {} });
    expect(on.status).toBe(200);
    expect(on.json.mcp).toMatchObject({ state: 'running', url: `http://127.0.0.1:${port}/mcp`, enabled: true });
    expect(on.json.token.fingerprint).toBe(ui.server.tokens.fingerprint());
    expect(JSON.stringify(on.json)).not.toContain(ui.server.tokens.ensure());

    const moving = await api('/api/mcp/address', { method: 'POST', body: { port: port + 1 } });
    expect(moving.status).toBe(400);
    expect(moving.json.problem).toContain('Stop the MCP server');

    // The state is in settings.json: a new process on this config dir starts MCP again.
    const saved = JSON.parse(readFileSync(join(ui.configDir, 'settings.json'), 'utf8'));
    expect(saved.mcp).toMatchObject({ enabled: true, port });

    const off = await api('/api/mcp/disable', { method: 'POST', body: {} });
    expect(off.json.mcp.state).toBe('stopped');
    expect(JSON.parse(readFileSync(join(ui.configDir, 'settings.json'), 'utf8')).mcp.enabled).toBe(false);
  });

  it('hands out the command with the token only on POST /api/token/command, never cached', async () => {
    const answer = await api('/api/token/command', { method: 'POST', body: {} });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const { url } = answer.json;
    expect(answer.json.command).toBe(
      `claude mcp add --scope user kubezilla --transport http ${url} --header "Authorization: Bearer ${ui.server.tokens.ensure()}"`,
    );
    const log = ui.log.join('\n');
    expect(log).not.toContain(ui.server.tokens.ensure());
  });

  it('regenerate through the API: the old token is refused by a running server', async () => {
    await api('/api/mcp/enable', { method: 'POST', body: {} });
    const status = ui.server.listener.status();
    if (status.state !== 'running') throw new Error('not running');
    const old = ui.server.tokens.ensure();
    const before = (await api('/api/state')).json.token.fingerprint;
    const after = await api('/api/token/regenerate', { method: 'POST', body: {} });
    expect(after.json.token.fingerprint).not.toBe(before);
    expect((await initialize(status.url, old)).status).toBe(401);
    expect((await initialize(status.url, ui.server.tokens.ensure())).status).toBe(200);
    await api('/api/mcp/disable', { method: 'POST', body: {} });
  });

  it('lists contexts, and keeps working when the clusters provider fails', async () => {
    const list = await api('/api/clusters');
    expect(list.json.contexts.map((c: { name: string }) => c.name)).toEqual(['dev', 'staging']);
    expect(list.json.contexts[1].tunnel).toMatchObject({ bastion: 'ops@bastion.example.internal:22', status: 'idle', via: 'settings' });
    expect(list.json.problems[0].source).toContain('broken.yaml');
    expect(JSON.stringify(list.json)).not.toContain('not-a-real-token'); // kubeconfig credentials stay out
    expect(list.json.contexts.map((c: { readOnly: string | null }) => c.readOnly)).toEqual([null, null]);
    const settings = ui.server.settings;
    settings.update((draft) => void (draft.policy.readOnlyContexts = ['dev']));
    try {
      expect((await api('/api/clusters')).json.contexts[0].readOnly).toBe('listed in policy.readOnlyContexts');
    } finally {
      settings.update((draft) => void (draft.policy.readOnlyContexts = []));
    }

    const container = ui.server.kernel.container;
    const original = container.registrations.clusters!;
    container.register({
      clusters: asFunction(() => {
        throw new Error('kubeconfig store exploded');
      }),
    });
    try {
      const broken = await api('/api/clusters');
      expect(broken.status).toBe(200);
      expect(broken.json.error).toContain('kubeconfig store exploded');
      expect((await api('/api/state')).status).toBe(200);
    } finally {
      container.register({ clusters: original });
    }
  });

  it('turns the destructive tools on, per tool, and off; a running server offers exactly what is saved', async () => {
    const DESTRUCTIVE = builtInToolNames((safety) => safety === 'destructive');
    const saved = () => JSON.parse(readFileSync(join(ui.configDir, 'settings.json'), 'utf8')).policy ?? {};
    const state = await api('/api/state');
    expect(state.json.destructive).toEqual({
      enabled: false,
      forRun: false,
      tools: DESTRUCTIVE.map((name) => ({ name, title: expect.any(String), allowed: true })),
    });

    const port = await freePort();
    await api('/api/mcp/address', { method: 'POST', body: { bind: '127.0.0.1', port } });
    expect((await api('/api/mcp/enable', { method: 'POST', body: {} })).status).toBe(200);
    const { client } = await connectClient(`http://127.0.0.1:${port}/mcp`, ui.server.tokens.ensure());
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const offered = async () => (await client.listTools()).tools.map((t) => t.name).filter((n) => DESTRUCTIVE.includes(n));
    try {
      expect(await offered()).toEqual([]);
      // The open session is told when the tools change.
      await new Promise((resolve) => setTimeout(resolve, 300)); // its notification stream opens after initialize
      const all = await api('/api/policy/destructive', { method: 'POST', body: { enabled: true } });
      expect(await eventually(async () => changed === 1, 5_000, 50)).toBe(true);
      expect(all.status).toBe(200);
      expect(all.json.destructive.enabled).toBe(true);
      expect(saved()).toMatchObject({ enabledClasses: ['read', 'safe-mutation', 'destructive'], destructiveTools: [] });
      expect((await offered()).sort()).toEqual(DESTRUCTIVE);

      const some = await api('/api/policy/destructive', { method: 'POST', body: { enabled: true, tools: ['uncordon_node', 'cordon_node'] } });
      expect(some.json.destructive.tools.filter((t: { allowed: boolean }) => t.allowed).map((t: { name: string }) => t.name)).toEqual([
        'cordon_node',
        'uncordon_node',
      ]);
      expect(saved().destructiveTools).toEqual(['cordon_node', 'uncordon_node']);
      expect(await offered()).toEqual(['cordon_node', 'uncordon_node']);

      // Every tool ticked is saved as "all", so a destructive tool loaded later is allowed too.
      await api('/api/policy/destructive', { method: 'POST', body: { enabled: true, tools: DESTRUCTIVE } });
      expect(saved().destructiveTools).toEqual([]);

      for (const [body, problem] of [
        [{ enabled: 'yes' }, 'enabled must be true or false'],
        [{ enabled: true, tools: 'cordon_node' }, 'tools must be a list of tool names'],
        [{ enabled: true, tools: ['scale', 'rm_rf'] }, 'Not destructive tools of this server: scale, rm_rf'],
        [{ enabled: true, tools: [] }, 'Tick at least one tool'],
      ] as const) {
        const refused = await api('/api/policy/destructive', { method: 'POST', body });
        expect(refused.status, JSON.stringify(body)).toBe(400);
        expect(refused.json.problem).toContain(problem);
      }
      expect(saved().enabledClasses).toContain('destructive');

      const off = await api('/api/policy/destructive', { method: 'POST', body: { enabled: false } });
      expect(off.json.destructive.enabled).toBe(false);
      // on, two tools, all of them, off: four changes (the refused posts changed nothing).
      expect(await eventually(async () => changed === 4, 5_000, 50)).toBe(true);
      expect(saved().enabledClasses).toEqual(['read', 'safe-mutation']);
      expect(await offered()).toEqual([]);
      // Without the CSRF token nothing changes.
      expect((await api('/api/policy/destructive', { method: 'POST', body: { enabled: true }, headers: { 'x-csrf-token': 'wrong' } })).status).toBe(403);
      expect(saved().enabledClasses).toEqual(['read', 'safe-mutation']);
    } finally {
      await client.close();
      await api('/api/mcp/disable', { method: 'POST', body: {} });
    }
  });

  it('shows the newest audit entries first', async () => {
    const audit = ui.server.audit;
    for (let i = 0; i < 30; i++) audit.record({ tool: 'scale', target: `deploy/app-${i}`, outcome: 'ok', summary: `replicas → ${i}` });
    const answer = await api('/api/audit?limit=5');
    expect(answer.json.entries.map((e: { target: string }) => e.target)).toEqual([
      'deploy/app-29',
      'deploy/app-28',
      'deploy/app-27',
      'deploy/app-26',
      'deploy/app-25',
    ]);
    expect(answer.json.file).toBe(join(ui.configDir, 'audit.log'));
  });
});

describe('the listener', () => {
  it('serves the settings page on loopback only', async () => {
    const page = new SettingsPage(ui.server, createLogger({ write: () => undefined }));
    await expect(page.start({ bind: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'BIND_REFUSED' });
    expect(page.status()).toMatchObject({ state: 'error' });
  });

  it('says so when its port is taken', async () => {
    const taken = Number(new URL(ui.pageUrl).port);
    const page = new SettingsPage(ui.server, createLogger({ write: () => undefined }));
    await expect(page.start({ bind: '127.0.0.1', port: taken })).rejects.toMatchObject({
      code: 'PORT_IN_USE',
      message: expect.stringContaining('settings page port'),
    });
  });

  it('stays up while MCP is off, and close() stops it', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'kz-ui-close-'));
    const server = await KubezillaServer.create(
      { configDir, kubeconfigPaths: [], toolDirs: [], enable: false, mcp: {} },
      createLogger({ write: () => undefined }),
    );
    await server.start();
    const { url } = await server.page.start({ port: 0 });
    expect(server.listener.status().state).toBe('stopped');
    expect((await fetch(url)).status).toBe(200);
    await server.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('a run started with --enable-destructive', () => {
  it('says so in the state, while the saved setting stays off', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'kz-ui-destructive-'));
    const server = await KubezillaServer.create(
      { configDir, kubeconfigPaths: [], toolDirs: [], enable: false, enableDestructive: true, mcp: {} },
      createLogger({ write: () => undefined }),
    );
    try {
      const { url } = await server.page.start({ port: 0 });
      const token = /<meta name="csrf-token" content="([^"]+)">/.exec(await (await fetch(url)).text())![1]!;
      const state = await (await fetch(new URL('/api/state', url), { headers: { 'x-csrf-token': token } })).json();
      expect(state.destructive).toMatchObject({ enabled: false, forRun: true });
      expect(server.settings.get().policy.enabledClasses).toEqual(['read', 'safe-mutation']);
    } finally {
      await server.close();
    }
  });
});

describe('kubezilla-mcp serve', () => {
  it('prints the settings page address and serves it (--ui-port)', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'kz-ui-cli-'));
    const uiPort = await freePort();
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config-dir', configDir, '--ui-port', String(uiPort)], {
      cwd: root,
      env: { ...process.env, KUBECONFIG: join(configDir, 'none') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve printed: ${out}`)), 45_000);
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('Settings page on')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
      });
      expect(out).toContain(`Settings page on http://127.0.0.1:${uiPort}/`);
      expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
