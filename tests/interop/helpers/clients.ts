/**
 * Runs the real MCP clients installed by tests/interop/install.sh (MCP Inspector CLI, Claude Code
 * CLI, the conformance suite) under Node 22, with a private HOME so nothing touches the real
 * user's configuration. A missing client is a failure that says how to install it, never a skip.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INTEROP_DIR = fileURLToPath(new URL('..', import.meta.url));
export const NODE22_BIN = join(process.env.KUBEZILLA_NODE22_PREFIX ?? join(homedir(), '.cache', 'kubezilla', 'node22'), 'node_modules', 'node', 'bin');

export type ClientName = 'inspector' | 'claude' | 'conformance';
const CLIENTS: readonly ClientName[] = ['inspector', 'claude', 'conformance'];

const INSTALL_HINT = 'run `bash tests/interop/install.sh` (installs Node 22 under ~/.cache/kubezilla/node22 and the clients in tests/interop/node_modules)';

export function clientBin(name: ClientName): string {
  return join(INTEROP_DIR, 'node_modules', '.bin', name);
}

/** Throws, naming what is missing and how to install it, unless Node 22 and every client are present. */
export async function requireClients(): Promise<void> {
  const node = join(NODE22_BIN, 'node');
  if (!existsSync(node)) throw new Error(`Node 22 is not installed at ${node}: ${INSTALL_HINT}.`);
  const version = await run(node, ['--version'], { timeoutMs: 20_000 });
  if (!/^v22\./.test(version.stdout.trim())) {
    throw new Error(`${node} is ${version.stdout.trim() || 'not runnable'}, not Node 22: ${INSTALL_HINT}.`);
  }
  const missing = CLIENTS.filter((name) => !existsSync(clientBin(name)));
  if (missing.length)
    throw new Error(`MCP client(s) not installed: ${missing.join(', ')} (expected in ${join(INTEROP_DIR, 'node_modules', '.bin')}): ${INSTALL_HINT}.`);
}

const homes: string[] = [];

/** A fresh, empty HOME for a client (it will hold the token in the client's config). */
export function freshHome(label: string): string {
  const home = mkdtempSync(join(tmpdir(), `kz-interop-${label}-`));
  homes.push(home);
  return home;
}

export function removeHomes(): void {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/**
 * Runs a client with Node 22 first on PATH and the given HOME. Variables that would point a
 * client at the real user's configuration are dropped.
 */
export function runClient(name: ClientName, args: string[], home: string, options: RunOptions = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of [
    'CLAUDE_CONFIG_DIR',
    'MCP_CATALOG_PATH',
    'MCP_CLIENT_CONFIG_PATH',
    'XDG_CONFIG_HOME',
    'XDG_CACHE_HOME',
    'XDG_DATA_HOME',
    'XDG_STATE_HOME',
  ]) {
    delete env[key];
  }
  Object.assign(env, {
    HOME: home,
    USERPROFILE: home,
    PATH: `${NODE22_BIN}${delimiter}${process.env.PATH ?? ''}`,
    // No network beyond the loopback server: no auto-update, telemetry or other chatter.
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    // The Inspector otherwise probes for an OS keychain and prints a paragraph about it.
    MCP_INSPECTOR_SECRET_STORE: 'memory',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    CI: '1',
    ...options.env,
  });
  return run(clientBin(name), args, { ...options, env, cwd: options.cwd ?? home });
}

function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs} ms.\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${err.message}; ${INSTALL_HINT}.`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** For assertion messages: everything a client printed. */
export function transcript(result: RunResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}
