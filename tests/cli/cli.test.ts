// The built CLI as a person runs it: real processes, real files, one clear line per failure.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { loadRegistry } from '../../src/kernel/registry.js';
import { testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../dist/kubezilla-mcp.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../docs/examples', import.meta.url));
const tempDir = () => mkdtempSync(join(tmpdir(), 'kz-cli-'));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
});

/**
 * Starts `serve` and resolves with the first stdout line plus everything logged on stderr. `cli`
 * and `nodeArgs` run another entry point (the unbundled build) or give Node flags.
 */
function serve(
  args: string[],
  options: { cli?: string; nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<{ child: ChildProcess; firstLine: string; stderr: () => string }> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.cli ?? CLI, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ child, firstLine: out.split('\n')[0]!, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

describe('kubezilla-mcp CLI', () => {
  it('prints help and version', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/kubezilla-mcp serve \[options\]/);
    expect(help.stdout).toMatch(/--tools-dir DIR/);
    expect(help.stdout).toMatch(/--enable-destructive {3}Offer the destructive tools/);
    expect((await run(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [['serve', '--port', 'eighty'], /^kubezilla-mcp: BAD_FLAG: --port must be a port number from 0 to 65535 \(got "eighty"\)\n$/],
    [['serve', '--frobnicate'], /^kubezilla-mcp: BAD_FLAG: Unknown option '--frobnicate'.*\n$/],
    [['token', '--port', '1'], /^kubezilla-mcp: BAD_FLAG: --port does not apply to "token"/],
    [['launch'], /^kubezilla-mcp: BAD_FLAG: unknown command "launch"/],
  ])('refuses bad input %j in one line with a non-zero exit', async (args, line) => {
    const result = await run(args, { KUBEZILLA_CONFIG_DIR: tempDir() });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(line);
  });

  it('reports an unusable config directory', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, '');
    const result = await run(['token', '--config-dir', join(file, 'sub')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^kubezilla-mcp: CONFIG_DIR_UNUSABLE: config directory .*not-a-dir\/sub is not usable: ENOTDIR/);
  });

  it('creates the token 0600 in a 0700 directory, prints it only when asked, regenerates it', async () => {
    const dir = join(tempDir(), 'KubezillaDesktop');
    const token = (await run(['token', '--config-dir', dir])).stdout.trim();
    expect(token).toMatch(/^kz_[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(dir, 'mcp.token')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect((await run(['token', '--config-dir', dir])).stdout.trim()).toBe(token);
    const fingerprint = (await run(['token', '--fingerprint', '--config-dir', dir])).stdout.trim();
    expect(fingerprint).toMatch(/^sha256:[0-9a-f]{12}$/);
    const regenerated = await run(['token', '--regenerate', '--config-dir', dir]);
    expect(regenerated.stdout).not.toContain('kz_');
    expect(readFileSync(join(dir, 'mcp.token'), 'utf8').trim()).not.toBe(token);
    expect(regenerated.stdout).not.toContain(fingerprint);
  });

  it('uses KUBEZILLA_CONFIG_DIR when no --config-dir is given', async () => {
    const dir = tempDir();
    const token = (await run(['token'], { KUBEZILLA_CONFIG_DIR: dir })).stdout.trim();
    expect(readFileSync(join(dir, 'mcp.token'), 'utf8').trim()).toBe(token);
  });

  it('refuses a corrupt settings.json and leaves it untouched', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'settings.json'), '{"mcp": {"port": "seventy"}}');
    const result = await run(['serve', '--config-dir', dir, '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/SETTINGS_INVALID: .*settings\.json is not valid: `mcp\.port` must be integer \(got "seventy"\)/);
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe('{"mcp": {"port": "seventy"}}');
    writeFileSync(join(dir, 'settings.json'), '{"mcp": ');
    expect((await run(['serve', '--config-dir', dir])).stderr).toMatch(/settings\.json is not valid JSON/);
    // `null` is a broken file, not "no settings": starting from defaults would lift its restrictions.
    for (const text of ['null', '[]', '7']) {
      writeFileSync(join(dir, 'settings.json'), text);
      const broken = await run(['serve', '--config-dir', dir, '--port', '0']);
      expect(broken.code, text).toBe(1);
      expect(broken.stderr).toMatch(/SETTINGS_INVALID: .*settings\.json must hold a JSON object of settings, not (null|a list|a number)/);
      expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe(text);
    }
  });

  it('reports a port in use in one line', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = String((blocker.address() as { port: number }).port);
    const result = await run(['serve', '--enable', '--port', port, '--config-dir', tempDir()]);
    blocker.close();
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      `kubezilla-mcp: PORT_IN_USE: MCP server port ${port} on 127.0.0.1 is already in use. Stop the other process (another kubezilla-mcp?) or choose another port (--port).`,
    );
  });

  it('refuses a bad module in --tools-dir at start-up, naming the file', async () => {
    const bad = fileURLToPath(new URL('../fixtures/modules/bad/bad-safety', import.meta.url));
    const result = await run(['serve', '--config-dir', tempDir(), '--tools-dir', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/MODULE_INVALID: .*bad-safety\/tool\.mjs: tool bad_safety has safety "dangerous"/);
  });

  it('serves, answers `status`, and loads the worked example module through --tools-dir', async () => {
    const dir = tempDir();
    const cluster = testCluster();
    // --enable-destructive: every built-in module is offered for this run, the destructive ones too.
    const { firstLine, stderr } = await serve([
      '--enable',
      '--enable-destructive',
      '--port',
      '0',
      '--config-dir',
      dir,
      '--tools-dir',
      EXAMPLES,
      '--kubeconfig',
      cluster.kubeconfig,
    ]);
    const url = /running on (http:\/\/\S+\/mcp)/.exec(firstLine)![1]!;
    const token = readFileSync(join(dir, 'mcp.token'), 'utf8').trim();
    const { client } = await connectClient(url, token);
    // The program users run is the single-file build: it must serve every built-in module the
    // sources have (found at build time), plus the --tools-dir ones.
    const builtIn = await loadRegistry(() => true, []);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([...builtIn.tools.keys(), 'pods_by_phase', 'selector_explain'].sort());
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual([...builtIn.prompts.keys()]);
    // The Kubernetes client and ssh2 stay outside the bundle and load on first use: a cluster call
    // through the SSH bastion's context needs both.
    const viaBastion = await client.callTool({ name: 'list_namespaces', arguments: { context: cluster.contexts.ssh! } });
    expect(textOf(viaBastion)).toMatch(/^NAME\s+STATUS\s+AGE\n(.*\n)*kube-system\s+Active/);
    const result = await client.callTool({ name: 'selector_explain', arguments: { selector: 'app=web,tier in (a, b),!canary' } });
    expect(textOf(result)).toBe('Matches objects whose labels satisfy all of:\n- app equals "web"\n- tier is one of: a, b\n- has no label canary');
    const bad = await client.callTool({ name: 'selector_explain', arguments: { selector: 'app=web,=x' } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/requirement 2 \("=x"\) is not valid selector syntax/);
    await client.close();

    // `status` reads the saved settings; point them at this run's port.
    const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'));
    settings.mcp.port = Number(new URL(url).port);
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings));
    const status = await run(['status', '--config-dir', dir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/server: {3}answering \(initialize 200\)/);
    // The flag was for that run only: the saved settings still keep the destructive tools off.
    expect(status.stdout).toMatch(/tools: {4}read, safe-mutation; destructive off\n/);
    expect(settings.policy?.enabledClasses ?? ['read', 'safe-mutation']).not.toContain('destructive');
    expect(stderr()).not.toContain(token);
  });

  it('stdio --enable-destructive offers the destructive tools to that one session', async () => {
    const cluster = testCluster();
    const list = async (extra: string[]) => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'stdio', '--config-dir', tempDir(), '--kubeconfig', cluster.kubeconfig, ...extra],
        env: { PATH: process.env.PATH ?? '', HOME: tempDir() },
        stderr: 'pipe',
      });
      const client = new Client({ name: 'cli-test', version: '1' });
      await client.connect(transport);
      try {
        return (await client.listTools()).tools.map((t) => t.name);
      } finally {
        await client.close();
      }
    };
    expect(await list([])).not.toContain('drain_node');
    expect(await list(['--enable-destructive'])).toEqual(expect.arrayContaining(['delete_resource', 'drain_node', 'helm_uninstall']));
  });

  it('a laptop start loads neither team mode (undici) nor the metrics (prom-client) it does not use', async () => {
    // Each costs every start tens of milliseconds of module evaluation; they load when their flags
    // are given. The unbundled build shows the module graph: CommonJS packages land in require.cache.
    const out = join(tempDir(), 'loaded.json');
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const record = `import { createRequire } from 'node:module'; import { writeFileSync } from 'node:fs'; const r = createRequire(${JSON.stringify(cli)}); process.on('exit', () => writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(r.cache))));`;
    const { child, firstLine } = await serve(['--enable', '--port', '0', '--ui-port', '0', '--config-dir', tempDir()], {
      cli,
      nodeArgs: ['--import', `data:text/javascript,${encodeURIComponent(record)}`],
      env: { ...process.env, KUBECONFIG: join(tempDir(), 'none') },
    });
    expect(firstLine).toMatch(/^MCP server running on /);
    // A signal right after the first line is handled: the server closes and exits, writing the record.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[];
    expect(loaded.some((file) => file.includes('/node_modules/koa/'))).toBe(true); // the record itself works
    expect(loaded.filter((file) => /\/node_modules\/(undici|prom-client)\//.test(file))).toEqual([]);
  });

  it('`status` says so when nothing answers', async () => {
    const dir = tempDir();
    await run(['token', '--config-dir', dir]);
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ mcp: { enabled: true, port } }));
    chmodSync(join(dir, 'settings.json'), 0o600);
    const status = await run(['status', '--config-dir', dir]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/not reachable \(ECONNREFUSED\)/);
  });
});
