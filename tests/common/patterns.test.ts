/**
 * Model-written patterns run on RE2 semantics in linear time. Pure (no cluster); get_pod_logs'
 * tests run a backtracking filter through the real tool while another session keeps answering.
 */
import { describe, expect, it } from 'vitest';
import { ToolError } from '../../src/kernel/contract.js';
import { compilePattern, MAX_PATTERN_PROGRAM_SIZE } from '../../src/tools/common/patterns.js';
import { timeSlicer } from '../../src/tools/common/time-slices.js';

const refusal = (source: string, flags?: string) => {
  try {
    compilePattern(source, { field: 'filter', ...(flags !== undefined ? { flags } : {}) });
    return 'accepted';
  } catch (err) {
    expect(err).toBeInstanceOf(ToolError);
    return `${(err as ToolError).message} ${(err as ToolError).hint}`;
  }
};

describe('model-written patterns', () => {
  it('match backtracking patterns on long texts in linear time', () => {
    const started = performance.now();
    const test = compilePattern('(a+)+$', { field: 'filter' });
    expect(test(`${'a'.repeat(50_000)}b`)).toBe(false);
    expect(compilePattern('(x+x+)+y', { field: 'filter' })('x'.repeat(50_000))).toBe(false);
    expect(test('aaa')).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000); // the JavaScript engine takes minutes here
  });

  it('honour i, m and s, accept g, y and u, and refuse other flags by name', () => {
    expect(compilePattern('error', { field: 'filter', flags: 'gi' })('An ERROR here')).toBe(true);
    expect(compilePattern('^b', { field: 'filter', flags: 'm' })('a\nb')).toBe(true);
    expect(compilePattern('a.b', { field: 'filter', flags: 's' })('a\nb')).toBe(true);
    expect(refusal('x', 'q')).toMatch(/^filter: unknown regular expression flag "q"/);
  });

  it('refuse what RE2 does not do, naming the argument and the rule', () => {
    expect(refusal('(unclosed')).toMatch(/^filter: "\(unclosed" is not a valid regular expression \(.*\)\. Patterns use RE2 syntax/);
    expect(refusal('a(?=b)')).toMatch(/no lookaround/);
    expect(refusal('(a)\\1')).toMatch(/not a valid regular expression/);
    expect(refusal('(a|aa|aaa|aaaa){1000}')).toMatch(new RegExp(`too costly to run \\(program size \\d+, at most ${MAX_PATTERN_PROGRAM_SIZE}\\)`));
  });

  it('slices long loops so the event loop gets a turn', async () => {
    let clock = 0;
    const slicer = timeSlicer(5, () => clock);
    clock = 4;
    expect(slicer.due()).toBe(false);
    clock = 5;
    expect(slicer.due()).toBe(true);
    // pause() lets a macrotask run (I/O, another session's timer), then starts a new slice.
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    await slicer.pause();
    expect(ran).toBe(true);
    expect(slicer.due()).toBe(false);
    clock = 10;
    expect(slicer.due()).toBe(true);
  });
});
