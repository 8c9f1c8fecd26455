import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteNamespaces, rows, startToolEnv, tableLines, uniqueName, type ToolEnv } from './helpers.js';

describe('list_namespaces', () => {
  let env: ToolEnv;
  const id = uniqueName('kz-t-ln');
  const names = [`${id}-a`, `${id}-b`, `${id}-c`];

  beforeAll(async () => {
    env = await startToolEnv();
    for (const n of names) {
      await env.kubectl(['create', 'namespace', n]);
      await env.kubectl(['label', 'namespace', n, `kz-test=${id}`, n.endsWith('-c') ? 'tier=c' : 'tier=ab']);
    }
  });
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ...names);
      await env.close();
    }
  });

  it('lists the same namespaces and statuses as kubectl get namespaces', async () => {
    const text = await env.call('list_namespaces');
    expect(text.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+AGE$/);
    const expected = rows(await env.kubectl(['get', 'namespaces', '--no-headers'])).map((r) => r.slice(0, 2));
    const got = tableLines(text).map((l) => l.split(/\s+/).slice(0, 2));
    // Other test files create and delete namespaces concurrently: compare the stable ones and ours.
    const stable = (r: string[]) => !r[0]!.startsWith('kz-t-') || r[0]!.startsWith(id);
    expect(got.filter(stable)).toEqual(expected.filter(stable));
    for (const n of ['default', 'kube-system', env.info.restrictedNamespace!, ...names]) expect(got.map((r) => r[0])).toContain(n);
  });

  it('filters by label selector', async () => {
    const text = await env.call('list_namespaces', { labelSelector: `kz-test=${id},tier=ab` });
    expect(tableLines(text).map((l) => l.split(/\s+/)[0])).toEqual([`${id}-a`, `${id}-b`]);
    const none = await env.call('list_namespaces', { labelSelector: `kz-test=${id}-nothing` });
    expect(none).toMatch(/^No namespaces found matching labels/);
    const byName = await env.call('list_namespaces', { fieldSelector: `metadata.name=${id}-b` });
    expect(tableLines(byName).map((l) => l.split(/\s+/)[0])).toEqual([`${id}-b`]);
  });

  it('pages with limit and continue', async () => {
    const first = await env.call('list_namespaces', { labelSelector: `kz-test=${id}`, limit: 2 });
    expect(tableLines(first)).toHaveLength(2);
    const token = first.match(/"continue": "([^"]+)"/)?.[1];
    expect(token, first).toBeTruthy();
    const second = await env.call('list_namespaces', { labelSelector: `kz-test=${id}`, limit: 2, continue: token });
    expect([...tableLines(first), ...tableLines(second)].map((l) => l.split(/\s+/)[0])).toEqual(names);
  });

  it('a Terminating namespace shows as kubectl shows it', async () => {
    const doomed = `${id}-d`;
    await env.kubectl(['create', 'namespace', doomed]);
    await env.kubectl(['create', 'configmap', 'held', '-n', doomed]);
    await env.kubectl(['patch', 'configmap', 'held', '-n', doomed, '--type=merge', '-p', '{"metadata":{"finalizers":["kz.test/hold"]}}']);
    await env.kubectl(['delete', 'namespace', doomed, '--wait=false']);
    try {
      const text = await env.call('list_namespaces', { labelSelector: `kubernetes.io/metadata.name=${doomed}` });
      const kube = rows(await env.kubectl(['get', 'namespace', doomed, '--no-headers']));
      expect(tableLines(text).map((l) => l.split(/\s+/).slice(0, 2))).toEqual(kube.map((r) => r.slice(0, 2)));
      expect(text).toMatch(/Terminating/);
    } finally {
      await env.kubectl(['patch', 'configmap', 'held', '-n', doomed, '--type=merge', '-p', '{"metadata":{"finalizers":null}}'], { allowFail: true });
    }
  });

  it('403 for the restricted user names the verb and scope and points at its namespace', async () => {
    const r = await env.callRaw('list_namespaces', { context: env.info.contexts.restricted! });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Forbidden: user "[^"]+" .*cannot list namespaces/);
    expect(r.text).toMatch(/default namespace is "kz-readonly-ns"/);
  });

  it('an unknown context is named with the known ones', async () => {
    const r = await env.callRaw('list_namespaces', { context: 'kz-admn' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Context "kz-admn" does not exist.*kz-admin/);
  });
});
