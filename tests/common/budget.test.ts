// Fitting answers to a byte budget: whole lines, from the end that matters, with the count left out.
import { describe, expect, it } from 'vitest';
import { bodyBudget, clip, keepFirst, keepNewest } from '../../src/tools/common/budget.js';

const lines = ['one', 'two', 'three', 'four'];

describe('keepFirst / keepNewest', () => {
  it('keep whole lines whose UTF-8 size with newlines fits, and say how many were dropped', () => {
    expect(keepFirst(lines, 8)).toEqual({ kept: ['one', 'two'], dropped: 2 });
    expect(keepFirst(lines, 7)).toEqual({ kept: ['one'], dropped: 3 });
    expect(keepNewest(lines, 11)).toEqual({ kept: ['three', 'four'], dropped: 2 });
    expect(keepNewest(lines, 10)).toEqual({ kept: ['four'], dropped: 3 });
    expect(keepFirst(lines, 1000)).toEqual({ kept: lines, dropped: 0 });
    expect(keepNewest([], 10)).toEqual({ kept: [], dropped: 0 });
    expect(keepFirst(lines, 0)).toEqual({ kept: [], dropped: 4 });
  });

  it('count bytes, not characters', () => {
    // "é" is two bytes, "€" three.
    expect(keepFirst(['é', '€'], 3)).toEqual({ kept: ['é'], dropped: 1 });
    expect(keepNewest(['é', '€'], 3)).toEqual({ kept: [], dropped: 2 });
    expect(keepNewest(['é', '€'], 4)).toEqual({ kept: ['€'], dropped: 1 });
  });
});

describe('clip and bodyBudget', () => {
  it('clips one long line and says by how much', () => {
    expect(clip('x'.repeat(10), 4)).toBe('xxxx… [+6 chars]');
    expect(clip('short', 10)).toBe('short');
  });

  it('leaves room for notes under the configured answer budget, never below a floor', () => {
    const settings = (maxOutputBytes: number) => ({ get: () => ({ policy: { maxOutputBytes } }) }) as never;
    expect(bodyBudget(settings(48 * 1024), 1024)).toBe(47 * 1024);
    expect(bodyBudget(settings(1024), 1024)).toBe(512);
    expect(bodyBudget(undefined)).toBe(47 * 1024);
  });
});
