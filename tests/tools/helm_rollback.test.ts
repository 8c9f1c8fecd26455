/**
 * helm_rollback against the real test cluster with the real helm 3 and helm 4 (KUBEZILLA_HELM),
 * checked with helm history and kubectl: the previous revision by default or a named one, the
 * Deployment returns to it, unknown revisions are refused before helm runs, the ConfigMaps driver
 * is followed, and the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';
import { chart, h, helmHistory, helmSwitch, type HelmMajor } from './helm-fixtures.js';

const ns = uniqueName('kz-t-hm');
let env: ToolEnv;
const useHelm = helmSwitch(() => env.info);

const history = (major: HelmMajor, release: string, driver?: 'secret' | 'configmap') => helmHistory(env.info, major, ns, release, driver);

async function replicas(release: string): Promise<string> {
  return env.kubectl(['get', 'deploy', `${release}-kz-demo`, '-n', ns, '-o', 'jsonpath={.spec.replicas}']);
}

describe('helm_rollback', () => {
  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
    for (const major of [3, 4] as const) {
      await h(env.info, major, ['install', `web${major}`, chart(env.info, '0.1.0'), '-n', ns]);
      await h(env.info, major, ['upgrade', `web${major}`, chart(env.info, '0.2.0'), '-n', ns, '--set', 'replicaCount=4']);
    }
    await h(env.info, 4, ['install', 'one4', chart(env.info, '0.1.0'), '-n', ns]);
    await h(env.info, 3, ['install', 'cm3', chart(env.info, '0.1.0'), '-n', ns], { driver: 'configmap' });
    await h(env.info, 3, ['upgrade', 'cm3', chart(env.info, '0.2.0'), '-n', ns], { driver: 'configmap' });
  }, 180_000);
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ns);
      await env.close();
    }
  });

  for (const major of [3, 4] as const) {
    it(`rolls back to the previous revision, then to a named one, with helm ${major}`, async () => {
      useHelm(major);
      const release = `web${major}`;
      expect(await replicas(release)).toBe('4');
      const text = await env.call('helm_rollback', { release, namespace: ns });
      expect(text).toContain(`Rolled back ${release} (helm v${major}.`);
      expect(text).toContain('revision 2 (kz-demo-0.2.0) → revision 3, a copy of revision 1 (kz-demo-0.1.0).');
      expect(text).toContain('revision: 3\nstatus: deployed\nchart: kz-demo-0.1.0');
      expect(await replicas(release)).toBe('2');
      let rows = await history(major, release);
      expect(rows.map((r) => [r.revision, r.status, r.chart, r.description])).toEqual([
        [1, 'superseded', 'kz-demo-0.1.0', 'Install complete'],
        [2, 'superseded', 'kz-demo-0.2.0', 'Upgrade complete'],
        [3, 'deployed', 'kz-demo-0.1.0', 'Rollback to 1'],
      ]);

      const again = await env.call('helm_rollback', { release, revision: 2, namespace: ns, wait: true, timeoutSeconds: 60 });
      expect(again).toContain('revision 3 (kz-demo-0.1.0) → revision 4, a copy of revision 2 (kz-demo-0.2.0).');
      expect(await replicas(release)).toBe('4');
      rows = await history(major, release);
      expect(rows[3]).toMatchObject({ revision: 4, status: 'deployed', chart: 'kz-demo-0.2.0', description: 'Rollback to 2' });
    });
  }

  it('refuses a revision that is not stored, and a release with no previous revision, before running helm', async () => {
    useHelm(4);
    const before = await history(4, 'web4');
    const r = await env.callRaw('helm_rollback', { release: 'web4', revision: 99, namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(`Helm release "web4" has no revision 99 in namespace "${ns}"`);
    expect(r.text).toContain(`Stored revisions: ${before.map((row) => row.revision).join(', ')}. Nothing was changed.`);
    expect(await history(4, 'web4')).toEqual(before);
    const one = await env.callRaw('helm_rollback', { release: 'one4', namespace: ns });
    expect(one.text).toContain('has only revision 1 stored');
    const missing = await env.callRaw('helm_rollback', { release: 'nope', namespace: ns });
    expect(missing.text).toContain(`Helm release "nope" not found in namespace "${ns}"`);
  });

  it('follows a release stored in ConfigMaps', async () => {
    useHelm(3);
    const text = await env.call('helm_rollback', { release: 'cm3', namespace: ns });
    expect(text).toContain('revision 2 (kz-demo-0.2.0) → revision 3, a copy of revision 1 (kz-demo-0.1.0).');
    expect((await history(3, 'cm3', 'configmap')).map((r) => [r.revision, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'deployed'],
    ]);
  });

  it('says clearly when helm is missing', async () => {
    process.env.KUBEZILLA_HELM = '/nonexistent/helm';
    const r = await env.callRaw('helm_rollback', { release: 'web4', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('helm is not installed');
  });

  it('records the calls in the audit log with the release as target', async () => {
    const audit = env.server.server.audit.recent(200).filter((e) => e.tool === 'helm_rollback' && e.namespace === ns);
    expect(audit.find((e) => e.target === 'web3' && e.outcome === 'ok' && e.summary.startsWith('Rolled back web3'))).toBeTruthy();
    expect(audit.find((e) => e.target === 'web4' && e.outcome === 'error' && /no revision 99/.test(e.summary))).toBeTruthy();
  });
});
