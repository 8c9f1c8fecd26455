/**
 * A helm that hangs is reported as a hang, within a bound, and does not stall the Helm tools that
 * come after it: the version probe is killed with its process group and not cached, a cancelled
 * call stops waiting at once, and once helm works again so do the tools.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chart, helmSwitch } from './helm-fixtures.js';
import { createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';
import { testCluster } from '../cluster/context.js';

const info = testCluster();
const ns = uniqueName('kz-t-hf');
const useHelm = helmSwitch(() => info);
let env: ToolEnv;

/** A "helm" that never answers and ignores SIGTERM, like a wrapper stuck on a lock. */
function hungHelm(): { path: string; marker: string } {
  const marker = `kz-hung-helm-${Math.random().toString(36).slice(2)}`;
  const path = join(mkdtempSync(join(tmpdir(), 'kz-hung-')), 'helm');
  writeFileSync(path, `#!/bin/sh\n# ${marker}\ntrap '' TERM\nsleep 600 &\nwait\n`);
  chmodSync(path, 0o755);
  return { path, marker };
}

function running(marker: string): boolean {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  env = await startToolEnv();
  await createNamespaces(info, ns);
});
afterAll(async () => {
  await env?.close();
  await deleteNamespaces(info, ns);
});

describe('a helm that hangs', () => {
  it('is reported as a hang and killed, not cached, and helm works again once fixed', async () => {
    const hung = hungHelm();
    process.env.KUBEZILLA_HELM = hung.path;
    const args = { release: 'after', chart: chart(info, '0.1.0'), namespace: ns };
    const [first, second] = await Promise.all([env.callRaw('helm_install', args), env.callRaw('helm_install', args)]);
    for (const r of [first, second]) {
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/helm hangs: ".*helm version" did not answer within 5 s and was stopped/);
      expect(r.text).not.toMatch(/not installed/);
    }
    await expect.poll(() => running(hung.marker), { timeout: 5000 }).toBe(false);
    useHelm(4);
    expect(await env.call('helm_install', args)).toMatch(/^Installed after/);
  });

  it('does not keep a cancelled call waiting', async () => {
    const hung = hungHelm();
    process.env.KUBEZILLA_HELM = hung.path;
    const stop = new AbortController();
    const call = env.client.callTool({ name: 'helm_install', arguments: { release: 'never', chart: chart(info, '0.1.0'), namespace: ns } }, undefined, {
      signal: stop.signal,
    });
    setTimeout(() => stop.abort(), 300);
    const started = Date.now();
    await expect(call).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(4000);
    await expect.poll(() => running(hung.marker), { timeout: 10_000 }).toBe(false);
  });
});
