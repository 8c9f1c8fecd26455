// Inputs a fuzzer found unclear answers for, sent as a client (or a raw HTTP body) would send them,
// against the real test cluster: each gets a clear error naming what is wrong, a protocol error
// where the request itself is broken, and none reaches the "failed unexpectedly" path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverLog } from '../helpers/server.js';
import { startToolEnv, type ToolEnv } from '../tools/helpers.js';

let env: ToolEnv;
const LONE = '\uD800';

beforeAll(async () => {
  env = await startToolEnv();
});
afterAll(async () => {
  await env?.close();
});

/** A JSON-RPC POST on a fresh session, with the body as text (so it can be deeper than JSON.stringify goes). */
async function post(
  body: string,
): Promise<{ status: number; json: { error?: { code: number; message: string }; result?: { isError?: boolean; content: Array<{ text: string }> } } }> {
  const headers = { authorization: `Bearer ${env.server.token}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
  const init = await fetch(env.server.url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  const session = init.headers.get('mcp-session-id')!;
  await init.text();
  const withSession = { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  await (
    await fetch(env.server.url, { method: 'POST', headers: withSession, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })
  ).text();
  const res = await fetch(env.server.url, { method: 'POST', headers: { ...withSession, accept: 'application/json, text/event-stream' }, body });
  const text = await res.text();
  const data =
    text.startsWith('event:') || text.includes('\ndata: ')
      ? text
          .split('\n')
          .find((l) => l.startsWith('data: '))!
          .slice(6)
      : text;
  return { status: res.status, json: JSON.parse(data) };
}

const unexpected = () => serverLog.filter((l) => l.includes('failed unexpectedly'));

describe('malformed tool calls', () => {
  it('an unpaired surrogate in a string argument is named as invalid text, in every tool that takes one', async () => {
    const before = unexpected().length;
    for (const [tool, args] of [
      ['get_resource_yaml', { kind: 'cm', name: `web${LONE}` }],
      ['list_resources', { kind: `pods${LONE}` }],
      ['get_pod_logs', { name: `pod/x${LONE}` }],
      ['describe_resource', { name: `deploy/${LONE}` }],
      ['get_events', { object: `pod/${LONE}x` }],
      ['list_namespaces', { labelSelector: `a=${LONE}` }],
      ['scale', { resource: `deploy/${LONE}`, replicas: 1 }],
    ] as const) {
      const r = await env.callRaw(tool, args);
      expect(r.isError, tool).toBe(true);
      expect(r.text, tool).toMatch(/^Invalid arguments for \w+: `\w+` is not valid Unicode text \(it holds an unpaired UTF-16 surrogate\)/);
    }
    expect(unexpected().length).toBe(before);
  });

  it('a blank name is refused by the kernel, naming the field', async () => {
    for (const [tool, args] of [
      ['get_pod_logs', { name: '   ' }],
      ['get_resource_yaml', { kind: 'cm', name: '\t' }],
      ['wait_for', { name: ' ' }],
    ] as const) {
      const r = await env.callRaw(tool, args);
      expect(r.text, tool).toMatch(/^Invalid arguments for \w+: `name` is blank; give a value/);
    }
  });

  it('arguments nested 100,000 deep get a tool error, not a stack overflow', async () => {
    const depth = 100_000;
    const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const { json } = await post(
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_namespaces","arguments":{"labelSelector":"x","deep":${deep}}}}`,
    );
    expect(json.result?.isError).toBe(true);
    expect(json.result?.content[0]?.text).toMatch(/^Invalid arguments for list_namespaces: `deep(\.a)+` nests deeper than 32 levels/);
  });

  it('tools/call without params, or with arguments null, is Invalid params (-32602) saying what is missing', async () => {
    const none = await post('{"jsonrpc":"2.0","id":1,"method":"tools/call"}');
    expect(none.json.error?.code).toBe(-32602);
    expect(none.json.error?.message).toContain('tools/call needs params: {"name": "<tool>", "arguments": {…}}');
    const nullArgs = await post('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_namespaces","arguments":null}}');
    expect(nullArgs.json.error?.code).toBe(-32602);
    expect(nullArgs.json.error?.message).toContain("params.arguments must be an object of the tool's arguments, or left out");
    const noName = await post('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"arguments":{}}}');
    expect(noName.json.error?.message).toContain("params.name must be the tool's name, a string");
    for (const r of [none, nullArgs, noName]) expect(r.json.error?.message).not.toMatch(/invalid_type|expected|ZodError|"path"/);
  });

  it('a timeout beyond its maximum is refused before helm runs, instead of overflowing the timer', async () => {
    const r = await env.callRaw('helm_install', { release: 'big', chart: 'kz-demo', repo: env.info.charts.repoUrl, timeoutSeconds: 3_000_000 });
    expect(r.text).toMatch(/^Invalid arguments for helm_install: `timeoutSeconds` must be <= 3600/);
  });

  it('a cancelled call is logged as cancelled, not as a failure', async () => {
    const controller = new AbortController();
    const call = env.client
      .callTool({ name: 'wait_for', arguments: { name: 'ns/default', for: 'condition=Ready', timeoutSeconds: 60 } }, undefined, { signal: controller.signal })
      .catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 500));
    const before = unexpected().length;
    controller.abort();
    expect(await call).toBeInstanceOf(Error);
    const logged = await (async () => {
      for (let i = 0; i < 50; i++) {
        const line = serverLog.find((l) => l.includes('"tool":"wait_for"') && l.includes('"outcome":"cancelled"'));
        if (line) return line;
        await new Promise((r) => setTimeout(r, 100));
      }
      return undefined;
    })();
    expect(logged, 'the call was logged with outcome cancelled').toBeDefined();
    expect(unexpected().length).toBe(before);
    expect(serverLog.filter((l) => l.includes('"level":"error"') && l.includes('wait_for'))).toEqual([]);
  });
});
