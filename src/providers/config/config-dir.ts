/**
 * Where Kubezilla keeps its token and settings: the brief's per-OS directory, unless
 * `--config-dir` or KUBEZILLA_CONFIG_DIR says otherwise (tests always do, so they never touch a
 * real user's token).
 *
 * Every file in it (mcp.token, settings.json, audit.log) is read and written through the helpers
 * below and never through a symbolic link: a link planted at the token's path or at a temp name
 * would otherwise send a fresh credential to a file outside the directory, or make us adopt (and
 * chmod) a file someone else chose. Temp names are random and created with O_EXCL|O_NOFOLLOW,
 * permissions are tightened with fchmod on a descriptor opened without following links, and a
 * link where one of our files belongs is refused with a message naming the file and the fix.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { KubezillaError, type KubezillaErrorCode } from '../../kernel/errors.js';

const POSIX = process.platform !== 'win32';
// Windows has neither O_NOFOLLOW nor O_DIRECTORY (nor POSIX modes); there the flags are no-ops.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;

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

const ownedByUs = (stats: Stats) => !POSIX || stats.uid === process.getuid!();

/**
 * Creates the directory 0700, or checks and tightens an existing one. It holds a credential, so
 * it must belong to the user running Kubezilla.
 *
 * The directory itself may be a symbolic link (dotfile managers and synced folders do that on
 * purpose), but only to a directory the user owns that is already private (no group or other
 * bits): we never chmod through a link, because a planted one could point at, say, the home
 * directory, and we never use a link to someone else's directory, where they could read the token.
 * Only the last path component is judged; links higher up (~/.config → dotfiles) are the
 * person's own business.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!POSIX) return;
  if (lstatSync(dir).isSymbolicLink()) {
    const target = statSync(dir);
    if (!target.isDirectory() || !ownedByUs(target) || (target.mode & 0o077) !== 0) {
      throw new KubezillaError(
        'CONFIG_DIR_UNUSABLE',
        `config directory ${dir} is a symbolic link to ${target.isDirectory() ? 'a directory' : 'something'} that is ` +
          `${!target.isDirectory() ? 'not a directory' : !ownedByUs(target) ? 'owned by another user' : 'readable by other users'}`,
        'A linked config directory must point to a directory you own with mode 0700 (`chmod 700` the target), ' +
          'or remove the link and let Kubezilla create a real directory.',
      );
    }
    return;
  }
  // fchmod on a descriptor opened without following links: the directory we checked is the one we tighten.
  const fd = openSync(dir, constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    const stats = fstatSync(fd);
    if (!ownedByUs(stats)) {
      throw new KubezillaError(
        'CONFIG_DIR_UNUSABLE',
        `config directory ${dir} is owned by another user (uid ${stats.uid})`,
        'It holds your MCP token: use a directory you own (--config-dir or KUBEZILLA_CONFIG_DIR).',
      );
    }
    if ((stats.mode & 0o077) !== 0) fchmodSync(fd, 0o700);
  } finally {
    closeSync(fd);
  }
}

/** How a caller names one of its files in a refusal, and what the person should do about it. */
export interface PrivateFileLabel {
  /** The error code the caller's own read/write failures use, e.g. TOKEN_UNREADABLE. */
  code: KubezillaErrorCode;
  /** What to do when the file is a link or not a regular file, e.g. "Remove it and run …". */
  fix: string;
}

function refuseLink(file: string, label: PrivateFileLabel): never {
  throw new KubezillaError(
    label.code,
    `${file} is a symbolic link; Kubezilla does not follow links for its token, settings or audit log, ` +
      'because a link lets another program choose where they are read from or written to',
    label.fix,
  );
}

function checkOurs(file: string, stats: Stats, label: PrivateFileLabel): void {
  if (stats.isSymbolicLink()) refuseLink(file, label);
  if (!stats.isFile()) throw new KubezillaError(label.code, `${file} is not a regular file`, label.fix);
  if (!ownedByUs(stats)) {
    throw new KubezillaError(label.code, `${file} is owned by another user (uid ${stats.uid})`, label.fix);
  }
}

/** ELOOP (Linux) / EMLINK (some BSDs) is what O_NOFOLLOW answers when the last component is a link. */
const isLinkRefusal = (err: unknown) => ['ELOOP', 'EMLINK'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Reads one of our private files, or undefined when it does not exist. Refuses a symbolic link,
 * anything but a regular file, and a file another user owns; tightens a copied or restored file to
 * 0600 through the open descriptor (never by path, so a swapped-in link cannot redirect the chmod).
 */
export function readPrivateFile(file: string, label: PrivateFileLabel): string | undefined {
  const fd = openPrivateFileForReading(file, label);
  if (fd === undefined) return undefined;
  try {
    if (POSIX && (fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes one of our private files atomically: the content goes to a new temp file beside it with a
 * random name, created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, 0600, so a file or link planted at
 * a guessed name makes the open fail instead of receiving the content), flushed, then renamed over
 * the target. A target that is a link is refused rather than silently replaced: the person who
 * made it should learn that the file it pointed to is no longer the one in use.
 */
export function writePrivateFileAtomic(file: string, content: string, label: PrivateFileLabel): void {
  ensurePrivateDir(dirname(file));
  try {
    checkOurs(file, lstatSync(file), label);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(12).toString('hex')}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600);
  try {
    try {
      if (POSIX) fchmodSync(fd, 0o600); // exactly 0600 whatever the umask
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // already renamed or gone
    }
    throw err;
  }
}

/**
 * Appends to one of our private files (the audit log) with a single O_APPEND write, creating it
 * 0600 without following a link; an existing file is checked and tightened through the descriptor.
 */
export function appendPrivateFile(file: string, content: string, label: PrivateFileLabel): void {
  ensurePrivateDir(dirname(file));
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | O_NOFOLLOW, 0o600);
  } catch (err) {
    if (isLinkRefusal(err)) refuseLink(file, label);
    throw err;
  }
  try {
    const stats = fstatSync(fd);
    checkOurs(file, stats, label);
    if (POSIX && (stats.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens one of our private files for reading without following a link (undefined when absent).
 * O_NONBLOCK so a FIFO planted at the name cannot hang the server before checkOurs refuses it.
 */
export function openPrivateFileForReading(file: string, label: PrivateFileLabel): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | O_NOFOLLOW | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (isLinkRefusal(err)) refuseLink(file, label);
    throw err;
  }
  try {
    checkOurs(file, fstatSync(fd), label);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}
