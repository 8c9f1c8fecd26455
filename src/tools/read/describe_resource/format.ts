/**
 * Building blocks for describe_resource's `kubectl describe`-style text: aligned key/value
 * blocks, Kubernetes quantities, pod status as kubectl get shows it, probes, and compact YAML
 * within a byte budget. Kept outside src/tools/read/ (which holds only tool modules).
 */
import { stringify } from 'yaml';
import type { KObject } from '../../common/workloads.js';

/** `Key:  value` lines aligned on the longest key; undefined/empty values are skipped. */
export function fields(pairs: ReadonlyArray<[string, string | number | undefined]>, indent = ''): string[] {
  const kept = pairs.filter(([, v]) => v !== undefined && v !== '');
  const width = Math.max(0, ...kept.map(([k]) => k.length + 1));
  return kept.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}  ${String(v)}`);
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity (`100m`, `1.5Gi`, `2e3`) as a number of base units; NaN when unreadable. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return NaN;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  const unit = m[2]!;
  if (unit in BINARY) return n * BINARY[unit]!;
  if (unit in DECIMAL) return n * DECIMAL[unit]!;
  return NaN;
}

/** CPU cores as kubectl prints them: `250m`, `2`, `1500m`. */
export function formatCpu(cores: number): string {
  if (!Number.isFinite(cores)) return '?';
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Bytes as the largest whole binary unit: `128Mi`, `2Gi`, `1536Ki`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  if (bytes === 0) return '0';
  const units = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;
  for (const unit of units) {
    const v = bytes / BINARY[unit]!;
    if (v >= 1 && Number.isInteger(v)) return `${v}${unit}`;
  }
  for (const unit of units) {
    const v = bytes / BINARY[unit]!;
    if (v >= 1) return `${Math.round(v * 10) / 10}${unit}`;
  }
  return String(Math.round(bytes));
}

export function formatResource(name: string, value: number): string {
  if (name === 'cpu') return formatCpu(value);
  if (name === 'memory' || name.endsWith('storage') || name.startsWith('hugepages-')) return formatBytes(value);
  return String(Math.round(value * 1000) / 1000);
}

/** `cpu=100m, memory=128Mi` */
export function resourceList(list: Record<string, string> | undefined): string | undefined {
  const entries = Object.entries(list ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(', ') : undefined;
}

interface Probe {
  httpGet?: { path?: string; port?: number | string; scheme?: string; host?: string };
  tcpSocket?: { port?: number | string };
  grpc?: { port?: number; service?: string };
  exec?: { command?: string[] };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

/** kubectl describe's probe line: `http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3`. */
export function probeText(p: Probe | undefined): string | undefined {
  if (!p) return undefined;
  let what = 'unknown';
  if (p.httpGet) what = `http-get ${(p.httpGet.scheme ?? 'HTTP').toLowerCase()}://${p.httpGet.host ?? ''}:${p.httpGet.port ?? ''}${p.httpGet.path ?? '/'}`;
  else if (p.tcpSocket) what = `tcp-socket :${p.tcpSocket.port ?? ''}`;
  else if (p.grpc) what = `grpc <pod>:${p.grpc.port ?? ''}${p.grpc.service ? ` ${p.grpc.service}` : ''}`;
  else if (p.exec) what = `exec [${(p.exec.command ?? []).join(' ')}]`;
  return `${what} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: Record<string, { reason?: string; message?: string; exitCode?: number; signal?: number; startedAt?: string; finishedAt?: string } | undefined>;
  lastState?: Record<string, { reason?: string; message?: string; exitCode?: number; signal?: number; startedAt?: string; finishedAt?: string } | undefined>;
}

/** The STATUS column of kubectl get pods (CrashLoopBackOff, Completed, Init:0/1, Terminating, …). */
export function podStatus(pod: KObject): string {
  let reason: string = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
  const init = (pod.status?.initContainerStatuses ?? []) as ContainerStatus[];
  const initTotal = (pod.spec?.initContainers ?? []).length;
  let initializing = false;
  init.forEach((s, i) => {
    const t = s.state?.terminated;
    if (t && t.exitCode === 0) return;
    if (initializing) return;
    initializing = true;
    if (t) reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    else if (s.state?.waiting?.reason && s.state.waiting.reason !== 'PodInitializing') reason = `Init:${s.state.waiting.reason}`;
    else reason = `Init:${i}/${initTotal}`;
  });
  if (!initializing) {
    let running = false;
    for (const s of ((pod.status?.containerStatuses ?? []) as ContainerStatus[]).slice().reverse()) {
      const w = s.state?.waiting;
      const t = s.state?.terminated;
      if (w?.reason) reason = w.reason;
      else if (t?.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (s.state?.running && s.ready) running = true;
    }
    if (reason === 'Completed' && running) reason = 'Running';
  }
  if (pod.metadata.deletionTimestamp) reason = pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

/** `1/2` ready containers. */
export function podReady(pod: KObject): string {
  const statuses = (pod.status?.containerStatuses ?? []) as ContainerStatus[];
  const total = (pod.spec?.containers ?? []).length;
  return `${statuses.filter((s) => s.ready).length}/${total}`;
}

export function podRestarts(pod: KObject): number {
  return ((pod.status?.containerStatuses ?? []) as ContainerStatus[]).reduce((n, s) => n + (s.restartCount ?? 0), 0);
}

/**
 * YAML of `value`, cut to `budget` bytes on a line boundary with a note naming what to call for
 * the rest. Empty objects and arrays give undefined.
 */
export function compactYaml(value: unknown, budget: number, rest = 'get_resource_yaml shows all of it'): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && Object.keys(value as object).length === 0) return undefined;
  const lines = stringify(value, { lineWidth: 0, aliasDuplicateObjects: false })
    .trimEnd()
    .split('\n')
    .map((l) => (l.length > 400 ? `${l.slice(0, 400)}… [+${l.length - 400} chars]` : l));
  const text = lines.join('\n');
  if (Buffer.byteLength(text) <= budget) return text;
  const out: string[] = [];
  let used = 0;
  for (const line of lines) {
    const size = Buffer.byteLength(line) + 1;
    if (used + size > budget) break;
    out.push(line);
    used += size;
  }
  return `${out.join('\n')}\n… (${lines.length - out.length} more lines; ${rest})`;
}

/** Indents every line of a block. */
export function indent(text: string, by = '  '): string[] {
  return text.split('\n').map((l) => `${by}${l}`);
}
