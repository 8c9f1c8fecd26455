/**
 * Runs the built server (`node dist/kubezilla-mcp.js serve`) as a child process with an isolated config
 * directory and HOME, the way a person runs it, and keeps every line it writes (stdout and the
 * JSON log on stderr) in memory and in test-artifacts/interop/ so a test can grep it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const CLI = join(REPO_ROOT, 'dist', 'kubezilla-mcp.js');

let runDir: string | undefined;

/** test-artifacts/interop/<timestamp>-<pid>/: server logs and conformance results of this run. */
export function artifactsDir(): string {
  if (!runDir) {
    runDir = join(REPO_ROOT, 'test-artifacts', 'interop', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
    mkdirSync(runDir, { recursive: true });
  }
  return runDir;
}

export interface ServerProcess {
  url: string;
  token: string;
  configDir: string;
  /** Everything the process has written so far, stdout and stderr interleaved as received. */
  output(): string;
  logFile: string;
  stop(): Promise<void>;
}

export async function startServerProcess(options: { toolDirs: string[]; label: string }): Promise<ServerProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first.`);
  const scratch = mkdtempSync(join(tmpdir(), 'kz-interop-server-'));
  const configDir = join(scratch, 'config');
  const args = ['serve', '--enable', '--port', '0', '--ui-port', '0', '--config-dir', configDir, '--log-level', 'debug'];
  for (const dir of options.toolDirs) args.push('--tools-dir', dir);

  const logFile = join(artifactsDir(), `server-${options.label}.log`);
  const log = createWriteStream(logFile);
  let output = '';
  // A private HOME and no KUBECONFIG: no personal kubeconfig or other state leaks into the run.
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: scratch };
  delete env.KUBECONFIG;
  delete env.KUBEZILLA_CONFIG_DIR;
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    log.write(chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not report its URL within 30 s:\n${output}`)), 30_000);
    const look = () => {
      const match = /MCP server running on (http:\/\/\S+\/mcp)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', look);
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it was ready:\n${output}`));
    });
  });

  const token = await tokenOf(configDir);
  return {
    url,
    token,
    configDir,
    logFile,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      await new Promise<void>((resolve) => log.end(resolve));
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** The token, as a person gets it: `kubezilla-mcp token --config-dir DIR`. */
function tokenOf(configDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'token', '--config-dir', configDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const token = out.trim();
      if (code === 0 && /^kz_[A-Za-z0-9_-]{43}$/.test(token)) resolve(token);
      else reject(new Error(`kubezilla-mcp token failed (exit ${code}): ${err.trim()}`));
    });
  });
}
