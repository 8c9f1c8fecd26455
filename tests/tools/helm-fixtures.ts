/**
 * Helm releases for the Helm read-tool tests, made with the real helm 3 and helm 4 binaries:
 *
 *   await h(info, 4, ['install', 'web', chart('0.1.0'), '-n', ns]);
 *   await h(info, 3, ['install', 'cm', chart('0.1.0'), '-n', ns], { driver: 'configmap' });
 *   await upgradeAndRollBack(info, 4, ns, 'web');   // 0.1.0 → 0.2.0 (greeting changed) → rollback to 1
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { helmEnv, runTool, type ClusterInfo } from '../cluster/context.js';

export type HelmMajor = 3 | 4;

/** Runs helm against the test kubeconfig; throws with stderr on failure unless `allowFail`. */
export async function h(
  info: ClusterInfo,
  major: HelmMajor,
  args: string[],
  opts: { driver?: 'secret' | 'configmap'; context?: string; allowFail?: boolean } = {},
): Promise<string> {
  const env = { ...helmEnv(info, major), HELM_DRIVER: opts.driver ?? 'secret' };
  const r = await runTool(
    major === 3 ? info.tools.helm3 : info.tools.helm4,
    [...args, '--kubeconfig', info.kubeconfig, '--kube-context', opts.context ?? info.contexts.admin],
    { env, timeoutMs: 120_000 },
  );
  if (r.code !== 0 && !opts.allowFail) throw new Error(`helm${major} ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}`);
  return r.code === 0 ? r.stdout : r.stderr;
}

/**
 * For the helm mutation tests, which run each case under helm 3 and helm 4: returns `useHelm(major)`
 * (points the server's KUBEZILLA_HELM at that binary) and restores the caller's setting after each
 * test. Call it at the top of the test file.
 */
export function helmSwitch(info: () => ClusterInfo): (major: HelmMajor) => void {
  const saved = process.env.KUBEZILLA_HELM;
  afterEach(() => {
    if (saved === undefined) delete process.env.KUBEZILLA_HELM;
    else process.env.KUBEZILLA_HELM = saved;
  });
  return (major) => {
    process.env.KUBEZILLA_HELM = major === 3 ? info().tools.helm3 : info().tools.helm4;
  };
}

export interface HistoryRow {
  revision: number;
  status: string;
  chart: string;
  description: string;
}

/** `helm history -o json` of a release, as helm itself reports it. */
export async function helmHistory(
  info: ClusterInfo,
  major: HelmMajor,
  ns: string,
  release: string,
  driver: 'secret' | 'configmap' = 'secret',
): Promise<HistoryRow[]> {
  return JSON.parse(await h(info, major, ['history', release, '-n', ns, '-o', 'json'], { driver })) as HistoryRow[];
}

/** The fixture chart kz-demo at `version`, as a local directory. */
export function chart(info: ClusterInfo, version: '0.1.0' | '0.2.0'): string {
  const dir = info.charts.paths['kz-demo']?.[version];
  if (!dir) throw new Error(`fixture chart kz-demo ${version} is missing from the cluster info`);
  return dir;
}

/** Install 0.1.0, upgrade to 0.2.0 with a changed greeting, roll back to revision 1: three revisions. */
export async function installUpgradeRollback(
  info: ClusterInfo,
  major: HelmMajor,
  ns: string,
  release: string,
  driver: 'secret' | 'configmap' = 'secret',
): Promise<void> {
  await h(info, major, ['install', release, chart(info, '0.1.0'), '-n', ns], { driver });
  await h(info, major, ['upgrade', release, chart(info, '0.2.0'), '-n', ns, '--set', `greeting=changed by helm ${major}`], { driver });
  await h(info, major, ['rollback', release, '1', '-n', ns], { driver });
}

/** A tiny chart whose manifest holds a Secret (from values) and a ConfigMap, in a temp directory. */
export function secretChart(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kz-secret-chart-'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: kz-secret\nversion: 1.0.0\nappVersion: "1.0"\n');
  writeFileSync(join(dir, 'values.yaml'), 'password: first-secret-value\nmode: one\n');
  writeFileSync(
    join(dir, 'templates', 'all.yaml'),
    [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: {{ .Release.Name }}-creds',
      'type: Opaque',
      'data:',
      '  password: {{ .Values.password | b64enc | quote }}',
      'stringData:',
      '  token: {{ printf "tok-%s" .Values.password | quote }}',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-mode',
      'data:',
      '  mode: {{ .Values.mode | quote }}',
      '',
    ].join('\n'),
  );
  return dir;
}

/**
 * A chart shaped like a real app's: a database connection string, extra env vars and a `pwd`, all
 * from values and rendered into a Secret, and a ConfigMap named by `configName` (so an upgrade can
 * fail with a 422 that quotes a value). None of the value keys looks secret to a key-name regex.
 */
export function appChart(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kz-app-chart-'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: kz-app\nversion: 1.0.0\nappVersion: "1.0"\n');
  writeFileSync(join(dir, 'values.yaml'), 'database:\n  url: ""\nenv: []\npwd: ""\nconfigName: settings\n');
  writeFileSync(
    join(dir, 'templates', 'all.yaml'),
    [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: {{ .Release.Name }}-env',
      'type: Opaque',
      'stringData:',
      '  DATABASE_URL: {{ .Values.database.url | quote }}',
      '  PWD: {{ .Values.pwd | quote }}',
      '{{- range .Values.env }}',
      '  {{ .name }}: {{ .value | quote }}',
      '{{- end }}',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Values.configName }}',
      'data:',
      '  release: {{ .Release.Name | quote }}',
      '',
    ].join('\n'),
  );
  return dir;
}

/** helm's Go time (`2026-11-25 08:45:36.087057713 +0000 UTC` or RFC 3339) as `2026-11-25T08:45:36Z`. */
export function helmTime(t: string): string {
  const iso = t.includes('T') ? t : t.replace(' ', 'T').replace(/ \+0000 UTC$/, 'Z');
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
