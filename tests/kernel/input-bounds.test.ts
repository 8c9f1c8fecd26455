/**
 * The kernel's default bound on string arguments: no schema author has to remember it, the
 * published schema stays as written (tools/list size), and the refusal names the argument, its
 * length and the limit. Pure: runs without the cluster (the cluster tests call real tools).
 */
import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { compileInputSchema, DEFAULT_MAX_STRING_LENGTH, formatAjvErrors, withStringBounds } from '../../src/kernel/validation.js';

describe('default string bound', () => {
  const schema = Type.Object(
    {
      kind: Type.String({ minLength: 1 }),
      manifest: Type.Optional(Type.String({ maxLength: 1024 * 1024 })),
      mode: Type.Optional(Type.String({ enum: ['a', 'b'], default: 'a' })),
      nested: Type.Optional(Type.Object({ labels: Type.Record(Type.String(), Type.String()) })),
      either: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
    },
    { additionalProperties: false },
  );
  const validate = compileInputSchema(schema);
  const message = (data: Record<string, unknown>) => (validate(data), formatAjvErrors(validate.errors, data));

  it('refuses an over-long string without its own maxLength, naming the argument, its length and the limit', () => {
    const text = message({ kind: 'x'.repeat(1024 * 1024) });
    expect(text).toBe(`\`kind\` is 1048576 characters long; it takes at most ${DEFAULT_MAX_STRING_LENGTH} characters (Kubernetes names are at most 253)`);
    expect(message({ kind: 'x'.repeat(DEFAULT_MAX_STRING_LENGTH) })).toBe('invalid value');
  });

  it('bounds strings inside records and unions too, and keeps an argument its own larger maxLength', () => {
    expect(message({ kind: 'pods', nested: { labels: { a: 'v'.repeat(2000) } } })).toContain('`nested.labels.a` is 2000 characters long');
    expect(message({ kind: 'pods', either: 'v'.repeat(2000) })).toContain('`either` is 2000 characters long');
    expect(validate({ kind: 'pods', manifest: 'y'.repeat(500_000) })).toBe(true);
  });

  it('leaves the published schema alone and data keywords (enum, default) untouched', () => {
    expect(JSON.stringify(schema)).not.toContain('maxLength":1024,');
    const bounded = withStringBounds({ type: 'string', enum: ['a'], default: 'a' }, 10) as Record<string, unknown>;
    expect(bounded).toEqual({ type: 'string', enum: ['a'], default: 'a', maxLength: 10 });
  });

  it('answers a megabyte value with one short line that quotes none of it', () => {
    const text = message({ kind: 'k'.repeat(4 * 1024 * 1024) });
    expect(text.length).toBeLessThan(200);
    expect(text).not.toContain('kkkk');
  });
});
