/**
 * Where Kubezilla keeps its token and settings: the brief's per-OS directory, unless
 * `--config-dir` or KUBEZILLA_CONFIG_DIR says otherwise (tests always do, so they never touch a
 * real user's token).
 */
import { mkdirSync, chmodSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultConfigDir(platform: NodeJS.Platform = process.platform, env = process.env): string {
  if (env.KUBEZILLA_CONFIG_DIR) return env.KUBEZILLA_CONFIG_DIR;
  switch (platform) {
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'KubezillaDesktop');
    case 'win32':
      return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'KubezillaDesktop');
    default:
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'KubezillaDesktop');
  }
}

/** Creates the directory 0700 (or tightens an existing one we own): it holds a credential. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32' && (statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
