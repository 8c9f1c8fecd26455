import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { composeContainer } from '../../src/compose.js';
import { createLogger } from '../../src/kernel/logger.js';
import { ClusterProvider } from '../../src/providers/cluster/clusters.js';

describe('the composition root', () => {
  const saved = process.env.KUBECONFIG;
  let dir: string | undefined;
  afterEach(() => {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('resolves lazily from the container, reading KUBECONFIG, --kubeconfig and settings', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kz-container-'));
    const cfg = (ctx: string, server: string) =>
      JSON.stringify({ clusters: [{ name: ctx, cluster: { server } }], contexts: [{ name: ctx, context: { cluster: ctx } }], 'current-context': ctx });
    writeFileSync(join(dir, 'env.yaml'), cfg('from-env', 'https://10.255.255.1:6443'));
    writeFileSync(join(dir, 'flag.yaml'), cfg('from-flag', 'https://10.255.255.2:6443'));
    process.env.KUBECONFIG = join(dir, 'env.yaml');
    const lines: string[] = [];
    const { container, settings } = composeContainer(
      { configDir: join(dir, 'config'), kubeconfigPaths: [join(dir, 'flag.yaml')], toolDirs: [] },
      createLogger({ write: (l) => lines.push(l) }),
    );
    settings.update((s) => {
      s.kubeconfig.inline.push({ name: 'pasted', content: cfg('from-settings', 'https://10.255.255.3:6443') });
      s.tunnels['from-settings'] = { host: 'bastion.invalid', user: 'ops' };
    });
    // Modules get the settings read-only: the same values, and no update().
    expect(container.resolve('settings').get()).toBe(settings.get());
    expect((container.resolve('settings') as { update?: unknown }).update).toBeUndefined();
    expect(Object.isFrozen(container.resolve('settings'))).toBe(true);
    const clusters = container.resolve('clusters');
    expect(clusters).toBeInstanceOf(ClusterProvider);
    expect(container.resolve('clusters')).toBe(clusters); // singleton
    const list = clusters.listContexts();
    expect(list.contexts.map((c) => c.name)).toEqual(['from-env', 'from-flag', 'from-settings']);
    expect(list.current).toBe('from-env');
    expect(list.contexts[2]!.tunnel).toMatchObject({ bastion: 'ops@bastion.invalid:22', status: 'idle', via: 'settings' });
    // Nothing was contacted: these addresses do not exist, and listing took no time.

    // Adding a kubeconfig on the settings page reaches watchers at once.
    const changes: string[][] = [];
    const stop = clusters.watchContexts((l) => changes.push(l.contexts.map((c) => c.name)));
    settings.update((s) => {
      s.kubeconfig.inline.push({ name: 'second', content: cfg('added-later', 'https://10.255.255.4:6443') });
    });
    expect(changes).toEqual([['from-env', 'from-flag', 'from-settings', 'added-later']]);
    stop();
    await container.dispose();
  });
});
