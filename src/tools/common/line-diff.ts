/**
 * A unified diff of two texts, like `diff -u`, for the tools that compare (Helm revisions,
 * apply_yaml's dry run). The `diff` package finds the hunks; this module only fixes the rules the
 * answers rely on: '' when nothing changed, no "\ No newline" markers (the texts are YAML we
 * rendered), and a bound on the work so a huge change cannot hold the event loop.
 *
 *   unifiedDiff(oldText, newText, { fromLabel: 'a', toLabel: 'b' })  // '' when equal
 */
import { structuredPatch, type StructuredPatchHunk } from 'diff';

export interface UnifiedOptions {
  fromLabel?: string;
  toLabel?: string;
  /** Unchanged lines shown around each change (default 3, as diff -u). */
  context?: number;
}

/**
 * Beyond this many differing lines the edit script is not minimised: the answer shows the old text
 * removed and the new one added, still a correct patch, found in linear time.
 */
const MAX_EDIT_LENGTH = 2000;

export function unifiedDiff(oldText: string, newText: string, opts: UnifiedOptions = {}): string {
  const before = withFinalNewline(oldText);
  const after = withFinalNewline(newText);
  if (before === after) return '';
  const patch = structuredPatch('a', 'b', before, after, undefined, undefined, {
    context: opts.context ?? 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  const hunks = patch?.hunks ?? [wholeReplacement(before, after)];
  const out = [`--- ${opts.fromLabel ?? 'a'}`, `+++ ${opts.toLabel ?? 'b'}`];
  for (const h of hunks) {
    // As diff -u writes it: an empty side's start is the line before the change.
    const oldStart = h.oldLines === 0 ? h.oldStart - 1 : h.oldStart;
    const newStart = h.newLines === 0 ? h.newStart - 1 : h.newStart;
    out.push(`@@ -${range(oldStart, h.oldLines)} +${range(newStart, h.newLines)} @@`, ...h.lines);
  }
  return out.join('\n');
}

function wholeReplacement(before: string, after: string): StructuredPatchHunk {
  const a = lines(before);
  const b = lines(after);
  return {
    oldStart: 1,
    oldLines: a.length,
    newStart: 1,
    newLines: b.length,
    lines: [...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)],
  };
}

function lines(text: string): string[] {
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

/** A missing final newline is not a change worth a line in an answer. */
function withFinalNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

function range(start: number, count: number): string {
  return count === 1 ? String(start) : `${start},${count}`;
}
