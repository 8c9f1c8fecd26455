/**
 * Fitting an answer to its byte budget, one way for every tool: keep whole lines from the end that
 * matters (the newest for logs and events, the first for tables, YAML and diffs) and say how many
 * were left out, rather than letting the kernel's last-resort budget cut mid-line at the end.
 */
import type { SettingsStore } from '../../providers/config/settings.js';

/** The bytes a tool may spend on its body: the configured answer budget minus room for notes. */
export function bodyBudget(settings: Pick<SettingsStore, 'get'> | undefined, reserve = 1024): number {
  const total = settings?.get().policy.maxOutputBytes ?? 48 * 1024;
  return Math.max(512, total - reserve);
}

/** Keeps the last lines whose UTF-8 size (with newlines) fits `budget`; returns how many were dropped. */
export function keepNewest(lines: readonly string[], budget: number): { kept: string[]; dropped: number } {
  const n = countFitting(lines.length, (i) => lines[lines.length - 1 - i]!, budget);
  return { kept: lines.slice(lines.length - n), dropped: lines.length - n };
}

/** Keeps the first lines whose UTF-8 size (with newlines) fits `budget`; returns how many were dropped. */
export function keepFirst(lines: readonly string[], budget: number): { kept: string[]; dropped: number } {
  const n = countFitting(lines.length, (i) => lines[i]!, budget);
  return { kept: lines.slice(0, n), dropped: lines.length - n };
}

function countFitting(total: number, line: (i: number) => string, budget: number): number {
  let used = 0;
  let n = 0;
  while (n < total) {
    const size = Buffer.byteLength(line(n)) + 1;
    if (used + size > budget) break;
    used += size;
    n++;
  }
  return n;
}

/** Shortens one very long line so a single line cannot eat the whole budget. */
export function clip(line: string, max = 2000): string {
  return line.length <= max ? line : `${line.slice(0, max)}… [+${line.length - max} chars]`;
}
