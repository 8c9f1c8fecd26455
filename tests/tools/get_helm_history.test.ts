import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { apply, createNamespaces, deleteNamespaces, startToolEnv, tableLines, uniqueName, type ToolEnv } from './helpers.js';
import { chart, h, helmTime, installUpgradeRollback } from './helm-fixtures.js';

/** An external cluster (KUBEZILLA_TEST_KUBECONFIG) has no restricted user. */
const external = testCluster().external;

interface HelmHistoryRow {
  revision: number;
  updated: string;
  status: string;
  chart: string;
  app_version: string;
  description: string;
}

function parse(text: string): HelmHistoryRow[] {
  return tableLines(text).map((line) => {
    const [revision, updated, status, chartName, app, ...description] = line.split(/\s{2,}/);
    return {
      revision: Number(revision),
      updated: updated!,
      status: status!,
      chart: chartName!,
      app_version: app === '<none>' ? '' : app!,
      description: description.join('  '),
    };
  });
}

describe('get_helm_history', () => {
  let env: ToolEnv;
  const ns = uniqueName('kz-t-helm-h');

  async function helmHistory(major: 3 | 4, release: string, driver: 'secret' | 'configmap' = 'secret', extra: string[] = []): Promise<HelmHistoryRow[]> {
    const rows = JSON.parse(await h(env.info, major, ['history', release, '-n', ns, '-o', 'json', ...extra], { driver })) as HelmHistoryRow[];
    return rows.map((r) => ({ ...r, updated: helmTime(r.updated) }));
  }

  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
    await installUpgradeRollback(env.info, 3, ns, 'web3');
    await installUpgradeRollback(env.info, 4, ns, 'web4');
    await installUpgradeRollback(env.info, 4, ns, 'cm4', 'configmap');
    await h(env.info, 4, ['upgrade', 'web4', chart(env.info, '0.2.0'), '-n', ns, '--set', 'replicaCount=-1'], { allowFail: true });
  }, 240_000);
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ns);
      await env.close();
    }
  });

  for (const major of [3, 4] as const) {
    it(`shows what helm ${major} history shows (install, upgrade, rollback)`, async () => {
      const release = `web${major}`;
      const text = await env.call('get_helm_history', { release, namespace: ns });
      expect(text.split('\n')[0]).toMatch(/^REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s+DESCRIPTION$/);
      const expected = await helmHistory(major, release);
      expect(parse(text)).toEqual(expected);
      expect(expected.slice(0, 3).map((r) => [r.chart, r.description])).toEqual([
        ['kz-demo-0.1.0', 'Install complete'],
        ['kz-demo-0.2.0', 'Upgrade complete'],
        ['kz-demo-0.1.0', 'Rollback to 1'],
      ]);
    });
  }

  it('shows a failed upgrade with its error, and the ConfigMaps driver', async () => {
    const web4 = parse(await env.call('get_helm_history', { release: 'web4', namespace: ns }));
    expect(web4).toHaveLength(4);
    expect(web4[3]).toMatchObject({ revision: 4, status: 'failed', chart: 'kz-demo-0.2.0' });
    expect(web4[3]!.description).toMatch(/^Upgrade "web4" failed: .*replicas/);
    const text = await env.call('get_helm_history', { release: 'cm4', namespace: ns });
    expect(parse(text)).toEqual(await helmHistory(4, 'cm4', 'configmap'));
    expect(text).toContain('Stored in ConfigMaps (HELM_DRIVER=configmap).');
  });

  it('shows the newest revisions up to max, as helm history --max', async () => {
    const text = await env.call('get_helm_history', { release: 'web3', namespace: ns, max: 2 });
    expect(parse(text)).toEqual(await helmHistory(3, 'web3', 'secret', ['--max', '2']));
    expect(parse(text).map((r) => r.revision)).toEqual([2, 3]);
    expect(text).toContain('Showing the newest 2 of 3 revisions (oldest stored: 1); pass max to see more.');
  });

  it('names the releases of the namespace, and where else the release is, when it is not found', async () => {
    const r = await env.callRaw('get_helm_history', { release: 'web5', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(
      `Helm release "web5" not found in namespace "${ns}" (context "${env.info.contexts.admin}"). Releases in this namespace: cm4, web3, web4.`,
    );
    expect(r.text).toContain('list_helm_releases');
    const elsewhere = await env.callRaw('get_helm_history', { release: 'web3', namespace: 'default' });
    expect(elsewhere.isError).toBe(true);
    // Other test files may have a web3 too: ours must be among the namespaces named.
    expect(elsewhere.text).toMatch(new RegExp(`A release "web3" exists in namespaces? ("[^"]+", )*"${ns}"`));
    expect(elsewhere.text).toContain(`Pass "namespace": "`);
    const invalid = await env.callRaw('get_helm_history', { release: 'Web_3', namespace: ns });
    expect(invalid.text).toContain('release: "Web_3" is not a valid Helm release name');
  });

  it('names a damaged record', async () => {
    await apply(
      env.info,
      `apiVersion: v1
kind: Secret
metadata:
  name: sh.helm.release.v1.mangled.v1
  namespace: ${ns}
  labels: {owner: helm, name: mangled, version: "1", status: deployed}
type: helm.sh/release.v1
data: {release: ${Buffer.from(Buffer.from('{"not": "a release"}').toString('base64')).toString('base64')}}
`,
    );
    const text = await env.call('get_helm_history', { release: 'mangled', namespace: ns });
    expect(parse(text)).toEqual([{ revision: 1, updated: '<none>', status: 'deployed', chart: '<unreadable>', app_version: '', description: '<none>' }]);
    expect(text).toContain(
      `Helm release record Secret "sh.helm.release.v1.mangled.v1" in namespace "${ns}" cannot be decoded: the JSON inside is not a Helm release (no name or version).`,
    );
  });

  it.skipIf(external)('explains a 403 on the release records (kz-restricted may not read Secrets)', async () => {
    const r = await env.callRaw('get_helm_history', { release: 'web3', context: env.info.contexts.restricted, namespace: env.info.restrictedNamespace });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(
      `Forbidden: user "kz-restricted" (context "${env.info.contexts.restricted}") cannot list secrets in namespace "${env.info.restrictedNamespace}"`,
    );
    expect(r.text).toContain('Helm keeps its release records in Secrets');
  });
});
