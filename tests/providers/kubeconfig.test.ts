import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeconfigStore, MAX_KUBECONFIG_BYTES } from '../../src/providers/cluster/kubeconfig.js';

function kubeconfig(opts: {
  clusters?: Array<{ name: string; server?: string; extra?: string }>;
  users?: Array<{ name: string; body?: string }>;
  contexts?: Array<{ name: string; cluster: string; user?: string; namespace?: string }>;
  current?: string;
}): string {
  const lines = ['apiVersion: v1', 'kind: Config'];
  if (opts.clusters) {
    lines.push('clusters:');
    for (const c of opts.clusters) {
      lines.push(`- name: ${c.name}`, '  cluster:');
      if (c.server !== undefined) lines.push(`    server: ${c.server}`);
      if (c.extra) lines.push(...c.extra.split('\n').map((l) => `    ${l}`));
    }
  }
  if (opts.users) {
    lines.push('users:');
    for (const u of opts.users) lines.push(`- name: ${u.name}`, '  user:', ...(u.body ?? 'token: t-' + u.name).split('\n').map((l) => `    ${l}`));
  }
  if (opts.contexts) {
    lines.push('contexts:');
    for (const c of opts.contexts) {
      lines.push(`- name: ${c.name}`, '  context:', `    cluster: ${c.cluster}`);
      if (c.user) lines.push(`    user: ${c.user}`);
      if (c.namespace) lines.push(`    namespace: ${c.namespace}`);
    }
  }
  if (opts.current) lines.push(`current-context: ${opts.current}`);
  return lines.join('\n') + '\n';
}

describe('kubeconfig discovery and merging', () => {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kz-kcfg-'));
    home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('uses ~/.kube/config when KUBECONFIG is unset', () => {
    writeFileSync(
      join(home, '.kube', 'config'),
      kubeconfig({
        clusters: [{ name: 'c', server: 'https://a:6443' }],
        users: [{ name: 'u' }],
        contexts: [{ name: 'home', cluster: 'c', user: 'u', namespace: 'apps' }],
        current: 'home',
      }),
    );
    const snap = new KubeconfigStore({ env: {}, home }).snapshot();
    expect(snap.contexts.map((c) => c.name)).toEqual(['home']);
    expect(snap.current).toBe('home');
    expect(snap.contexts[0]).toMatchObject({ server: 'https://a:6443', userName: 'u', namespace: 'apps', origin: 'default' });
    expect(snap.problems).toEqual([]);
  });

  it('merges KUBECONFIG like kubectl: first name wins, current-context from the first file that sets it, duplicates disambiguated', () => {
    const a = write(
      'a.yaml',
      kubeconfig({
        clusters: [{ name: 'shared', server: 'https://a:6443' }],
        users: [{ name: 'ua' }],
        contexts: [{ name: 'dev', cluster: 'shared', user: 'ua' }],
      }),
    );
    const b = write(
      'b.yaml',
      kubeconfig({
        clusters: [{ name: 'shared', server: 'https://b:6443' }],
        users: [{ name: 'ub' }],
        contexts: [
          { name: 'dev', cluster: 'shared', user: 'ub' },
          { name: 'prod', cluster: 'shared', user: 'ub' },
        ],
        current: 'prod',
      }),
    );
    const c = write('c.yaml', kubeconfig({ current: 'dev' }));
    const snap = new KubeconfigStore({ env: { KUBECONFIG: [a, join(dir, 'missing.yaml'), b, c].join(delimiter) }, home }).snapshot();
    expect(snap.contexts.map((x) => x.name)).toEqual(['dev', 'dev@b.yaml', 'prod']);
    expect(snap.current).toBe('prod');
    const dev = snap.byName.get('dev')!;
    const devB = snap.byName.get('dev@b.yaml')!;
    expect(dev).toMatchObject({ source: a, server: 'https://a:6443', userName: 'ua' });
    // the disambiguated duplicate keeps its own file's cluster and user
    expect(devB).toMatchObject({ source: b, originalName: 'dev', server: 'https://b:6443', userName: 'ub' });
    expect(snap.problems).toEqual([]); // a missing KUBECONFIG entry is skipped silently, like kubectl
  });

  it('resolves references across files and relative paths against the naming file', () => {
    mkdirSync(join(dir, 'sub'));
    const clusters = write('sub/clusters.yaml', kubeconfig({ clusters: [{ name: 'c', server: 'https://c:6443', extra: 'certificate-authority: ca.crt' }] }));
    const users = write(
      'users.yaml',
      kubeconfig({
        users: [
          {
            name: 'u',
            body: 'client-certificate: certs/u.crt\nclient-key: /abs/u.key\nexec:\n  command: ./bin/plugin\n  apiVersion: client.authentication.k8s.io/v1',
          },
        ],
        contexts: [{ name: 'split', cluster: 'c', user: 'u' }],
      }),
    );
    const snap = new KubeconfigStore({ env: { KUBECONFIG: [clusters, users].join(delimiter) }, home }).snapshot();
    const ctx = snap.byName.get('split')!;
    expect(ctx.problem).toBeUndefined();
    expect(ctx.raw.cluster['certificate-authority']).toBe(join(dir, 'sub', 'ca.crt'));
    expect(ctx.raw.user['client-certificate']).toBe(join(dir, 'certs', 'u.crt'));
    expect(ctx.raw.user['client-key']).toBe('/abs/u.key');
    expect((ctx.raw.user.exec as { command: string }).command).toBe(join(dir, 'bin', 'plugin'));
  });

  it('reports a broken file with its line while the others keep working', () => {
    const good = write('good.yaml', kubeconfig({ clusters: [{ name: 'c', server: 'https://c' }], contexts: [{ name: 'ok', cluster: 'c' }], current: 'ok' }));
    const bad = write('bad.yaml', 'apiVersion: v1\nclusters:\n- name: x\n  cluster:\n    server: "https://x\n  oops: [\n');
    const unreadable = write('secret.yaml', kubeconfig({}));
    chmodSync(unreadable, 0o000);
    const snap = new KubeconfigStore({
      env: { KUBECONFIG: good },
      home,
      flagPaths: () => [bad, join(dir, 'nope.yaml')],
      settingsFiles: () => [unreadable],
    }).snapshot();
    expect(snap.contexts.map((c) => c.name)).toEqual(['ok']);
    const badProblem = snap.problems.find((p) => p.source === bad)!;
    expect(badProblem.message).toMatch(/not valid YAML/);
    expect(badProblem.line).toBeGreaterThanOrEqual(5);
    expect(snap.problems.find((p) => p.source === join(dir, 'nope.yaml'))?.message).toBe('file not found');
    if (process.getuid?.() !== 0) expect(snap.problems.find((p) => p.source === unreadable)?.message).toMatch(/cannot read/);
    expect(snap.sources.find((s) => s.id === bad)?.ok).toBe(false);
  });

  it('reports a FIFO or a huge file at a kubeconfig path instead of freezing on it', () => {
    const good = write('good.yaml', kubeconfig({ clusters: [{ name: 'c', server: 'https://c' }], contexts: [{ name: 'ok', cluster: 'c' }], current: 'ok' }));
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const huge = join(dir, 'huge.yaml');
    truncateSync(write('huge.yaml', ''), MAX_KUBECONFIG_BYTES + 1);
    const snap = new KubeconfigStore({ env: { KUBECONFIG: good }, home, flagPaths: () => [fifo, huge] }).snapshot();
    expect(snap.contexts.map((c) => c.name)).toEqual(['ok']);
    expect(snap.problems.find((p) => p.source === fifo)?.message).toMatch(/cannot read: is not a regular file \(a FIFO, socket or device\)/);
    expect(snap.problems.find((p) => p.source === huge)?.message).toMatch(/cannot read: is 16 MB, larger than the 16 MB a kubeconfig may be/);
  });

  it('reports bad entries with their line and lists contexts whose cluster is missing', () => {
    const f = write(
      'entries.yaml',
      kubeconfig({
        clusters: [{ name: 'noserver' }, { name: 'c', server: 'https://c' }],
        contexts: [
          { name: 'a', cluster: 'c', user: 'ghost' },
          { name: 'b', cluster: 'missing' },
        ],
      }),
    );
    const snap = new KubeconfigStore({ env: { KUBECONFIG: f }, home }).snapshot();
    expect(snap.problems).toContainEqual({ source: f, message: 'cluster "noserver" has no server', line: 4 });
    expect(snap.byName.get('a')!.problem).toMatch(/user "ghost" is not defined/);
    expect(snap.byName.get('b')!.problem).toMatch(/cluster "missing" is not defined/);
  });

  it('reads settings directories and inline kubeconfigs, disambiguating inline duplicates by name', () => {
    mkdirSync(join(dir, 'configs'));
    write('configs/one.yaml', kubeconfig({ clusters: [{ name: 'c1', server: 'https://one' }], contexts: [{ name: 'one', cluster: 'c1' }] }));
    write('configs/.hidden', 'not: [valid');
    const inline = kubeconfig({
      clusters: [{ name: 'c1', server: 'https://inline' }],
      contexts: [
        { name: 'one', cluster: 'c1' },
        { name: 'pasted', cluster: 'c1' },
      ],
    });
    const snap = new KubeconfigStore({
      env: { KUBECONFIG: '' },
      home,
      settingsFiles: () => [join(dir, 'configs')],
      inline: () => [{ name: 'from-ui', content: inline }],
    }).snapshot();
    expect(snap.contexts.map((c) => [c.name, c.server, c.origin])).toEqual([
      ['one', 'https://one', 'settings'],
      ['one@from-ui', 'https://inline', 'inline'],
      ['pasted', 'https://inline', 'inline'],
    ]);
    expect(snap.problems).toEqual([]);
  });

  it('picks up a file edited while running on the next snapshot, and only then', () => {
    const f = write('live.yaml', kubeconfig({ clusters: [{ name: 'c', server: 'https://v1' }], contexts: [{ name: 'live', cluster: 'c' }], current: 'live' }));
    const store = new KubeconfigStore({ env: { KUBECONFIG: f }, home });
    let changes = 0;
    store.onChange(() => changes++);
    const first = store.snapshot();
    expect(store.snapshot()).toBe(first); // unchanged: same object, nothing re-read
    writeFileSync(
      f,
      kubeconfig({
        clusters: [{ name: 'c', server: 'https://v2' }],
        contexts: [
          { name: 'live', cluster: 'c' },
          { name: 'added', cluster: 'c' },
        ],
        current: 'added',
      }),
    );
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    const second = store.snapshot();
    expect(second.generation).toBe(first.generation + 1);
    expect(second.byName.get('live')!.server).toBe('https://v2');
    expect(second.byName.get('live')!.fingerprint).not.toBe(first.byName.get('live')!.fingerprint);
    expect(second.current).toBe('added');
    // Broken by an edit: reported, and the contexts of that file disappear (others would stay).
    writeFileSync(f, 'clusters: [\n');
    utimesSync(f, new Date(), new Date(Date.now() + 10000));
    const third = store.snapshot();
    expect(third.contexts).toEqual([]);
    expect(third.problems[0]).toMatchObject({ source: f, line: expect.any(Number) });
    expect(changes).toBe(3);
  });

  it('pushes changes to watchers: an edit, a file that appears later, an atomic rename', async () => {
    const f = write('w1.yaml', kubeconfig({ clusters: [{ name: 'c', server: 'https://v1' }], contexts: [{ name: 'one', cluster: 'c' }] }));
    const later = join(dir, 'w2.yaml');
    const store = new KubeconfigStore({ env: { KUBECONFIG: [f, later].join(delimiter) }, home });
    const seen: string[][] = [];
    const stop = store.watch((snap) => seen.push(snap.contexts.map((c) => `${c.name}=${c.server}`)), 60_000);
    const waitFor = async (n: number) => {
      for (let i = 0; i < 100 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 20));
      expect(seen.length).toBeGreaterThanOrEqual(n);
    };
    try {
      expect(seen).toEqual([]); // starting to watch is not a change
      writeFileSync(later, kubeconfig({ clusters: [{ name: 'c2', server: 'https://v2' }], contexts: [{ name: 'two', cluster: 'c2' }] }));
      await waitFor(1);
      expect(seen.at(-1)).toEqual(['one=https://v1', 'two=https://v2']);
      const temp = join(dir, 'w1.yaml.tmp');
      writeFileSync(temp, kubeconfig({ clusters: [{ name: 'c', server: 'https://v1b' }], contexts: [{ name: 'one', cluster: 'c' }] }));
      renameSync(temp, f);
      await waitFor(2);
      expect(seen.at(-1)).toEqual(['one=https://v1b', 'two=https://v2']);
    } finally {
      stop();
    }
  });

  it('keeps the cluster extension for the tunnel settings', () => {
    const f = write(
      'ext.yaml',
      kubeconfig({
        clusters: [
          {
            name: 'c',
            server: 'https://10.0.0.5:6443',
            extra: 'extensions:\n- name: kubezilla.dev/ssh-tunnel\n  extension:\n    host: bastion.example.com\n    user: ops',
          },
        ],
        contexts: [{ name: 'remote', cluster: 'c' }],
      }),
    );
    const snap = new KubeconfigStore({ env: { KUBECONFIG: f }, home }).snapshot();
    expect(snap.byName.get('remote')!.raw.clusterExtensions['kubezilla.dev/ssh-tunnel']).toEqual({ host: 'bastion.example.com', user: 'ops' });
  });
});
