/**
 * Property-based fuzzing of the MCP surface against the real test cluster: JSON-RPC bodies of
 * every shape, and every tool's arguments with wrong types, missing and unknown fields, huge and
 * deeply nested values, lone surrogates, null bytes, extreme numbers and invalid names and
 * selectors. Whatever comes in, the answer is a result or a protocol error a client can act on:
 * no HTTP 5xx, no Internal error (-32603), no "failed unexpectedly", nothing at error level in
 * the log, and no case that holds the event loop (every other session's calls) for more than
 * 100 ms.
 *
 * Every context is read-only for this server, so nothing a case sends can change the cluster
 * (server-side dry runs still go through, as they change nothing).
 *
 * `npm test` runs a fixed number of cases from a recorded seed; `npm run test:fuzz` runs many
 * more (KZ_FUZZ_RUNS, KZ_FUZZ_SEED: a number, or "random"). A failure prints the seed and the
 * shrunk case to replay it.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { RawSession, type RawAnswer } from '../helpers/raw-rpc.js';
import { connectClient, serverLog, startTestServer, textOf, type TestServer } from '../helpers/server.js';

const RUNS = Number(process.env.KZ_FUZZ_RUNS ?? 60);
const SEED = process.env.KZ_FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.KZ_FUZZ_SEED ?? 20_261_202);
/** Protocol errors a malformed request may get; Internal error (-32603) is not one of them. */
const CLIENT_ERRORS = new Set([-32700, -32600, -32601, -32602, -32001, -32002]);

const info = testCluster();
let server: TestServer;
let raw: RawSession;
let tools: Tool[];
const logFrom = serverLog.length;

beforeAll(async () => {
  const contexts = ((parse(readFileSync(info.kubeconfig, 'utf8')) as { contexts?: Array<{ name: string }> }).contexts ?? []).map((c) => c.name);
  server = await startTestServer({ kubeconfigPaths: [info.kubeconfig], toolDirs: [], settings: { policy: { readOnlyContexts: contexts } } });
  raw = await RawSession.open(server.url, server.token);
  const { client } = await connectClient(server.url, server.token);
  tools = (await client.listTools()).tools;
  await client.close();
});

afterAll(async () => {
  await server?.close();
});

/** Arrays nested `depth` deep, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? { k: value } : [value];
  return value;
}

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\t\n',
    '.',
    '..',
    '/',
    'a/b',
    'pod/..',
    'deploy/',
    '/x',
    '%',
    '%2e%2e',
    '%00',
    'x\u0000y',
    '\u0000',
    '\uD800',
    'a\uDFFFb',
    '\uDBFF\uDBFF',
    'app=web,!tier',
    'a in (b',
    '=',
    ',,',
    'metadata.name=',
    'status.phase!=Running,foo',
    'a'.repeat(254),
    '-n',
    '--kubeconfig=/etc/passwd',
    '${HOME}',
    '$(id)',
    '`id`',
    '/(a+)+$/',
    '/(?=x)/',
    '*',
    'all',
    'default',
    'kube-system',
    'Deployment.apps',
    'deployments.v1.apps',
    'ＤＥＦＡＵＬＴ',
    'pods',
    'po',
    'deploy',
    'cm',
    'secret',
    'nodes',
    'events',
    'pod/x',
    'deploy/web',
    'sts/db',
    'cj/nightly',
    'kz-admin',
    'kubernetes.io/hostname',
    'kind: ConfigMap\nmetadata: {name: x}',
    '---\n---',
    'a: &a [*a]',
    '{',
    '\u202Eevil',
    '🙂',
    'oci://',
    'https://127.0.0.1:1/charts',
    '../../etc',
  ),
  fc.integer({ min: 1025, max: 300_000 }).map((n) => 'k'.repeat(n)),
);
const extremeNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 0.5, 1e-300, 86_401, 1e12),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const anyJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  extremeNumber,
  hostileString,
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
  fc.integer({ min: 60, max: 3000 }).map(nested),
);

/** A value for one property: usually of its own type (edge cases included), sometimes anything. */
function valueFor(schema: { type?: string; enum?: unknown[] }): fc.Arbitrary<unknown> {
  const own = schema.enum
    ? fc.constantFrom(...schema.enum)
    : schema.type === 'string'
      ? hostileString
      : schema.type === 'integer' || schema.type === 'number'
        ? extremeNumber
        : schema.type === 'boolean'
          ? fc.boolean()
          : anyJson;
  return fc.oneof({ arbitrary: own, weight: 3 }, { arbitrary: anyJson, weight: 1 });
}

/** Arguments for one tool: any subset of its properties, now and then an unknown one, or not an object at all. */
function argumentsFor(tool: Tool): fc.Arbitrary<unknown> {
  const props = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string; enum?: unknown[] }>;
  const record = fc.record(Object.fromEntries(Object.entries(props).map(([k, s]) => [k, valueFor(s)])), { requiredKeys: [] });
  const withExtra = fc.tuple(record, fc.option(fc.tuple(fc.string({ unit: 'binary', maxLength: 12 }), anyJson), { freq: 5 })).map(([args, extra]) => {
    const out: Record<string, unknown> = { ...args };
    if (extra) out[extra[0]] = extra[1];
    // Helm previews would run helm against whatever repository a case names: keep them real
    // calls, which the read-only contexts refuse before helm starts.
    if (tool.name.startsWith('helm_')) delete out.dryRun;
    return out;
  });
  return fc.oneof({ arbitrary: withExtra, weight: 9 }, { arbitrary: anyJson, weight: 1 });
}

/** The longest the event loop may be held: while it is, no other session's call makes progress. */
const STALL_LIMIT_MS = 100;

/**
 * Sends one case and says how long the event loop was held at most while it was served. The
 * server runs in this process, so its blocking shows in the delay of a 10 ms timer.
 */
async function sendTimed(send: () => Promise<RawAnswer>): Promise<{ answer: RawAnswer; stallMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    const answer = await send();
    return { answer, stallMs: delay.max / 1e6 };
  } finally {
    delay.disable();
  }
}

/**
 * Sends a case and judges its answer and its stall. A stall over the limit is tried twice more on
 * its own: a garbage collection or the other test files' processes on two cores can delay a timer
 * once, while a case that really blocks (a regex that backtracks, a parse of a huge value) does it
 * every time.
 */
async function sendAndJudge(send: () => Promise<RawAnswer>, what: string): Promise<void> {
  let { answer, stallMs } = await sendTimed(send);
  judge(answer, what);
  for (let retry = 0; retry < 2 && stallMs > STALL_LIMIT_MS; retry++) {
    await new Promise((r) => setTimeout(r, 200));
    ({ answer, stallMs } = await sendTimed(send));
  }
  expect(stallMs, `${what}: held the event loop for ${Math.round(stallMs)} ms, three times`).toBeLessThanOrEqual(STALL_LIMIT_MS);
}

function judge(answer: RawAnswer, what: string): void {
  expect(answer.status, `${what}: HTTP ${answer.status}`).toBeLessThan(500);
  const m = answer.message as { error?: { code: number; message: string }; result?: unknown } | undefined;
  if (m?.error) expect(CLIENT_ERRORS.has(m.error.code), `${what}: ${JSON.stringify(m.error).slice(0, 500)}`).toBe(true);
  if (m?.result) expect(textOf(m.result), what).not.toMatch(/unexpectedly/);
}

const show = (v: unknown) => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
};

describe(`fuzzing (seed ${SEED}, ${RUNS} runs each)`, () => {
  it("every tool's arguments", { timeout: 600_000 }, async () => {
    const cases = fc.constantFrom(...tools).chain((tool) => argumentsFor(tool).map((args) => ({ tool: tool.name, args })));
    await fc.assert(
      fc.asyncProperty(cases, ({ tool, args }) => sendAndJudge(() => raw.callTool({ name: tool, arguments: args }), `${tool} ${show(args)}`)),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });

  it('JSON-RPC bodies', { timeout: 600_000 }, async () => {
    const params = fc.oneof(
      fc.constant(undefined),
      anyJson,
      fc.record({ name: fc.oneof(fc.constantFrom(...tools.map((t) => t.name)), anyJson), arguments: anyJson, _meta: anyJson }, { requiredKeys: [] }),
    );
    const body = fc.oneof(
      { arbitrary: params.map((p) => JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', ...(p === undefined ? {} : { params: p }) })), weight: 4 },
      {
        arbitrary: fc
          .record(
            {
              jsonrpc: fc.oneof(fc.constant('2.0'), anyJson),
              id: fc.oneof(fc.integer(), fc.string(), anyJson),
              method: fc.oneof(
                fc.constantFrom('tools/call', 'tools/list', 'prompts/get', 'resources/read', 'completion/complete', 'logging/setLevel', 'nope'),
                anyJson,
              ),
              params: anyJson,
            },
            { requiredKeys: [] },
          )
          .map((m) => JSON.stringify(m)),
        weight: 2,
      },
      { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), weight: 1 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(body, (text) => sendAndJudge(() => raw.send(text), show(text))),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });

  it('left nothing at error level and no "failed unexpectedly" in the log', () => {
    const lines = serverLog.slice(logFrom);
    expect(lines.filter((l) => /unexpectedly/.test(l))).toEqual([]);
    expect(lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });
});
