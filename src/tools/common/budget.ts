/**
 * Budgets for answers whose newest part matters most (logs, events): the tool keeps the newest
 * lines that fit and says how many older ones it dropped, rather than letting the kernel's
 * last-resort budget cut the newest end off.
 */
import type { SettingsStore } from '../../providers/config/settings.js';

/** The bytes a tool may spend on its body: the configured answer budget minus room for notes. */
export function bodyBudget(settings: Pick<SettingsStore, 'get'> | undefined, reserve = 1024): number {
  const total = settings?.get().policy.maxOutputBytes ?? 48 * 1024;
  return Math.max(512, total - reserve);
}

/** Keeps the last lines whose UTF-8 size (with newlines) fits `budget`; returns how many were dropped. */
export function keepNewest(lines: readonly string[], budget: number): { kept: string[]; dropped: number } {
  let used = 0;
  let start = lines.length;
  while (start > 0) {
    const size = Buffer.byteLength(lines[start - 1]!) + 1;
    if (used + size > budget) break;
    used += size;
    start--;
  }
  return { kept: lines.slice(start), dropped: start };
}

/** Shortens one very long line so a single line cannot eat the whole budget. */
export function clip(line: string, max = 2000): string {
  return line.length <= max ? line : `${line.slice(0, max)}… [+${line.length - max} chars]`;
}
