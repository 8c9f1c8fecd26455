// The HTTP edge, driven with raw requests as an attacker or a confused client would send them:
// who gets in, what they are told, and what the listener does at run time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { connectClient, serverLog, startTestServer, textOf, type TestServer } from '../helpers/server.js';

let kz: TestServer;
beforeAll(async () => {
  kz = await startTestServer();
});
afterAll(async () => kz.close());

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** A raw HTTP request with full control over Host (fetch forbids setting it). */
async function raw(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const { request } = await import('node:http');
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method ?? 'POST',
        headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...init.headers },
      },
      (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (chunk: string) => (body += chunk))
          .on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(init.body ?? (init.method && init.method !== 'POST' ? undefined : INIT));
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('authentication', () => {
  it('lets the right token in', async () => {
    expect((await raw(kz.url, { headers: bearer(kz.token) })).status).toBe(200);
  });

  it('reads a body as UTF-8, a leading byte-order mark dropped (as some editors and tools write JSON)', async () => {
    const res = await raw(kz.url, { headers: bearer(kz.token), body: `\uFEFF${INIT.replace('"raw"', '"r\u00e4w \u2713"')}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/"protocolVersion"/);
  });

  it.each([
    ['no Authorization header', {}, /Missing Authorization header/],
    ['the wrong scheme', { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` }, /must use the Bearer scheme/],
    ['a wrong token', { authorization: 'Bearer kz_wrongwrongwrongwrongwrongwrongwrongwrongwro' }, /bearer token is not valid/],
  ])('refuses %s with 401 and WWW-Authenticate', async (_case, headers, message) => {
    const res = await raw(kz.url, { headers });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="kubezilla-mcp"/);
    expect(JSON.parse(res.body).error.message).toMatch(message);
  });

  it('refuses a token in the query string, even the right one', async () => {
    const res = await raw(`${kz.url}?access_token=${kz.token}`, { headers: bearer(kz.token) });
    expect(res.status).toBe(401);
    expect(res.body).toMatch(/Tokens in the URL are refused/);
    expect(res.body).not.toContain(kz.token);
  });
});

describe('Host and Origin (DNS rebinding)', () => {
  it.each([
    ['a foreign Host', { host: 'evil.example:7331' }],
    ['a rebinding Host that resolves to loopback', { host: 'attacker.127.0.0.1.nip.io' }],
    ['a foreign Origin', { origin: 'http://evil.example' }],
    ['a null Origin', { origin: 'null' }],
    ['a file: Origin', { origin: 'file://' }],
  ])('refuses %s with 403 even with the right token', async (_case, headers) => {
    const res = await raw(kz.url, { headers: { ...bearer(kz.token), ...headers } });
    expect(res.status).toBe(403);
  });

  it.each(['127.0.0.1:9', 'localhost:7331', '[::1]:80', 'LOCALHOST'])('accepts the loopback Host %s', async (host) => {
    expect((await raw(kz.url, { headers: { ...bearer(kz.token), host } })).status).toBe(200);
  });

  it('accepts a loopback Origin on any port', async () => {
    expect((await raw(kz.url, { headers: { ...bearer(kz.token), origin: 'http://localhost:5173' } })).status).toBe(200);
  });
});

describe('request limits and sessions', () => {
  it('answers 413 to a body over the limit', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { pad: 'x'.repeat(5 * 1024 * 1024) } });
    expect((await raw(kz.url, { headers: bearer(kz.token), body })).status).toBe(413);
  });

  it('answers 404 to an unknown session and 400 to a request without one', async () => {
    const headers = { ...bearer(kz.token), 'mcp-protocol-version': '2025-11-25' };
    const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect((await raw(kz.url, { headers: { ...headers, 'mcp-session-id': 'no-such-session' }, body: list })).status).toBe(404);
    expect((await raw(kz.url, { headers, body: list })).status).toBe(400);
  });

  it('answers 400 to an unsupported protocol version', async () => {
    const { transport } = await connectClient(kz.url, kz.token);
    const res = await raw(kz.url, {
      headers: { ...bearer(kz.token), 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '1999-01-01' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/Unsupported protocol version/);
  });

  it('answers a body that is not JSON with a JSON-RPC parse error', async () => {
    const res = await raw(kz.url, { headers: bearer(kz.token), body: '{not json' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe(-32700);
  });
});

describe('token regeneration', () => {
  it('refuses the old token at once and closes the sessions that used it', async () => {
    const own = await startTestServer();
    const oldToken = own.token;
    const { client } = await connectClient(own.url, oldToken);
    expect(textOf(await client.callTool({ name: 'fixture_echo', arguments: { text: 'before' } }))).toBe('before');
    const oldFingerprint = own.server.tokens.fingerprint();
    const newToken = own.server.tokens.regenerate();
    expect(own.server.tokens.fingerprint()).not.toBe(oldFingerprint);
    await expect(client.callTool({ name: 'fixture_echo', arguments: { text: 'after' } })).rejects.toThrow(/bearer token is not valid/);
    await expect.poll(() => own.server.listener.sessions.size).toBe(0);
    expect((await raw(own.url, { headers: bearer(oldToken) })).status).toBe(401);
    const fresh = await connectClient(own.url, newToken);
    expect(textOf(await fresh.client.callTool({ name: 'fixture_echo', arguments: { text: 'new' } }))).toBe('new');
    await own.close();
  });
});

describe('listener lifecycle', () => {
  it('stops (port refuses), restarts on another port, and closes sessions on stop', async () => {
    const own = await startTestServer();
    await connectClient(own.url, own.token);
    expect(own.server.listener.sessions.size).toBe(1);
    const oldUrl = own.url;
    await own.server.listener.stop();
    expect(own.server.listener.sessions.size).toBe(0);
    expect(own.server.listener.status()).toEqual({ state: 'stopped' });
    await expect(fetch(oldUrl, { method: 'POST' })).rejects.toThrow(/fetch failed/);
    const running = await own.server.listener.start({ bind: '127.0.0.1', port: 0, allowNonLoopback: false });
    expect(running).toMatchObject({ state: 'running' });
    const { client } = await connectClient((running as { url: string }).url, own.token);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await own.close();
  });

  it('reports a port in use clearly', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    const own = await startTestServer();
    await expect(own.server.listener.start({ bind: '127.0.0.1', port, allowNonLoopback: false })).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use`,
    );
    expect(own.server.listener.status()).toMatchObject({ state: 'error', error: expect.stringMatching(/^PORT_IN_USE/) });
    blocker.close();
    await own.close();
  });

  it('refuses a non-loopback bind without the explicit opt-in', async () => {
    const own = await startTestServer();
    await expect(own.server.listener.start({ bind: '0.0.0.0', port: 0, allowNonLoopback: false })).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0: it is not a loopback address/,
    );
    await own.close();
  });
});

describe('logs', () => {
  it('never contain a token, after every test in this file', () => {
    expect(serverLog.length).toBeGreaterThan(10);
    const all = serverLog.join('\n');
    expect(all).not.toContain(kz.token);
    expect(all).not.toMatch(/kz_[A-Za-z0-9_-]{43}/);
  });
});
