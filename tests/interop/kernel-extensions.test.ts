/**
 * The kernel features the conformance pack needed (ctx.notify, ctx.sample, ctx.elicit, content
 * blocks, resources/subscribe with a module's watch(), JSON Schema 2020-12 inputs), checked past
 * what the conformance suite looks at: log-level filtering, the no-capability fallbacks, update
 * notifications, validation under the 2020-12 dialect. SDK client, server in this process.
 */
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, serverLog, startTestServer, textOf, type TestServer } from '../helpers/server.js';

const PACK = fileURLToPath(new URL('./conformance-pack', import.meta.url));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ toolDirs: [PACK] });
});
afterAll(async () => server?.close());

describe('tool log notifications (ctx.notify)', () => {
  it('reach the client on the call, filtered by logging/setLevel', async () => {
    const { client } = await connectClient(server.url, server.token);
    const received: LoggingMessageNotification['params'][] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void received.push(n.params));

    await client.setLoggingLevel('warning');
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    expect(received).toEqual([]);

    await client.setLoggingLevel('debug');
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    expect(received.map((p) => [p.level, p.logger, p.data])).toEqual([
      ['info', 'test_tool_with_logging', 'Tool execution started'],
      ['info', 'test_tool_with_logging', 'Tool processing data'],
      ['info', 'test_tool_with_logging', 'Tool execution completed'],
    ]);
    await client.close();
  });
});

describe('sampling (ctx.sample)', () => {
  it("returns the client's completion", async () => {
    const { client } = await connectClient(server.url, server.token, { sampling: {} });
    const prompts: unknown[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, (request) => {
      prompts.push(request.params.messages);
      return { role: 'assistant', content: { type: 'text', text: 'forty-two' }, model: 'test-model' };
    });
    const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'The answer?' } });
    expect(textOf(result)).toBe('LLM response: forty-two');
    expect(prompts).toEqual([[{ role: 'user', content: { type: 'text', text: 'The answer?' } }]]);
    await client.close();
  });

  it('is a tool error the model can read when the client cannot sample', async () => {
    const { client } = await connectClient(server.url, server.token);
    const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'x' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/needs the client to offer sampling/);
    await client.close();
  });
});

describe('elicitation (ctx.elicit)', () => {
  it('passes the answer back, declines included, and says unsupported without the capability', async () => {
    const { client } = await connectClient(server.url, server.token, { elicitation: {} });
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'decline' }));
    expect(textOf(await client.callTool({ name: 'test_elicitation', arguments: { message: 'Name?' } }))).toBe('User response: action=decline, content={}');
    await client.close();

    const { client: plain } = await connectClient(server.url, server.token);
    expect(textOf(await plain.callTool({ name: 'test_elicitation', arguments: { message: 'Name?' } }))).toBe('User response: action=unsupported, content={}');
    await plain.close();
  });
});

describe('content blocks', () => {
  it('come back as the tool returned them, in order', async () => {
    const { client } = await connectClient(server.url, server.token);
    const result = await client.callTool({ name: 'test_multiple_content_types', arguments: {} });
    expect((result.content as Array<{ type: string }>).map((c) => c.type)).toEqual(['text', 'image', 'resource']);
    await client.close();
  });
});

describe('resources/subscribe (module watch())', () => {
  it('sends notifications/resources/updated while subscribed, and refuses unknown URIs', async () => {
    const { client } = await connectClient(server.url, server.token);
    const updated = new Promise<string>((resolve) => client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)));
    await client.subscribeResource({ uri: 'test://watched-resource' });
    // The fixture reports a change every 3 s.
    await expect(Promise.race([updated, new Promise((r) => setTimeout(() => r('timeout'), 6_000))])).resolves.toBe('test://watched-resource');
    await expect(client.unsubscribeResource({ uri: 'test://watched-resource' })).resolves.toEqual({});
    await expect(client.subscribeResource({ uri: 'test://nowhere' })).rejects.toMatchObject({ code: -32002 });
    await client.close();
  }, 15_000);
});

describe('JSON Schema 2020-12 input schemas', () => {
  it('are published as written and enforced, $ref into $defs included', async () => {
    const { client } = await connectClient(server.url, server.token);
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === 'json_schema_2020_12_tool')?.inputSchema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $defs: { address: { type: 'object' } },
      additionalProperties: false,
    });

    const ok = await client.callTool({ name: 'json_schema_2020_12_tool', arguments: { name: 'Ada', address: { city: 'London' } } });
    expect(ok.isError).toBeFalsy();

    const extra = await client.callTool({ name: 'json_schema_2020_12_tool', arguments: { nickname: 'A' } });
    expect(extra.isError).toBe(true);
    expect(textOf(extra)).toMatch(/`nickname` is not a known argument/);

    const nested = await client.callTool({ name: 'json_schema_2020_12_tool', arguments: { address: { city: 7 } } });
    expect(nested.isError).toBe(true);
    expect(textOf(nested)).toMatch(/`address\.city` must be string/);
    await client.close();
  });
});

describe('token hygiene', () => {
  it('nothing this server logged above contains its token', () => {
    const log = serverLog.join('\n');
    expect(log).toMatch(/tools\/call/);
    expect(log.includes(server.token)).toBe(false);
  });
});
