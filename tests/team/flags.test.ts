/**
 * The team deployment's serve flags as a person (or the chart) meets them: a missing piece stops
 * the start with one line naming it and the fix, and nothing listens.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from './chart-pod.js';

function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const configDir = mkdtempSync(join(tmpdir(), 'kz-team-flags-'));
  const clean: NodeJS.ProcessEnv = { ...process.env, HOME: configDir, ...env };
  delete clean.KUBERNETES_SERVICE_HOST;
  if (env.KUBERNETES_SERVICE_HOST) clean.KUBERNETES_SERVICE_HOST = env.KUBERNETES_SERVICE_HOST;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'serve', '--enable', '--port', '0', '--ui-port', '0', '--config-dir', configDir, ...args],
      { env: clean, timeout: 20_000 },
      (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

describe('serve flags of the team deployment', () => {
  it('--in-cluster outside a pod names the missing variable', async () => {
    const run = await serve(['--in-cluster']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('IN_CLUSTER_UNAVAILABLE: --in-cluster needs KUBERNETES_SERVICE_HOST');
  });

  it('--in-cluster without the ServiceAccount files names the file', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'kz-team-sa-'));
    const run = await serve(['--in-cluster'], { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBEZILLA_SERVICEACCOUNT_DIR: empty });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`--in-cluster needs the ServiceAccount's ${join(empty, 'token')}, which does not exist`);
  });

  it('--confirmation-key-file refuses a missing or short key, without showing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kz-team-key-'));
    const missing = await serve(['--confirmation-key-file', join(dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`CONFIRMATION_KEY_UNUSABLE: cannot read the confirmation key ${join(dir, 'nope')}: ENOENT`);
    writeFileSync(join(dir, 'short'), 'tooShortKey123');
    const short = await serve(['--confirmation-key-file', join(dir, 'short')]);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('is shorter than 32 bytes');
    expect(short.stderr).not.toContain('tooShortKey123');
  });

  it('--metrics-bind needs --metrics-port', async () => {
    const run = await serve(['--metrics-bind', '0.0.0.0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('BAD_FLAG: --metrics-bind needs --metrics-port');
  });
});
