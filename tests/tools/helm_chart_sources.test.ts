/**
 * policy.allowedChartSources against the real helm 4 and the test cluster's chart repository: a chart
 * from an allowed repository URL or directory installs; one from anywhere else is refused before helm
 * runs, naming the setting and its entries, and path and URL tricks do not get around it.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { KubezillaError } from '../../src/kernel/errors.js';
import { parseSettings } from '../../src/providers/config/settings.js';
import { urlWithin } from '../../src/tools/common/helm.js';
import { createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';
import { chart, h, helmSwitch } from './helm-fixtures.js';

const ns = uniqueName('kz-t-hsrc');
let env: ToolEnv;
const useHelm = helmSwitch(() => env.info);
const root = mkdtempSync(join(tmpdir(), 'kz-t-hsrc-'));
const allowedDir = join(root, 'allowed');
const outsideDir = join(root, 'outside');
const GOOD = 'https://good.example.com/charts';
const OCI = 'oci://registry.example.com/charts';
let sources: string[];

describe('helm_install and helm_upgrade with policy.allowedChartSources', () => {
  beforeAll(async () => {
    mkdirSync(allowedDir);
    mkdirSync(outsideDir);
    const info = testCluster();
    cpSync(chart(info, '0.1.0'), join(allowedDir, 'kz-demo'), { recursive: true });
    cpSync(chart(info, '0.1.0'), join(outsideDir, 'kz-demo'), { recursive: true });
    symlinkSync(join(outsideDir, 'kz-demo'), join(allowedDir, 'linked-out'));
    sources = [info.charts.repoUrl, GOOD, OCI, allowedDir];
    env = await startToolEnv({ settings: { policy: { allowedChartSources: sources } } });
    await createNamespaces(env.info, ns);
    useHelm(4);
  });
  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    if (env) {
      await deleteNamespaces(env.info, ns);
      await env.close();
    }
  });

  it('installs from an allowed repository URL and from a directory inside an allowed one, and upgrades from it', async () => {
    useHelm(4);
    const fromRepo = await env.call('helm_install', { release: 'ok-repo', chart: 'kz-demo', repo: env.info.charts.repoUrl, version: '0.1.0', namespace: ns });
    expect(fromRepo).toContain('status: deployed');
    const local = await env.call('helm_install', { release: 'ok-local', chart: join(allowedDir, 'kz-demo'), namespace: ns });
    expect(local).toContain('chart: kz-demo-0.1.0');
    const upgraded = await env.call('helm_upgrade', { release: 'ok-local', chart: join(allowedDir, 'kz-demo'), namespace: ns });
    expect(upgraded).toContain('revision: 2');
    expect(await h(env.info, 4, ['list', '-n', ns, '-q'])).toMatch(/ok-local\nok-repo/);
  });

  /** Calls the tool, expects the policy refusal, and checks helm never ran (no release of that name). */
  async function refused(tool: 'helm_install' | 'helm_upgrade', args: Record<string, unknown>, what: string): Promise<void> {
    useHelm(4);
    const release = tool === 'helm_upgrade' ? 'ok-local' : 'nope';
    const r = await env.callRaw(tool, { release, namespace: ns, ...args });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(what);
    expect(r.text).toContain(' is not an allowed chart source: ');
    expect(r.text).toContain(`The server setting policy.allowedChartSources allows only: ${sources.join(', ')}.`);
    expect(r.text).toContain('Nothing was installed or changed.');
  }

  it('refuses a local chart outside the allowed directories, through `..` or through a link', async () => {
    await refused('helm_install', { chart: join(outsideDir, 'kz-demo') }, `chart: local path "${join(outsideDir, 'kz-demo')}"`);
    await refused('helm_install', { chart: `${allowedDir}/../outside/kz-demo` }, `(really ${join(outsideDir, 'kz-demo')})`);
    const linked = join(allowedDir, 'linked-out');
    await refused('helm_install', { chart: linked }, `chart: local path "${linked}" (really ${join(outsideDir, 'kz-demo')})`);
    await refused('helm_upgrade', { chart: linked }, 'chart: local path');
    // A local path wins over repo in helm, so it may not smuggle a chart in beside an allowed repo URL.
    await refused('helm_install', { chart: join(outsideDir, 'kz-demo'), repo: env.info.charts.repoUrl }, 'chart: local path');
    expect(await h(env.info, 4, ['list', '-n', ns, '-q'])).not.toContain('nope');
    expect(await h(env.info, 4, ['history', 'ok-local', '-n', ns, '-o', 'json'])).not.toContain('"revision":3');
  });

  it('compares repository URLs by scheme, host, port and path segment, not by text', async () => {
    for (const repo of [
      'https://good.example.com.evil.io/charts',
      'https://good.example.com@evil.io/charts',
      'https://good.example.com/charts-evil',
      'https://good.example.com/charts/../evil',
      'http://good.example.com/charts',
      'https://good.example.com:8443/charts',
    ]) {
      await refused('helm_install', { chart: 'kz-demo', repo }, `repo: "${repo}"`);
    }
    await refused('helm_install', { chart: 'oci://registry.example.com/charts-x/app' }, 'chart: "oci://registry.example.com/charts-x/app"');
    await refused('helm_install', { chart: 'https://evil.io/kz-demo-0.1.0.tgz' }, 'chart: "https://evil.io/kz-demo-0.1.0.tgz"');
    await refused('helm_install', { chart: 'kz-fixtures/kz-demo' }, 'chart: "kz-fixtures/kz-demo"');
    // And what the same rules allow (helm is not run for these here: the hosts do not exist).
    expect(urlWithin('https://GOOD.example.com/charts/stable/', GOOD)).toBe(true);
    expect(urlWithin('https://good.example.com:443/charts', GOOD)).toBe(true);
    expect(urlWithin('oci://Registry.example.com/charts/app:1.0', OCI)).toBe(true);
    expect(urlWithin('oci://registry.example.com/charts/%2e%2e/other', OCI)).toBe(false);
  });

  it('refuses a settings entry that is neither a URL nor an absolute directory, naming the field', () => {
    try {
      parseSettings({ policy: { allowedChartSources: ['charts/'] } }, 'settings.json');
      throw new Error('expected SETTINGS_INVALID');
    } catch (err) {
      expect(err).toBeInstanceOf(KubezillaError);
      expect((err as KubezillaError).code).toBe('SETTINGS_INVALID');
      expect((err as KubezillaError).message).toMatch(/policy\.allowedChartSources\.?\[?0/);
    }
  });
});
