// can_i against the real API server's authorizer, checked against `kubectl auth can-i` for the same
// user: the admin context, and the restricted one that may only read namespace kz-readonly-ns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToolEnv, type ToolEnv } from './helpers.js';

describe('can_i', () => {
  let env: ToolEnv;
  let restricted: string;
  let readable: string;

  beforeAll(async () => {
    env = await startToolEnv();
    restricted = env.info.contexts.restricted!;
    readable = env.info.restrictedNamespace!;
  });
  afterAll(async () => {
    await env?.close();
  });

  /** kubectl auth can-i's answer (yes or no) for the same question. */
  const kubectlSays = async (context: string, args: string[]) =>
    (await env.kubectl(['auth', 'can-i', ...args], { context, allowFail: true })).trim().split('\n')[0];

  it('answers as kubectl auth can-i does, for several users, verbs, kinds and scopes', async () => {
    const cases: Array<{ context: string; args: Record<string, unknown>; kubectl: string[] }> = [
      { context: restricted, args: { verb: 'list', kind: 'pods', namespace: readable }, kubectl: ['list', 'pods', '-n', readable] },
      { context: restricted, args: { verb: 'delete', kind: 'deploy', namespace: readable }, kubectl: ['delete', 'deployments.apps', '-n', readable] },
      { context: restricted, args: { verb: 'get', kind: 'secrets', namespace: readable }, kubectl: ['get', 'secrets', '-n', readable] },
      { context: restricted, args: { verb: 'list', kind: 'pods', namespace: 'default' }, kubectl: ['list', 'pods', '-n', 'default'] },
      { context: restricted, args: { verb: 'list', kind: 'nodes' }, kubectl: ['list', 'nodes'] },
      {
        context: restricted,
        args: { verb: 'get', kind: 'pods', subresource: 'log', namespace: readable },
        kubectl: ['get', 'pods', '--subresource=log', '-n', readable],
      },
      { context: env.info.contexts.admin, args: { verb: '*', kind: '*', allNamespaces: true }, kubectl: ['*', '*', '-A'] },
      {
        context: env.info.contexts.admin,
        args: { verb: 'create', kind: 'deploy', namespace: 'default' },
        kubectl: ['create', 'deployments.apps', '-n', 'default'],
      },
    ];
    const answers: string[] = [];
    for (const c of cases) {
      const text = await env.call('can_i', { ...c.args, context: c.context });
      const expected = await kubectlSays(c.context, c.kubectl);
      expect(expected, c.kubectl.join(' ')).toMatch(/^(yes|no)$/);
      expect(text.split(':')[0], `${JSON.stringify(c.args)} as ${c.context}: ${text}`).toBe(expected);
      answers.push(expected!);
    }
    // The cases cover both answers, so the comparison above can fail either way.
    expect(new Set(answers)).toEqual(new Set(['yes', 'no']));
  });

  it('says who was asked about what and where, and how to see the rules', async () => {
    const no = await env.call('can_i', { verb: 'delete', kind: 'deploy', namespace: readable, context: restricted });
    expect(no).toMatch(new RegExp(`^no: the user of context "${restricted}" may not delete deployments\\.apps in namespace ${readable}\\.`));
    expect(no).toContain('list: true');
    const one = await env.call('can_i', { verb: 'patch', name: 'deploy/web', namespace: readable, context: restricted });
    expect(one).toMatch(/^no: .* may not patch deployments\.apps "web" in namespace /);
    expect(await kubectlSays(restricted, ['patch', 'deployments.apps/web', '-n', readable])).toBe('no');
    const nodes = await env.call('can_i', { verb: 'list', kind: 'nodes' });
    expect(nodes).toMatch(/^yes: .* may list nodes \(cluster-scoped\)/);
  });

  it('lists the rules the user has in a namespace, like kubectl auth can-i --list', async () => {
    const text = await env.call('can_i', { list: true, namespace: readable, context: restricted });
    expect(text).toMatch(new RegExp(`^Rules of the user of context "${restricted}" in namespace ${readable}:`));
    expect(text.split('\n')[1]).toMatch(/^VERBS\s+NAMES\s+RESOURCES \(or URLs\)$/);
    const kubectlList = await env.kubectl(['auth', 'can-i', '--list', '-n', readable], { context: restricted });
    // Every resource kubectl lists with get/list/watch appears in our rules with those verbs.
    const viewRows = kubectlList
      .split('\n')
      .filter((l) => /\[get list watch\]/.test(l))
      .map((l) => l.trim().split(/\s+/)[0]!);
    expect(viewRows.length).toBeGreaterThan(3);
    const ourLines = text.split('\n');
    for (const resource of viewRows) {
      const line = ourLines.find((l) =>
        l
          .split(/\s{2,}/)[2]
          ?.split(', ')
          .includes(resource),
      );
      expect(line, resource).toMatch(/^get,list,watch\s/);
    }
    expect(ourLines.some((l) => /(^|\s|, )secrets(,|$)/.test(l))).toBe(false);
  });

  it('refuses half a question and unknown kinds, naming the field', async () => {
    const noKind = await env.callRaw('can_i', { verb: 'get' });
    expect(noKind.isError).toBe(true);
    expect(noKind.text).toMatch(/kind: missing/);
    const mixed = await env.callRaw('can_i', { list: true, verb: 'get' });
    expect(mixed.text).toMatch(/list: true lists every rule in one namespace; it takes no verb/);
    const badVerb = await env.callRaw('can_i', { verb: 'get pods', kind: 'pods' });
    expect(badVerb.text).toMatch(/verb: "get pods" is not a Kubernetes verb/);
    const unknown = await env.callRaw('can_i', { verb: 'get', kind: 'gizmos' });
    expect(unknown.text).toMatch(/Unknown kind "gizmos"/);
  });
});
