import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { annotationsFor } from '../../src/kernel/annotations.js';
import { judgeCall } from '../../src/kernel/policy.js';
import { SharedArguments } from '../../src/kernel/shared-arguments.js';
import { enforceBudget } from '../../src/kernel/tool-calls.js';
import { compileSchema, formatAjvErrors } from '../../src/kernel/validation.js';
import { createLogger, registerSecret, scrub } from '../../src/kernel/logger.js';
import { parseSettings } from '../../src/providers/config/settings.js';

const policy = parseSettings({}, 'defaults').policy;

describe('annotations', () => {
  // What a client reads, with the spec's defaults for hints that are left out.
  const effective = (safety: 'read' | 'safe-mutation' | 'destructive', openWorld?: boolean) => ({
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: true,
    ...annotationsFor({ safety, openWorld }),
  });
  it('derive every hint from the safety class, sending only what differs from the defaults', () => {
    expect(annotationsFor({ safety: 'read' })).toEqual({ readOnlyHint: true });
    expect(effective('read')).toMatchObject({ readOnlyHint: true, openWorldHint: true });
    expect(effective('safe-mutation', false)).toEqual({ readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false });
    expect(effective('destructive')).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(annotationsFor({ safety: 'destructive' })).toEqual({ destructiveHint: true });
  });
});

describe('policy', () => {
  it('keeps destructive tools off by default', () => {
    expect(judgeCall({ name: 'wipe', safety: 'destructive' }, policy)).toMatchObject({ allow: false });
    expect(judgeCall({ name: 'wipe', safety: 'destructive' }, { ...policy, enabledClasses: ['destructive'] })).toEqual({ allow: true });
    expect(judgeCall({ name: 'get', safety: 'read' }, policy)).toEqual({ allow: true });
  });
});

describe('shared arguments', () => {
  const tool = (name: string, properties: Record<string, { type: string; description?: string }>) => ({
    name,
    inputSchema: { type: 'object' as const, properties },
  });
  const context = { type: 'string', description: 'Kubeconfig context.' };
  const tools = [
    tool('a', { context, limit: { type: 'integer', description: 'Rows per page.' }, kind: { type: 'string', description: 'A kind.' } }),
    tool('b', { context, limit: { type: 'integer', description: 'Rows per page.' }, kind: { type: 'string', description: 'Kind of thing.' } }),
    tool('c', {
      context,
      limit: { type: 'integer', description: 'Newest N only.' },
      kind: { type: 'string', description: 'A kind.' },
      only: { type: 'string', description: 'Mine.' },
    }),
    tool('d', { kind: { type: 'string', description: 'Kind of thing.' } }),
  ];
  const shared = new SharedArguments(tools);

  it('moves a name and text that recur across tools into the instructions, most shared first', () => {
    expect([...shared.descriptions]).toEqual([
      ['context', 'Kubeconfig context.'],
      ['limit', 'Rows per page.'],
    ]);
    expect(shared.guide).toBe('Arguments several tools share mean the same in each:\n- `context`: Kubeconfig context.\n- `limit`: Rows per page.');
  });

  it('leaves a tool its own meaning for a shared name, and a name with two recurring meanings alone', () => {
    const c = shared.strip(tools[2]!).inputSchema.properties as Record<string, { description?: string }>;
    expect(c.context).toEqual({ type: 'string' });
    expect(c.limit!.description).toBe('Newest N only.');
    expect(c.kind!.description).toBe('A kind.');
    expect(c.only!.description).toBe('Mine.');
    expect(tools[2]!.inputSchema.properties.context!.description).toBe('Kubeconfig context.');
  });

  it('adds nothing to the instructions when no text recurs', () => {
    expect(new SharedArguments([tools[3]!]).guide).toBe('');
  });
});

describe('validation messages', () => {
  const validate = compileSchema(
    Type.Object(
      { name: Type.String(), replicas: Type.Integer({ minimum: 0 }), mode: Type.Optional(Type.Union([Type.Literal('a'), Type.Literal('b')])) },
      { additionalProperties: false },
    ),
  );
  const message = (data: Record<string, unknown>) => (validate(data), formatAjvErrors(validate.errors, data));
  it('name the field, the problem and the value', () => {
    expect(message({ name: 'web', replicas: 'three' })).toBe('`replicas` must be integer (got "three")');
    expect(message({ replicas: 1 })).toBe('`name` is required');
    expect(message({ name: 'x', replicas: -1 })).toBe('`replicas` must be >= 0 (got -1)');
    expect(message({ name: 'x', replicas: 1, colour: 'red' })).toBe('`colour` is not a known argument');
  });
});

describe('output budget', () => {
  it('passes small answers through and cuts large ones on a line, saying so', () => {
    expect(enforceBudget('short', 100)).toBe('short');
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const cut = enforceBudget(lines, 200);
    expect(Buffer.byteLength(cut)).toBeLessThan(400);
    expect(cut).toMatch(/\nline \d+\n\[truncated: showed \d+ of 789 bytes\. Narrow the request/);
  });
  it('never splits a multi-byte character', () => {
    expect(enforceBudget('é'.repeat(100), 51)).not.toContain('\uFFFD');
  });
});

describe('logger', () => {
  it('scrubs registered secrets and credential shapes from every line', () => {
    const token = 'kz_' + 'A'.repeat(43);
    registerSecret('s3cr3t-value-123');
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    log.info('request', { headers: { authorization: `Bearer ${token}` }, note: 'has s3cr3t-value-123 inside', raw: token });
    expect(lines.join()).not.toContain(token);
    expect(lines.join()).not.toContain('s3cr3t-value-123');
    expect(scrub(`Bearer abc.def`)).toBe('Bearer [redacted]');
  });
});

describe('config directory', () => {
  it('follows the brief per OS, and KUBEZILLA_CONFIG_DIR overrides it', async () => {
    const { defaultConfigDir } = await import('../../src/providers/config/config-dir.js');
    const { homedir } = await import('node:os');
    expect(defaultConfigDir('linux', {})).toBe(`${homedir()}/.config/KubezillaDesktop`);
    expect(defaultConfigDir('darwin', {})).toBe(`${homedir()}/Library/Application Support/KubezillaDesktop`);
    expect(defaultConfigDir('win32', { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' })).toMatch(/^C:\\Users\\ada\\AppData\\Local.KubezillaDesktop$/);
    expect(defaultConfigDir('linux', { KUBEZILLA_CONFIG_DIR: '/srv/kz' })).toBe('/srv/kz');
  });
});
