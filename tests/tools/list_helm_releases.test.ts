import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { apply, createNamespaces, deleteNamespaces, startToolEnv, tableLines, uniqueName, type ToolEnv } from './helpers.js';
import { chart, h, helmTime, installUpgradeRollback } from './helm-fixtures.js';

/** An external cluster (KUBEZILLA_TEST_KUBECONFIG) has no restricted user. */
const external = testCluster().external;

interface HelmListRow {
  name: string;
  namespace: string;
  revision: string;
  updated: string;
  status: string;
  chart: string;
  app_version: string;
}

/** The tool's table as helm list -o json rows. */
function parse(text: string): HelmListRow[] {
  return tableLines(text).map((line) => {
    const [name, namespace, revision, updated, status, chartName, app] = line.split(/\s{2,}/);
    return {
      name: name!,
      namespace: namespace!,
      revision: revision!,
      updated: updated!,
      status: status!,
      chart: chartName!,
      app_version: app === '<none>' ? '' : app!,
    };
  });
}

function normalise(rows: HelmListRow[]): HelmListRow[] {
  return rows.map((r) => ({ ...r, updated: helmTime(r.updated) })).sort((a, b) => a.name.localeCompare(b.name));
}

describe('list_helm_releases', () => {
  let env: ToolEnv;
  const ns = uniqueName('kz-t-helm-l');
  const empty = uniqueName('kz-t-helm-le');

  /** helm list -o json over both drivers, with helm `major`. */
  async function helmList(major: 3 | 4, args: string[]): Promise<HelmListRow[]> {
    const secrets = JSON.parse(await h(env.info, major, ['list', ...args, '-o', 'json'])) as HelmListRow[];
    const configmaps = JSON.parse(await h(env.info, major, ['list', ...args, '-o', 'json'], { driver: 'configmap' })) as HelmListRow[];
    return normalise([...secrets, ...configmaps]);
  }

  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns, empty);
    await installUpgradeRollback(env.info, 3, ns, 'web3');
    await installUpgradeRollback(env.info, 4, ns, 'web4');
    await h(env.info, 3, ['install', 'cm3', chart(env.info, '0.1.0'), '-n', ns], { driver: 'configmap' });
    await h(env.info, 4, ['install', 'cm4', chart(env.info, '0.2.0'), '-n', ns, '--set', 'replicaCount=1'], { driver: 'configmap' });
    // A failed install (the API server rejects replicas: -1) and an uninstall that keeps its history.
    await h(env.info, 4, ['install', 'broken4', chart(env.info, '0.1.0'), '-n', ns, '--set', 'replicaCount=-1'], { allowFail: true });
    await h(env.info, 3, ['install', 'gone3', chart(env.info, '0.1.0'), '-n', ns]);
    await h(env.info, 3, ['uninstall', 'gone3', '-n', ns, '--keep-history']);
  }, 240_000);
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ns, empty);
      await env.close();
    }
  });

  it('shows every release, latest revision each, as helm 4 list (= helm 3 list --all), Secrets and ConfigMaps drivers', async () => {
    const text = await env.call('list_helm_releases', { namespace: ns });
    const expected = await helmList(4, ['-n', ns]);
    expect(expected.map((r) => r.name)).toEqual(['broken4', 'cm3', 'cm4', 'gone3', 'web3', 'web4']);
    expect(expected.map((r) => r.status)).toEqual(['failed', 'deployed', 'deployed', 'uninstalled', 'deployed', 'deployed']);
    expect(await helmList(3, ['-n', ns, '--all'])).toEqual(expected);
    expect(normalise(parse(text))).toEqual(expected);
    expect(text.split('\n')[0]).toMatch(/^NAME\s+NAMESPACE\s+REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION$/);
    expect(text).toContain('Stored in ConfigMaps (HELM_DRIVER=configmap): cm3, cm4.');
    expect(text).not.toContain('not shown');
  });

  for (const major of [3, 4] as const) {
    it(`status "deployed,failed" matches helm ${major} list --deployed --failed (helm 3's default) and says what it hid`, async () => {
      const text = await env.call('list_helm_releases', { namespace: ns, status: 'deployed,failed' });
      const expected = await helmList(major, ['-n', ns, '--deployed', '--failed']);
      expect(expected.map((r) => r.name)).toEqual(['broken4', 'cm3', 'cm4', 'web3', 'web4']);
      expect(normalise(parse(text))).toEqual(expected);
      if (major === 3) expect(await helmList(3, ['-n', ns])).toEqual(expected);
      expect(text).toContain('1 more release with other statuses not shown: gone3 (uninstalled). Omit status to include them.');
    });
  }

  it('filters by status and by a regex on the name, as helm list --superseded / --filter', async () => {
    const superseded = parse(await env.call('list_helm_releases', { namespace: ns, status: 'superseded' }));
    expect(superseded.map((r) => `${r.name}.v${r.revision}`).sort()).toEqual(['web3.v1', 'web3.v2', 'web4.v1', 'web4.v2']);
    expect(normalise(superseded)).toEqual(await helmList(4, ['-n', ns, '--superseded']));
    expect(parse(await env.call('list_helm_releases', { namespace: ns, status: 'uninstalled' })).map((r) => r.name)).toEqual(['gone3']);
    expect(parse(await env.call('list_helm_releases', { namespace: ns, status: 'failed' })).map((r) => r.name)).toEqual(['broken4']);
    const filtered = await env.call('list_helm_releases', { namespace: ns, filter: '^web' });
    expect(normalise(parse(filtered))).toEqual(await helmList(3, ['-n', ns, '--filter', '^web']));
    expect(parse(filtered).map((r) => r.name)).toEqual(['web3', 'web4']);
    const badStatus = await env.callRaw('list_helm_releases', { namespace: ns, status: 'deployed,happy' });
    expect(badStatus.isError).toBe(true);
    expect(badStatus.text).toContain('status: "happy" is not a Helm release status.');
    const bad = await env.callRaw('list_helm_releases', { namespace: ns, filter: '(' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('filter: "(" is not a valid regular expression');
  });

  it('lists every namespace with allNamespaces, like helm list -A', async () => {
    const text = await env.call('list_helm_releases', { allNamespaces: true, filter: '^(web|cm)[34]$' });
    const mine = normalise(parse(text).filter((r) => r.namespace === ns));
    expect(mine).toEqual((await helmList(4, ['-A', '--filter', '^(web|cm)[34]$'])).filter((r) => r.namespace === ns));
    expect(mine).toHaveLength(4);
  });

  it('says so when a namespace has no releases', async () => {
    expect(await env.call('list_helm_releases', { namespace: empty })).toBe(`No Helm releases in namespace "${empty}" (context "${env.info.contexts.admin}").`);
  });

  it('shows a damaged record by its Secret name without hiding the other releases', async () => {
    const damaged = uniqueName('kz-t-helm-ld');
    await createNamespaces(env.info, damaged);
    try {
      await h(env.info, 4, ['install', 'fine', chart(env.info, '0.1.0'), '-n', damaged]);
      await apply(
        env.info,
        `apiVersion: v1
kind: Secret
metadata:
  name: sh.helm.release.v1.mangled.v1
  namespace: ${damaged}
  labels: {owner: helm, name: mangled, version: "1", status: deployed}
type: helm.sh/release.v1
data: {release: ${Buffer.from('bm90IGd6aXA=').toString('base64')}}
`,
      );
      const text = await env.call('list_helm_releases', { namespace: damaged });
      const rows = parse(text);
      expect(rows.map((r) => [r.name, r.status, r.chart])).toEqual([
        ['fine', 'deployed', 'kz-demo-0.1.0'],
        ['mangled', 'deployed', '<unreadable>'],
      ]);
      expect(text).toContain(`Helm release record Secret "sh.helm.release.v1.mangled.v1" in namespace "${damaged}" cannot be decoded`);
    } finally {
      await deleteNamespaces(env.info, damaged);
    }
  });

  it('shows a record changed in place at once: a decoded record is reused only while its resourceVersion holds', async () => {
    const changed = uniqueName('kz-t-helm-lc');
    await createNamespaces(env.info, changed);
    try {
      await h(env.info, 4, ['install', 'twice', chart(env.info, '0.1.0'), '-n', changed]);
      const read = async () => parse(await env.call('list_helm_releases', { namespace: changed })).map((r) => [r.name, r.status, r.chart]);
      expect(await read()).toEqual([['twice', 'deployed', 'kz-demo-0.1.0']]);
      expect(await read()).toEqual([['twice', 'deployed', 'kz-demo-0.1.0']]);
      // Rewrite the record as Helm would store another state of it (same name, new contents).
      const secret = 'sh.helm.release.v1.twice.v1';
      const field = await env.kubectl(['get', 'secret', secret, '-n', changed, '-o', 'jsonpath={.data.release}']);
      const release = JSON.parse(gunzipSync(Buffer.from(Buffer.from(field, 'base64').toString('latin1'), 'base64')).toString('utf8'));
      release.info.status = 'failed';
      release.chart.metadata.version = '9.9.9';
      const encoded = Buffer.from(gzipSync(Buffer.from(JSON.stringify(release))).toString('base64')).toString('base64');
      await env.kubectl(['patch', 'secret', secret, '-n', changed, '--type', 'merge', '-p', JSON.stringify({ data: { release: encoded } })]);
      expect(await read()).toEqual([['twice', 'failed', 'kz-demo-9.9.9']]);
    } finally {
      await deleteNamespaces(env.info, changed);
    }
  });

  it.skipIf(external)('explains a 403 on the release records (kz-restricted may not read Secrets)', async () => {
    const r = await env.callRaw('list_helm_releases', { context: env.info.contexts.restricted, namespace: env.info.restrictedNamespace });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(
      `Forbidden: user "kz-restricted" (context "${env.info.contexts.restricted}") cannot list secrets in namespace "${env.info.restrictedNamespace}"`,
    );
    expect(r.text).toContain('Helm keeps its release records in Secrets');
    const all = await env.callRaw('list_helm_releases', { context: env.info.contexts.restricted, allNamespaces: true });
    expect(all.isError).toBe(true);
    expect(all.text).toContain('cannot list secrets at the cluster scope');
  });
});
