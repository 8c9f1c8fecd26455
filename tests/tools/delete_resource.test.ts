/**
 * delete_resource against the real test cluster, checked with kubectl: one object and a selector
 * (named in the question, capped at 50), dry runs, a Namespace's contents and a CRD's custom
 * resources in the question, finalizers reported, propagation, refusals of "everything" and the
 * restricted user's explained 403, and the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { textOf } from '../helpers/server.js';
import { apply, createNamespaces, deleteNamespaces, eventually, uniqueName, type ToolEnv } from './helpers.js';
import { answeringClient, startDestructiveEnv } from './destructive-fixtures.js';

const info = testCluster();
const ns = uniqueName('kz-t-del');
const doomed = uniqueName('kz-t-del-ns');
const group = `${uniqueName('kzdel')}.example.com`;
let env: ToolEnv;

const exists = async (args: string[]) => (await env.kubectl(['get', ...args, '-o', 'name', '--ignore-not-found'])).trim() !== '';

function configMaps(count: number, label: string, prefix = 'cm'): string {
  return Array.from(
    { length: count },
    (_, i) => `apiVersion: v1
kind: ConfigMap
metadata: {name: ${prefix}-${i}, namespace: ${ns}, labels: {batch: ${label}}}
data: {i: "${i}"}
`,
  ).join('---\n');
}

beforeAll(async () => {
  env = await startDestructiveEnv();
  await createNamespaces(info, ns);
}, 60_000);
afterAll(async () => {
  await env.kubectl(['patch', 'cm', 'held', '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}'], { allowFail: true });
  await env.kubectl(['delete', 'crd', `widgets.${group}`, '--ignore-not-found', '--wait=false'], { allowFail: true });
  await deleteNamespaces(info, ns, doomed);
  await env?.close();
});

describe('delete_resource', () => {
  it('deletes one object after the person says yes; a dry run and a "no" change nothing', async () => {
    await apply(
      info,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
`,
    );
    const dry = await env.call('delete_resource', { name: 'deploy/web', namespace: ns, dryRun: true });
    expect(dry).toBe(`Dry run: would delete deployment/web (namespace ${ns}, context ${info.contexts.admin}). The API server accepted it; nothing changed.`);
    expect(await exists(['deploy/web', '-n', ns])).toBe(true);

    let answer = false;
    const { client, asked } = await answeringClient(env, () => answer);
    try {
      const no = await client.callTool({ name: 'delete_resource', arguments: { kind: 'deployments.apps', name: 'web', namespace: ns } });
      expect(textOf(no)).toMatch(/^Error: Not done: the person declined/);
      expect(asked).toEqual([`Delete deployment/web (namespace ${ns}, context ${info.contexts.admin})? This cannot be undone.`]);
      expect(await exists(['deploy/web', '-n', ns])).toBe(true);
      answer = true;
      const yes = textOf(await client.callTool({ name: 'delete_resource', arguments: { kind: 'deployments.apps', name: 'web', namespace: ns } }));
      expect(yes).toBe(`Deleted deployment/web (namespace ${ns}, context ${info.contexts.admin}).`);
      expect(await exists(['deploy/web', '-n', ns])).toBe(false);
      // Background propagation: the garbage collector removes its ReplicaSet and pods.
      expect(await eventually(async () => !(await exists(['rs,pods', '-n', ns, '-l', 'app=web'])), 45_000)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('deletes by label selector, naming every object in the question; others stay', async () => {
    await apply(info, configMaps(3, 'a') + '---\n' + configMaps(2, 'b', 'keep'));
    const r = await env.callConfirmed('delete_resource', { kind: 'cm', labelSelector: 'batch=a', namespace: ns });
    expect(r.questions).toEqual([
      `Delete 3 configmaps matching "batch=a" (configmap/cm-0, configmap/cm-1, configmap/cm-2) (namespace ${ns}, context ${info.contexts.admin})? This cannot be undone.`,
    ]);
    expect(r.text).toBe(
      `Deleted 3 of 3 configmaps matching "batch=a" (namespace ${ns}, context ${info.contexts.admin}).\nGone: configmap/cm-0, configmap/cm-1, configmap/cm-2.`,
    );
    expect(await exists(['cm', '-n', ns, '-l', 'batch=a'])).toBe(false);
    expect((await env.kubectl(['get', 'cm', '-n', ns, '-l', 'batch=b', '-o', 'name'])).trim().split('\n')).toEqual(['configmap/keep-0', 'configmap/keep-1']);
    expect(await env.call('delete_resource', { kind: 'cm', labelSelector: 'batch=none', namespace: ns })).toMatch(
      /^No configmaps match "batch=none" .*nothing deleted/,
    );
  });

  it('refuses a selector over 50 objects, and deletes none of them', async () => {
    await apply(info, configMaps(51, 'many', 'many'));
    const r = await env.callRaw('delete_resource', { kind: 'configmaps', labelSelector: 'batch=many', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^Error: labelSelector "batch=many" matches (51|more than 50) configmaps in namespace .*at most 50\. Nothing deleted\./);
    expect((await env.kubectl(['get', 'cm', '-n', ns, '-l', 'batch=many', '-o', 'name'])).trim().split('\n')).toHaveLength(51);
  });

  it('refuses "all", several kinds, wildcards and a match-everything selector', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ kind: 'all', labelSelector: 'batch=b' }, /names several kinds at once/],
      [{ name: 'deploy,cm/web' }, /names several kinds at once|neither a name nor kind\/name/],
      [{ kind: 'cm', name: '*' }, /is a wildcard/],
      [{ kind: 'cm', labelSelector: '' }, /would match every object/],
      [{ kind: 'ns', labelSelector: 'x=y' }, /selector delete of namespaces is refused/],
      [{ kind: 'cm' }, /Say what to delete/],
    ];
    for (const [args, expected] of cases) {
      const r = await env.callRaw('delete_resource', { ...args, namespace: ns });
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(r.text, JSON.stringify(args)).toMatch(expected);
    }
    expect((await env.kubectl(['get', 'cm', '-n', ns, '-l', 'batch=b', '-o', 'name'])).trim().split('\n')).toHaveLength(2);
  });

  it('a Namespace: the question says how many objects of which kinds go with it', async () => {
    await createNamespaces(info, doomed);
    await apply(
      info,
      `apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: ${doomed}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: ${doomed}}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: ${doomed}}
stringData: {password: hunter2-not-shown}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: ${doomed}}
spec: {ports: [{port: 80}]}
`,
    );
    // The namespace's own ConfigMap (kube-root-ca.crt) and ServiceAccount (default) count too.
    await eventually(async () => exists(['sa/default', '-n', doomed]), 20_000);
    const dry = await env.call('delete_resource', { name: `namespace/${doomed}`, dryRun: true });
    expect(dry).toMatch(
      new RegExp(
        `^Dry run: would delete namespace/${doomed} and everything in it: 6 objects: 3 configmaps, 1 secrets, 1 serviceaccounts, 1 services \\(context ${info.contexts.admin}\\)`,
      ),
    );
    expect(dry).not.toContain('hunter2');
    const refused = await env.callRaw('delete_resource', { name: `ns/${doomed}` });
    expect(refused.text).toMatch(
      /^Error: Needs confirmation: Delete namespace\/\S+ and everything in it: 6 objects: 3 configmaps, 1 secrets, 1 serviceaccounts, 1 services \(context/,
    );
    expect(await exists([`ns/${doomed}`])).toBe(true);
    const done = await env.callConfirmed('delete_resource', { name: `ns/${doomed}` });
    expect(done.text).toMatch(new RegExp(`^Deleted namespace/${doomed} \\(context ${info.contexts.admin}\\)\\.`));
    // Still Terminating while the namespace controller empties it (named), or gone with its contents.
    expect(done.text).toMatch(/held by finalizer kubernetes|Its contents went with it: 6 objects/);
    expect(await env.kubectl(['get', 'ns', doomed, '-o', 'jsonpath={.status.phase}', '--ignore-not-found'])).toMatch(/^(Terminating)?$/);
  });

  it("an object held by a finalizer is reported Terminating with the finalizer's name", async () => {
    await apply(
      info,
      `apiVersion: v1
kind: ConfigMap
metadata: {name: held, namespace: ${ns}, finalizers: [kubezilla.dev/hold]}
`,
    );
    const r = await env.callConfirmed('delete_resource', { name: 'cm/held', namespace: ns });
    expect(r.text).toContain('configmap/held is Terminating, held by finalizer kubezilla.dev/hold');
    expect(await env.kubectl(['get', 'cm', 'held', '-n', ns, '-o', 'jsonpath={.metadata.deletionTimestamp}'])).not.toBe('');
  });

  it('a CRD: the question says how many custom resources go with it', async () => {
    await apply(
      info,
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.${group}}
spec:
  group: ${group}
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
`,
    );
    await eventually(
      async () => (await env.kubectl(['get', 'crd', `widgets.${group}`, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}'])) === 'True',
      30_000,
    );
    await eventually(async () => {
      const r = await env.kubectl(['apply', '-f', '-'], {
        allowFail: true,
        input: [1, 2].map((i) => `apiVersion: ${group}/v1\nkind: Widget\nmetadata: {name: w${i}, namespace: ${ns}}\n`).join('---\n'),
      });
      return /created|unchanged/.test(r);
    }, 30_000);
    const r = await env.callRaw('delete_resource', { name: `crd/widgets.${group}` });
    expect(r.text).toContain(
      `Needs confirmation: Delete customresourcedefinition/widgets.${group} and all its custom resources: 2 objects: 2 widgets.${group} (context ${info.contexts.admin})?`,
    );
    expect(await exists([`crd/widgets.${group}`])).toBe(true);
  });

  it('Orphan propagation keeps what the object owned, and says so in the question', async () => {
    await apply(
      info,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: orphaner, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: orphaner}}
  template:
    metadata: {labels: {app: orphaner}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
`,
    );
    await eventually(async () => exists(['rs', '-n', ns, '-l', 'app=orphaner']), 30_000);
    const r = await env.callConfirmed('delete_resource', { name: 'deploy/orphaner', namespace: ns, propagationPolicy: 'Orphan' });
    expect(r.questions[0]).toContain('(Orphan: the objects it owns are kept)');
    expect(await exists(['deploy/orphaner', '-n', ns])).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await exists(['rs', '-n', ns, '-l', 'app=orphaner'])).toBe(true);
  });

  it('an unknown object: not found, with the near names', async () => {
    const r = await env.callRaw('delete_resource', { name: 'cm/keep-00', namespace: ns });
    expect(r.text).toMatch(/ConfigMap "keep-00" not found in namespace .*Did you mean: keep-0/);
  });

  it.skipIf(info.external)('the restricted user: an explained 403 before anyone is asked, and nothing deleted', async () => {
    const restrictedNs = info.restrictedNamespace!;
    const r = await env.callRaw('delete_resource', { name: 'cm/kz-sample', namespace: restrictedNs, context: info.contexts.restricted! });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Forbidden: user "kz-restricted" .*cannot delete configmaps "kz-sample" in namespace "kz-readonly-ns"/);
    expect(r.text).not.toMatch(/Needs confirmation/);
    expect(await exists(['cm/kz-sample', '-n', restrictedNs])).toBe(true);
  });

  it('records the calls in the audit log', async () => {
    const audit = env.server.server.audit.recent(200).filter((e) => e.tool === 'delete_resource');
    expect(audit.find((e) => e.target === 'web' && e.outcome === 'ok' && e.namespace === ns)).toBeTruthy();
    expect(audit.find((e) => e.target === 'deploy/web' && e.outcome === 'dry-run')).toBeTruthy();
    expect(audit.find((e) => e.target === 'cm -l batch=a' && e.outcome === 'ok')).toBeTruthy();
    expect(audit.find((e) => e.target === 'web' && e.outcome === 'refused' && /declined/.test(e.summary))).toBeTruthy();
  });
});
