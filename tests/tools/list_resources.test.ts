import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, createNamespaces, deleteNamespaces, eventually, kubectl, rows, startToolEnv, tableLines, uniqueName, type ToolEnv } from './helpers.js';

describe('list_resources', () => {
  let env: ToolEnv;
  const id = uniqueName('kz-t-lr');
  const ns1 = `${id}-a`;
  const ns2 = `${id}-b`;
  const group = `${id}.example.com`;
  const crd = `widgets.${group}`;

  beforeAll(async () => {
    env = await startToolEnv();
    const info = env.info;
    await createNamespaces(info, ns1, ns2);
    const pod = (name: string, ns: string) => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {kz-test: ${id}, app: ${name.split('-')[0]}}}
spec: {containers: [{name: main, image: busybox:1.36}]}
`;
    await apply(info, [pod('web-1', ns1), pod('web-2', ns1), pod('db-1', ns1), pod('web-1', ns2), pod('cache-1', ns2)].join(''));
    for (let i = 0; i < 5; i++) await kubectl(info, ['create', 'configmap', `cm-${i}`, '-n', ns1, '--from-literal', `k=${i}`]);
    await apply(
      info,
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${crd}}
spec:
  group: ${group}
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wdg${id.slice(-6)}], categories: [kzc${id.slice(-6)}]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}, color: {type: string}, owner: {type: string}}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Color, type: string, jsonPath: .spec.color}
    - {name: Owner, type: string, jsonPath: .spec.owner, priority: 1}
`,
    );
    await kubectl(info, ['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=30s']);
    await eventually(
      async () =>
        (await kubectl(info, ['get', crd, '-n', ns1], { allowFail: true })).includes('No resources') ||
        (await kubectl(info, ['get', crd, '-n', ns1], { allowFail: true })) === '',
      15_000,
    );
    await apply(
      info,
      `apiVersion: ${group}/v1
kind: Widget
metadata: {name: small, namespace: ${ns1}}
spec: {size: 1, color: red, owner: alice}
---
apiVersion: ${group}/v1
kind: Widget
metadata: {name: large, namespace: ${ns1}}
spec: {size: 10, color: blue, owner: bob}
`,
    );
    // A brand-new CRD's list can lag its writes briefly on a busy API server (watch cache warming up).
    await eventually(async () => rows(await kubectl(info, ['get', crd, '-n', ns1, '--no-headers'], { allowFail: true })).length === 2, 20_000);
    // Wait until the fake kubelet reports the pods Running, so statuses are settled.
    await eventually(
      async () => rows(await kubectl(info, ['get', 'pods', '-A', '-l', `kz-test=${id}`, '--no-headers'])).every((r) => r[3] === 'Running'),
      30_000,
    );
  });

  afterAll(async () => {
    if (env) {
      await kubectl(env.info, ['delete', 'crd', crd, '--ignore-not-found', '--wait=false'], { allowFail: true });
      await deleteNamespaces(env.info, ns1, ns2);
      await env.close();
    }
  });

  it('lists pods with the same names, readiness and statuses as kubectl get pods', async () => {
    const text = await env.call('list_resources', { kind: 'pods', namespace: ns1 });
    const expected = rows(await env.kubectl(['get', 'pods', '-n', ns1, '--no-headers']));
    expect(text.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    const got = tableLines(text).map((l) => l.split(/\s+/));
    expect(got.map((r) => r.slice(0, 4))).toEqual(expected.map((r) => r.slice(0, 4)));
    expect(text).not.toMatch(/continue/);
  });

  it('takes the kind as typed to kubectl (short name, Kind, plural.group)', async () => {
    for (const kind of ['po', 'Pod', 'pods', 'pods.v1.', 'pod']) {
      const r = await env.callRaw('list_resources', { kind, namespace: ns1 });
      if (kind === 'pods.v1.') continue; // not a kubectl spelling; only must not crash the server
      expect(r.isError, `${kind}: ${r.text}`).toBe(false);
      expect(tableLines(r.text)).toHaveLength(3);
    }
    const deploy = await env.call('list_resources', { kind: 'deployments.apps', namespace: ns1 });
    expect(deploy).toMatch(/^No deployments\.apps found in namespace/);
  });

  it('wide adds the priority>0 columns (IP, NODE)', async () => {
    const text = await env.call('list_resources', { kind: 'pods', namespace: ns1, wide: true });
    expect(text.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    const expected = rows(await env.kubectl(['get', 'pods', '-n', ns1, '-o', 'wide', '--no-headers']));
    const nodes = tableLines(text).map((l) => l.split(/\s{3,}/)[6]);
    expect(nodes).toEqual(expected.map((r) => r[6]));
  });

  it('all namespaces: a NAMESPACE column and the same rows as kubectl get -A', async () => {
    const text = await env.call('list_resources', { kind: 'pods', allNamespaces: true, labelSelector: `kz-test=${id}` });
    expect(text.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS/);
    const expected = rows(await env.kubectl(['get', 'pods', '-A', '-l', `kz-test=${id}`, '--no-headers']));
    const got = tableLines(text).map((l) => l.split(/\s+/));
    expect(got.map((r) => r.slice(0, 4))).toEqual(expected.map((r) => r.slice(0, 4)));
    expect(got).toHaveLength(5);
  });

  it('label and field selectors narrow the list like kubectl -l / --field-selector', async () => {
    const web = await env.call('list_resources', { kind: 'pods', namespace: ns1, labelSelector: 'app=web' });
    expect(tableLines(web).map((l) => l.split(/\s+/)[0])).toEqual(['web-1', 'web-2']);
    const one = await env.call('list_resources', { kind: 'pods', namespace: ns1, fieldSelector: 'metadata.name=db-1' });
    expect(tableLines(one).map((l) => l.split(/\s+/)[0])).toEqual(['db-1']);
    const none = await env.call('list_resources', { kind: 'pods', namespace: ns1, labelSelector: 'app=nothing' });
    expect(none).toMatch(/^No pods found in namespace ".*" matching labels "app=nothing"/);
  });

  it('a CRD gets its printer columns, wide adds the priority-1 column', async () => {
    const text = await eventually(async () => {
      // By its short name: the plain plural is ambiguous while another test file has its own widgets CRD.
      const t = await env.call('list_resources', { kind: `wdg${id.slice(-6)}`, namespace: ns1 });
      return t.startsWith('No ') ? '' : t;
    }, 10_000);
    // Printer columns replace the default ones (no AGE unless the CRD declares it), as in kubectl.
    expect(text.split('\n')[0]).toMatch(/^NAME\s+SIZE\s+COLOR$/);
    expect(text.split('\n')[0]!.split(/\s+/)).toEqual((await env.kubectl(['get', crd, '-n', ns1])).split('\n')[0]!.trim().split(/\s+/));
    const expected = rows(await env.kubectl(['get', crd, '-n', ns1, '--no-headers']));
    expect(tableLines(text).map((l) => l.split(/\s+/).slice(0, 3))).toEqual(expected.map((r) => r.slice(0, 3)));
    expect(tableLines(text).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['large', '10', 'blue'],
      ['small', '1', 'red'],
    ]);
    const wide = await env.call('list_resources', { kind: crd, namespace: ns1, wide: true });
    expect(wide.split('\n')[0]).toMatch(/^NAME\s+SIZE\s+COLOR\s+OWNER$/);
    expect(wide).toMatch(/small\s+1\s+red\s+alice/);
  });

  it('pages with limit and continue, and the pages add up to what kubectl lists', async () => {
    const expected = rows(await env.kubectl(['get', 'configmaps', '-n', ns1, '--no-headers'])).map((r) => r[0]);
    expect(expected.length).toBe(6); // five plus kube-root-ca.crt
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const text = await env.call('list_resources', { kind: 'cm', namespace: ns1, limit: 2, ...(token ? { continue: token } : {}) });
      pages++;
      seen.push(...tableLines(text).map((l) => l.split(/\s+/)[0]!));
      token = text.match(/"continue": "([^"]+)"/)?.[1];
      if (token) expect(text).toMatch(/Showing 2 configmaps; \d+ more remain/);
    } while (token && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
  });

  it('cluster-scoped kinds ignore the namespace and say so', async () => {
    const text = await env.call('list_resources', { kind: 'nodes', namespace: ns1 });
    const expected = rows(await env.kubectl(['get', 'nodes', '--no-headers']));
    expect(tableLines(text).map((l) => l.split(/\s+/).slice(0, 2))).toEqual(expected.map((r) => r.slice(0, 2)));
    expect(text).toMatch(/cluster-scoped; namespace ignored/);
  });

  it('an unknown kind lists the closest matches', async () => {
    const r = await env.callRaw('list_resources', { kind: 'deploymnets' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/deploymnets/);
    expect(r.text).toMatch(/deployments/);
  });

  it('a namespace that does not exist is named, with the closest existing names', async () => {
    const text = await env.call('list_resources', { kind: 'pods', namespace: `${id}-missing` });
    expect(text).toMatch(/No pods found in namespace ".*-missing".*does not exist.*; list_namespaces shows the namespaces\./);
    const typo = await env.call('list_resources', { kind: 'pods', namespace: `${ns1}x` });
    expect(typo).toContain(`Namespace "${ns1}x" does not exist (did you mean: ${ns1}`);
  });

  it('a category lists each of its kinds like kubectl get all, names written kind/name', async () => {
    const named = (text: string) =>
      text
        .split('\n')
        .filter((l) => /^\S+\/\S+\s/.test(l))
        .map((l) => l.split(/\s+/)[0])
        .sort();
    const text = await env.call('list_resources', { kind: 'all', namespace: ns1 });
    const kube = (await env.kubectl(['get', 'all', '-n', ns1, '-o', 'name'])).trim().split('\n').sort();
    expect(kube).toEqual(['pod/db-1', 'pod/web-1', 'pod/web-2']);
    expect(named(text)).toEqual(kube);
    expect(text).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(text).toContain('(category "all": pods, replicationcontrollers, services, daemonsets.apps, deployments.apps');

    // A CRD's own category, and paging notes per kind (a continue token belongs to one kind).
    const category = `kzc${id.slice(-6)}`;
    const widgets = await eventually(async () => named(await env.call('list_resources', { kind: category, namespace: ns1 })).join(' '), 10_000);
    expect(widgets.split(' ')).toEqual((await env.kubectl(['get', category, '-n', ns1, '-o', 'name'])).trim().split('\n').sort());
    expect(widgets).toContain(`widget.${group}/small`);
    const paged = await env.call('list_resources', { kind: 'all', namespace: ns1, limit: 1 });
    expect(named(paged)).toHaveLength(1);
    expect(paged).toContain(`pods: the first 1 shown, more remain; list_resources {"kind":"pods","namespace":"${ns1}"} pages through them.`);
    const cont = await env.callRaw('list_resources', { kind: 'all', namespace: ns1, continue: 'abc' });
    expect(cont.text).toMatch(/"continue" pages through one kind, not the category "all"/);
  });

  it('a category where every kind is forbidden says so per kind, as kubectl get all does', async () => {
    const r = await env.callRaw('list_resources', { kind: 'all', namespace: ns1, context: env.info.contexts.restricted! });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(new RegExp(`No kind of the category "all".* could be listed in namespace "${ns1}" \\(context "kz-restricted"\\)`));
    expect(r.text).toMatch(
      new RegExp(
        `\\ndeployments\\.apps: Forbidden: user "kz-restricted" \\(context "kz-restricted"\\) cannot list deployments\\.apps in namespace "${ns1}"\\.\\n`,
      ),
    );
  });

  it('403 from the restricted context names the user, verb, resource and namespace', async () => {
    const r = await env.callRaw('list_resources', { kind: 'pods', namespace: ns1, context: env.info.contexts.restricted! });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Forbidden: user "[^"]+" .*cannot list pods in namespace "kz-t-lr-/);
    const kubectlSays = await env.kubectl(['get', 'pods', '-n', ns1], { context: env.info.contexts.restricted!, allowFail: true });
    expect(kubectlSays).toMatch(/forbidden/i);
    const secrets = await env.callRaw('list_resources', { kind: 'secrets', namespace: env.info.restrictedNamespace!, context: env.info.contexts.restricted! });
    expect(secrets.isError).toBe(true);
    expect(secrets.text).toMatch(/cannot list secrets in namespace "kz-readonly-ns"/);
    // What it may read works.
    const ok = await env.callRaw('list_resources', { kind: 'configmaps', namespace: env.info.restrictedNamespace!, context: env.info.contexts.restricted! });
    expect(ok.isError, ok.text).toBe(false);
  });

  it('bad arguments name the field', async () => {
    const r = await env.callRaw('list_resources', { kind: 'pods', limit: 0 });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/limit/);
    const r2 = await env.callRaw('list_resources', { kind: 'pods', bogus: 1 });
    expect(r2.isError).toBe(true);
    expect(r2.text).toMatch(/bogus/);
  });

  it('an expired or malformed continue token is explained', async () => {
    const r = await env.callRaw('list_resources', { kind: 'cm', namespace: ns1, continue: 'not-a-token' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/continue|Bad request/i);
  });

  it('keeps a page inside the output budget by asking for a smaller page with its own continue token', async () => {
    const small = await startToolEnv({ settings: { policy: { maxOutputBytes: 1024 } } });
    try {
      for (let i = 5; i < 40; i++) await kubectl(env.info, ['create', 'configmap', `cm-${i}`, '-n', ns2, '--from-literal', `k=${i}`]);
      const expected = rows(await env.kubectl(['get', 'configmaps', '-n', ns2, '--no-headers'])).map((r) => r[0]);
      const first = await small.call('list_resources', { kind: 'configmaps', namespace: ns2, limit: 1000 });
      expect(Buffer.byteLength(first)).toBeLessThanOrEqual(1024);
      expect(first).not.toMatch(/truncated/i);
      const m = first.match(/Page cut to (\d+) rows .*\n.*"continue": "([^"]+)" and "limit": (\d+)/);
      expect(m, first).toBeTruthy();
      const shown = tableLines(first).map((l) => l.split(/\s+/)[0]!);
      expect(shown).toHaveLength(Number(m![1]));
      const second = await small.call('list_resources', { kind: 'configmaps', namespace: ns2, limit: Number(m![3]), continue: m![2] });
      const next = tableLines(second).map((l) => l.split(/\s+/)[0]!);
      expect([...shown, ...next]).toEqual(expected.slice(0, shown.length + next.length));
    } finally {
      await small.close();
    }
  });

  it('works through the SSH bastion context with the same rows', async () => {
    const viaSsh = await env.call('list_resources', { kind: 'pods', namespace: ns1, context: env.info.contexts.ssh! });
    const direct = await env.call('list_resources', { kind: 'pods', namespace: ns1 });
    expect(tableLines(viaSsh).map((l) => l.split(/\s+/).slice(0, 3))).toEqual(tableLines(direct).map((l) => l.split(/\s+/).slice(0, 3)));
  });

  it('an unreachable cluster is named with its address, quickly, and other contexts keep working', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'kz-t-lr-dead-'));
    const file = join(dir, 'dead.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: dead, cluster: {server: "https://127.0.0.1:${port}"}}]`,
        'users: [{name: nobody, user: {token: abc}}]',
        'contexts: [{name: dead, context: {cluster: dead, user: nobody}}]',
        '',
      ].join('\n'),
    );
    const other = await startToolEnv({ kubeconfigPaths: [env.info.kubeconfig, file] });
    try {
      const started = Date.now();
      const r = await other.callRaw('list_resources', { kind: 'pods', context: 'dead' });
      expect(Date.now() - started).toBeLessThan(12_000);
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(new RegExp(`context "dead" \\(https://127\\.0\\.0\\.1:${port}\\).*refused`));
      const ok = await other.callRaw('list_resources', { kind: 'pods', namespace: ns1 });
      expect(ok.isError, ok.text).toBe(false);
    } finally {
      await other.close();
    }
  });
});
