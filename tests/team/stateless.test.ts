/**
 * Stateless MCP (`serve --stateless`) in one process, with the real SDK client: no session id is
 * handed out, each request is answered by a server object of its own, the GET stream is refused
 * the way clients understand, a hang-up mid-call still stops the work, and an elicitation-capable
 * client is not asked (the answer could reach another replica): it gets a confirmation token.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/kernel/logger.js';
import { KubezillaServer } from '../../src/server.js';
import { connectClient, FIXTURE_MODULES, serverLog, textOf } from '../helpers/server.js';

let server: KubezillaServer;
let url: string;
let token: string;
const headers = () => ({
  authorization: `Bearer ${token}`,
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  'mcp-protocol-version': '2025-11-25',
});

beforeAll(async () => {
  server = await KubezillaServer.create(
    {
      configDir: mkdtempSync(join(tmpdir(), 'kz-team-stateless-')),
      kubeconfigPaths: [],
      toolDirs: [FIXTURE_MODULES],
      enable: true,
      mcp: { port: 0 },
      stateless: true,
    },
    createLogger({ level: 'debug', write: (line) => serverLog.push(line) }),
  );
  await server.start();
  const status = server.listener.status();
  if (status.state !== 'running') throw new Error(`not running: ${JSON.stringify(status)}`);
  url = status.url;
  token = server.tokens.ensure();
});

afterAll(async () => {
  await server?.close();
});

describe('stateless MCP', () => {
  it('hands out no session and keeps none', async () => {
    const init = await fetch(url, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
    expect(init.status).toBe(200);
    expect(init.headers.get('mcp-session-id')).toBeNull();
    await init.text();
    const { client } = await connectClient(url, token);
    try {
      expect(textOf(await client.callTool({ name: 'fixture_echo', arguments: { text: 'one' } }))).toBe('one');
      expect(textOf(await client.callTool({ name: 'fixture_echo', arguments: { text: 'two' } }))).toBe('two');
      expect(server.listener.sessions.size).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('refuses the GET stream and DELETE with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(url, { method, headers: headers() });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.text()).toContain('stateless');
    }
  });

  it('stops the work when the client hangs up mid-call', async () => {
    (globalThis as { __kzFixtureAborted?: boolean }).__kzFixtureAborted = false;
    const hangUp = new AbortController();
    const pending = fetch(url, {
      method: 'POST',
      signal: hangUp.signal,
      headers: headers(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'fixture_slow', arguments: { steps: 200 } } }),
    }).then((r) => r.text());
    setTimeout(() => hangUp.abort(), 300);
    await expect(pending).rejects.toThrow();
    await expect.poll(() => (globalThis as { __kzFixtureAborted?: boolean }).__kzFixtureAborted, { timeout: 3000 }).toBe(true);
  });

  it('gives an elicitation-capable client a confirmation token instead of asking, which a repeat redeems', async () => {
    const { client } = await connectClient(url, token, { elicitation: {} });
    let asked = false;
    client.setRequestHandler(ElicitRequestSchema, async () => {
      asked = true;
      return { action: 'accept', content: {} };
    });
    try {
      const refused = textOf(await client.callTool({ name: 'fixture_note', arguments: { note: 'risky' } }));
      expect(asked).toBe(false);
      const confirm = /"confirm": "(kzc_[^"]+)"/.exec(refused)?.[1];
      expect(confirm, refused).toBeDefined();
      expect(textOf(await client.callTool({ name: 'fixture_note', arguments: { note: 'risky', confirm } }))).toBe('noted "risky" in default');
    } finally {
      await client.close();
    }
  });
});
