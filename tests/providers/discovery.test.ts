import { describe, expect, it } from 'vitest';
import { ToolError } from '../../src/kernel/contract.js';
import { DiscoveryCache, KindIndex, levenshtein, MAX_NAME_LENGTH, resourcePath, type ResolvedKind } from '../../src/providers/cluster/discovery.js';

const kind = (group: string, version: string, k: string, plural: string, extra: Partial<ResolvedKind> = {}): ResolvedKind => ({
  group,
  version,
  apiVersion: group ? `${group}/${version}` : version,
  kind: k,
  plural,
  singular: k.toLowerCase(),
  namespaced: true,
  verbs: ['get', 'list'],
  shortNames: [],
  categories: [],
  subresources: [],
  preferred: true,
  ...extra,
});

describe('kind resolution', () => {
  it('prefers the preferred version, then the server order, and honours explicit groups and versions', () => {
    const index = new KindIndex([
      kind('', 'v1', 'Event', 'events', { shortNames: ['ev'] }),
      kind('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', { shortNames: ['hpa'] }),
      kind('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', { shortNames: ['hpa'], preferred: false }),
      kind('events.k8s.io', 'v1', 'Event', 'events', { shortNames: ['ev'] }),
    ]);
    expect(index.resolve('ev')?.group).toBe('');
    expect(index.resolve('hpa')?.version).toBe('v2');
    expect(index.resolve('hpa.v1.autoscaling')?.version).toBe('v1');
    expect(index.resolve('HorizontalPodAutoscaler.autoscaling')?.version).toBe('v2');
    expect(index.resolve('events.events.k8s.io')?.group).toBe('events.k8s.io');
    expect(index.resolve('events.nope.io')).toBeUndefined();
    expect(index.resolve('')).toBeUndefined();
  });

  it('expands a category to the preferred version of each member, in server order', () => {
    const index = new KindIndex([
      kind('', 'v1', 'Pod', 'pods', { categories: ['all'] }),
      kind('apps', 'v1', 'Deployment', 'deployments', { categories: ['all'] }),
      kind('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', { categories: ['all'] }),
      kind('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', { categories: ['all'], preferred: false }),
      kind('', 'v1', 'ConfigMap', 'configmaps'),
    ]);
    expect(index.category(' All ').map((k) => k.apiVersion + '/' + k.plural)).toEqual([
      'v1/pods',
      'apps/v1/deployments',
      'autoscaling/v2/horizontalpodautoscalers',
    ]);
    expect(index.category('configmaps')).toEqual([]);
  });

  it('resolves and suggests among hundreds of CRDs (how fast is measured in bench/discovery.bench.ts)', () => {
    const kinds: ResolvedKind[] = [];
    for (let i = 0; i < 800; i++) kinds.push(kind(`g${i}.example.com`, 'v1', `Thing${i}`, `things${i}`, { shortNames: [`t${i}`] }));
    const index = new KindIndex(kinds);
    for (let i = 0; i < 1000; i++) expect(index.resolve(`t${i % 800}`)?.kind).toBe(`Thing${i % 800}`);
    expect(index.closest('thing12x')[0]?.kind).toMatch(/^Thing12/);
  });

  it('builds API paths for collections, objects and subresources', () => {
    const deploy = kind('apps', 'v1', 'Deployment', 'deployments');
    const node = kind('', 'v1', 'Node', 'nodes', { namespaced: false });
    expect(resourcePath(deploy, { namespace: 'shop' })).toBe('/apis/apps/v1/namespaces/shop/deployments');
    expect(resourcePath(deploy)).toBe('/apis/apps/v1/deployments');
    expect(resourcePath(deploy, { namespace: 'shop', name: 'web', subresource: 'scale' })).toBe('/apis/apps/v1/namespaces/shop/deployments/web/scale');
    expect(resourcePath(node, { namespace: 'ignored', name: 'n1' })).toBe('/api/v1/nodes/n1');
  });

  it('computes edit distances', () => {
    expect(levenshtein('deploy', 'deploy')).toBe(0);
    expect(levenshtein('deploymnt', 'deployment')).toBe(1);
    expect(levenshtein('', 'abc')).toBe(3);
  });

  it('refuses names and namespaces that would address something other than the one object', () => {
    const secret = kind('', 'v1', 'Secret', 'secrets');
    const refusal = (opts: { namespace?: string; name?: string }) => {
      try {
        return `accepted ${resourcePath(secret, opts)}`;
      } catch (err) {
        expect(err).toBeInstanceOf(ToolError);
        return `${(err as ToolError).message} ${(err as ToolError).hint}`;
      }
    };
    // Blank would be the collection (every Secret); `.` and `..` climb the path (`..` = the Namespace object).
    expect(refusal({ namespace: 'default', name: '' })).toMatch(/^name "" is blank;.*not "\." or "\.\."/);
    expect(refusal({ namespace: 'default', name: '  ' })).toMatch(/^name " {2}" is blank/);
    expect(refusal({ namespace: 'default', name: '..' })).toMatch(/^name "\.\." is not a valid object name\. Kubernetes object names are path segments/);
    expect(refusal({ namespace: 'default', name: '.' })).toMatch(/^name "\." is not a valid object name/);
    expect(refusal({ namespace: 'default', name: 'a%2F..' })).toMatch(/contains "%"/);
    expect(refusal({ namespace: 'default', name: 'a\nb' })).toMatch(/^name "a\\nb" .*contains a control character/);
    expect(refusal({ namespace: '..', name: 'x' })).toMatch(
      /^namespace "\.\." is not a valid namespace name\. Kubernetes namespaces are DNS-1123 labels: at most 63/,
    );
    expect(refusal({ namespace: '' })).toMatch(/^namespace "" is not a valid/);
    expect(refusal({ namespace: 'Default' })).toMatch(/not a valid namespace/);
    expect(refusal({ namespace: 'n'.repeat(64) })).toMatch(/not a valid namespace/);
    // What Kubernetes allows still goes through, encoded.
    expect(refusal({ namespace: 'kube-system', name: 'system:controller:x' })).toBe('accepted /api/v1/namespaces/kube-system/secrets/system%3Acontroller%3Ax');
    expect(refusal({ namespace: 'n'.repeat(63), name: '...' })).toBe(`accepted /api/v1/namespaces/${'n'.repeat(63)}/secrets/...`);
  });

  it('bounds the work of edit distances and closest names, whatever length the text has', () => {
    expect(levenshtein('deploymnt', 'deployment', 2)).toBe(1);
    expect(levenshtein('abcdef', 'uvwxyz', 2)).toBe(3); // certain to exceed 2: max + 1
    expect(levenshtein('a', 'abcdefgh', 3)).toBe(4);
    const kinds: ResolvedKind[] = [];
    for (let i = 0; i < 800; i++) kinds.push(kind(`g${i}.example.com`, 'v1', `Thing${i}`, `things${i}`, { shortNames: [`t${i}`] }));
    const index = new KindIndex(kinds);
    // Unbounded, these would be 10^12 steps each (hours); bounded they take milliseconds. The test's
    // timeout is the bound checked: no stopwatch, which a loaded machine would make flaky.
    expect(index.closest('t'.repeat(1024 * 1024))).toEqual([]);
    expect(index.closest('x'.repeat(MAX_NAME_LENGTH))).toEqual([]);
    for (let i = 0; i < 3; i++) expect(levenshtein('q'.repeat(1024 * 1024), 'r'.repeat(1024 * 1024))).toBe(MAX_NAME_LENGTH); // compared as cut to the longest name Kubernetes allows
  }, 5_000);

  it('shares one discovery fetch between concurrent callers and refreshes at most once per miss', async () => {
    let calls = 0;
    const fetch = async (path: string) => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      const body =
        path === '/api'
          ? {
              kind: 'APIGroupDiscoveryList',
              items: [
                {
                  metadata: { name: '' },
                  versions: [{ version: 'v1', resources: [{ resource: 'pods', responseKind: { kind: 'Pod' }, scope: 'Namespaced', shortNames: ['po'] }] }],
                },
              ],
            }
          : { kind: 'APIGroupDiscoveryList', items: [] };
      return { status: 200, contentType: 'application/json', body: JSON.stringify(body) };
    };
    const cache = new DiscoveryCache(fetch, { context: 'c', minRefreshMs: 0 });
    const results = await Promise.all([cache.resolveKind('po'), cache.resolveKind('pods'), cache.resolveKind('Pod')]);
    expect(results.every((r) => r.kind === 'Pod')).toBe(true);
    expect(calls).toBe(2); // /api + /apis once
    const err = await cache.resolveKind('pdos').catch((e) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toBe('Unknown kind "pdos" in context "c". Closest matches: pods (Pod, v1, short: po).');
    expect(calls).toBe(4); // one refresh for the miss
  });

  it('resolves a word to a resource before a category, and to a category only when no resource has it', async () => {
    const resource = (name: string, kindName: string, categories: string[]) => ({
      resource: name,
      responseKind: { kind: kindName },
      scope: 'Namespaced',
      categories,
    });
    const fetch = async (path: string) => {
      const body =
        path === '/api'
          ? {
              kind: 'APIGroupDiscoveryList',
              items: [
                {
                  metadata: { name: '' },
                  versions: [{ version: 'v1', resources: [resource('pods', 'Pod', ['all']), resource('services', 'Service', ['all', 'pods'])] }],
                },
              ],
            }
          : { kind: 'APIGroupDiscoveryList', items: [] };
      return { status: 200, contentType: 'application/json', body: JSON.stringify(body) };
    };
    const cache = new DiscoveryCache(fetch, { context: 'c', minRefreshMs: 0 });
    expect(await cache.resolveKindOrCategory('pods')).toMatchObject({ kind: { kind: 'Pod' } });
    const all = await cache.resolveKindOrCategory('all');
    expect('category' in all && all.kinds.map((k) => k.kind)).toEqual(['Pod', 'Service']);
    await expect(cache.resolveKindOrCategory('nothing')).rejects.toThrow(/Unknown kind "nothing"/);
  });
});
