/**
 * Kubezilla against real, unmodified MCP clients, each run as a user would run it:
 *   - the MCP Inspector CLI 2.x (`inspector --cli URL --transport http --header ...`), and over stdio
 *     from a client configuration that starts `kubezilla-mcp stdio`,
 *   - the Claude Code CLI (`claude mcp add --scope user ...`, `claude mcp list`) with a private HOME,
 *   - the official conformance suite (`conformance server --url ...`) through a proxy that adds
 *     the Authorization header,
 * all against one `kubezilla-mcp serve` process loaded with the conformance module pack, whose
 * whole log is finally searched for the token.
 *
 * Needs `npm run build` and `bash tests/interop/install.sh` (Node 22 + the clients); a missing
 * piece fails the tests with that instruction. No network beyond loopback.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startAuthProxy, type AuthProxy } from './helpers/auth-proxy.js';
import { freshHome, removeHomes, requireClients, runClient, transcript } from './helpers/clients.js';
import { artifactsDir, CLI, startServerProcess, type ServerProcess } from './helpers/server-process.js';

const PACK = fileURLToPath(new URL('./conformance-pack', import.meta.url));
const EXPECTED_FAILURES = fileURLToPath(new URL('./conformance-expected-failures.yml', import.meta.url));

/** The pack's tools, which tools/list must show (beside the built-in ones). */
const FIXTURE_TOOLS = [
  'test_simple_text',
  'test_image_content',
  'test_audio_content',
  'test_embedded_resource',
  'test_multiple_content_types',
  'test_tool_with_logging',
  'test_tool_with_progress',
  'test_error_handling',
  'test_sampling',
  'test_elicitation',
  'test_elicitation_sep1034_defaults',
  'test_elicitation_sep1330_enums',
  'json_schema_2020_12_tool',
];

/** A well-formed token that is not the server's. */
const WRONG_TOKEN = `kz_${randomBytes(32).toString('base64url')}`;

let server: ServerProcess;
let setupFailure: unknown;

beforeAll(async () => {
  try {
    await requireClients();
    server = await startServerProcess({ toolDirs: [PACK], label: 'clients' });
  } catch (err) {
    setupFailure = err;
  }
}, 60_000);

// A missing client or build fails every test with the instruction to install it (never a skip).
beforeEach(() => {
  if (setupFailure) throw setupFailure;
});

afterAll(async () => {
  await server?.stop();
  removeHomes();
});

describe('MCP Inspector CLI', () => {
  const inspector = (token: string, ...method: string[]) =>
    runClient(
      'inspector',
      ['--cli', server.url, '--transport', 'http', '--header', `Authorization: Bearer ${token}`, '--format', 'json', ...method],
      freshHome('inspector'),
    );

  it('lists the fixture tools with their annotations', async () => {
    const run = await inspector(server.token, '--method', 'tools/list');
    expect(run.code, transcript(run)).toBe(0);
    const { result } = JSON.parse(run.stdout) as { result: { tools: Array<{ name: string; annotations?: Record<string, unknown> }> } };
    // The built-in Kubernetes tools are listed too; the pack's must all be there.
    expect(result.tools.map((t) => t.name)).toEqual(expect.arrayContaining(FIXTURE_TOOLS));
    expect(result.tools.find((t) => t.name === 'test_simple_text')?.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
  });

  it('calls a tool and reads a templated resource', async () => {
    const call = await inspector(server.token, '--method', 'tools/call', '--tool-name', 'json_schema_2020_12_tool', '--tool-arg', 'name=Ada');
    expect(call.code, transcript(call)).toBe(0);
    expect(JSON.parse(call.stdout)).toEqual({
      result: { content: [{ type: 'text', text: 'JSON Schema 2020-12 tool called with: {"name":"Ada"}' }] },
    });

    const read = await inspector(server.token, '--method', 'resources/read', '--uri', 'test://template/42/data');
    expect(read.code, transcript(read)).toBe(0);
    const { result } = JSON.parse(read.stdout) as { result: { contents: Array<{ uri: string; text: string }> } };
    expect(result.contents[0]).toMatchObject({ uri: 'test://template/42/data' });
    expect(JSON.parse(result.contents[0]!.text)).toMatchObject({ id: '42' });
  });

  it('fails visibly with a wrong token', async () => {
    // --stored-auth-only: the CI mode; without it the Inspector would try to start an OAuth login.
    const run = await inspector(WRONG_TOKEN, '--stored-auth-only', '--method', 'tools/list');
    expect(run.code, transcript(run)).not.toBe(0);
    expect(run.stdout).not.toContain('test_simple_text');
    expect(run.stderr, transcript(run)).toMatch(/auth_required/);
    expect(run.stderr, transcript(run)).toMatch(/bearer token is not valid/i);
  });
});

describe('MCP Inspector CLI over stdio', () => {
  // How Claude Desktop, Cursor or VS Code would run it: a client configuration naming the command.
  it('starts `kubezilla-mcp stdio` from a client configuration, lists the tools and calls one', async () => {
    const home = freshHome('inspector-stdio');
    const config = join(home, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          kubezilla: { command: process.execPath, args: [CLI, 'stdio', '--config-dir', join(home, 'kz-config'), '--tools-dir', PACK] },
        },
      }),
    );
    const inspector = (...method: string[]) =>
      runClient('inspector', ['--cli', '--config', config, '--server', 'kubezilla', '--format', 'json', ...method], home);
    const list = await inspector('--method', 'tools/list');
    expect(list.code, transcript(list)).toBe(0);
    const { result } = JSON.parse(list.stdout) as { result: { tools: Array<{ name: string }> } };
    expect(result.tools.map((t) => t.name)).toEqual(expect.arrayContaining([...FIXTURE_TOOLS, 'list_namespaces']));
    const call = await inspector('--method', 'tools/call', '--tool-name', 'json_schema_2020_12_tool', '--tool-arg', 'name=Ada');
    expect(call.code, transcript(call)).toBe(0);
    expect(JSON.parse(call.stdout)).toEqual({
      result: { content: [{ type: 'text', text: 'JSON Schema 2020-12 tool called with: {"name":"Ada"}' }] },
    });
    // No token was needed, so none was made.
    expect(existsSync(join(home, 'kz-config', 'mcp.token'))).toBe(false);
  });
});

describe('Claude Code CLI', () => {
  const register = async (home: string, token: string) => {
    const run = await runClient(
      'claude',
      ['mcp', 'add', '--scope', 'user', 'kubezilla', '--transport', 'http', server.url, '--header', `Authorization: Bearer ${token}`],
      home,
    );
    expect(run.code, transcript(run)).toBe(0);
  };

  it('registers Kubezilla at user scope in ~/.claude.json and reports it connected', async () => {
    const home = freshHome('claude');
    await register(home, server.token);

    const config = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')) as { mcpServers?: Record<string, unknown> };
    expect(config.mcpServers?.kubezilla).toEqual({
      type: 'http',
      url: server.url,
      headers: { Authorization: `Bearer ${server.token}` },
    });

    const list = await runClient('claude', ['mcp', 'list'], home);
    expect(list.code, transcript(list)).toBe(0);
    const line = list.stdout.split('\n').find((l) => l.startsWith('kubezilla:'));
    expect(line, transcript(list)).toMatch(/^kubezilla: http:\/\/127\.0\.0\.1:\d+\/mcp \(HTTP\) - [✓✔] Connected\s*$/);
  });

  it('reports the 401 when the registered token is wrong', async () => {
    const home = freshHome('claude-wrong');
    await register(home, WRONG_TOKEN);
    const list = await runClient('claude', ['mcp', 'list'], home);
    const line = list.stdout.split('\n').find((l) => l.startsWith('kubezilla:'));
    expect(line, transcript(list)).toMatch(/[✗✘] Failed to connect/);
    expect(line, transcript(list)).toMatch(/HTTP 401/);
    expect(line).not.toMatch(/Connected\s*$/);
  });
});

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

describe('MCP conformance suite (conformance server)', () => {
  let proxy: AuthProxy | undefined;
  afterAll(async () => proxy?.close());

  it('passes every server scenario (active and pending) but the documented exceptions, through an auth-adding proxy', async () => {
    proxy = await startAuthProxy(server.url, server.token);
    const home = freshHome('conformance');

    const listing = await runClient('conformance', ['list', '--server'], home);
    expect(listing.code, transcript(listing)).toBe(0);
    const scenarios = [...listing.stdout.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]!);
    expect(scenarios.length, transcript(listing)).toBeGreaterThanOrEqual(30);

    const results = join(artifactsDir(), 'conformance');
    const run = await runClient(
      'conformance',
      ['server', '--url', proxy.url, '--suite', 'all', '--expected-failures', EXPECTED_FAILURES, '--output-dir', results],
      home,
      { timeoutMs: 240_000 },
    );

    // Per scenario, from the suite's own checks.json files: server-<scenario>-<timestamp>/checks.json.
    const byScenario = new Map<string, Check[]>();
    for (const dir of existsSync(results) ? readdirSync(results) : []) {
      const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
      byScenario.set(scenario, JSON.parse(readFileSync(join(results, dir, 'checks.json'), 'utf8')) as Check[]);
    }
    // Like the suite's baseline logic, a WARNING (a SHOULD not met) counts as not passing.
    const expectedFailures = (parseYaml(readFileSync(EXPECTED_FAILURES, 'utf8')) as { server?: string[] } | null)?.server ?? [];
    const problems = [...byScenario].flatMap(([scenario, checks]) =>
      expectedFailures.includes(scenario)
        ? []
        : checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${scenario}/${c.id} ${c.status}: ${c.errorMessage}`),
    );
    const tail = `\n(results in ${results})\n${run.stdout.slice(run.stdout.indexOf('=== SUMMARY ==='))}\n${run.stderr}`;

    expect(problems, `conformance checks failed outside ${EXPECTED_FAILURES}${tail}`).toEqual([]);
    expect([...byScenario.keys()].sort(), `every listed scenario must have run${tail}`).toEqual([...scenarios].sort());
    // Exit 0 also means no listed exception has started passing (the suite calls that a stale entry).
    expect(run.code, transcript(run)).toBe(0);
    expect(run.stdout).toMatch(/Total: \d+ passed, 0 failed/);
  }, 300_000);
});

describe('token hygiene', () => {
  it('the server logged nothing containing the token (nor the wrong one the clients sent)', () => {
    const log = server.output();
    // The log is not empty: the clients' sessions and calls above were recorded, at debug level.
    expect(log).toMatch(/session opened/);
    expect(log).toMatch(/"tools\/call"/);
    expect(log.includes(server.token), `the token appears in ${server.logFile}`).toBe(false);
    expect(log.includes(WRONG_TOKEN), `the wrong token appears in ${server.logFile}`).toBe(false);
    // Nor any recognisable part of it (a log that truncates or splits the value still leaks it).
    for (const secret of [server.token, WRONG_TOKEN]) {
      const body = secret.slice(3);
      for (let i = 0; i + 16 <= body.length; i += 8) {
        expect(log.includes(body.slice(i, i + 16)), `a piece of a token appears in ${server.logFile}`).toBe(false);
      }
    }
  });
});
