/**
 * helm_upgrade against the real test cluster with the real helm 3 and helm 4 (KUBEZILLA_HELM),
 * checked with helm history/get values and kubectl: chart version and values change the
 * Deployment, reuseValues keeps earlier values, install creates a missing release, the ConfigMaps
 * driver is followed, dry runs change nothing, errors explain themselves, and the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';
import { chart, h, helmHistory, helmSwitch, type HelmMajor } from './helm-fixtures.js';

const ns = uniqueName('kz-t-hm');
let env: ToolEnv;
const useHelm = helmSwitch(() => env.info);

const history = (major: HelmMajor, release: string, driver?: 'secret' | 'configmap') => helmHistory(env.info, major, ns, release, driver);

async function deploy(release: string, path: string): Promise<string> {
  return env.kubectl(['get', 'deploy', `${release}-kz-demo`, '-n', ns, '-o', `jsonpath=${path}`]);
}

describe('helm_upgrade', () => {
  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
    for (const major of [3, 4] as const) await h(env.info, major, ['install', `web${major}`, chart(env.info, '0.1.0'), '-n', ns]);
    await h(env.info, 4, ['install', 'cm4', chart(env.info, '0.1.0'), '-n', ns], { driver: 'configmap' });
  }, 120_000);
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ns);
      await env.close();
    }
  });

  for (const major of [3, 4] as const) {
    it(`upgrades to 0.2.0 from the repository with values, with helm ${major}; the Deployment follows`, async () => {
      useHelm(major);
      const release = `web${major}`;
      expect(await deploy(release, '{.spec.replicas}')).toBe('2');
      const text = await env.call('helm_upgrade', {
        release,
        chart: 'kz-demo',
        repo: env.info.charts.repoUrl,
        version: '0.2.0',
        namespace: ns,
        values: 'replicaCount: 4\ngreeting: upgraded\n',
      });
      expect(text).toContain(`Upgraded ${release}: revision 1 (deployed) → 2 (helm v${major}.`);
      expect(text).toContain('revision: 2\nstatus: deployed\nchart: kz-demo-0.2.0');
      expect(await deploy(release, '{.spec.replicas}')).toBe('4');
      expect(await deploy(release, '{.metadata.labels.helm\\.sh/chart}')).toBe('kz-demo-0.2.0');
      expect(await env.kubectl(['get', 'cm', `${release}-kz-demo`, '-n', ns, '-o', 'jsonpath={.data.greeting}'])).toBe('upgraded');
      expect((await history(major, release)).map((r) => [r.revision, r.status, r.chart])).toEqual([
        [1, 'superseded', 'kz-demo-0.1.0'],
        [2, 'deployed', 'kz-demo-0.2.0'],
      ]);

      // reuseValues keeps replicaCount 4 while changing the greeting.
      await env.call('helm_upgrade', { release, chart: chart(env.info, '0.2.0'), namespace: ns, values: 'greeting: reused\n', reuseValues: true });
      expect(JSON.parse(await h(env.info, major, ['get', 'values', release, '-n', ns, '-o', 'json']))).toEqual({ replicaCount: 4, greeting: 'reused' });
      expect(await deploy(release, '{.spec.replicas}')).toBe('4');
    });

    it(`installs a missing release with install: true, with helm ${major}`, async () => {
      useHelm(major);
      const release = `new${major}`;
      const text = await env.call('helm_upgrade', { release, chart: chart(env.info, '0.1.0'), namespace: ns, install: true });
      expect(text).toContain(`Upgraded ${release}: new release, revision 1`);
      expect((await history(major, release)).map((r) => [r.revision, r.status])).toEqual([[1, 'deployed']]);
    });
  }

  it('follows a release stored in ConfigMaps', async () => {
    useHelm(4);
    const text = await env.call('helm_upgrade', { release: 'cm4', chart: chart(env.info, '0.2.0'), namespace: ns });
    expect(text).toContain('revision 1 (deployed) → 2');
    expect((await history(4, 'cm4', 'configmap')).map((r) => [r.revision, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    expect(await env.kubectl(['get', 'secrets', '-n', ns, '-l', 'owner=helm,name=cm4', '-o', 'name'])).toBe('');
  });

  it('dry-runs without changing anything', async () => {
    useHelm(3);
    const before = await history(3, 'web3');
    const text = await env.call('helm_upgrade', { release: 'web3', chart: chart(env.info, '0.1.0'), namespace: ns, dryRun: true });
    expect(text).toContain(`Dry run (helm v3.`);
    expect(text).toContain(`web3 would be upgraded (revision ${before.length} (deployed) → ${before.length + 1}) to kz-demo-0.1.0, rendering 3 objects:`);
    expect(text).toContain('- Deployment/web3-kz-demo');
    expect(await history(3, 'web3')).toEqual(before);
  });

  it('explains a missing release, a bad chart version, and missing helm', async () => {
    useHelm(4);
    const missing = await env.callRaw('helm_upgrade', { release: 'nope', chart: chart(env.info, '0.1.0'), namespace: ns });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain(`Helm release "nope" not found in namespace "${ns}"`);
    const version = await env.callRaw('helm_upgrade', { release: 'web4', chart: 'kz-demo', repo: env.info.charts.repoUrl, version: '9.9.9', namespace: ns });
    expect(version.isError).toBe(true);
    expect(version.text).toMatch(/helm failed \(upgrade web4 in namespace .*\):\n.*kz-demo.*9\.9\.9/);
    expect(version.text).toContain('Check the chart name, version and repo URL');
    process.env.KUBEZILLA_HELM = '/nonexistent/helm';
    const nohelm = await env.callRaw('helm_upgrade', { release: 'web4', chart: chart(env.info, '0.1.0'), namespace: ns });
    expect(nohelm.text).toContain('helm is not installed');
  });

  it('records the calls in the audit log with the release as target', async () => {
    const audit = env.server.server.audit.recent(200).filter((e) => e.tool === 'helm_upgrade' && e.namespace === ns);
    expect(audit.find((e) => e.target === 'web4' && e.outcome === 'ok' && e.summary.startsWith('Upgraded web4: revision 1 (deployed) → 2'))).toBeTruthy();
    expect(audit.find((e) => e.target === 'nope' && e.outcome === 'error')).toBeTruthy();
    for (const e of audit) expect(JSON.stringify(e)).not.toContain('reused');
  });
});
