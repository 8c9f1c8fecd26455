/**
 * Running the real `helm` CLI for helm_install, helm_upgrade and helm_rollback (helm 3 or 4).
 * Lives outside src/tools/mutate/, which the registry reserves for tool modules.
 *
 * - The binary: `KUBEZILLA_HELM`, else `helm` on PATH; its major version from `helm version --short`.
 * - Every run gets the context's 0600 single-context kubeconfig (through the SSH tunnel when there
 *   is one), `--kube-context` and `--namespace`, and an isolated environment: HELM_*_HOME in a
 *   private temp directory (no user repositories, registry logins or plugins), no KUBECONFIG.
 * - Values travel in a 0600 file in that directory, never on the command line.
 * - stderr lines become progress messages; cancellation and the overall timeout kill helm's whole
 *   process group (SIGTERM, then SIGKILL); a failure quotes helm's last error line.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Type } from '@sinclair/typebox';
import { parseAllDocuments } from 'yaml';
import { ToolError, type ToolContext } from '../kernel/contract.js';
import { ReleaseArg } from './arguments.js';
import type { ClusterHandle } from '../providers/clusters.js';
import type { HelmDriver } from './helm-store.js';
import { parseYamlDocuments, yamlToJS } from './yaml-input.js';

// Short on purpose: every byte here is in every tools/list.
export const ChartArg = Type.String({ description: 'Chart name (in `repo`), oci:// reference or local path.' });
export const WaitArg = Type.Optional(Type.Boolean({ description: 'Wait until the release\'s resources are ready (helm --wait).' }));
export const TimeoutArg = Type.Optional(Type.Integer({ minimum: 1, description: 'helm --timeout in seconds (default 300).' }));
/** A values file can be big, so it declares its own bound above the kernel's default for strings. */
export const ValuesArg = Type.Optional(Type.String({ maxLength: 1024 * 1024, description: 'Chart values as YAML text, like a values.yaml file.' }));
export const VersionArg = Type.Optional(Type.String({ description: 'Chart version; default: the latest.' }));
export const RepoArg = Type.Optional(Type.String({ description: 'Chart repository URL.' }));
/** The arguments that name a chart source (see ChartSource), first in helm_install and helm_upgrade. */
export const ChartSourceArgs = { release: ReleaseArg, chart: ChartArg, version: VersionArg, repo: RepoArg, values: ValuesArg };

const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Time for helm to start, fetch the chart and talk to the API server, on top of --timeout. */
const OVERALL_MARGIN_MS = 90_000;
const KILL_GRACE_MS = 3_000;

export interface HelmBinary {
  path: string;
  major: 3 | 4;
  minor: number;
  version: string;
}

const versions = new Map<string, Promise<HelmBinary>>();
/** `helm version` answers in milliseconds; one that takes this long is hung, not slow. */
export const PROBE_TIMEOUT_MS = 5_000;

/**
 * The helm binary to run and its major version; a ToolError when there is none or it hangs. The
 * probe is shared by concurrent calls and bounded in time, and each caller stops waiting when its
 * own call is cancelled, so one hung helm never stalls every Helm tool behind it.
 */
export function locateHelm(signal?: AbortSignal): Promise<HelmBinary> {
  const path = process.env.KUBEZILLA_HELM?.trim() || 'helm';
  let found = versions.get(path);
  if (!found) {
    found = probe(path);
    versions.set(path, found);
    found.catch(() => versions.delete(path));
  }
  if (!signal) return found;
  return Promise.race([
    found,
    new Promise<never>((_, reject) => {
      const stop = () => reject(new ToolError('Cancelled: the call was stopped while helm was being located.'));
      if (signal.aborted) stop();
      signal.addEventListener('abort', stop, { once: true });
      void found.finally(() => signal.removeEventListener('abort', stop)).catch(() => undefined);
    }),
  ]);
}

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
      reject(new ToolError(
        `helm hangs: "${path} version" did not answer within ${PROBE_TIMEOUT_MS / 1000} s and was stopped (${named}).`,
        'Ask the person to check the helm binary (run it by hand: a wrapper waiting for input or a lock?), then try again.',
      ));
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
    throw new ToolError(`helm at "${path}" reports version "${out.slice(0, 60)}"; Kubezilla supports helm 3 and helm 4.`, 'Install helm 3 or 4, or point KUBEZILLA_HELM at one.');
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

export function checkReleaseName(release: string): void {
  if (release.length > 53 || !RELEASE_NAME.test(release)) {
    throw new ToolError(`release: "${release}" is not a valid Helm release name (at most 53 lower case letters, digits, "-" and ".").`, 'Pick a name like "web" or "my-app".');
  }
}

/** Parses the values YAML up front, so a typo fails here and its text never reaches a log. */
function checkValues(values: string | undefined): void {
  if (values === undefined || values.trim() === '') return;
  const docs = parseYamlDocuments(values, { field: 'values' });
  const doc = docs[0];
  const err = docs.flatMap((d) => d.errors)[0];
  if (err) throw new ToolError(`values is not valid YAML: ${err.message.split('\n')[0]}`, 'Pass values as a YAML mapping, e.g. "replicaCount: 2\\nimage:\\n  tag: \\"1.2\\"".');
  // Bounded like a manifest: helm would otherwise expand an alias bomb in the values itself.
  const data = doc ? yamlToJS(doc, { field: 'values' }) : undefined;
  if (data !== null && data !== undefined && (typeof data !== 'object' || Array.isArray(data))) {
    throw new ToolError('values must be a YAML mapping (key: value lines).', 'e.g. "replicaCount: 2".');
  }
}

export interface HelmRunOptions {
  handle: ClusterHandle;
  namespace: string;
  /** Release names and the like, for messages. */
  what: string;
  values?: string | undefined;
  wait?: boolean | undefined;
  timeoutSeconds?: number | undefined;
  driver?: HelmDriver;
  /** Adds the wait and timeout flags (install, upgrade, rollback do). */
  waitFlags?: boolean;
}

/**
 * Runs `helm <args…>` for a context and namespace; `{{values}}` in args is replaced by the path of
 * the values file. Resolves stdout; a non-zero exit is a ToolError quoting helm's error line.
 */
export async function runHelm(
  ctx: Pick<ToolContext, 'signal' | 'progress' | 'log'>,
  bin: HelmBinary,
  args: string[],
  opts: HelmRunOptions,
): Promise<{ stdout: string; stderr: string }> {
  ctx.signal.throwIfAborted();
  const kubeconfig = await opts.handle.kubeconfigFileFor(ctx.signal);
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
    full.push('--debug', '--kubeconfig', kubeconfig, '--kube-context', opts.handle.context, '--namespace', opts.namespace);
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(dir),
      HELM_CACHE_HOME: join(dir, 'cache'),
      HELM_CONFIG_HOME: join(dir, 'config'),
      HELM_DATA_HOME: join(dir, 'data'),
      HELM_DRIVER: opts.driver ?? (process.env.HELM_DRIVER === 'configmap' ? 'configmap' : 'secret'),
    };
    const scrub = (line: string) => line.split(kubeconfig).join('<kubeconfig>').split(valuesFile).join('<values>').split(dir).join('<tmp>').slice(0, 500);
    return await spawnHelm(ctx, bin, full, env, scrub, timeoutSeconds * 1000 + OVERALL_MARGIN_MS, opts.what);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
    const overall = setTimeout(() => stop('timeout'), overallMs);
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
        reject(new ToolError(
          `Cancelled: helm was stopped before it finished (${what}).`,
          'The release may be left pending or failed: check it with get_helm_history before trying again.',
        ));
        return;
      }
      if (stopped === 'timeout') {
        reject(new ToolError(`helm did not finish within ${Math.round(overallMs / 1000)} s and was stopped (${what}).`, 'Check the release with get_helm_history and its pods with list_resources; retry with a larger timeoutSeconds if it was still working.'));
        return;
      }
      if (code === 0) {
        resolve({ stdout, stderr });
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
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const errLine = [...lines].reverse().find((l) => /^Error:/.test(l)) ?? lines[lines.length - 1] ?? `exit ${code ?? signal}`;
  const quoted = scrub(errLine.replace(/^Error:\s*/, ''));
  let hint = 'Fix what helm names and try again; get_helm_history shows the release\'s revisions.';
  if (/cannot re-use a name that is still in use/.test(quoted)) hint = 'The release exists: use helm_upgrade to change it.';
  else if (/has no deployed releases|not found/.test(quoted) && /release/.test(quoted)) hint = 'Check the release name and namespace with list_helm_releases.';
  else if (/chart .*not found|no chart|failed to download|path .* not found|repo .* not found|could not find/i.test(quoted)) hint = 'Check the chart name, version and repo URL (or the local chart path).';
  else if (/timed out|context deadline exceeded/i.test(quoted)) hint = 'The resources did not become ready in time: look at the pods with list_resources and get_events, then retry or roll back with helm_rollback.';
  else if (/forbidden/i.test(quoted)) hint = 'The context may not do this; use a context with the needed rights.';
  // helm's own words go on their own line: the audit log keeps a result's first line only, and
  // what helm prints (a chart's error text) is the chart's, not ours to record.
  return new ToolError(`helm failed (${what}, exit ${code ?? signal}):\n${quoted}`, hint);
}

/**
 * The dry-run flags: a server-side dry run, Secrets hidden. Helm before 3.13 knows neither
 * `--dry-run=server` nor `--hide-secret`; its plain `--dry-run` is the closest (only kind/name of
 * the rendered objects is ever shown, so no Secret data is either way).
 */
export function dryRunFlags(bin: HelmBinary): string[] {
  return bin.major === 3 && bin.minor < 13 ? ['--dry-run'] : ['--dry-run=server', '--hide-secret'];
}

/**
 * Every namespace the objects of rendered manifests (a release's and its hooks') are written to:
 * an object's own `metadata.namespace`, else the release namespace, which always counts (helm
 * keeps its release record there).
 */
export function manifestNamespaces(manifests: Array<string | undefined>, releaseNamespace: string): string[] {
  const namespaces = new Set([releaseNamespace]);
  for (const manifest of manifests) {
    if (!manifest) continue;
    for (const doc of parseAllDocuments(manifest) as Array<{ toJS(): unknown }>) {
      const obj = doc.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
      if (obj?.kind === 'Namespace' && obj.metadata?.name) namespaces.add(obj.metadata.name);
      else if (typeof obj?.metadata?.namespace === 'string' && obj.metadata.namespace) namespaces.add(obj.metadata.namespace);
    }
  }
  return [...namespaces];
}

/**
 * Before a real install or upgrade: renders the chart with helm's client-side dry run (nothing is
 * written, and a template's `lookup` reads nothing from the cluster) and has the kernel judge
 * every namespace its objects and hooks would land in. A chart installed into namespace "a" that
 * renders an object into a protected "b" is confirmed before anything changes, rather than
 * refused halfway through the install.
 */
export async function guardChartWrites(
  ctx: Pick<ToolContext, 'signal' | 'progress' | 'log' | 'guardWrites'>,
  bin: HelmBinary,
  args: string[],
  opts: HelmRunOptions,
): Promise<void> {
  const clientDryRun = bin.major === 3 && bin.minor < 13 ? ['--dry-run'] : ['--dry-run=client'];
  const { stdout } = await runHelm(ctx, bin, [...args, ...clientDryRun], { ...opts, wait: false, waitFlags: false });
  const rendered = parseHelmJson(stdout, opts.what);
  await ctx.guardWrites(opts.handle.context, manifestNamespaces([rendered.manifest, ...(rendered.hooks ?? []).map((h) => h.manifest)], opts.namespace));
}

/** `kind/name` of every object in a rendered manifest. */
export function manifestObjects(manifest: string | undefined): string[] {
  if (!manifest) return [];
  const out: string[] = [];
  // Helm's output, whose size the chart decides (no size cap); but values a model wrote shape it, so
  // aliases are bounded as in model YAML, and a document over the bounds is left out.
  for (const doc of parseAllDocuments(manifest, { uniqueKeys: false })) {
    let obj: { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
    try {
      obj = yamlToJS(doc, { field: 'the rendered manifest' }) as typeof obj;
    } catch {
      continue;
    }
    if (obj?.kind && obj.metadata?.name) out.push(`${obj.kind}/${obj.metadata.name}${obj.metadata.namespace ? ` (namespace ${obj.metadata.namespace})` : ''}`);
  }
  return out;
}

/** The release JSON helm prints with `-o json` (helm 3 and 4 agree on these fields). */
export interface HelmOutput {
  name?: string;
  namespace?: string;
  version?: number;
  info?: { status?: string; description?: string; notes?: string };
  chart?: { metadata?: { name?: string; version?: string; appVersion?: string } };
  manifest?: string;
  hooks?: Array<{ manifest?: string }>;
}

export function parseHelmJson(stdout: string, what: string): HelmOutput {
  const start = stdout.indexOf('{');
  try {
    return JSON.parse(stdout.slice(start)) as HelmOutput;
  } catch {
    throw new ToolError(`helm finished (${what}) but its output could not be read as JSON.`, 'Check the release with get_helm_history.');
  }
}

/** The lines every helm mutation reports. */
export function describeOutcome(rel: HelmOutput, fallback: { release: string; namespace: string; context: string }): string {
  const chart = rel.chart?.metadata;
  return [
    `release: ${rel.name ?? fallback.release}`,
    `namespace: ${rel.namespace ?? fallback.namespace} (context ${fallback.context})`,
    `revision: ${rel.version ?? '?'}`,
    `status: ${rel.info?.status ?? 'unknown'}`,
    `chart: ${chart?.name ?? '?'}-${chart?.version ?? '?'}${chart?.appVersion ? ` (app version ${chart.appVersion})` : ''}`,
  ].join('\n');
}

/** What helm_install and helm_upgrade both take to say which chart, and with which values. */
export interface ChartSource {
  release: string;
  chart: string;
  version?: string | undefined;
  repo?: string | undefined;
  values?: string | undefined;
}

/**
 * Checks a chart source before helm runs: release name, flag-like words, values YAML, and the
 * person's policy.allowedChartSources (empty: any source).
 */
export function checkChartSource(source: ChartSource, allowedSources: readonly string[] = []): void {
  checkReleaseName(source.release);
  for (const [field, value] of [['chart', source.chart], ['version', source.version], ['repo', source.repo]] as const) checkWord(field, value);
  checkValues(source.values);
  if (allowedSources.length) checkAllowedSource(source, allowedSources);
}

/**
 * policy.allowedChartSources, judged the way helm locates a chart (LocateChart), in its order:
 * 1. `chart` is an existing local path (helm checks this first, even when --repo is given, relative
 *    to its working directory, which is ours): its real path, links resolved, must lie inside an
 *    allowed directory, so `allowed/../elsewhere` and a link out of an allowed directory fail.
 * 2. `repo` given: the repository URL must start with an allowed http(s) entry.
 * 3. `oci://` reference, or a chart archive URL: must start with an allowed oci:// or http(s) entry.
 * 4. Anything else is `repo/chart` or a bare name: helm here runs with no user repositories
 *    (an isolated HELM_*_HOME), so there is no repository name to allow; the person allows URLs and
 *    the model passes `repo`.
 * URL prefixes compare scheme, host and port exactly and the path on a segment boundary, after the
 * URL parser has removed dot segments and credentials from the host: `https://good.example.com`
 * allows `https://good.example.com/charts`, not `https://good.example.com.evil.io` or
 * `https://good.example.com@evil.io`; `oci://r.example.com/charts` does not allow `/charts-x`.
 */
function checkAllowedSource(source: ChartSource, allowedSources: readonly string[]): void {
  const chart = source.chart.trim(); // helm trims it too
  const urls = allowedSources.filter((entry) => /^(https?|oci):\/\//i.test(entry));
  const dirs = allowedSources.filter((entry) => !urls.includes(entry));
  const refuse = (what: string, why: string): never => {
    throw new ToolError(
      `${what} is not an allowed chart source: ${why}. Nothing was installed or changed.`,
      `The server setting policy.allowedChartSources allows only: ${allowedSources.join(', ')}. ` +
        'Use a chart from one of those, or ask the person to add the source on the settings page or in settings.json.',
    );
  };
  const local = resolve(chart);
  if (existsSync(local)) {
    const real = realpathSync(local);
    const inside = dirs.some((dir) => {
      let base: string;
      try {
        base = realpathSync(dir);
      } catch {
        return false; // an allowed directory that does not exist holds nothing
      }
      const rel = relative(base, real);
      return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
    });
    if (!inside) refuse(`chart: local path "${chart}"${real !== chart ? ` (really ${real})` : ''}`, 'it is not inside an allowed directory');
    return;
  }
  if (source.repo !== undefined) {
    if (!urls.some((entry) => urlWithin(source.repo!, entry))) refuse(`repo: "${source.repo}"`, 'no allowed URL is a prefix of it');
    return;
  }
  if (/^(https?|oci):\/\//i.test(chart)) {
    if (!urls.some((entry) => urlWithin(chart, entry))) refuse(`chart: "${chart}"`, 'no allowed URL is a prefix of it');
    return;
  }
  refuse(`chart: "${chart}"`, 'it is neither a local path inside an allowed directory nor an oci:// reference, and it names no repo URL');
}

/** True when `candidate` is `allowed` or below it: same scheme, host and port, path on a segment boundary. */
export function urlWithin(candidate: string, allowed: string): boolean {
  let c: URL;
  let a: URL;
  try {
    c = new URL(candidate);
    a = new URL(allowed);
  } catch {
    return false;
  }
  if (c.protocol.toLowerCase() !== a.protocol.toLowerCase()) return false;
  // oci: is not a "special" scheme to the URL parser, so its host keeps its case: compare without.
  if (c.host.toLowerCase() !== a.host.toLowerCase() || c.host === '') return false;
  if (c.username || c.password) return false; // credentials belong in helm's registry login, not here
  const base = a.pathname.replace(/\/+$/, '');
  const path = c.pathname;
  return path === base || path.startsWith(`${base}/`) || (base === '' && path === '');
}

/** `helm install|upgrade <release> <chart>` with the source's flags (values go through runHelm's 0600 file). */
export function helmChartCommand(command: 'install' | 'upgrade', source: ChartSource): string[] {
  const args = [command, source.release, source.chart, '--output', 'json'];
  if (source.version) args.push('--version', source.version);
  if (source.repo) args.push('--repo', source.repo);
  if (source.values !== undefined) args.push('--values', '{{values}}');
  return args;
}

/** A chart, version or repo argument must not look like a flag to helm. */
function checkWord(field: string, value: string | undefined): void {
  if (value !== undefined && (value.trim() === '' || value.startsWith('-') || /[\r\n\0]/.test(value))) {
    throw new ToolError(`${field}: "${value.slice(0, 80)}" is not a valid ${field} (it may not be empty, start with "-" or hold line breaks).`, `Pass a plain ${field}.`);
  }
}
