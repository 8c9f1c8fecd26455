/**
 * What the Helm tools share on top of the `helm` provider (src/providers/helm/runner.ts): their
 * argument schemas, the checks of a chart source (release name, flag-like words, values YAML,
 * policy.allowedChartSources), the helm command lines, and reading what helm printed.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Type } from '@sinclair/typebox';
import { parseAllDocuments } from 'yaml';
import { ToolError, type ToolContext } from '../../kernel/contract.js';
import type { HelmBinary, HelmRunner, HelmRunOptions } from '../../providers/helm/runner.js';
import { ReleaseArg } from './arguments.js';
import { parseYamlDocuments, yamlToJS } from './yaml-input.js';

// Short on purpose: every byte here is in every tools/list.
export const ChartArg = Type.String({ description: 'Chart name (in `repo`), oci:// reference or local path.' });
export const WaitArg = Type.Optional(Type.Boolean({ description: "Wait until the release's resources are ready (helm --wait)." }));
export const TimeoutArg = Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'helm --timeout in seconds (default 300).' }));
/** A values file can be big, so it declares its own bound above the kernel's default for strings. */
export const ValuesArg = Type.Optional(Type.String({ maxLength: 1024 * 1024, description: 'Chart values as YAML text, like a values.yaml file.' }));
export const VersionArg = Type.Optional(Type.String({ description: 'Chart version; default: the latest.' }));
export const RepoArg = Type.Optional(Type.String({ description: 'Chart repository URL.' }));
/** The arguments that name a chart source (see ChartSource), first in helm_install and helm_upgrade. */
export const ChartSourceArgs = { release: ReleaseArg, chart: ChartArg, version: VersionArg, repo: RepoArg, values: ValuesArg };

const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function checkReleaseName(release: string): void {
  if (release.length > 53 || !RELEASE_NAME.test(release)) {
    throw new ToolError(
      `release: "${release}" is not a valid Helm release name (at most 53 lower case letters, digits, "-" and ".").`,
      'Pick a name like "web" or "my-app".',
    );
  }
}

/** Parses the values YAML up front, so a typo fails here and its text never reaches a log. */
function checkValues(values: string | undefined): void {
  if (values === undefined || values.trim() === '') return;
  const docs = parseYamlDocuments(values, { field: 'values' });
  const doc = docs[0];
  const err = docs.flatMap((d) => d.errors)[0];
  if (err)
    throw new ToolError(
      `values is not valid YAML: ${err.message.split('\n')[0]}`,
      'Pass values as a YAML mapping, e.g. "replicaCount: 2\\nimage:\\n  tag: \\"1.2\\"".',
    );
  // Bounded like a manifest: helm would otherwise expand an alias bomb in the values itself.
  const data = doc ? yamlToJS(doc, { field: 'values' }) : undefined;
  if (data !== null && data !== undefined && (typeof data !== 'object' || Array.isArray(data))) {
    throw new ToolError('values must be a YAML mapping (key: value lines).', 'e.g. "replicaCount: 2".');
  }
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
  ctx: Pick<ToolContext, 'signal' | 'progress' | 'log' | 'guardWrites'> & { helm: HelmRunner },
  bin: HelmBinary,
  args: string[],
  opts: HelmRunOptions & Required<Pick<HelmRunOptions, 'handle' | 'namespace'>>,
): Promise<void> {
  const clientDryRun = bin.major === 3 && bin.minor < 13 ? ['--dry-run'] : ['--dry-run=client'];
  const { stdout } = await ctx.helm.run(ctx, bin, [...args, ...clientDryRun], { ...opts, wait: false, waitFlags: false });
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
  /** Absent where no release is involved (helm show). */
  release?: string;
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
  if (source.release !== undefined) checkReleaseName(source.release);
  for (const [field, value] of [
    ['chart', source.chart],
    ['version', source.version],
    ['repo', source.repo],
  ] as const)
    checkWord(field, value);
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
export function helmChartCommand(command: 'install' | 'upgrade', source: ChartSource & { release: string }): string[] {
  const args = [command, source.release, source.chart, '--output', 'json'];
  if (source.version) args.push('--version', source.version);
  if (source.repo) args.push('--repo', source.repo);
  if (source.values !== undefined) args.push('--values', '{{values}}');
  return args;
}

/** A chart, version or repo argument must not look like a flag to helm. */
function checkWord(field: string, value: string | undefined): void {
  if (value !== undefined && (value.trim() === '' || value.startsWith('-') || /[\r\n\0]/.test(value))) {
    throw new ToolError(
      `${field}: "${value.slice(0, 80)}" is not a valid ${field} (it may not be empty, start with "-" or hold line breaks).`,
      `Pass a plain ${field}.`,
    );
  }
}
