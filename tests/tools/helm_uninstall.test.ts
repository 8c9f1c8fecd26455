/**
 * helm_uninstall against the real test cluster with the real helm 3 and helm 4 (KUBEZILLA_HELM),
 * checked with helm and kubectl: the question lists what the release owns, a dry run and a "no"
 * change nothing, keepHistory keeps the revisions, the ConfigMaps driver is followed, an unknown
 * release is explained, and the restricted user's 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { textOf } from '../helpers/server.js';
import { createNamespaces, deleteNamespaces, uniqueName, type ToolEnv } from './helpers.js';
import { chart, h, helmHistory, helmSwitch } from './helm-fixtures.js';
import { answeringClient, startDestructiveEnv } from './destructive-fixtures.js';

const info = testCluster();
const ns = uniqueName('kz-t-hun');
let env: ToolEnv;
const useHelm = helmSwitch(() => info);

const objectsOf = async (release: string) =>
  (await env.kubectl(['get', 'deploy,svc,cm', '-n', ns, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name'])).split('\n').filter(Boolean).sort();
const releases = async (major: 3 | 4, driver: 'secret' | 'configmap' = 'secret') =>
  (await h(info, major, ['list', '-n', ns, '-q'], { driver })).split('\n').filter(Boolean).sort();

beforeAll(async () => {
  env = await startDestructiveEnv();
  await createNamespaces(info, ns);
  for (const major of [3, 4] as const) {
    await h(info, major, ['install', `web${major}`, chart(info, '0.1.0'), '-n', ns]);
    await h(info, major, ['upgrade', `web${major}`, chart(info, '0.2.0'), '-n', ns]);
    await h(info, major, ['install', `kept${major}`, chart(info, '0.1.0'), '-n', ns]);
  }
  await h(info, 3, ['install', 'cm3', chart(info, '0.1.0'), '-n', ns], { driver: 'configmap' });
}, 240_000);
afterAll(async () => {
  await deleteNamespaces(info, ns);
  await env?.close();
});

describe('helm_uninstall', () => {
  for (const major of [3, 4] as const) {
    it(`with helm ${major}: lists what goes, a dry run and a "no" change nothing, a "yes" uninstalls`, async () => {
      useHelm(major);
      const release = `web${major}`;
      const owned = await objectsOf(release);
      expect(owned.length).toBeGreaterThanOrEqual(2);

      const dry = await env.call('helm_uninstall', { release, namespace: ns, dryRun: true });
      expect(dry).toMatch(
        new RegExp(
          `^Dry run \\(helm v${major}\\.[^)]*\\): uninstalling Helm release ${release} \\(revision 2, kz-demo-0.2.0, deployed; namespace ${ns}, context ${info.contexts.admin}\\) would delete \\d+ objects: `,
        ),
      );
      expect(dry).toContain(`and its history (2 revisions). Nothing changed.`);
      expect(await objectsOf(release)).toEqual(owned);
      expect(await releases(major)).toContain(release);

      let answer = false;
      const { client, asked } = await answeringClient(env, () => answer);
      try {
        const no = await client.callTool({ name: 'helm_uninstall', arguments: { release, namespace: ns } });
        expect(textOf(no)).toMatch(/^Error: Not done: the person declined/);
        expect(asked[0]).toMatch(
          new RegExp(
            `^Uninstall Helm release ${release} \\(revision 2, kz-demo-0.2.0, deployed; namespace ${ns}, context ${info.contexts.admin}\\)\\? It deletes \\d+ objects: .*Deployment/${release}-kz-demo.*, and its history \\(2 revisions\\)\\.$`,
          ),
        );
        expect(await releases(major)).toContain(release);
        answer = true;
        const yes = await client.callTool({ name: 'helm_uninstall', arguments: { release, namespace: ns, wait: true, timeoutSeconds: 60 } }, undefined, {
          timeout: 120_000,
        });
        const text = textOf(yes);
        expect(yes.isError, text).toBeFalsy();
        expect(text).toMatch(
          new RegExp(
            `^Uninstalled ${release} \\(helm v${major}\\.[^;]*; namespace ${ns}, context ${info.contexts.admin}\\): revision 2, kz-demo-0.2.0\\.\\nDeleted \\d+ objects: `,
          ),
        );
        expect(text).toContain('No release history is left.');
      } finally {
        await client.close();
      }
      expect(await releases(major)).not.toContain(release);
      expect(await objectsOf(release)).toEqual([]);
    }, 120_000);

    it(`with helm ${major}: keepHistory keeps the revisions, marked uninstalled; a second call says "already"`, async () => {
      useHelm(major);
      const release = `kept${major}`;
      const done = await env.callConfirmed('helm_uninstall', { release, namespace: ns, keepHistory: true });
      expect(done.questions[0]).toMatch(/, keeping its history\.$/);
      expect(done.text).toContain('History kept: 1 revision, the last marked uninstalled');
      expect((await helmHistory(info, major, ns, release)).map((r) => r.status)).toEqual(['uninstalled']);
      expect(await objectsOf(release)).toEqual([]);
      expect(await env.call('helm_uninstall', { release, namespace: ns })).toMatch(
        /is already uninstalled .*its history is kept \(1 revision\)\. Nothing changed\./,
      );
    }, 120_000);
  }

  it.skipIf(info.external)(
    'runs helm through the SSH bastion for a tunnelled context',
    async () => {
      useHelm(4);
      await h(info, 4, ['install', 'ssh4', chart(info, '0.1.0'), '-n', ns]);
      const done = await env.callConfirmed('helm_uninstall', { release: 'ssh4', namespace: ns, context: info.contexts.ssh! });
      expect(done.text).toMatch(new RegExp(`^Uninstalled ssh4 \\(helm v4\\.[^;]*; namespace ${ns}, context ${info.contexts.ssh}\\)`));
      expect(await releases(4)).not.toContain('ssh4');
      expect(await objectsOf('ssh4')).toEqual([]);
    },
    120_000,
  );

  it('follows the ConfigMaps driver', async () => {
    useHelm(3);
    const done = await env.callConfirmed('helm_uninstall', { release: 'cm3', namespace: ns });
    expect(done.text).toMatch(/^Uninstalled cm3 /);
    expect(await releases(3, 'configmap')).not.toContain('cm3');
  }, 120_000);

  it('an unknown release is explained, with the releases that exist', async () => {
    const r = await env.callRaw('helm_uninstall', { release: 'nope', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Helm release "nope" not found in namespace/);
  });

  it.skipIf(info.external)('the restricted user: an explained 403, nothing uninstalled', async () => {
    const r = await env.callRaw('helm_uninstall', { release: 'x', namespace: info.restrictedNamespace!, context: info.contexts.restricted! });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/[Ff]orbidden.*secrets/);
  });

  it('records the calls in the audit log with the release as target', async () => {
    const audit = env.server.server.audit.recent(200).filter((e) => e.tool === 'helm_uninstall');
    expect(audit.find((e) => e.target === 'web4' && e.outcome === 'ok' && e.namespace === ns && e.summary.startsWith('Uninstalled web4'))).toBeTruthy();
    expect(audit.find((e) => e.target === 'web3' && e.outcome === 'dry-run')).toBeTruthy();
    expect(audit.find((e) => e.target === 'web3' && e.outcome === 'refused')).toBeTruthy();
  });
});
