import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apply, createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function withoutNoise(obj: Record<string, any>): Record<string, any> {
  const copy = structuredClone(obj);
  delete copy.metadata.managedFields;
  if (copy.metadata.annotations) {
    delete copy.metadata.annotations[LAST_APPLIED];
    if (!Object.keys(copy.metadata.annotations).length) delete copy.metadata.annotations;
  }
  return copy;
}

/** The YAML part of the answer (after the leading # notes). */
function yamlOf(text: string): Record<string, any> {
  return parse(text) as Record<string, any>;
}

describe('get_resource_yaml', () => {
  let env: ToolEnv;
  const ns = uniqueName('kz-t-gry');
  const password = 'hunter2-very-secret';
  const token = 'tok-abcdefghijklmnop';

  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
    await apply(
      env.info,
      `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: ${ns}, labels: {app: web}, annotations: {team: blue}}
data: {mode: production, retries: "3"}
---
apiVersion: v1
kind: Secret
metadata: {name: db-credentials, namespace: ${ns}}
type: Opaque
data: {password: ${Buffer.from(password).toString('base64')}}
stringData: {token: ${token}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27}]}
`,
    );
  });
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ns);
      await env.close();
    }
  });

  it('returns the object kubectl returns, without managedFields and the last-applied annotation', async () => {
    const text = await env.call('get_resource_yaml', { kind: 'configmap', name: 'app-config', namespace: ns });
    const kube = JSON.parse(await env.kubectl(['get', 'configmap', 'app-config', '-n', ns, '-o', 'json', '--show-managed-fields']));
    expect(kube.metadata.managedFields).toBeTruthy();
    expect(kube.metadata.annotations[LAST_APPLIED]).toBeTruthy();
    expect(yamlOf(text)).toEqual(withoutNoise(kube));
    expect(text).not.toMatch(/managedFields:|last-applied-configuration:/);
    expect(text).toMatch(/^# Omitted managedFields and the last-applied annotation \(pass includeManagedFields\/includeLastApplied: true to include\)\./m);
    expect(yamlOf(text).metadata.annotations).toEqual({ team: 'blue' });
  });

  it('includes managedFields and the last-applied annotation when asked', async () => {
    const text = await env.call('get_resource_yaml', { kind: 'cm', name: 'app-config', namespace: ns, includeManagedFields: true, includeLastApplied: true });
    const kube = JSON.parse(await env.kubectl(['get', 'configmap', 'app-config', '-n', ns, '-o', 'json', '--show-managed-fields']));
    expect(yamlOf(text)).toEqual(kube);
    expect(text).not.toMatch(/^# Omitted/m);
  });

  it('takes kinds as typed to kubectl and cluster-scoped objects', async () => {
    const deploy = await env.call('get_resource_yaml', { kind: 'deploy', name: 'web', namespace: ns });
    const kube = JSON.parse(await env.kubectl(['get', 'deployment', 'web', '-n', ns, '-o', 'json', '--show-managed-fields']));
    const ours = yamlOf(deploy);
    expect(ours.kind).toBe('Deployment');
    expect(ours.spec).toEqual(kube.spec);
    expect(ours.metadata.uid).toBe(kube.metadata.uid);
    const nsYaml = yamlOf(await env.call('get_resource_yaml', { kind: 'Namespace', name: ns, namespace: 'ignored' }));
    expect(nsYaml.kind).toBe('Namespace');
    expect(nsYaml.status.phase).toBe('Active');
  });

  it('redacts Secret values (keys and decoded sizes shown), also inside last-applied', async () => {
    const text = await env.call('get_resource_yaml', { kind: 'secret', name: 'db-credentials', namespace: ns, includeLastApplied: true });
    const ours = yamlOf(text);
    expect(ours.data).toEqual({ password: `<redacted: ${password.length} bytes>`, token: `<redacted: ${token.length} bytes>` });
    expect(text).toMatch(/^# Secret values redacted/m);
    for (const secret of [password, token, Buffer.from(password).toString('base64'), Buffer.from(token).toString('base64')]) expect(text).not.toContain(secret);
    const lastApplied = JSON.parse(ours.metadata.annotations[LAST_APPLIED]);
    expect(lastApplied.data.password).toMatch(/^<redacted: \d+ bytes>$/);
    expect(lastApplied.stringData.token).toBe(`<redacted: ${token.length} bytes>`);
  });

  it('shows Secret values when the settings allow it', async () => {
    const revealing = await startToolEnv({ settings: { policy: { revealSecrets: true } } });
    try {
      const text = await revealing.call('get_resource_yaml', { kind: 'secrets', name: 'db-credentials', namespace: ns });
      expect(Buffer.from(yamlOf(text).data.password, 'base64').toString()).toBe(password);
      expect(text).not.toMatch(/redacted/);
    } finally {
      await revealing.close();
    }
  });

  it('a missing object: not found, with similar names and where to list them', async () => {
    const r = await env.callRaw('get_resource_yaml', { kind: 'configmap', name: 'app-confg', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/ConfigMap "app-confg" not found in namespace "kz-t-gry-[^"]+".*Did you mean: app-config\?/);
    expect(r.text).toContain(`list_resources {"kind": "configmaps", "namespace": "${ns}"} shows what exists, or try another namespace`);
    const kube = await env.kubectl(['get', 'configmap', 'app-confg', '-n', ns], { allowFail: true });
    expect(kube).toMatch(/NotFound|not found/);
    const none = await env.callRaw('get_resource_yaml', { kind: 'configmap', name: 'zzzzzzzzzz', namespace: ns });
    expect(none.text).toMatch(/not found/);
    expect(none.text).not.toMatch(/Did you mean/);
  });

  it('an unknown kind lists the closest matches', async () => {
    const r = await env.callRaw('get_resource_yaml', { kind: 'configmapz', name: 'x', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/configmaps/);
  });

  it('403 from the restricted context on a Secret names user, verb, resource and namespace', async () => {
    const restrictedNs = env.info.restrictedNamespace!;
    await env.kubectl(['create', 'secret', 'generic', `${ns}-s`, '-n', restrictedNs, '--from-literal', 'k=v']);
    try {
      const r = await env.callRaw('get_resource_yaml', { kind: 'secret', name: `${ns}-s`, namespace: restrictedNs, context: env.info.contexts.restricted! });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(new RegExp(`Forbidden: user "[^"]+" .*cannot get secrets "${ns}-s" in namespace "${restrictedNs}"`));
      const kube = await env.kubectl(['get', 'secret', `${ns}-s`, '-n', restrictedNs], { context: env.info.contexts.restricted!, allowFail: true });
      expect(kube).toMatch(/forbidden/i);
    } finally {
      await env.kubectl(['delete', 'secret', `${ns}-s`, '-n', restrictedNs, '--ignore-not-found'], { allowFail: true });
    }
  });

  it('takes name as kind/name', async () => {
    const ref = yamlOf(await env.call('get_resource_yaml', { name: 'deploy/web', namespace: ns }));
    expect([ref.kind, ref.metadata.name]).toEqual(['Deployment', 'web']);
    const same = yamlOf(await env.call('get_resource_yaml', { kind: 'deployment', name: 'Deployment/web', namespace: ns }));
    expect(same.metadata.uid).toBe(ref.metadata.uid);
    const clash = await env.callRaw('get_resource_yaml', { kind: 'cm', name: 'deploy/web', namespace: ns });
    expect(clash.isError).toBe(true);
    expect(clash.text).toMatch(/two different kinds/);
  });

  it('bad arguments name the field', async () => {
    const r = await env.callRaw('get_resource_yaml', { kind: 'configmap' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/name/);
    const noKind = await env.callRaw('get_resource_yaml', { name: 'web', namespace: ns });
    expect(noKind.isError).toBe(true);
    expect(noKind.text).toMatch(/^Error: kind: missing/);
    const bad = await env.callRaw('get_resource_yaml', { name: 'a/b/c', namespace: ns });
    expect(bad.text).toMatch(/name: "a\/b\/c" is neither a name nor kind\/name/);
  });
});
