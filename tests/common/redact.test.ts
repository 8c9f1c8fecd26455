/**
 * Redaction judged on the answer, whatever its shape: a Secret, a SecretList whose items carry no
 * kind, a v1 List of mixed kinds, a Table whose rows embed objects. Pure (no cluster); the
 * get_resource_yaml tests check the same through the real tool.
 */
import { describe, expect, it } from 'vitest';
import { cutOut } from '../../src/kernel/logger.js';
import {
  cleanObject,
  LAST_APPLIED,
  redactHelmValues,
  redactManifestSecrets,
  redactSecretInPlace,
  redactSecretsIn,
  type KubeObject,
} from '../../src/tools/common/redact.js';

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

  it('marks a value that differs from the older Secret as changed, without showing either', () => {
    const older = {
      apiVersion: 'v1',
      kind: 'Secret',
      data: { a: Buffer.from('same-value').toString('base64'), b: Buffer.from('old-value').toString('base64') },
    };
    const newer = { apiVersion: 'v1', kind: 'Secret', data: { a: older.data.a, b: Buffer.from('new-value!').toString('base64'), c: 'eA==' } };
    expect(redactSecretInPlace(newer, older)).toBe(true);
    expect(newer.data).toEqual({ a: '<redacted: 10 bytes>', b: '<redacted: 10 bytes, changed>', c: '<redacted: 1 bytes>' });
  });

  it('hides every Helm value, marking what changed or was added since the older revision, never a length', () => {
    const older = { db: { url: 'postgres://u:hunter2@db', port: 5432 }, replicas: 1, drop: null };
    const newer = { db: { url: 'postgres://u:hunter2-new@db', port: 5432 }, replicas: 1, drop: null, extra: ['x'] };
    const a = redactHelmValues(older, undefined, false);
    const b = redactHelmValues(newer, { of: older }, false);
    expect(a.value).toEqual({ db: { url: '<redacted>', port: '<redacted>' }, replicas: '<redacted>', drop: null });
    expect(b.value).toEqual({ db: { url: '<redacted, changed>', port: '<redacted>' }, replicas: '<redacted>', drop: null, extra: ['<redacted, added>'] });
    expect(a.redacted && b.redacted).toBe(true);
    expect(redactHelmValues(older, undefined, true).value).toBe(older);
  });

  it("hides a rendered manifest's Secret data and stringData across revisions, keeping the other documents as rendered", () => {
    const doc = (pw: string) =>
      `---\n# Source: chart/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  mode: fast\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  pw: ${Buffer.from(pw).toString('base64')}\nstringData:\n  token: ${pw}-token\n`;
    const a = redactManifestSecrets(doc('hunter2-password'), undefined, false);
    const b = redactManifestSecrets(doc('hunter2-changed!'), a.secrets, false);
    expect(leaks(a.text) || leaks(b.text)).toBe(false);
    expect(a.text).toContain('mode: fast');
    expect(b.text).toContain('pw: <redacted, changed>');
    expect(b.text).toContain('token: <redacted, changed>');
    expect(b.docs.map((d) => d.key)).toEqual(['ConfigMap cm', 'Secret s']);
    // A document that does not parse but may be a Secret is hidden whole.
    const broken = redactManifestSecrets('kind: Secret\ndata: {pw: aHVudGVyMi\n', undefined, false);
    expect(leaks(broken.text)).toBe(false);
    expect(broken.text).toContain('may be a Secret');
  });

  it('cuts known values out of a text longest first, so a value holding another goes whole', () => {
    expect(cutOut('pw=hunter2-password, short=hunter2', ['hunter2', 'hunter2-password'], '<redacted>')).toBe('pw=<redacted>, short=<redacted>');
    expect(cutOut('nothing here', [''], '<x>')).toBe('nothing here');
  });
});
