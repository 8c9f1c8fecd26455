/**
 * Redaction judged on the answer, whatever its shape: a Secret, a SecretList whose items carry no
 * kind, a v1 List of mixed kinds, a Table whose rows embed objects. Pure (no cluster); the
 * get_resource_yaml tests check the same through the real tool.
 */
import { describe, expect, it } from 'vitest';
import { cleanObject, LAST_APPLIED, redactSecretsIn, type KubeObject } from '../../src/tools/common/redact.js';

const VALUE = Buffer.from('hunter2-password').toString('base64');
const secret = (extra: Partial<KubeObject> = {}): KubeObject => ({
  metadata: { name: 's', annotations: { [LAST_APPLIED]: JSON.stringify({ kind: 'Secret', apiVersion: 'v1', stringData: { p: 'hunter2-password' } }) } },
  data: { password: VALUE },
  stringData: { plain: 'hunter2-password' },
  ...extra,
});
const leaks = (value: unknown) => /hunter2|aHVudGVyMi/.test(JSON.stringify(value));

describe('Secret redaction', () => {
  it('redacts a Secret and its last-applied annotation, and leaves values alone when revealSecrets is on', () => {
    const { object, redacted } = cleanObject(secret({ apiVersion: 'v1', kind: 'Secret' }), { keepLastApplied: true });
    expect(redacted).toBe(true);
    expect(leaks(object)).toBe(false);
    expect((object.data as Record<string, string>).password).toBe('<redacted: 16 bytes>');
    expect(leaks(cleanObject(secret({ apiVersion: 'v1', kind: 'Secret' }), { revealSecrets: true }).object)).toBe(true);
  });

  it('redacts the items of a SecretList (which carry no kind) and of a mixed List', () => {
    const list = { apiVersion: 'v1', kind: 'SecretList', items: [secret(), secret()] };
    expect(cleanObject(list).redacted).toBe(true);
    expect(leaks(cleanObject(list).object)).toBe(false);
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } };
    const mixed = { apiVersion: 'v1', kind: 'List', items: [configMap, secret({ apiVersion: 'v1', kind: 'Secret' })] };
    const cleaned = cleanObject(mixed).object as { items: Array<{ data: Record<string, string> }> };
    expect(leaks(cleaned)).toBe(false);
    expect(cleaned.items[0]!.data.a).toBe('b');
  });

  it('redacts the objects a Table embeds, and a kind-less answer to a request for a Secret', () => {
    const rows = [
      { cells: ['s'], object: secret({ apiVersion: 'v1', kind: 'Secret' }) },
      { cells: ['t'], object: secret() },
    ];
    const table = { apiVersion: 'meta.k8s.io/v1', kind: 'Table', rows };
    const cleaned = cleanObject(table, { requestedSecret: true });
    expect(cleaned.redacted).toBe(true);
    expect(leaks(cleaned.object)).toBe(false);
    expect(leaks(cleanObject(secret(), { requestedSecret: true }).object)).toBe(false);
    // Nothing to redact in a ConfigMap, even when the caller expected a Secret: it has a kind.
    expect(redactSecretsIn({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } }, true)).toBe(false);
  });
});
