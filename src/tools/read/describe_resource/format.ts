/**
 * Building blocks for describe_resource's `kubectl describe`-style text: aligned key/value
 * blocks, resource lists, probes, and compact YAML within a byte budget.
 */
import { stringify } from 'yaml';
import { clip, keepFirst } from '../../common/budget.js';
import type { Probe } from 'kubernetes-types/core/v1.js';

/** `Key:  value` lines aligned on the longest key; undefined/empty values are skipped. */
export function fields(pairs: ReadonlyArray<[string, string | number | undefined]>, indent = ''): string[] {
  const kept = pairs.filter(([, v]) => v !== undefined && v !== '');
  const width = Math.max(0, ...kept.map(([k]) => k.length + 1));
  return kept.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}  ${String(v)}`);
}

/** `cpu=100m, memory=128Mi` */
export function resourceList(list: Record<string, string> | undefined): string | undefined {
  const entries = Object.entries(list ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(', ') : undefined;
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
    .map((l) => clip(l, 400));
  const { kept, dropped } = keepFirst(lines, budget + 1);
  return dropped ? `${kept.join('\n')}\n… (${dropped} more lines; ${rest})` : kept.join('\n');
}

/** Indents every line of a block. */
export function indent(text: string, by = '  '): string[] {
  return text.split('\n').map((l) => `${by}${l}`);
}
