/**
 * What fuzzing found, as a person would see it: malformed arguments and requests get an answer
 * that names the field and what was wrong (a tool error), or the protocol's own Invalid params
 * error; none reaches "failed unexpectedly". Through a real server over HTTP, without a cluster:
 * every case here is settled before anything is contacted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsStore } from '../../src/providers/config/settings.js';
import { RawSession } from '../helpers/raw-rpc.js';
import { connectClient, serverLog, startTestServer, textOf, type TestServer } from '../helpers/server.js';

const CANCELLED_FIXTURE = fileURLToPath(new URL('../fixtures/modules/cancelled', import.meta.url));
let server: TestServer;
let client: Client;
let tools: Tool[];
let raw: RawSession;

const rpc = (body: string) => raw.send(body);
const call = (name: string, args: unknown) => raw.callTool({ name, arguments: args });

/** Arguments that satisfy a tool's required fields with plain values, so one field can be spoiled. */
function plausible(tool: Tool): Record<string, unknown> {
  const props = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string; enum?: unknown[] }>;
  const out: Record<string, unknown> = {};
  for (const name of tool.inputSchema.required ?? []) {
    const p = props[name] ?? {};
    out[name] = p.enum ? p.enum[0] : p.type === 'integer' || p.type === 'number' ? 1 : p.type === 'boolean' ? true : p.type === 'array' ? [] : 'web';
  }
  return out;
}

beforeAll(async () => {
  server = await startTestServer({ toolDirs: [CANCELLED_FIXTURE] });
  ({ client } = await connectClient(server.url, server.token));
  tools = (await client.listTools()).tools;
  raw = await RawSession.open(server.url, server.token);
});

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await server?.close();
});

describe('tool arguments', () => {
  it('a lone UTF-16 surrogate in any string argument of any tool is refused naming the field', async () => {
    let checked = 0;
    for (const tool of tools) {
      const props = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string; enum?: unknown }>;
      for (const [field, schema] of Object.entries(props)) {
        if (schema.type !== 'string' || schema.enum) continue;
        const { message } = await call(tool.name, { ...plausible(tool), [field]: 'web\uD800-0' });
        const text = textOf(message.result);
        expect(message.result?.isError, `${tool.name}.${field}: ${JSON.stringify(message)}`).toBe(true);
        expect(text, `${tool.name}.${field}`).toContain(`\`${field}\` contains a lone UTF-16 surrogate`);
        expect(text).not.toMatch(/unexpectedly|URI malformed/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('100,000-deep nesting is refused naming the field, not with a stack overflow', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const { status, message } = await rpc(
      `{"jsonrpc":"2.0","id":${raw.nextId()},"method":"tools/call","params":{"name":"list_contexts","arguments":{"probe":${deep}}}}`,
    );
    expect(status).toBe(200);
    const text = textOf(message.result);
    expect(message.result.isError).toBe(true);
    expect(text).toMatch(/`probe(\.0)*` nests deeper than 64 levels/);
    expect(text).not.toMatch(/unexpectedly|call stack/);
  });

  it('a blank name is refused as blank', async () => {
    for (const [tool, args] of [
      ['get_pod_logs', { name: '   ' }],
      ['describe_resource', { kind: 'pod', name: '\t' }],
    ] as const) {
      const text = textOf((await call(tool, args)).message.result);
      expect(text, tool).toMatch(/`name` is blank/);
      expect(text).not.toMatch(/undefined|unexpectedly/);
    }
  });

  it('timeoutSeconds has a bound, and so does every integer argument', async () => {
    const helm = textOf((await call('helm_install', { release: 'r', chart: 'c', timeoutSeconds: 1e12 })).message.result);
    expect(helm).toMatch(/`timeoutSeconds` must be <= 86400/);
    const limit = textOf((await call('list_resources', { kind: 'pods', limit: 1e300 })).message.result);
    expect(limit).toMatch(/`limit` must be <= \d+/);
  });
});

describe('protocol requests', () => {
  it('without params is Invalid params (-32602) saying what is missing, without a schema dump', async () => {
    const { message } = await rpc(JSON.stringify({ jsonrpc: '2.0', id: raw.nextId(), method: 'tools/call' }));
    expect(message.error.code).toBe(-32602);
    expect(message.error.message).toMatch(/tools\/call needs params/);
    expect(message.error.message).not.toMatch(/invalid_type|"path"|\[\s*\{/);
  });

  it('with arguments: null is Invalid params naming params.arguments', async () => {
    const { message } = await rpc(
      JSON.stringify({ jsonrpc: '2.0', id: raw.nextId(), method: 'tools/call', params: { name: 'list_contexts', arguments: null } }),
    );
    expect(message.error.code).toBe(-32602);
    expect(message.error.message).toMatch(/`params.arguments` must be an object of the tool's arguments \(got null\)/);
  });

  it('with a name that is not a string is Invalid params naming params.name', async () => {
    const { message } = await rpc(JSON.stringify({ jsonrpc: '2.0', id: raw.nextId(), method: 'tools/call', params: { name: 42 } }));
    expect(message.error.code).toBe(-32602);
    expect(message.error.message).toMatch(/`params.name`/);
  });

  it('the same for every other method: resources/read without params is Invalid params naming the field', async () => {
    const { message } = await rpc(JSON.stringify({ jsonrpc: '2.0', id: raw.nextId(), method: 'resources/read' }));
    expect(message.error.code).toBe(-32602);
    expect(message.error.message).toMatch(/Invalid params for resources\/read: `params`: expected object, received undefined/);
    const level = await rpc(JSON.stringify({ jsonrpc: '2.0', id: raw.nextId(), method: 'logging/setLevel', params: { level: 'loud' } }));
    expect(level.message.error.code).toBe(-32602);
    expect(level.message.error.message).toMatch(/`params.level`/);
  });

  it('still answers an unknown method with Method not found', async () => {
    const { message } = await rpc(JSON.stringify({ jsonrpc: '2.0', id: raw.nextId(), method: 'tools/nope' }));
    expect(message.error.code).toBe(-32601);
  });
});

describe('cancellation', () => {
  it('a cancelled call is logged as cancelled, not as a failure at error level', async () => {
    const stop = new AbortController();
    const pending = client.callTool({ name: 'fixture_wait', arguments: {} }, undefined, { signal: stop.signal });
    await new Promise((r) => setTimeout(r, 200));
    stop.abort('the person pressed stop');
    await expect(pending).rejects.toThrow();
    await expect.poll(() => serverLog.some((l) => l.includes('"tool":"fixture_wait"') && l.includes('"outcome"')), { timeout: 5000 }).toBe(true);
    const lines = serverLog.filter((l) => l.includes('fixture_wait'));
    expect(lines.join('\n')).not.toMatch(/unexpectedly/);
    expect(lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
    expect(lines.find((l) => l.includes('"outcome"'))).toContain('"outcome":"cancelled"');
  });
});

describe('settings.json', () => {
  it('null is refused, not silently replaced by defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kz-settings-null-'));
    writeFileSync(join(dir, 'settings.json'), 'null\n', { mode: 0o600 });
    expect(() => new SettingsStore(dir)).toThrow(/settings\.json must hold a JSON object of settings, not null/);
  });
});
