import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, eventually, rows, startToolEnv, tableLines, uniqueName, type ToolEnv } from './helpers.js';

/** `kubectl api-resources` rows keyed the way list_kinds prints them. */
function apiResources(out: string): string[] {
  // NAME SHORTNAMES APIVERSION NAMESPACED KIND: SHORTNAMES may be empty, so read from the right.
  return rows(out).map((r) => {
    const [kind, namespaced, apiVersion] = [r[r.length - 1], r[r.length - 2], r[r.length - 3]];
    return `${r[0]} ${apiVersion} ${namespaced} ${kind}`;
  });
}

function ours(text: string): string[] {
  return tableLines(text).map((l) => {
    const cells = l.split(/\s{3,}/);
    return `${cells[0]} ${cells[2]} ${cells[3]} ${cells[4]}`;
  });
}

describe('list_kinds', () => {
  let env: ToolEnv;
  const id = uniqueName('kz-t-lk');
  const group = `${id}.example.com`;
  const crd = `gadgets.${group}`;

  beforeAll(async () => {
    env = await startToolEnv();
    await apply(
      env.info,
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${crd}}
spec:
  group: ${group}
  scope: Cluster
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gdg${id.slice(-6)}], categories: [kztest]}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: v1beta1, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
`,
    );
    await env.kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=30s']);
    await eventually(async () => (await env.kubectl(['api-resources', '--api-group', group, '--no-headers'], { allowFail: true })).includes('gadgets'), 20_000);
  });
  afterAll(async () => {
    if (env) {
      await env.kubectl(['delete', 'crd', crd, '--ignore-not-found', '--wait=false'], { allowFail: true });
      await env.close();
    }
  });

  it('lists the same kinds as kubectl api-resources', async () => {
    const text = await env.call('list_kinds');
    expect(text.split('\n')[0]).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND\s+VERBS$/);
    const expected = apiResources(await env.kubectl(['api-resources', '--no-headers']));
    // Other test files add CRDs concurrently: compare everything but test groups.
    const stable = (s: string) => !/kz-t-/.test(s) || s.includes(id);
    expect(ours(text).filter(stable).sort()).toEqual(expected.filter(stable).sort());
    expect(text).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment\s+all$/m);
    expect(text).toMatch(/VERBS "all" = /);
    // Compact: well under the output budget for a bare cluster.
    expect(Buffer.byteLength(text)).toBeLessThan(12_000);
  });

  it('verbs are listed when not the full set', async () => {
    const text = await env.call('list_kinds', { search: 'tokenreviews' });
    expect(tableLines(text)).toEqual([expect.stringMatching(/^tokenreviews\s+<none>\s+authentication\.k8s\.io\/v1\s+false\s+TokenReview\s+create$/)]);
  });

  it('filters by group, search word, scope; finds a CRD by its short name and category', async () => {
    const apps = await env.call('list_kinds', { group: 'apps' });
    const expected = apiResources(await env.kubectl(['api-resources', '--api-group', 'apps', '--no-headers']));
    expect(ours(apps).sort()).toEqual(expected.sort());
    const core = await env.call('list_kinds', { group: 'core', namespaced: false });
    const coreExpected = apiResources(await env.kubectl(['api-resources', '--api-group', '', '--namespaced=false', '--no-headers']));
    expect(ours(core).sort()).toEqual(coreExpected.sort());
    const bySearch = await env.call('list_kinds', { search: `gdg${id.slice(-6)}` });
    expect(ours(bySearch)).toEqual([`gadgets ${group}/v1 false Gadget`]);
    const byCategory = await env.call('list_kinds', { search: 'kztest' });
    expect(ours(byCategory)).toContain(`gadgets ${group}/v1 false Gadget`);
  });

  it('allVersions shows non-preferred versions too', async () => {
    const text = await env.call('list_kinds', { group, allVersions: true });
    expect(ours(text).sort()).toEqual([`gadgets ${group}/v1 false Gadget`, `gadgets ${group}/v1beta1 false Gadget`]);
  });

  it('says so when nothing matches, naming the groups', async () => {
    const text = await env.call('list_kinds', { search: 'zzznothing' });
    expect(text).toMatch(/^No kinds matching "zzznothing".*Groups: core, .*apps/);
  });

  it('the restricted user can still discover kinds', async () => {
    const text = await env.call('list_kinds', { context: env.info.contexts.restricted!, group: 'apps' });
    expect(text).toMatch(/^deployments\s/m);
  });
});
