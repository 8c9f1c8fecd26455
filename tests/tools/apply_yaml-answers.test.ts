/**
 * apply_yaml's answers where server-side apply surprises people, against the real test cluster and
 * checked with kubectl:
 * - a create-only kind (SelfSubjectAccessReview, TokenReview) is created, and its answer is its
 *   status (kubectl create -f does this; an apply-patch gets "not found");
 * - a change to a field that cannot change (a Deployment's selector) says which field, that it is
 *   immutable, and that the fix is delete and re-create;
 * - leaving out a field another manager owns leaves it there: the "unchanged" answer says so and
 *   how to remove it, and following that advice removes it;
 * - a manifest spanning namespaces names each object's, and says once what it did alike in several.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const ns = uniqueName('kz-t-apply-ans');
const spread = [uniqueName('kz-t-apply-a'), uniqueName('kz-t-apply-b'), uniqueName('kz-t-apply-c')];
let env: ToolEnv;

beforeAll(async () => {
  env = await startToolEnv();
  await createNamespaces(env.info, ns, ...spread);
});
afterAll(async () => {
  await env?.close();
  await deleteNamespaces(env.info, ns, ...spread);
});

describe('a manifest across namespaces', () => {
  it('names each namespace and merges the objects done alike in several', async () => {
    const quota = (namespace: string) => `apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota, namespace: ${namespace}}\nspec: {hard: {pods: "10"}}\n`;
    const manifest = [...spread.map(quota), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: ${spread[0]}}\ndata: {a: b}\n`].join(
      '---\n',
    );
    const dry = await env.call('apply_yaml', { manifest, dryRun: true });
    expect(dry).toContain(`resourcequota/quota created in namespaces ${spread.join(', ')} (server dry run)`);
    const text = await env.call('apply_yaml', { manifest });
    expect(text).toBe(
      `Applied 4 objects (context ${env.info.contexts.admin}): 4 created.\n` +
        `resourcequota/quota created in namespaces ${spread.join(', ')}\nconfigmap/settings created in namespace ${spread[0]}`,
    );
    for (const namespace of spread)
      expect(await env.kubectl(['-n', namespace, 'get', 'resourcequota', 'quota', '-o', 'name'])).toMatch(/^resourcequota\/quota$/m);
  });
});

describe('create-only kinds', () => {
  it('a SelfSubjectAccessReview is created and answers with its status; a dry run says it would be', async () => {
    const manifest = `apiVersion: authorization.k8s.io/v1
kind: SelfSubjectAccessReview
spec:
  resourceAttributes: {verb: delete, resource: pods, namespace: ${ns}}
`;
    const dry = await env.call('apply_yaml', { manifest, dryRun: true });
    expect(dry).toMatch(/selfsubjectaccessreview\.authorization\.k8s\.io created \(server dry run; a create-only kind/);
    const text = await env.call('apply_yaml', { manifest });
    expect(text).toMatch(/^selfsubjectaccessreview\.authorization\.k8s\.io created; its answer:\n\s+status:\n\s+allowed: true/m);
  });

  it('a TokenReview says who the token is, and never shows the token', async () => {
    await env.kubectl(['-n', ns, 'create', 'serviceaccount', 'reviewer']);
    const token = (await env.kubectl(['-n', ns, 'create', 'token', 'reviewer'])).trim();
    const text = await env.call('apply_yaml', {
      manifest: `apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec: {token: ${token}}\n`,
    });
    expect(text).toMatch(/tokenreview\.authentication\.k8s\.io created; its answer:/);
    expect(text).toMatch(/authenticated: true/);
    expect(text).toContain(`username: system:serviceaccount:${ns}:reviewer`);
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(0, 40));
  });

  it('a stored kind still needs a name', async () => {
    const r = await env.callRaw('apply_yaml', { manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: ${ns}}\ndata: {a: b}\n` });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/document 1 \(ConfigMap \(no name\), line 1\): missing metadata\.name/);
  });
});

describe('immutable fields', () => {
  it("a Deployment's new selector is refused naming the field, with delete-and-recreate as the way", async () => {
    const deployment = (app: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: fixed, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: ${app}}}
  template:
    metadata: {labels: {app: ${app}}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
`;
    await env.call('apply_yaml', { manifest: deployment('one') });
    const r = await env.callRaw('apply_yaml', { manifest: deployment('two') });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/cannot change spec\.selector of the existing Deployment \S+\/fixed: the API server does not allow changing it/);
    expect(r.text).toMatch(/delete_resource .*then apply_yaml again/);
    expect(await env.kubectl(['-n', ns, 'get', 'deploy', 'fixed', '-o', 'jsonpath={.spec.selector.matchLabels.app}'])).toBe('one');
  });
});

describe('fields another manager owns', () => {
  it('says an "unchanged" object keeps them, and the advice it gives removes one', async () => {
    await env.kubectl(['-n', ns, 'create', 'configmap', 'shared', '--from-literal=a=1', '--from-literal=b=2']);
    await env.kubectl(['-n', ns, 'label', 'configmap', 'shared', 'tier=web']);
    const only = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: ${ns}}\ndata: {${data}}\n`;

    const text = await env.call('apply_yaml', { manifest: only('a: "1"') });
    expect(text).toMatch(/^configmap\/shared unchanged\n\s+Fields the manifest leaves out stay, as other field managers own them: /m);
    expect(text).toContain('data.b (kubectl-create)');
    expect(text).toContain('metadata.labels.tier (kubectl-label)');
    expect(text).not.toMatch(/data\.a \(/);
    expect(await env.kubectl(['-n', ns, 'get', 'cm', 'shared', '-o', 'jsonpath={.data.b}'])).toBe('2');

    // The advice: take data.b over with a new value and forceConflicts, then apply without it.
    expect(await env.call('apply_yaml', { manifest: only('a: "1", b: "taken"'), forceConflicts: true })).toMatch(/configmap\/shared configured/);
    const removal = await env.callConfirmed('apply_yaml', { manifest: only('a: "1"') });
    expect(removal.questions.join('\n')).toMatch(/data\.b/);
    expect(removal.text).toMatch(/configmap\/shared configured \(removed data\.b\)/);
    expect(await env.kubectl(['-n', ns, 'get', 'cm', 'shared', '-o', 'jsonpath={.data}'])).toBe('{"a":"1"}');
  });
});
