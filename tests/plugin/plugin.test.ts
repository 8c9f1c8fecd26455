/**
 * The kz Claude Code plugin (plugin/kz-marketplace/), checked two ways:
 *   - with the real Claude Code CLI and a private HOME: `claude plugin validate` accepts the
 *     marketplace, the plugin and its commands; `claude plugin marketplace add` + `install kz@kz`
 *     work and `plugin list` shows it; and the script /kz:install runs registers a real
 *     `kubezilla-mcp serve` with `claude mcp add --scope user` (connected, token never printed);
 *   - statically: every command names only Kubezilla's tools (the 18, and the destructive ones a
 *     person can enable), grants exactly the tools it uses, and passes argument names the tools'
 *     input schemas (tests/tools/__snapshots__) accept.
 *
 * Needs `bash tests/interop/install.sh` (Node 22 + the Claude Code CLI) and, for the install
 * script, `npm run build`; a missing piece fails with that instruction, never a skip.
 * Alone, without the cluster setup: npx vitest run -c tests/plugin/vitest.config.ts
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { clientBin, freshHome, NODE22_BIN, removeHomes, runClient, transcript, type RunResult } from '../interop/helpers/clients.js';
import { startServerProcess, type ServerProcess } from '../interop/helpers/server-process.js';

const MARKETPLACE = fileURLToPath(new URL('../../plugin/kz-marketplace', import.meta.url));
const PLUGIN = join(MARKETPLACE, 'kz');
const COMMANDS_DIR = join(PLUGIN, 'commands');
const INSTALL_SCRIPT = join(PLUGIN, 'scripts', 'kz-install.sh');
const SCHEMAS = JSON.parse(readFileSync(fileURLToPath(new URL('../tools/__snapshots__/tool-input-schemas.json', import.meta.url)), 'utf8')) as Record<
  string,
  { properties: Record<string, unknown>; required?: string[] }
>;

const COMMANDS = ['apply', 'contexts', 'delete', 'exec', 'forward', 'helm', 'install', 'investigate', 'list', 'logs', 'node', 'restart', 'scale', 'status'];
const READ_TOOLS = [
  'list_contexts',
  'list_namespaces',
  'list_kinds',
  'list_resources',
  'list_nodes',
  'get_resource_yaml',
  'describe_resource',
  'get_pod_logs',
  'get_events',
  'list_helm_releases',
  'get_helm_history',
  'get_helm_revision_diff',
  // Beyond the brief's twelve: CPU/memory usage for /kz:investigate, and the open forwards for /kz:forward.
  'top',
  'port_forward_list',
];
const DESTRUCTIVE_TOOLS = [
  'delete_resource',
  'helm_uninstall',
  'cordon_node',
  'uncordon_node',
  'drain_node',
  'taint_node',
  'port_forward_start',
  'exec_in_pod',
];
// port_forward_stop only closes a local listener, so it is a safe mutation, not a destructive tool.
const MUTATION_TOOLS = ['apply_yaml', 'scale', 'rollout_restart', 'helm_install', 'helm_upgrade', 'helm_rollback', 'port_forward_stop', ...DESTRUCTIVE_TOOLS];
const BRIEF_TOOLS = [...READ_TOOLS, ...MUTATION_TOOLS];
/** Commands that must never change anything. */
const READ_ONLY_COMMANDS = ['contexts', 'status', 'list', 'logs', 'investigate'];
/**
 * Argument names agreed for tools whose modules have not landed yet (so are not in the schema
 * snapshot). Once a tool is in the snapshot, the snapshot is what the commands are checked against.
 */
const AGREED_ARGUMENTS: Record<string, string[]> = {
  scale: ['resource', 'replicas', 'context', 'namespace', 'confirm'],
  rollout_restart: ['resource', 'context', 'namespace', 'confirm'],
  apply_yaml: ['diffOnly', 'context', 'namespace'],
  list_helm_releases: ['context', 'namespace'],
  get_helm_history: ['context', 'namespace'],
  get_helm_revision_diff: ['context', 'namespace'],
  helm_install: ['context', 'namespace'],
  helm_upgrade: ['context', 'namespace'],
  helm_rollback: ['context', 'namespace'],
};

const INSTALL_HINT = 'run bash tests/interop/install.sh (installs Node 22 and the Claude Code CLI)';

/** Fails, never skips, when Node 22 or the Claude Code CLI is missing. */
function requireClaude(): void {
  if (!existsSync(join(NODE22_BIN, 'node'))) throw new Error(`Node 22 is not installed at ${NODE22_BIN}: ${INSTALL_HINT}.`);
  if (!existsSync(clientBin('claude'))) throw new Error(`the Claude Code CLI is not installed at ${clientBin('claude')}: ${INSTALL_HINT}.`);
}

interface Command {
  name: string;
  frontmatter: Record<string, unknown>;
  body: string;
  text: string;
}

function readCommand(name: string): Command {
  const text = readFileSync(join(COMMANDS_DIR, `${name}.md`), 'utf8');
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!match) throw new Error(`${name}.md has no YAML frontmatter`);
  return { name, frontmatter: (parseYaml(match[1]!) ?? {}) as Record<string, unknown>, body: match[2]!, text };
}

function allowedTools(command: Command): string[] {
  const value = command.frontmatter['allowed-tools'];
  const list = Array.isArray(value) ? value.map(String) : String(value ?? '').split(/,(?![^(]*\))/);
  return list.map((entry) => entry.trim()).filter(Boolean);
}

const mcpToolsIn = (text: string): string[] => [...new Set([...text.matchAll(/mcp__kubezilla__(\w+)/g)].map((m) => m[1]!))];

/**
 * Calls written as `mcp__kubezilla__tool(arg, arg?, arg: value, <placeholder>)`: the argument
 * names, without placeholders (`<...>`, for arguments whose schema name the model reads itself).
 */
function callsIn(text: string): { tool: string; args: string[]; written: string }[] {
  return [...text.matchAll(/mcp__kubezilla__(\w+)\(([^)]*)\)/g)].map((m) => ({
    tool: m[1]!,
    written: m[0],
    args: m[2]!
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part && !part.startsWith('<'))
      .map((part) => /^[A-Za-z_][A-Za-z0-9_]*/.exec(part)?.[0] ?? `(unreadable: ${part})`),
  }));
}

describe('kz commands (static)', () => {
  const commands = COMMANDS.map(readCommand);

  it('are exactly the ten commands of the brief, and /kz:delete, /kz:node, /kz:exec and /kz:forward for the destructive tools', () => {
    expect(readdirSync(COMMANDS_DIR).sort()).toEqual(COMMANDS.map((c) => `${c}.md`));
  });

  it.each(commands.map((c) => [c.name, c] as const))('%s: has a description, an argument hint and reads $ARGUMENTS', (_name, command) => {
    expect(typeof command.frontmatter.description).toBe('string');
    expect((command.frontmatter.description as string).length).toBeGreaterThan(15);
    expect(typeof command.frontmatter['argument-hint']).toBe('string');
    expect(command.body).toContain('$ARGUMENTS');
  });

  it.each(commands.map((c) => [c.name, c] as const))("%s: names only Kubezilla's tools, and grants exactly the ones it uses", (_name, command) => {
    const mentioned = mcpToolsIn(command.body);
    for (const tool of mcpToolsIn(command.text)) expect(BRIEF_TOOLS, `mcp__kubezilla__${tool} in ${command.name}.md`).toContain(tool);

    const allowed = allowedTools(command);
    const allowedMcp = allowed.filter((t) => t.startsWith('mcp__')).map((t) => t.replace(/^mcp__kubezilla__/, ''));
    expect(allowed.filter((t) => t.startsWith('mcp__') && !t.startsWith('mcp__kubezilla__'))).toEqual([]);
    expect(allowedMcp.sort()).toEqual([...mentioned].sort());
    // No wildcard grants: every other tool is one of a short list, Bash only where a command runs a CLI.
    for (const tool of allowed.filter((t) => !t.startsWith('mcp__'))) {
      expect(tool, `${command.name}.md allows ${tool}`).toMatch(/^(Read|AskUserQuestion|Bash\([^*)]+(:\*)?\))$/);
      if (tool.startsWith('Bash(')) expect(['install', 'status']).toContain(command.name);
    }
  });

  it.each(commands.map((c) => [c.name, c] as const))('%s: passes only argument names the tool accepts', (_name, command) => {
    const calls = callsIn(command.body);
    expect(calls.length, `${command.name}.md writes no tool call as mcp__kubezilla__tool(args)`).toBeGreaterThan(command.name === 'install' ? -1 : 0);
    for (const call of calls) {
      const schema = SCHEMAS[call.tool];
      const known = schema ? Object.keys(schema.properties) : AGREED_ARGUMENTS[call.tool];
      expect(known, `${call.tool} is neither in the schema snapshot nor agreed`).toBeDefined();
      for (const arg of call.args) expect(known, `${call.written} in ${command.name}.md: "${arg}"`).toContain(arg);
      for (const required of schema?.required ?? [])
        expect(call.args, `${call.written} in ${command.name}.md lacks required "${required}"`).toContain(required);
    }
  });

  it('read-only commands use read tools only; the mutating ones cannot be started by the model itself', () => {
    for (const command of commands) {
      const tools = mcpToolsIn(command.body);
      if (READ_ONLY_COMMANDS.includes(command.name)) {
        expect(
          tools.filter((t) => MUTATION_TOOLS.includes(t)),
          command.name,
        ).toEqual([]);
      } else {
        expect(command.frontmatter['disable-model-invocation'], command.name).toBe(true);
      }
    }
    // Each mutation tool is reachable from some command.
    expect(new Set(commands.flatMap((c) => mcpToolsIn(c.body)))).toEqual(new Set(BRIEF_TOOLS));
  });

  it("the commands carry the brief's promises: confirmations, previews, production strictness", () => {
    const get = (name: string) => commands.find((c) => c.name === name)!.body;
    expect(get('scale')).toMatch(/\*\*0\*\*/);
    expect(get('scale')).toMatch(/10×/);
    expect(get('restart')).toMatch(/type the workload name/);
    expect(get('restart')).toMatch(/prod/);
    expect(get('apply')).toMatch(/diffOnly: true/);
    expect(get('logs')).toMatch(/-n200/);
    for (const ref of ['deploy/', 'sts/', 'ds/', 'pod/', 'job/', 'cj/']) expect(get('logs')).toContain(ref);
    for (const verb of ['list', 'history', 'diff', 'install', 'upgrade', 'rollback', 'uninstall']) expect(get('helm')).toContain(`**${verb}**`);
    for (const verb of ['cordon', 'uncordon', 'drain', 'taint']) expect(get('node')).toContain(`**${verb}**`);
    // Every destructive command previews first and relays the server's own question, never a confirm of its own making.
    expect(get('delete')).toMatch(/dryRun: true/);
    expect(get('node')).toMatch(/dryRun: true/);
    for (const name of ['delete', 'node', 'helm', 'forward', 'exec']) expect(get(name), name).toMatch(/Never invent a `confirm` value/);
    // A leading context name is matched against list_contexts by every resource-aware command.
    for (const name of ['logs', 'investigate', 'scale', 'restart', 'list', 'apply', 'helm', 'delete', 'node', 'forward', 'exec']) {
      expect(get(name), name).toContain('mcp__kubezilla__list_contexts()');
    }
  });

  it('/kz:install runs only the bundled script, exactly as its allowed-tools grant it', () => {
    const install = commands.find((c) => c.name === 'install')!;
    expect(allowedTools(install)).toEqual(['Bash(sh ${CLAUDE_PLUGIN_ROOT}/scripts/kz-install.sh:*)']);
    expect(install.body).toContain('sh ${CLAUDE_PLUGIN_ROOT}/scripts/kz-install.sh');
    expect(existsSync(INSTALL_SCRIPT)).toBe(true);
    expect(readFileSync(INSTALL_SCRIPT, 'utf8')).toContain('claude_bin" mcp add --scope user kubezilla --transport http');
  });

  it('the manifests name the marketplace and the plugin kz, at the same version', () => {
    const market = JSON.parse(readFileSync(join(MARKETPLACE, '.claude-plugin', 'marketplace.json'), 'utf8'));
    const plugin = JSON.parse(readFileSync(join(PLUGIN, '.claude-plugin', 'plugin.json'), 'utf8'));
    expect(market.name).toBe('kz');
    expect(market.plugins).toHaveLength(1);
    expect(market.plugins[0]).toMatchObject({ name: 'kz', source: './kz', version: plugin.version });
    expect(plugin.name).toBe('kz');
  });
});

describe('kz plugin with the real Claude Code CLI', () => {
  beforeAll(() => requireClaude());
  afterAll(() => removeHomes());

  const claude = async (home: string, ...args: string[]): Promise<RunResult> => {
    const run = await runClient('claude', args, home, { timeoutMs: 90_000 });
    expect(run.code, transcript(run)).toBe(0);
    return run;
  };

  it('validates the marketplace, the plugin and its commands with no error or warning', async () => {
    const home = freshHome('plugin-validate');
    for (const target of [MARKETPLACE, PLUGIN, COMMANDS_DIR]) {
      const run = await claude(home, 'plugin', 'validate', '--strict', '--json', target);
      const report = JSON.parse(run.stdout);
      expect(report.success, transcript(run)).toBe(true);
      const problems = [report.manifest, ...(report.contents ?? [])].filter(Boolean).flatMap((r) => [...(r.errors ?? []), ...(r.warnings ?? [])]);
      expect(problems, transcript(run)).toEqual([]);
      if (target === PLUGIN) {
        expect([...report.provides.commands].sort()).toEqual(COMMANDS.map((c) => `kz:${c}`));
        // The plugin directory's own checks (README, ...): nothing that would block a submission.
        expect(
          (report.directory?.findings ?? []).filter((f: { blocking?: boolean }) => f.blocking),
          transcript(run),
        ).toEqual([]);
      }
    }
  });

  it('adds the marketplace, installs kz@kz and lists it with its thirteen commands', async () => {
    const home = freshHome('plugin-install');
    const added = await claude(home, 'plugin', 'marketplace', 'add', MARKETPLACE);
    expect(added.stdout + added.stderr).toMatch(/Successfully added marketplace: kz/);

    const markets = await claude(home, 'plugin', 'marketplace', 'list');
    expect(markets.stdout).toMatch(new RegExp(`❯ kz\\s+Source: \\w+ \\(${MARKETPLACE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    const marketsJson = JSON.parse((await claude(home, 'plugin', 'marketplace', 'list', '--json')).stdout) as { name: string; path?: string }[];
    expect(marketsJson).toContainEqual(expect.objectContaining({ name: 'kz', path: MARKETPLACE }));

    const installed = await claude(home, 'plugin', 'install', 'kz@kz');
    expect(installed.stdout + installed.stderr).toMatch(/Successfully installed plugin: kz@kz/);

    const list = await claude(home, 'plugin', 'list');
    expect(list.stdout).toMatch(/❯ kz@kz/);
    const listJson = JSON.parse((await claude(home, 'plugin', 'list', '--json')).stdout) as { id: string; enabled: boolean; installPath: string }[];
    const kz = listJson.find((p) => p.id === 'kz@kz');
    expect(kz, JSON.stringify(listJson)).toMatchObject({ enabled: true });
    for (const name of COMMANDS) expect(existsSync(join(kz!.installPath, 'commands', `${name}.md`)), name).toBe(true);
    expect(existsSync(join(kz!.installPath, 'scripts', 'kz-install.sh'))).toBe(true);

    const details = await claude(home, 'plugin', 'details', 'kz@kz');
    for (const name of COMMANDS) expect(details.stdout, transcript(details)).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('installs in one step with --marketplace <path>, as the plugin README says', async () => {
    const home = freshHome('plugin-install-one-step');
    await claude(home, 'plugin', 'install', 'kz', '--marketplace', MARKETPLACE);
    expect((await claude(home, 'plugin', 'list')).stdout).toMatch(/❯ kz@kz/);
  });
});

describe('/kz:install script against a running server and the real Claude Code CLI', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    requireClaude();
    server = await startServerProcess({ toolDirs: [], label: 'plugin-kz-install' });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    removeHomes();
  });

  const fingerprint = (token: string) => 'sha256:' + createHash('sha256').update(token).digest('hex').slice(0, 12);
  const registration = (home: string) =>
    (JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')) as { mcpServers?: Record<string, unknown> }).mcpServers?.kubezilla;

  /** Runs the script as /kz:install does (`sh <script> [url]`), with claude and Node 22 on PATH. */
  function install(home: string, configDir: string, url?: string): Promise<RunResult> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of ['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'KUBEZILLA_MCP_URL']) delete env[key];
    Object.assign(env, {
      HOME: home,
      KUBEZILLA_CONFIG_DIR: configDir,
      KZ_CLAUDE: clientBin('claude'),
      PATH: `${NODE22_BIN}${delimiter}${process.env.PATH ?? ''}`,
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      NO_COLOR: '1',
      CI: '1',
    });
    return new Promise((resolve, reject) => {
      const child = spawn('sh', [INSTALL_SCRIPT, ...(url ? [url] : [])], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  it('registers the server at user scope, connected, reporting the fingerprint and never the token', async () => {
    const home = freshHome('plugin-kz-install');
    const run = await install(home, server.configDir, server.url);
    expect(run.code, transcript(run)).toBe(0);
    expect(run.stdout).toContain(`token ${fingerprint(server.token)}`);
    expect(run.stdout).toMatch(/kubezilla: http:\/\/127\.0\.0\.1:\d+\/mcp \(HTTP\) - [✓✔] Connected/);
    expect(run.stdout + run.stderr).not.toContain(server.token);
    expect(registration(home)).toEqual({ type: 'http', url: server.url, headers: { Authorization: `Bearer ${server.token}` } });

    // Running it again replaces the entry instead of failing on the existing one.
    const again = await install(home, server.configDir, server.url);
    expect(again.code, transcript(again)).toBe(0);
    expect(again.stdout).toMatch(/removed the older kubezilla entry \(user scope\)/);
    expect(again.stdout + again.stderr).not.toContain(server.token);
  });

  it('replaces an entry holding an old token, and says (exit 2) when the server refuses the token', async () => {
    const home = freshHome('plugin-kz-install-stale');
    expect((await install(home, server.configDir, server.url)).code).toBe(0);
    // Another token, as after a Regenerate whose new token the server does not have.
    const otherDir = join(home, 'other-config');
    mkdirSync(otherDir, { recursive: true });
    const other = 'kz_' + randomBytes(32).toString('base64url');
    writeFileSync(join(otherDir, 'mcp.token'), other + '\n', { mode: 0o600 });

    const run = await install(home, otherDir, server.url);
    expect(run.code, transcript(run)).toBe(2);
    expect(run.stdout).toContain(`token ${fingerprint(other)}`);
    expect(run.stdout).toMatch(/Failed to connect/);
    expect(run.stdout + run.stderr).not.toContain(other);
    expect(registration(home)).toEqual({ type: 'http', url: server.url, headers: { Authorization: `Bearer ${other}` } });
  });

  it('fails (exit 1) without registering anything when there is no token', async () => {
    const home = freshHome('plugin-kz-install-none');
    const run = await install(home, join(home, 'no-such-config'), server.url);
    expect(run.code, transcript(run)).toBe(1);
    expect(run.stderr).toMatch(/no token at .*mcp\.token/);
    expect(existsSync(join(home, '.claude.json')) ? registration(home) : undefined).toBeUndefined();
  });
});
