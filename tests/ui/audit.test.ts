/**
 * The audit log behind "Recent mutations": append-only JSON lines, 0600, newest first, and never a
 * secret in it.
 */
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../src/kernel/logger.js';
import { AuditLog } from '../../src/providers/config/audit.js';

const dir = () => mkdtempSync(join(tmpdir(), 'kz-audit-'));

describe('AuditLog', () => {
  it('appends one JSON line per entry in a 0600 file and reads them back newest first', () => {
    const audit = new AuditLog(dir());
    expect(audit.recent()).toEqual([]);
    audit.record({ session: 's1', tool: 'scale', context: 'dev', namespace: 'web', target: 'deploy/api', outcome: 'ok', summary: 'replicas 1 → 3' });
    audit.record({ tool: 'rollout_restart', target: 'deploy/api', outcome: 'error', summary: 'Forbidden' });
    const lines = readFileSync(audit.file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(['time', 'session', 'tool', 'context', 'namespace', 'target', 'outcome', 'summary']);
    expect(statSync(audit.file).mode & 0o777).toBe(0o600);
    const recent = audit.recent(10);
    expect(recent.map((e) => e.tool)).toEqual(['rollout_restart', 'scale']);
    expect(recent[1]).toMatchObject({ session: 's1', context: 'dev', namespace: 'web', summary: 'replicas 1 → 3' });
    expect(Date.parse(recent[0]!.time)).not.toBeNaN();
    expect(audit.recent(1)).toHaveLength(1);
  });

  it('never writes a token or a Bearer credential, and keeps each entry on one bounded line', () => {
    const audit = new AuditLog(dir());
    const secret = 'kz_' + 'A'.repeat(43);
    registerSecret('super-secret-value-123');
    audit.record({
      tool: 'apply_yaml',
      target: 'ConfigMap/x',
      outcome: 'error',
      summary: `failed with Authorization: Bearer abc.def.ghi and ${secret} and super-secret-value-123\nsecond line ` + 'y'.repeat(2000),
    });
    const text = readFileSync(audit.file, 'utf8');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('abc.def.ghi');
    expect(text).not.toContain('super-secret-value-123');
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(audit.recent()[0]!.summary.length).toBeLessThanOrEqual(500);
  });

  it('skips torn or foreign lines and tightens a loose file mode', () => {
    const d = dir();
    const audit = new AuditLog(d);
    writeFileSync(join(d, 'audit.log'), 'not json\n{"half":\n', { mode: 0o644 });
    audit.record({ tool: 'helm_rollback', target: 'release/web', outcome: 'ok' });
    appendFileSync(audit.file, '{"time":"2026-01-01T00:00:00Z"}\n');
    expect(audit.recent().map((e) => e.tool)).toEqual(['helm_rollback']);
    expect(statSync(audit.file).mode & 0o777).toBe(0o600);
  });

  it('reads only the tail of a large log', () => {
    const audit = new AuditLog(dir());
    const filler =
      JSON.stringify({
        time: '2026-01-01T00:00:00Z',
        session: '',
        tool: 'scale',
        context: '',
        namespace: '',
        target: 'x'.repeat(200),
        outcome: 'ok',
        summary: '',
      }) + '\n';
    writeFileSync(audit.file, filler.repeat(8000), { mode: 0o600 }); // ~2 MB
    audit.record({ tool: 'helm_upgrade', target: 'release/last', outcome: 'ok' });
    const recent = audit.recent(3);
    expect(recent[0]!.target).toBe('release/last');
    expect(recent).toHaveLength(3);
  });
});
