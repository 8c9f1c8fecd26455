/**
 * The MCP bearer token: `kz_` + base64url(32 random bytes) in <config dir>/mcp.token, mode 0600.
 * Created when MCP is first enabled, reused across restarts, replaced by regenerate().
 *
 * Comparison is constant-time over SHA-256 digests, so neither the content nor the length of the
 * expected token leaks through timing. Every token this process sees is registered with the log
 * scrubber. Listeners hear about regeneration so the transport can evict sessions that were
 * opened with the old token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { registerSecret } from '../../kernel/logger.js';
import { KubezillaError } from '../../kernel/errors.js';
import { ensurePrivateDir, readPrivateFile, writePrivateFileAtomic, type PrivateFileLabel } from './config-dir.js';

const TOKEN_SHAPE = /^kz_[A-Za-z0-9_-]{43}$/;

const tokenFileLabel = (file: string): PrivateFileLabel => ({
  code: 'TOKEN_UNREADABLE',
  fix: `Remove it (\`rm '${file}'\`) and run \`kubezilla-mcp token --regenerate\` to write a new token as a regular 0600 file.`,
});

export function newToken(): string {
  return 'kz_' + randomBytes(32).toString('base64url');
}

/** A short, stable, non-reversible label for a token: safe to show on a page or in a log. */
export function fingerprint(token: string): string {
  return 'sha256:' + createHash('sha256').update(token).digest('hex').slice(0, 12);
}

declare module '../../kernel/contract.js' {
  interface Providers {
    tokens: TokenStore;
  }
}

export class TokenStore {
  readonly file: string;
  #token: string | undefined;
  #digest: Buffer | undefined;
  #listeners = new Set<() => void>();
  #watcher: FSWatcher | undefined;

  constructor(readonly dir: string) {
    this.file = join(dir, 'mcp.token');
  }

  /** The token, creating the file on first use. */
  ensure(): string {
    if (this.#token) return this.#token;
    const existing = this.#read();
    return this.#set(existing ?? this.#write(newToken()));
  }

  /** The token if one exists on disk, without creating it. */
  peek(): string | undefined {
    return this.#token ?? (this.#read() && this.ensure());
  }

  regenerate(): string {
    const token = this.#set(this.#write(newToken()));
    for (const listener of this.#listeners) listener();
    return token;
  }

  /**
   * Follows the file, so `kubezilla-mcp token --regenerate` run in another terminal takes
   * effect in a running server at once, exactly like Regenerate on the settings page.
   */
  watch(): void {
    if (this.#watcher) return;
    ensurePrivateDir(this.dir);
    this.#watcher = watch(this.dir, { persistent: false }, (_event, name) => {
      if (name !== 'mcp.token') return;
      let latest: string | undefined;
      try {
        latest = this.#read();
      } catch {
        return; // mid-rename or briefly broken: keep the token we have
      }
      if (latest && latest !== this.#token) {
        this.#set(latest);
        for (const listener of this.#listeners) listener();
      }
    });
  }

  unwatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  onRegenerate(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  fingerprint(): string | undefined {
    const token = this.peek();
    return token && fingerprint(token);
  }

  /** Constant-time check of a presented credential against the current token. */
  matches(presented: string): boolean {
    if (!this.#digest) this.ensure();
    const digest = createHash('sha256').update(presented).digest();
    return timingSafeEqual(digest, this.#digest!);
  }

  #set(token: string): string {
    registerSecret(token);
    this.#token = token;
    this.#digest = createHash('sha256').update(token).digest();
    return token;
  }

  #read(): string | undefined {
    let text: string | undefined;
    try {
      // Refuses a link or a foreign file, and tightens a copied or restored one through its descriptor;
      // a file that is already 0600 is never touched, so the watcher below does not see our own chmod.
      text = readPrivateFile(this.file, tokenFileLabel(this.file))?.trim();
    } catch (err) {
      if (err instanceof KubezillaError) throw err;
      throw new KubezillaError(
        'TOKEN_UNREADABLE',
        `cannot read ${this.file}: ${(err as NodeJS.ErrnoException).code}`,
        'Fix its permissions (it should be 0600 and owned by you) or run `kubezilla-mcp token --regenerate`.',
      );
    }
    if (text === undefined) return undefined;
    if (!TOKEN_SHAPE.test(text)) {
      throw new KubezillaError(
        'TOKEN_UNREADABLE',
        `${this.file} does not hold a Kubezilla token`,
        'Run `kubezilla-mcp token --regenerate` to write a new one.',
      );
    }
    return text;
  }

  #write(token: string): string {
    writePrivateFileAtomic(this.file, token + '\n', tokenFileLabel(this.file));
    return token;
  }
}
