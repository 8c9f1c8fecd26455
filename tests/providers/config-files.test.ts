/**
 * The config directory cannot be redirected: a symbolic link planted at a temp name, at the token,
 * settings or audit file, or in place of the directory itself never sends a credential or a setting
 * to a file outside it, and never gets a foreign file adopted or chmodded. Every refusal names the
 * file and what to do. Real files, real links, no mocks.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubezillaError } from '../../src/kernel/errors.js';
import { AuditLog } from '../../src/providers/config/audit.js';
import { ensurePrivateDir, writePrivateFileAtomic } from '../../src/providers/config/config-dir.js';
import { SettingsStore } from '../../src/providers/config/settings.js';
import { newToken, TokenStore } from '../../src/providers/config/tokens.js';

/** A config dir and, beside it, a file an attacker would like us to write to or adopt. */
function layout(outsideContent = 'precious\n') {
  const root = mkdtempSync(join(tmpdir(), 'kz-cfg-'));
  const dir = join(root, 'config');
  mkdirSync(dir, { mode: 0o700 });
  const outside = join(root, 'outside.txt');
  writeFileSync(outside, outsideContent, { mode: 0o644 });
  chmodSync(outside, 0o644);
  return { root, dir, outside };
}

/** Runs `act`, expecting a KubezillaError; returns it so the test can read what the person sees. */
function refusal(act: () => unknown): KubezillaError {
  try {
    act();
  } catch (err) {
    expect(err).toBeInstanceOf(KubezillaError);
    return err as KubezillaError;
  }
  throw new Error('expected a refusal, but the call succeeded');
}

const untouched = (outside: string, content = 'precious\n') => {
  expect(readFileSync(outside, 'utf8')).toBe(content);
  expect(statSync(outside).mode & 0o777).toBe(0o644);
};

describe('token file', () => {
  it('a link planted at the old predictable temp name does not receive the new token', () => {
    const { dir, outside } = layout();
    const tokens = new TokenStore(dir);
    symlinkSync(outside, `${tokens.file}.${process.pid}.tmp`);
    const token = tokens.regenerate();
    untouched(outside);
    expect(lstatSync(tokens.file).isFile()).toBe(true);
    expect(readFileSync(tokens.file, 'utf8').trim()).toBe(token);
    expect(statSync(tokens.file).mode & 0o777).toBe(0o600);
  });

  it('a token file that links to another file is refused, not adopted, and its target is not chmodded', () => {
    const foreign = newToken();
    const { dir, outside } = layout(foreign + '\n');
    const tokens = new TokenStore(dir);
    symlinkSync(outside, tokens.file);
    const err = refusal(() => tokens.ensure());
    expect(err.code).toBe('TOKEN_UNREADABLE');
    expect(err.message).toContain(`${tokens.file} is a symbolic link`);
    expect(err.hint).toContain('kubezilla-mcp token --regenerate');
    expect(err.toLine()).not.toContain(foreign);
    untouched(outside, foreign + '\n');
  });

  it('regenerate refuses to replace a linked token file and leaves the target alone', () => {
    const { dir, outside } = layout();
    const tokens = new TokenStore(dir);
    symlinkSync(outside, tokens.file);
    expect(refusal(() => tokens.regenerate()).message).toContain('is a symbolic link');
    untouched(outside);
    expect(lstatSync(tokens.file).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir)).toEqual(['mcp.token']); // no temp file left behind
  });

  it('still tightens a regular token file that was copied in with loose permissions', () => {
    const { dir } = layout();
    const token = newToken();
    writeFileSync(join(dir, 'mcp.token'), token + '\n', { mode: 0o644 });
    chmodSync(join(dir, 'mcp.token'), 0o644);
    expect(new TokenStore(dir).ensure()).toBe(token);
    expect(statSync(join(dir, 'mcp.token')).mode & 0o777).toBe(0o600);
  });

  it('refuses a FIFO at the token path instead of hanging on it', async () => {
    const { dir } = layout();
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(dir, 'mcp.token')]);
    expect(refusal(() => new TokenStore(dir).ensure()).message).toContain('is not a regular file');
  });
});

describe('settings file', () => {
  it('a link planted at the old predictable temp name does not receive the settings', () => {
    const { dir, outside } = layout();
    const settings = new SettingsStore(dir);
    symlinkSync(outside, `${settings.file}.${process.pid}.tmp`);
    settings.update((draft) => {
      draft.policy.revealSecrets = true;
    });
    untouched(outside);
    expect(lstatSync(settings.file).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(settings.file, 'utf8')).policy.revealSecrets).toBe(true);
    expect(statSync(settings.file).mode & 0o777).toBe(0o600);
  });

  it('a settings file that is a link is refused at load, naming the file and how to replace it', () => {
    const { dir, outside } = layout('{}\n');
    symlinkSync(outside, join(dir, 'settings.json'));
    const err = refusal(() => new SettingsStore(dir));
    expect(err.code).toBe('SETTINGS_UNREADABLE');
    expect(err.message).toContain(`${join(dir, 'settings.json')} is a symbolic link`);
    expect(err.hint).toContain('cp --remove-destination');
    untouched(outside, '{}\n');
  });

  it('a settings file swapped for a link after start-up is not written through', () => {
    const { dir, outside } = layout();
    const settings = new SettingsStore(dir);
    symlinkSync(outside, settings.file);
    expect(refusal(() => settings.update((d) => void (d.policy.revealSecrets = true))).message).toContain('is a symbolic link');
    untouched(outside);
    expect(settings.get().policy.revealSecrets).toBe(false);
  });
});

describe('audit log', () => {
  it('a linked audit.log is neither appended to nor read back', () => {
    const { dir, outside } = layout('{"time":"x","tool":"forged"}\n');
    const audit = new AuditLog(dir);
    symlinkSync(outside, audit.file);
    const err = refusal(() => audit.record({ tool: 'scale', target: 'deploy/web', outcome: 'ok' }));
    expect(err.code).toBe('AUDIT_LOG_UNUSABLE');
    expect(err.message).toContain(`${audit.file} is a symbolic link`);
    expect(err.hint).toContain('mv ');
    expect(() => audit.recent()).toThrow(/is a symbolic link/);
    untouched(outside, '{"time":"x","tool":"forged"}\n');
  });

  it('creates a fresh audit.log 0600 and tightens a loose one through its descriptor', () => {
    const { dir } = layout();
    const audit = new AuditLog(dir);
    audit.record({ tool: 'scale', target: 'deploy/web', outcome: 'ok' });
    expect(statSync(audit.file).mode & 0o777).toBe(0o600);
    chmodSync(audit.file, 0o644);
    audit.record({ tool: 'scale', target: 'deploy/web', outcome: 'ok' });
    expect(statSync(audit.file).mode & 0o777).toBe(0o600);
    expect(audit.recent()).toHaveLength(2);
  });
});

describe('config directory', () => {
  it('a linked config dir the user owns with mode 0700 is used (a dotfile manager does this on purpose)', () => {
    const { root } = layout();
    const target = join(root, 'real');
    mkdirSync(target, { mode: 0o700 });
    const link = join(root, 'linked');
    symlinkSync(target, link);
    const token = new TokenStore(link).ensure();
    expect(readFileSync(join(target, 'mcp.token'), 'utf8').trim()).toBe(token);
  });

  it('a linked config dir that others can read is refused, and never chmodded through the link', () => {
    const { root } = layout();
    const target = join(root, 'home-like');
    mkdirSync(target, { mode: 0o755 });
    chmodSync(target, 0o755);
    const link = join(root, 'linked');
    symlinkSync(target, link);
    const err = refusal(() => ensurePrivateDir(link));
    expect(err.code).toBe('CONFIG_DIR_UNUSABLE');
    expect(err.message).toContain(`${link} is a symbolic link`);
    expect(err.message).toContain('readable by other users');
    expect(err.hint).toContain('chmod 700');
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(readdirSync(target)).toEqual([]);
  });

  it('a config dir, linked or not, owned by another user is refused', () => {
    const { root } = layout();
    const foreign = join(root, 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 65534, 65534);
    const link = join(root, 'linked');
    symlinkSync(foreign, link);
    expect(refusal(() => ensurePrivateDir(link)).message).toContain('owned by another user');
    expect(refusal(() => ensurePrivateDir(foreign)).message).toContain('owned by another user');
  });

  it('a real config dir with loose permissions is tightened to 0700', () => {
    const { dir } = layout();
    chmodSync(dir, 0o755);
    ensurePrivateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});

describe('writePrivateFileAtomic', () => {
  it('writes 0600 whatever the umask, through a random temp name that is gone afterwards', () => {
    const { dir } = layout();
    const file = join(dir, 'settings.json');
    const previous = process.umask(0o000);
    try {
      writePrivateFileAtomic(file, 'one\n', { code: 'SETTINGS_UNREADABLE', fix: 'n/a' });
      writePrivateFileAtomic(file, 'two\n', { code: 'SETTINGS_UNREADABLE', fix: 'n/a' });
    } finally {
      process.umask(previous);
    }
    expect(readFileSync(file, 'utf8')).toBe('two\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['settings.json']);
  });
});
