// The SDK's own Client over Streamable HTTP against the real server: the path Claude Code and
// every other TypeScript client takes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElicitRequestSchema, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, startTestServer, textOf, type TestServer } from '../helpers/server.js';

let kz: TestServer;
beforeAll(async () => {
  kz = await startTestServer();
});
afterAll(async () => kz.close());

describe('MCP over Streamable HTTP with the SDK client', () => {
  it('initializes at protocol 2025-11-25 and reports the server', async () => {
    const { client, transport } = await connectClient(kz.url, kz.token);
    expect(LATEST_PROTOCOL_VERSION).toBe('2025-11-25');
    expect(transport.protocolVersion).toBe('2025-11-25');
    expect(client.getServerVersion()).toMatchObject({ name: 'kubezilla-mcp' });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, prompts: {}, resources: {}, logging: {}, completions: {} });
    expect(client.getInstructions()).toMatch(/list_contexts/);
    await client.close();
  });

  it('negotiates an older protocol version a client asks for', async () => {
    const response = await fetch(kz.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${kz.token}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'old', version: '1' } },
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"protocolVersion":"2025-03-26"');
  });

  it('lists enabled tools with schemas and annotations; destructive ones are absent', async () => {
    const { client } = await connectClient(kz.url, kz.token);
    const { tools } = await client.listTools();
    const fixtures = tools.map((t) => t.name).filter((name) => name.startsWith('fixture_'));
    expect(fixtures.sort()).toEqual(['fixture_echo', 'fixture_note', 'fixture_slow']);
    const echo = tools.find((t) => t.name === 'fixture_echo')!;
    expect(echo.title).toBe('Echo (fixture)');
    expect(echo.annotations).toEqual({ readOnlyHint: true, openWorldHint: false });
    expect(echo.inputSchema).toMatchObject({ type: 'object', required: ['text'], additionalProperties: false });
    const note = tools.find((t) => t.name === 'fixture_note')!;
    expect(note.annotations).toEqual({ destructiveHint: false });
    expect(note.inputSchema.properties).toHaveProperty('confirm');
    await client.close();
  });

  it('calls a tool, and reports invalid arguments as a tool error naming the field', async () => {
    const { client } = await connectClient(kz.url, kz.token);
    expect(textOf(await client.callTool({ name: 'fixture_echo', arguments: { text: 'hi', times: 2 } }))).toBe('hi\nhi');
    const bad = await client.callTool({ name: 'fixture_echo', arguments: { text: 'hi', times: 'two' } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/Invalid arguments for fixture_echo: `times` must be integer \(got "two"\)/);
    const missing = await client.callTool({ name: 'fixture_echo', arguments: {} });
    expect(textOf(missing)).toMatch(/`text` is required/);
    await client.close();
  });

  it('answers an unknown tool with a protocol error, and a disabled one with a tool error', async () => {
    const { client } = await connectClient(kz.url, kz.token);
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/Unknown tool: no_such_tool/);
    const wipe = await client.callTool({ name: 'fixture_wipe', arguments: {} });
    expect(wipe.isError).toBe(true);
    expect(textOf(wipe)).toMatch(/tool fixture_wipe is disabled: its safety class "destructive" is not enabled/);
    await client.close();
  });

  it('truncates an answer over the output budget and says how to get the rest', async () => {
    const { client } = await connectClient(kz.url, kz.token);
    const result = await client.callTool({ name: 'fixture_echo', arguments: { text: 'x'.repeat(99), times: 2000 } });
    const text = textOf(result);
    expect(Buffer.byteLength(text)).toBeLessThan(49 * 1024 + 300);
    expect(text).toMatch(/\[truncated: showed \d+ of 199999 bytes\. Narrow the request/);
    await client.close();
  });

  it('sends progress notifications to a client that asked for them', async () => {
    const { client } = await connectClient(kz.url, kz.token);
    const seen: Array<{ progress: number; total?: number; message?: string }> = [];
    const result = await client.callTool({ name: 'fixture_slow', arguments: { steps: 3 } }, undefined, { onprogress: (p) => seen.push(p) });
    expect(textOf(result)).toBe('counted to 3');
    expect(seen).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
    await client.close();
  });

  it('aborts the handler when the client cancels the call', async () => {
    const { client } = await connectClient(kz.url, kz.token);
    (globalThis as { __kzFixtureAborted?: boolean }).__kzFixtureAborted = false;
    const controller = new AbortController();
    const call = client.callTool({ name: 'fixture_slow', arguments: { steps: 200 } }, undefined, { signal: controller.signal });
    setTimeout(() => controller.abort('changed my mind'), 200);
    await expect(call).rejects.toThrow();
    await expect.poll(() => (globalThis as { __kzFixtureAborted?: boolean }).__kzFixtureAborted, { timeout: 2000 }).toBe(true);
    await client.close();
  });

  it('stops the work when the client hangs up mid-call without cancelling', async () => {
    const { client, transport } = await connectClient(kz.url, kz.token);
    (globalThis as { __kzFixtureAborted?: boolean }).__kzFixtureAborted = false;
    // A client killed mid-call: the response stream just closes, no notifications/cancelled.
    const hangUp = new AbortController();
    const pending = fetch(kz.url, {
      method: 'POST',
      signal: hangUp.signal,
      headers: {
        authorization: `Bearer ${kz.token}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        'mcp-session-id': transport.sessionId!,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 77, method: 'tools/call', params: { name: 'fixture_slow', arguments: { steps: 200 } } }),
    }).then((r) => r.text());
    setTimeout(() => hangUp.abort(), 300);
    await expect(pending).rejects.toThrow();
    await expect.poll(() => (globalThis as { __kzFixtureAborted?: boolean }).__kzFixtureAborted, { timeout: 3000 }).toBe(true);
    // The session itself goes on.
    expect(textOf(await client.callTool({ name: 'fixture_echo', arguments: { text: 'still here' } }))).toBe('still here');
    await client.close();
  });

  it('keeps at most mcp.maxSessions sessions: the least recently used is closed, and its next request says why', async () => {
    const small = await startTestServer({ settings: { mcp: { maxSessions: 2 } } });
    try {
      const first = await connectClient(small.url, small.token);
      const second = await connectClient(small.url, small.token);
      await first.client.listTools(); // the first is now more recent than the second
      const third = await connectClient(small.url, small.token);
      await expect.poll(() => small.server.listener.sessions.size).toBe(2);
      expect((await first.client.listTools()).tools.length).toBeGreaterThan(0);
      expect((await third.client.listTools()).tools.length).toBeGreaterThan(0);
      const evicted = await fetch(small.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${small.token}`,
          accept: 'application/json, text/event-stream',
          'content-type': 'application/json',
          'mcp-session-id': second.transport.sessionId!,
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(evicted.status).toBe(404);
      expect(await evicted.text()).toMatch(/closed to make room: the server keeps a limited number of sessions open; initialize a new session/);
      for (const c of [first, third]) await c.client.close();
    } finally {
      await small.close();
    }
  });

  it('with elicitation, always asks the person: a declined call repeated with "confirm" is asked again, not done', async () => {
    const { client } = await connectClient(kz.url, kz.token, { elicitation: { form: {} } });
    const asked: string[] = [];
    let answer = false;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { confirm: answer } };
    });
    const no = await client.callTool({ name: 'fixture_note', arguments: { note: 'risky' } });
    expect(no.isError).toBe(true);
    expect(textOf(no)).toMatch(/Not done: the person declined/);
    // What a model does after a "no": repeat with confirm. The person is asked again and still says no.
    for (const confirm of [true, 'kzc_AAAAAAAAAAAAAAAAAAAAAA']) {
      const again = await client.callTool({ name: 'fixture_note', arguments: { note: 'risky', confirm } });
      expect(again.isError).toBe(true);
      expect(textOf(again)).toMatch(/Not done: the person declined/);
    }
    expect(asked).toEqual(Array(3).fill('Really write the risky note?'));
    answer = true;
    expect(textOf(await client.callTool({ name: 'fixture_note', arguments: { note: 'risky' } }))).toBe('noted "risky" in default');
    expect(asked).toHaveLength(4);
    await client.close();
  });

  it('without elicitation, refuses with a single-use token bound to the exact call; confirm: true is not a yes', async () => {
    const { client } = await connectClient(kz.url, kz.token);
    const call = async (args: Record<string, unknown>) => {
      const result = await client.callTool({ name: 'fixture_note', arguments: args });
      return { isError: result.isError === true, text: textOf(result) };
    };
    expect(await call({ note: 'risky', confirm: true })).toMatchObject({ isError: true, text: expect.stringMatching(/"confirm": true is not a confirmation/) });
    const first = await call({ note: 'risky' });
    expect(first).toMatchObject({ isError: true, text: expect.stringMatching(/^Error: Needs confirmation: Really write the risky note\?/) });
    const token = /"confirm": "(kzc_[\w-]+)"/.exec(first.text)![1]!;
    // The token does not carry over to other arguments, and is used up by the attempt.
    expect(await call({ note: 'risky', namespace: 'prod', confirm: token })).toMatchObject({
      isError: true,
      text: expect.stringMatching(/issued for another call/),
    });
    expect(await call({ note: 'risky', confirm: token })).toMatchObject({ isError: true, text: expect.stringMatching(/unknown, already used or expired/) });
    const fresh = /"confirm": "(kzc_[\w-]+)"/.exec((await call({ note: 'risky' })).text)![1]!;
    expect(await call({ note: 'risky', confirm: fresh })).toEqual({ isError: false, text: 'noted "risky" in default' });
    expect(await call({ note: 'risky', confirm: fresh })).toMatchObject({ isError: true, text: expect.stringMatching(/already used/) });
    // Another session cannot use a token issued to this one.
    const other = await connectClient(kz.url, kz.token);
    const theirs = /"confirm": "(kzc_[\w-]+)"/.exec((await call({ note: 'risky' })).text)![1]!;
    const stolen = await other.client.callTool({ name: 'fixture_note', arguments: { note: 'risky', confirm: theirs } });
    expect(textOf(stolen)).toMatch(/issued for another call/);
    await other.client.close();
    await client.close();
  });

  it('records every call of a non-read tool in the audit log, whatever its outcome; reads are not recorded', async () => {
    const { client, transport } = await connectClient(kz.url, kz.token);
    await client.callTool({ name: 'fixture_echo', arguments: { text: 'not audited' } });
    await client.callTool({ name: 'fixture_note', arguments: { namespace: 'team-a', note: 'audited' } });
    await client.callTool({ name: 'fixture_note', arguments: { namespace: 'team-a', note: 'risky' } });
    await client.callTool({ name: 'fixture_note', arguments: { note: 42 } });
    const mine = kz.server.audit.recent(50).filter((e) => e.session === transport.sessionId);
    expect(mine.map(({ tool, context, namespace, outcome, summary }) => ({ tool, context, namespace, outcome, summary }))).toEqual([
      {
        tool: 'fixture_note',
        context: '(none)',
        namespace: '',
        outcome: 'error',
        summary: expect.stringMatching(/^Invalid arguments for fixture_note: `note` must be string/),
      },
      { tool: 'fixture_note', context: '(none)', namespace: 'team-a', outcome: 'refused', summary: expect.stringMatching(/^Error: Needs confirmation/) },
      { tool: 'fixture_note', context: '(none)', namespace: 'team-a', outcome: 'ok', summary: 'noted "audited" in team-a' },
    ]);
    await client.close();
  });

  it('serves prompts, resources, resource templates and completions from modules', async () => {
    const { client } = await connectClient(kz.url, kz.token);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['investigate', 'fixture_greeting']); // built-in first, then --tools-dir
    expect(prompts[1]).toEqual(
      expect.objectContaining({
        name: 'fixture_greeting',
        arguments: [
          { name: 'who', description: 'Who to greet.', required: true },
          { name: 'colour', description: undefined, required: false },
        ],
      }),
    );
    const prompt = await client.getPrompt({ name: 'fixture_greeting', arguments: { who: 'Ada', colour: 'red' } });
    expect(prompt.messages[0]!.content).toEqual({ type: 'text', text: 'Greet Ada in red.' });
    await expect(client.getPrompt({ name: 'fixture_greeting', arguments: {} })).rejects.toThrow(/`who` is required/);
    const investigate = await client.getPrompt({ name: 'investigate', arguments: { target: 'sts/db' } });
    expect((investigate.messages[0]!.content as { text: string }).text).toMatch(/^Investigate why sts\/db is unhealthy\. Read only: change nothing\.\n/);
    await expect(client.getPrompt({ name: 'investigate', arguments: {} })).rejects.toThrow(/`target` is required/);

    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['fixture://readme']);
    expect((await client.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate)).toEqual(['fixture://colours/{name}']);
    expect((await client.readResource({ uri: 'fixture://colours/green' })).contents).toEqual([
      { uri: 'fixture://colours/green', mimeType: 'text/plain', text: 'colour green' },
    ]);
    await expect(client.readResource({ uri: 'fixture://nothing' })).rejects.toThrow(/Resource not found/);

    const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'fixture_greeting' }, argument: { name: 'colour', value: 'g' } });
    expect(completion.completion.values).toEqual(['green']);
    await client.close();
  });

  it('ends a session on DELETE; the old session id then gets 404', async () => {
    const { client, transport } = await connectClient(kz.url, kz.token);
    const sessionId = transport.sessionId!;
    expect(kz.server.listener.status()).toMatchObject({ state: 'running' });
    await transport.terminateSession();
    const after = await fetch(kz.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${kz.token}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(after.status).toBe(404);
    await client.close();
  });
});
