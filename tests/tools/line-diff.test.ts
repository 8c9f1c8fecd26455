// The shared line diff: its unified output applies with patch(1) and is as small as GNU diff's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffLines, unifiedDiff } from '../../src/tools/common/line-diff.js';

const dir = mkdtempSync(join(tmpdir(), 'kz-line-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function gnuChanges(a: string, b: string): number {
  writeFileSync(join(dir, 'a'), a);
  writeFileSync(join(dir, 'b'), b);
  try {
    execFileSync('diff', [join(dir, 'a'), join(dir, 'b')]);
    return 0;
  } catch (err) {
    return String((err as { stdout: Buffer }).stdout)
      .split('\n')
      .filter((l) => /^[<>] /.test(l)).length;
  }
}

describe('unifiedDiff', () => {
  it('is empty for equal texts and renders hunks like diff -u', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('');
    const text = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n';
    expect(unifiedDiff(text, text.replace('c', 'C').replace('k', 'K\nl'), { fromLabel: 'old', toLabel: 'new' })).toBe(
      ['--- old', '+++ new', '@@ -1,6 +1,6 @@', ' a', ' b', '-c', '+C', ' d', ' e', ' f', '@@ -8,4 +8,5 @@', ' h', ' i', ' j', '-k', '+K', '+l'].join('\n'),
    );
    expect(unifiedDiff('', 'x\n')).toBe('--- a\n+++ b\n@@ -0,0 +1 @@\n+x');
    expect(unifiedDiff('x\n', '')).toBe('--- a\n+++ b\n@@ -1 +0,0 @@\n-x');
  });

  it('applies with patch(1) and changes no more lines than GNU diff, over random edits', () => {
    const rnd = random(7331);
    for (let round = 0; round < 150; round++) {
      const a = Array.from({ length: rnd(60) }, () => `line ${rnd(8)}`);
      const b = a.filter(() => rnd(5) > 0).map((l) => (rnd(7) === 0 ? `edited ${rnd(8)}` : l));
      for (let i = rnd(5); i > 0; i--) b.splice(rnd(b.length + 1), 0, `new ${rnd(6)}`);
      const at = a.length ? `${a.join('\n')}\n` : '';
      const bt = b.length ? `${b.join('\n')}\n` : '';
      const diff = unifiedDiff(at, bt);
      const edits = diffLines(a, b);
      expect(edits.filter((e) => e.op !== '+').map((e) => e.text)).toEqual(a);
      expect(edits.filter((e) => e.op !== '-').map((e) => e.text)).toEqual(b);
      expect(edits.filter((e) => e.op !== ' ').length, `round ${round}`).toBe(gnuChanges(at, bt));
      if (!diff) continue;
      writeFileSync(join(dir, 'old'), at);
      writeFileSync(join(dir, 'patch'), `${diff}\n`);
      execFileSync('patch', ['--quiet', '-o', join(dir, 'new'), join(dir, 'old'), join(dir, 'patch')]);
      expect(readFileSync(join(dir, 'new'), 'utf8'), `round ${round}`).toBe(bt);
    }
  });
});
