/**
 * The `helm` provider: runs the real helm CLI (3 or 4) for the Helm mutation tools.
 *
 * - The binary: `KUBEZILLA_HELM`, else `helm` on PATH; its major version from `helm version --short`,
 *   probed once per path (bounded in time, killed with its process group when it hangs).
 * - Every run gets a 0600 single-context kubeconfig for the context (within a tool call, one that
 *   reaches the cluster through the call's guarding proxy and the SSH tunnel), `--kube-context` and
 *   `--namespace`, and an isolated environment: HELM_*_HOME in a private temp directory (no user
 *   repositories, registry logins or plugins), no KUBECONFIG.
 * - Values travel in a 0600 file in that directory, never on the command line.
 * - stderr lines become progress messages; cancellation and the overall timeout kill helm's whole
 *   process group (SIGTERM, then SIGKILL); a failure quotes helm's last error line, on a line of its own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError, type ToolContext } from '../../kernel/contract.js';
import type { ClusterHandle } from '../cluster/handle.js';
import { untilAborted } from '../cluster/until-aborted.js';
import type { HelmDriver } from './release-store.js';

declare module '../../kernel/contract.js' {
  interface Providers {
    helm: HelmRunner;
  }
}

/** Time for helm to start, fetch the chart and talk to the API server, on top of --timeout. */
const OVERALL_MARGIN_MS = 90_000;
const KILL_GRACE_MS = 3_000;

export interface HelmBinary {
  path: string;
  major: 3 | 4;
  minor: number;
  version: string;
}

/** `helm version` answers in milliseconds; one that takes this long is hung, not slow. */
export const PROBE_TIMEOUT_MS = 5_000;

async function probe(path: string): Promise<HelmBinary> {
  const named = process.env.KUBEZILLA_HELM ? `KUBEZILLA_HELM is "${path}"` : 'no "helm" on the PATH';
  const missing = () =>
    new ToolError(
      `helm is not installed (or not runnable) here: ${named}.`,
      'Ask the person to install helm 3 or 4 on the machine running Kubezilla, or set KUBEZILLA_HELM to its path, then try again.',
    );
  const out = await new Promise<string>((resolve, reject) => {
    let text = '';
    let child: ReturnType<typeof spawn>;
    try {
      // Its own process group, so a wrapper script and whatever it started go together.
      child = spawn(path, ['version', '--short'], { stdio: ['ignore', 'pipe', 'ignore'], env: baseEnv(tmpdir()), detached: true });
    } catch {
      reject(missing());
      return;
    }
    const hung = setTimeout(() => {
      killGroup(child.pid, 'SIGKILL');
      reject(
        new ToolError(
          `helm hangs: "${path} version" did not answer within ${PROBE_TIMEOUT_MS / 1000} s and was stopped (${named}).`,
          'Ask the person to check the helm binary (run it by hand: a wrapper waiting for input or a lock?), then try again.',
        ),
      );
    }, PROBE_TIMEOUT_MS);
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', () => {
      clearTimeout(hung);
      reject(missing());
    });
    child.on('close', (code) => {
      clearTimeout(hung);
      if (code === 0) resolve(text.trim());
      else reject(missing());
    });
  });
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(out);
  const major = Number(m?.[1]);
  if (major !== 3 && major !== 4) {
    throw new ToolError(
      `helm at "${path}" reports version "${out.slice(0, 60)}"; Kubezilla supports helm 3 and helm 4.`,
      'Install helm 3 or 4, or point KUBEZILLA_HELM at one.',
    );
  }
  return { path, major, minor: Number(m?.[2]), version: out.split('+')[0]! };
}

/** Signals a whole process group; a group that is already gone is fine. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  try {
    if (pid) process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** The variables helm may need from our environment: PATH, proxies, CA bundles. Nothing else. */
function baseEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOME: home };
  for (const key of ['PATH', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'TMPDIR']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return env;
}

export class HelmRunner {
  /** Per binary path, its probe: shared by concurrent calls, forgotten when it fails. */
  readonly #versions = new Map<string, Promise<HelmBinary>>();

  /**
   * The helm binary to run and its major version; a ToolError when there is none or it hangs. The
   * probe is shared by concurrent calls and bounded in time, and each caller stops waiting when its
   * own call is cancelled, so one hung helm never stalls every Helm tool behind it.
   */
  locate(signal?: AbortSignal): Promise<HelmBinary> {
    const path = process.env.KUBEZILLA_HELM?.trim() || 'helm';
    let found = this.#versions.get(path);
    if (!found) {
      found = probe(path);
      this.#versions.set(path, found);
      found.catch(() => this.#versions.delete(path));
    }
    if (!signal) return found;
    return untilAborted(found, signal, () => new ToolError('Cancelled: the call was stopped while helm was being located.'));
  }

  /**
   * Runs `helm <args…>` for a context and namespace (or, without `handle`, for a command that needs
   * no cluster, such as `helm show`); `{{values}}` in args is replaced by the path of the values
   * file. Resolves stdout; a non-zero exit is a ToolError quoting helm's error line.
   */
  async run(
    ctx: Pick<ToolContext, 'signal' | 'progress' | 'log'>,
    bin: HelmBinary,
    args: string[],
    opts: HelmRunOptions,
  ): Promise<{ stdout: string; stderr: string }> {
    ctx.signal.throwIfAborted();
    const kubeconfig = opts.handle ? await opts.handle.kubeconfigFileFor(ctx.signal) : undefined;
    const dir = mkdtempSync(join(tmpdir(), 'kubezilla-helm-'));
    try {
      const valuesFile = join(dir, 'values.yaml');
      if (opts.values !== undefined) writeFileSync(valuesFile, opts.values, { mode: 0o600 });
      const timeoutSeconds = opts.timeoutSeconds ?? 300;
      const full = args.map((a) => (a === '{{values}}' ? valuesFile : a));
      if (opts.waitFlags) {
        full.push(opts.wait ? (bin.major === 3 ? '--wait' : '--wait=watcher') : bin.major === 3 ? '--wait=false' : '--wait=hookOnly');
        full.push('--timeout', `${timeoutSeconds}s`);
      }
      // --debug: helm's step-by-step log on stderr ("creating 3 resource(s)", "waiting for …") is
      // what makes the progress messages worth having; stdout stays the JSON result.
      if (opts.handle && kubeconfig) {
        full.push('--debug', '--kubeconfig', kubeconfig, '--kube-context', opts.handle.context, '--namespace', opts.namespace ?? opts.handle.namespace);
      }
      const env: NodeJS.ProcessEnv = {
        ...baseEnv(dir),
        HELM_CACHE_HOME: join(dir, 'cache'),
        HELM_CONFIG_HOME: join(dir, 'config'),
        HELM_DATA_HOME: join(dir, 'data'),
        HELM_DRIVER: opts.driver ?? (process.env.HELM_DRIVER === 'configmap' ? 'configmap' : 'secret'),
      };
      const scrub = (line: string) =>
        (kubeconfig ? line.split(kubeconfig).join('<kubeconfig>') : line).split(valuesFile).join('<values>').split(dir).join('<tmp>').slice(0, 500);
      return await spawnHelm(ctx, bin, full, env, scrub, timeoutSeconds * 1000 + OVERALL_MARGIN_MS, opts.what);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

export interface HelmRunOptions {
  /** The cluster the command works on; none for commands that only read charts (helm show). */
  handle?: ClusterHandle;
  namespace?: string;
  /** Release names and the like, for messages. */
  what: string;
  values?: string | undefined;
  wait?: boolean | undefined;
  timeoutSeconds?: number | undefined;
  driver?: HelmDriver;
  /** Adds the wait and timeout flags (install, upgrade, rollback do). */
  waitFlags?: boolean;
}

function spawnHelm(
  ctx: Pick<ToolContext, 'signal' | 'progress' | 'log'>,
  bin: HelmBinary,
  args: string[],
  env: NodeJS.ProcessEnv,
  scrub: (line: string) => string,
  overallMs: number,
  what: string,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin.path, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    let lines = 0;
    let stopped: 'cancelled' | 'timeout' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (signal: NodeJS.Signals) => killGroup(child.pid, signal);
    const stop = (why: 'cancelled' | 'timeout') => {
      if (stopped || child.exitCode !== null) return;
      stopped = why;
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
    };
    const onAbort = () => stop('cancelled');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    // Node fires a timer of more than 2^31-1 ms at once: never let a long timeout kill helm at its start.
    const overall = setTimeout(() => stop('timeout'), Math.min(overallMs, 2 ** 31 - 1));
    const emit = (line: string) => {
      const text = progressLine(scrub(line));
      if (!text) return;
      lines++;
      void ctx.progress(lines, undefined, text).catch(() => undefined);
    };
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < 64 * 1024 * 1024) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      const text = partial + d.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) emit(line);
      if (stderr.length < 1024 * 1024) stderr += d.toString();
    });
    child.on('error', (err) => {
      cleanup();
      reject(new ToolError(`could not run helm (${bin.path}): ${err.message}`, 'Install helm 3 or 4, or set KUBEZILLA_HELM to its path.'));
    });
    const cleanup = () => {
      clearTimeout(overall);
      if (killTimer) clearTimeout(killTimer);
      ctx.signal.removeEventListener('abort', onAbort);
    };
    child.on('close', (code, signal) => {
      // The group may still hold children (plugins, post-renderers): make sure none outlive helm.
      if (stopped) kill('SIGKILL');
      cleanup();
      if (partial) emit(partial);
      if (stopped === 'cancelled') {
        reject(
          new ToolError(
            `Cancelled: helm was stopped before it finished (${what}).`,
            'The release may be left pending or failed: check it with get_helm_history before trying again.',
          ),
        );
        return;
      }
      if (stopped === 'timeout') {
        reject(
          new ToolError(
            `helm did not finish within ${Math.round(overallMs / 1000)} s and was stopped (${what}).`,
            'Check the release with get_helm_history and its pods with list_resources; retry with a larger timeoutSeconds if it was still working.',
          ),
        );
        return;
      }
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      if (signal) {
        // Not us (we stop helm only for a cancel or a timeout, handled above): its stderr says
        // nothing about why, so an "Error:" line from it would mislead.
        reject(
          new ToolError(
            `helm was killed (${signal}) before it finished (${what}): something outside Kubezilla stopped it, such as the out-of-memory killer or a person.`,
            'The release may be left pending: check it with get_helm_history before trying again.',
          ),
        );
        return;
      }
      reject(helmError(scrub, stderr, code, signal, what));
    });
  });
}

/**
 * One stderr line as a progress message: helm 3's `install.go:225: <time> [debug] creating 3
 * resource(s)` and helm 4's `level=DEBUG msg="creating resource(s)" resources=3` without their
 * prefixes; Go stack traces (helm 3 prints one after an error with --debug) dropped.
 */
export function progressLine(line: string): string | undefined {
  if (!line.trim() || /^\s/.test(line) || /^(goroutine |runtime[./]|main\.|helm\.sh\/|github\.com\/|k8s\.io\/|sigs\.k8s\.io\/)/.test(line)) return undefined;
  const v3 = /^\S+\.go:\d+:(?: .*? m=\S+)? \[debug\] (.*)$/.exec(line);
  if (v3) return v3[1]!.trim() || undefined;
  const v4 = /^(?:time=\S+ )?level=(\w+) msg=("(?:[^"\\]|\\.)*"|\S+)(.*)$/.exec(line);
  if (v4) {
    const msg = v4[2]!.startsWith('"') ? v4[2]!.slice(1, -1).replace(/\\"/g, '"') : v4[2]!;
    return `${v4[1] === 'DEBUG' || v4[1] === 'INFO' ? '' : `${v4[1]}: `}${msg}${v4[3]!}`.trim();
  }
  return line.trim();
}

function helmError(scrub: (line: string) => string, stderr: string, code: number | null, signal: NodeJS.Signals | null, what: string): ToolError {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errLine = [...lines].reverse().find((l) => /^Error:/.test(l)) ?? lines[lines.length - 1] ?? `exit ${code ?? signal}`;
  const quoted = scrub(errLine.replace(/^Error:\s*/, ''));
  let hint = "Fix what helm names and try again; get_helm_history shows the release's revisions.";
  if (/cannot re-use a name that is still in use/.test(quoted)) hint = 'The release exists: use helm_upgrade to change it.';
  else if (/has no deployed releases|not found/.test(quoted) && /release/.test(quoted)) hint = 'Check the release name and namespace with list_helm_releases.';
  else if (/chart .*not found|no chart|failed to download|path .* not found|repo .* not found|could not find/i.test(quoted))
    hint = 'Check the chart name, version and repo URL (or the local chart path).';
  else if (/timed out|context deadline exceeded/i.test(quoted))
    hint = 'The resources did not become ready in time: look at the pods with list_resources and get_events, then retry or roll back with helm_rollback.';
  else if (/forbidden/i.test(quoted)) hint = 'The context may not do this; use a context with the needed rights.';
  // helm's own words go on their own line: the audit log keeps a result's first line only, and
  // what helm prints (a chart's error text) is the chart's, not ours to record.
  return new ToolError(`helm failed (${what}, exit ${code ?? signal}):\n${quoted}`, hint);
}
