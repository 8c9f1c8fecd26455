import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testCluster } from '../cluster/context.js';
import { apply, createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';
import { appChart, h, installUpgradeRollback, secretChart } from './helm-fixtures.js';

/** An external cluster (KUBEZILLA_TEST_KUBECONFIG) has no restricted user. */
const external = testCluster().external;

/** The diff under the `== <title>` heading of the answer ('' when absent). */
function section(text: string, title: 'User-supplied values' | 'Manifest'): string {
  const block = text.split('\n\n').find((b) => b.startsWith(`== ${title}`));
  return block === undefined ? '' : block.split('\n').slice(1).join('\n');
}

/** Both sides of a unified diff whose hunks cover the whole texts. */
function sides(diff: string): { old: string; new: string } {
  const lines = diff.split('\n').filter((l) => !/^(---|\+\+\+|@@) /.test(l));
  const pick = (skip: string) =>
    lines
      .filter((l) => l[0] !== skip)
      .map((l) => l.slice(1))
      .join('\n');
  return { old: pick('+'), new: pick('-') };
}

describe('get_helm_revision_diff', () => {
  let env: ToolEnv;
  const ns = uniqueName('kz-t-helm-d');
  const work = mkdtempSync(join(tmpdir(), 'kz-t-helm-d-'));
  let creds: string;
  let app: string;
  /** What a person would put in an app's values: none of the keys looks secret to a key-name regex. */
  const appValues = (n: 'first' | 'second') => ({
    database: { url: `postgres://app:${n}-Pa55w0rd@db.internal:5432/app` },
    env: [{ name: 'UPSTREAM', value: `https://${n}-upstream.example.net/hook?key=${n}-env-key` }],
    pwd: `${n}-pwd-value`,
    ...(n === 'first' ? { region: 'eu-west-1-first' } : { tier: 'gold-second' }),
  });
  const appSecrets = (n: 'first' | 'second') => [`${n}-Pa55w0rd`, `${n}-env-key`, `${n}-upstream.example.net`, `${n}-pwd-value`, `${n}-pwd`];
  /** A connection string that ends up quoted in helm's description of a failed upgrade. */
  const failedUpgradeValue = 'app:third-Pa55w0rd@db.internal';

  async function manifest(major: 3 | 4, release: string, revision: number, driver: 'secret' | 'configmap' = 'secret'): Promise<string> {
    // helm prints the stored manifest plus a newline.
    return (await h(env.info, major, ['get', 'manifest', release, '-n', ns, '--revision', String(revision)], { driver })).replace(/\n$/, '');
  }
  async function values(major: 3 | 4, release: string, revision: number, driver: 'secret' | 'configmap' = 'secret'): Promise<unknown> {
    return JSON.parse(await h(env.info, major, ['get', 'values', release, '-n', ns, '--revision', String(revision), '-o', 'json'], { driver })) ?? {};
  }
  /** Applies the tool's manifest diff to helm's manifest of `from` with patch(1). */
  function patched(oldManifest: string, diff: string): string {
    writeFileSync(join(work, 'old'), oldManifest);
    writeFileSync(join(work, 'diff'), `${diff}\n`);
    execFileSync('patch', ['--quiet', '-o', join(work, 'new'), join(work, 'old'), join(work, 'diff')]);
    return readFileSync(join(work, 'new'), 'utf8');
  }

  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
    await installUpgradeRollback(env.info, 3, ns, 'web3');
    await installUpgradeRollback(env.info, 4, ns, 'web4');
    await installUpgradeRollback(env.info, 4, ns, 'cm4', 'configmap');
    creds = secretChart();
    await h(env.info, 4, ['install', 'creds', creds, '-n', ns]);
    await h(env.info, 4, ['upgrade', 'creds', creds, '-n', ns, '--set', 'password=second-secret-value', '--set', 'mode=two']);
    app = appChart();
    for (const [i, n] of (['first', 'second'] as const).entries()) {
      writeFileSync(join(work, `app-${n}.yaml`), JSON.stringify(appValues(n)));
      await h(env.info, 4, [i === 0 ? 'install' : 'upgrade', 'app', app, '-n', ns, '-f', join(work, `app-${n}.yaml`)]);
    }
    // Revision 3 fails: a ConfigMap named by a value is invalid, and the API server's 422 quotes the name.
    await h(env.info, 4, ['upgrade', 'app', app, '-n', ns, '--reuse-values', '--set-string', `configName=${failedUpgradeValue}`], { allowFail: true });
  }, 240_000);
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    if (creds) rmSync(creds, { recursive: true, force: true });
    if (app) rmSync(app, { recursive: true, force: true });
    if (env) {
      await deleteNamespaces(env.info, ns);
      await env.close();
    }
  });

  for (const major of [3, 4] as const) {
    it(`diffs the previous and the latest revision as helm ${major} get manifest / get values show them`, async () => {
      const release = `web${major}`;
      const text = await env.call('get_helm_revision_diff', { release, namespace: ns });
      expect(text.split('\n')[0]).toBe(
        `Release "${release}" in namespace "${ns}": revision 2 (kz-demo-0.2.0, superseded, "Upgrade complete") → revision 3 (kz-demo-0.1.0, deployed, "Rollback to 1").`,
      );
      expect(section(text, 'User-supplied values')).toBe('--- values, revision 2\n+++ values, revision 3\n@@ -1 +0,0 @@\n-greeting: <redacted>');
      const open = await startToolEnv({ settings: { policy: { revealSecrets: true } } });
      try {
        const valuesDiff = section(await open.call('get_helm_revision_diff', { release, namespace: ns }), 'User-supplied values');
        expect(valuesDiff).toBe(`--- values, revision 2\n+++ values, revision 3\n@@ -1 +0,0 @@\n-greeting: changed by helm ${major}`);
        const v = sides(valuesDiff);
        expect(parse(v.old) ?? {}).toEqual(await values(major, release, 2));
        expect(parse(v.new) ?? {}).toEqual(await values(major, release, 3));
      } finally {
        await open.close();
      }
      expect(text).toContain(`== Manifest (changed: ConfigMap ${release}-kz-demo, Service ${release}-kz-demo, Deployment ${release}-kz-demo)`);
      const diff = section(text, 'Manifest');
      expect(diff).toMatch(/^--- manifest, revision 2\n\+\+\+ manifest, revision 3\n@@ /);
      expect(diff).toContain('-  replicas: 3\n+  replicas: 2');
      expect(patched(await manifest(major, release, 2), diff)).toBe(await manifest(major, release, 3));
    });
  }

  it('takes from and to, and show: values or manifest', async () => {
    const text = await env.call('get_helm_revision_diff', { release: 'web4', namespace: ns, from: 1, to: 2 });
    expect(text.split('\n')[0]).toContain(
      'revision 1 (kz-demo-0.1.0, superseded, "Install complete") → revision 2 (kz-demo-0.2.0, superseded, "Upgrade complete")',
    );
    expect(section(text, 'User-supplied values')).toBe('--- values, revision 1\n+++ values, revision 2\n@@ -0,0 +1 @@\n+greeting: <redacted, added>');
    expect(patched(await manifest(4, 'web4', 1), section(text, 'Manifest'))).toBe(await manifest(4, 'web4', 2));
    const onlyValues = await env.call('get_helm_revision_diff', { release: 'web4', namespace: ns, from: 1, to: 2, show: 'values' });
    expect(onlyValues).not.toContain('== Manifest');
    expect(section(onlyValues, 'User-supplied values')).toContain('+greeting: <redacted, added>');
    const onlyManifest = await env.call('get_helm_revision_diff', { release: 'web4', namespace: ns, from: 1, to: 3, show: 'manifest' });
    expect(onlyManifest).not.toContain('== User-supplied values');
    expect(onlyManifest).toContain('== Manifest\n(unchanged)');
  });

  it('reads the ConfigMaps driver', async () => {
    const text = await env.call('get_helm_revision_diff', { release: 'cm4', namespace: ns, from: 1, to: 2 });
    expect(section(text, 'User-supplied values')).toContain('+greeting: <redacted, added>');
    expect(patched(await manifest(4, 'cm4', 1, 'configmap'), section(text, 'Manifest'))).toBe(await manifest(4, 'cm4', 2, 'configmap'));
  });

  it('never prints Secret contents, in the manifest or in the values, yet shows that they changed', async () => {
    const text = await env.call('get_helm_revision_diff', { release: 'creds', namespace: ns });
    for (const secret of ['first-secret-value', 'second-secret-value']) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(section(text, 'User-supplied values')).toBe(
      '--- values, revision 1\n+++ values, revision 2\n@@ -0,0 +1,2 @@\n+mode: <redacted, added>\n+password: <redacted, added>',
    );
    const diff = section(text, 'Manifest');
    expect(text).toContain('== Manifest (changed: Secret creds-creds, ConfigMap creds-mode)');
    expect(diff).toContain('-  password: "<redacted>"\n+  password: "<redacted, changed>"');
    expect(diff).toContain('-  token: "<redacted>"\n+  token: "<redacted, changed>"');
    expect(diff).toContain('-  mode: "one"\n+  mode: "two"');
    expect(text).toContain('Values and Secret data/stringData are redacted');
  });

  it('shows Secret contents when the settings allow it', async () => {
    const open = await startToolEnv({ settings: { policy: { revealSecrets: true } } });
    try {
      const text = await open.call('get_helm_revision_diff', { release: 'creds', namespace: ns });
      expect(section(text, 'User-supplied values')).toContain('+password: second-secret-value');
      expect(section(text, 'Manifest')).toContain(`+  password: "${Buffer.from('second-secret-value').toString('base64')}"`);
      expect(patched(await manifest(4, 'creds', 1), section(text, 'Manifest'))).toBe(await manifest(4, 'creds', 2));
      expect(text).not.toContain('redacted');
    } finally {
      await open.close();
    }
  });

  it('never prints a value of the release, whatever its key, yet names every added, removed and changed key', async () => {
    const text = await env.call('get_helm_revision_diff', { release: 'app', namespace: ns, from: 1, to: 2 });
    for (const secret of [...appSecrets('first'), ...appSecrets('second'), 'eu-west-1-first', 'gold-second']) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(Buffer.from(secret).toString('base64'));
    }
    const values = section(text, 'User-supplied values').split('\n');
    for (const line of [
      '-  url: <redacted>',
      '+  url: <redacted, changed>',
      '-    value: <redacted>',
      '+    value: <redacted, changed>',
      '-pwd: <redacted>',
      '+pwd: <redacted, changed>',
      '-region: <redacted>',
      '+tier: <redacted, added>',
      '   - name: <redacted>',
    ]) {
      expect(values).toContain(line);
    }
    expect(text).toContain('== Manifest (changed: Secret app-env)');
    const manifest = section(text, 'Manifest');
    expect(manifest).toContain('-  DATABASE_URL: "<redacted>"\n-  PWD: "<redacted>"\n-  UPSTREAM: "<redacted>"');
    expect(manifest).toContain('+  DATABASE_URL: "<redacted, changed>"\n+  PWD: "<redacted, changed>"\n+  UPSTREAM: "<redacted, changed>"');
    expect(text).toContain('Values and Secret data/stringData are redacted: every value of a release is stored in its Secret.');
  });

  it("cuts user values out of helm's description of a failed upgrade, in the diff and in get_helm_history", async () => {
    const history = await env.call('get_helm_history', { release: 'app', namespace: ns });
    expect(history).toMatch(/^3 .*failed .*Upgrade "app" failed/m);
    expect(history).toContain('<redacted value>');
    const diff = await env.call('get_helm_revision_diff', { release: 'app', namespace: ns, show: 'values' });
    expect(diff.split('\n')[0]).toContain('revision 3 (kz-app-1.0.0, failed, "Upgrade "app" failed');
    for (const text of [history, diff, await env.call('list_helm_releases', { namespace: ns })]) {
      expect(text).not.toContain('third-Pa55w0rd');
      for (const secret of appSecrets('second')) expect(text).not.toContain(secret);
    }
    expect(section(diff, 'User-supplied values')).toContain('+configName: <redacted, added>');
  });

  it('shows the values of the release when the settings allow it', async () => {
    const open = await startToolEnv({ settings: { policy: { revealSecrets: true } } });
    try {
      const text = await open.call('get_helm_revision_diff', { release: 'app', namespace: ns, from: 1, to: 2 });
      for (const secret of appSecrets('second')) expect(text).toContain(secret);
      expect(section(text, 'User-supplied values')).toContain(`+  url: postgres://app:second-Pa55w0rd@db.internal:5432/app`);
      expect(section(text, 'Manifest')).toContain('+  PWD: "second-pwd-value"');
      expect(await open.call('get_helm_history', { release: 'app', namespace: ns })).toContain('third-Pa55w0rd');
      expect(text).not.toContain('redacted');
    } finally {
      await open.close();
    }
  });

  it('keeps to the answer budget and says where it cut', async () => {
    const small = await startToolEnv({ settings: { policy: { maxOutputBytes: 2048 } } });
    try {
      const text = await small.call('get_helm_revision_diff', { release: 'web4', namespace: ns });
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2048);
      expect(section(text, 'User-supplied values')).toContain('-greeting: <redacted>');
      expect(text).toMatch(
        /Manifest diff cut after \d+ of \d+ lines to fit the answer budget\. Pass show "values" for the values alone, or read the changed objects with get_resource_yaml\./,
      );
    } finally {
      await small.close();
    }
  });

  it('says which revisions exist when one is missing, and names an unknown release', async () => {
    const missing = await env.callRaw('get_helm_revision_diff', { release: 'web3', namespace: ns, from: 1, to: 9 });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain(`to: release "web3" has no revision 9 in namespace "${ns}". Stored revisions: 1, 2, 3`);
    const same = await env.callRaw('get_helm_revision_diff', { release: 'web3', namespace: ns, from: 2, to: 2 });
    expect(same.text).toContain('from and to are both revision 2');
    const first = await env.callRaw('get_helm_revision_diff', { release: 'web3', namespace: ns, to: 1 });
    expect(first.text).toContain('Release "web3" has no revision before 1 to compare with.');
    const unknown = await env.callRaw('get_helm_revision_diff', { release: 'nope', namespace: ns });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain(`Helm release "nope" not found in namespace "${ns}"`);
    expect(unknown.text).toContain('Releases in this namespace: app, cm4, creds, web3, web4.');
  });

  it('names a damaged record', async () => {
    const garbage = Buffer.from('H4sIAAAAbroken').toString('base64');
    await apply(
      env.info,
      [1, 2]
        .map(
          (v) => `apiVersion: v1
kind: Secret
metadata:
  name: sh.helm.release.v1.mangled.v${v}
  namespace: ${ns}
  labels: {owner: helm, name: mangled, version: "${v}", status: ${v === 2 ? 'deployed' : 'superseded'}}
type: helm.sh/release.v1
data: {release: ${garbage}}
`,
        )
        .join('---\n'),
    );
    const r = await env.callRaw('get_helm_revision_diff', { release: 'mangled', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(
      new RegExp(`Helm release record Secret "sh\\.helm\\.release\\.v1\\.mangled\\.v[12]" in namespace "${ns}" cannot be decoded: not valid gzip`),
    );
  });

  it.skipIf(external)('explains a 403 on the release records (kz-restricted may not read Secrets)', async () => {
    const r = await env.callRaw('get_helm_revision_diff', { release: 'web3', context: env.info.contexts.restricted, namespace: env.info.restrictedNamespace });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(
      `Forbidden: user "kz-restricted" (context "${env.info.contexts.restricted}") cannot list secrets in namespace "${env.info.restrictedNamespace}"`,
    );
    expect(r.text).toContain('Helm keeps its release records in Secrets');
  });
});
