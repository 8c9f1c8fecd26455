/**
 * helm as it fails on a real machine, with the real cluster behind it:
 * - a helm that hangs is reported as a hang, within a bound, and does not stall the Helm tools that
 *   come after it: the version probe is killed with its process group and not cached, a cancelled
 *   call stops waiting at once, and once helm works again so do the tools;
 * - a helm killed from outside mid-install (the OOM killer, a person) is reported as killed;
 * - a client that cancels, or hangs up without cancelling, mid-install leaves nothing behind: no
 *   helm process, no work directory, no kubeconfig file.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chart, helmSwitch } from '../tools/helm-fixtures.js';
import { createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from '../tools/helpers.js';
import { testCluster } from '../cluster/context.js';
import { RawSession } from '../helpers/raw-rpc.js';

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

/**
 * A "helm" that answers the version probe with the real helm, then, for any other command, writes
 * its arguments to `record` and does what `body` says (a shell fragment): it stands for a helm
 * install that is still waiting for its pods.
 */
function scriptedHelm(body: string): { path: string; marker: string; record: string } {
  const marker = `kz-scripted-helm-${Math.random().toString(36).slice(2)}`;
  const dir = mkdtempSync(join(tmpdir(), 'kz-scripted-'));
  const path = join(dir, 'helm');
  const record = join(dir, 'args');
  writeFileSync(
    path,
    `#!/bin/sh\n# ${marker}\nif [ "$1" = version ]; then exec "${info.tools.helm4}" "$@"; fi\necho "$@" > "${record}.tmp" && mv "${record}.tmp" "${record}"\n${body}\n`,
  );
  chmodSync(path, 0o755);
  return { path, marker, record };
}

/** The `--kubeconfig` file a recorded helm run was given. */
function kubeconfigOf(record: string): string {
  return /--kubeconfig[= ](\S+)/.exec(readFileSync(record, 'utf8'))![1]!;
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

describe('a helm killed from outside', () => {
  it('is reported as killed, with what to check, not as a helm error line', async () => {
    process.env.KUBEZILLA_HELM = scriptedHelm('kill -9 $$').path;
    const r = await env.callRaw('helm_install', { release: 'killed', chart: chart(info, '0.1.0'), namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/helm was killed \(SIGKILL\) before it finished \(install killed in namespace [\w-]+\): something outside Kubezilla/);
    expect(r.text).toMatch(/get_helm_history/);
    useHelm(4);
  });
});

describe('a client that stops mid-install', () => {
  /** Runs `run` (which stops the call once helm has started) and checks that nothing is left. */
  const leftovers = async (
    run: (session: RawSession, args: Record<string, unknown>, helmStarted: () => Promise<void>) => Promise<(() => void) | undefined>,
  ) => {
    const helm = scriptedHelm('sleep 600 & wait');
    process.env.KUBEZILLA_HELM = helm.path;
    // helm's work directory goes under TMPDIR, read at each call: a fresh one shows what is left.
    const savedTmp = process.env.TMPDIR;
    const tmp = mkdtempSync(join(tmpdir(), 'kz-tmp-'));
    process.env.TMPDIR = tmp;
    try {
      const session = await RawSession.open(env.server.url, env.server.token);
      const args = { release: `gone-${Math.random().toString(36).slice(2, 7)}`, chart: chart(info, '0.1.0'), namespace: ns };
      const done = await run(session, args, () => expect.poll(() => existsSync(helm.record), { timeout: 20_000 }).toBe(true));
      await expect.poll(() => running(helm.marker), { timeout: 10_000 }).toBe(false);
      await expect.poll(() => existsSync(kubeconfigOf(helm.record)), { timeout: 5000 }).toBe(false);
      await expect.poll(() => readdirSync(tmp), { timeout: 5000 }).toEqual([]);
      done?.();
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
      useHelm(4);
    }
  };

  it('cancelled (notifications/cancelled): no helm process, work directory or kubeconfig file is left', async () => {
    await leftovers(async (session, args, helmStarted) => {
      const id = session.nextId();
      // A cancelled request gets no answer: its stream is closed here once the checks are done.
      const close = new AbortController();
      void session
        .send(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'helm_install', arguments: args } }), close.signal)
        .catch(() => undefined);
      await helmStarted();
      await session.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'test' } }));
      return () => close.abort();
    });
  });

  it('hung up without cancelling: the same, once its response stream closes', async () => {
    await leftovers(async (session, args, helmStarted) => {
      const hangUp = new AbortController();
      const call = session.callTool({ name: 'helm_install', arguments: args }, hangUp.signal);
      await helmStarted();
      hangUp.abort();
      await expect(call).rejects.toThrow();
      return undefined;
    });
  });
});
