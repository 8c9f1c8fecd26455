/**
 * settings.json: everything a person can change on the settings page or with CLI flags.
 * Validated against one schema on every load and save. A file that is not JSON or breaks the
 * schema stops start-up with the file, the field and the problem; it is never rewritten with
 * defaults, because that would silently throw away what the person had configured.
 * Written atomically (random temp file + rename, never through a link) with mode 0600: it may hold inline kubeconfigs.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { ValidateFunction } from 'ajv';
import { join } from 'node:path';
import { PolicySchema } from '../../kernel/policy.js';
import { readPrivateFile, writePrivateFileAtomic, type PrivateFileLabel } from './config-dir.js';
import { ajvProblems, compileSchema, formatAjvErrors } from '../../kernel/validation.js';
import { KubezillaError } from '../../kernel/errors.js';

const Port = Type.Integer({ minimum: 1, maximum: 65535 });

const TunnelSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'Bastion host name or address.' }),
    port: Type.Optional(Port),
    user: Type.String({ minLength: 1 }),
    identityFile: Type.Optional(Type.String({ description: 'Private key file; omit to use the SSH agent (SSH_AUTH_SOCK).' })),
    knownHostsFile: Type.Optional(Type.String({ description: 'Defaults to ~/.ssh/known_hosts.' })),
    remoteServer: Type.Optional(Type.String({ description: 'API server URL as seen from the bastion, when it differs from the kubeconfig.' })),
    idleTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const SettingsSchema = Type.Object(
  {
    mcp: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        bind: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 7331 }),
        /** Explicit opt-in to listen beyond loopback (and accept Host/Origin names listed below). */
        allowNonLoopback: Type.Boolean({ default: false }),
        allowedHosts: Type.Array(Type.String(), { default: [] }),
        maxBodyBytes: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024 }),
        /** Open MCP sessions kept at most; past it the least recently used is closed. */
        maxSessions: Type.Integer({ minimum: 1, default: 256 }),
      },
      { additionalProperties: false, default: {} },
    ),
    ui: Type.Object(
      {
        bind: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 7330 }),
      },
      { additionalProperties: false, default: {} },
    ),
    policy: PolicySchema,
    toolDirs: Type.Array(Type.String(), { default: [] }),
    kubeconfig: Type.Object(
      {
        files: Type.Array(Type.String(), { default: [] }),
        inline: Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), content: Type.String() }, { additionalProperties: false }), { default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
    tunnels: Type.Record(Type.String(), TunnelSchema, { default: {} }),
    pvc: Type.Object(
      {
        // busybox has everything the PVC tools run (sh, tar, find, stat, mkdir) in a few megabytes.
        helperImage: Type.String({
          minLength: 1,
          default: 'busybox:1.37',
          description: 'Image of the short-lived pod the PVC tools start when no running pod mounts the claim (needs sh, tar, find, stat).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Settings = Static<typeof SettingsSchema>;
export type TunnelSettings = Static<typeof TunnelSchema>;

/**
 * AJV (the kernel's instance, same options as tool input) is the authority on settings and the
 * one that explains what is wrong, but compiling this schema is a fifth of a start. A valid file,
 * which is nearly every file, is filled and checked by TypeBox's interpreter instead, which
 * compiles nothing; only a file TypeBox finds wrong is compiled against and judged by AJV. A test
 * holds the two to the same verdict and the same defaults.
 */
let ajvSettings: ValidateFunction<Settings> | undefined;
export const settingsValidator = () => (ajvSettings ??= compileSchema<Settings>(SettingsSchema));

/** Returns a full Settings object (defaults filled) or throws naming every invalid field. */
export function parseSettings(raw: unknown, source: string): Settings {
  // `null` (or a list, or a number) is not "no settings": it is a file that lost what it held,
  // and replacing it with defaults would throw away the person's configuration without a word.
  if (raw !== undefined && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
    const found = raw === null ? 'null' : Array.isArray(raw) ? 'a list' : `a ${typeof raw}`;
    throw new KubezillaError(
      'SETTINGS_INVALID',
      `${source} must hold a JSON object of settings, not ${found}`,
      'Restore the file from a backup, or move it away to start from defaults, and start again.',
    );
  }
  const filled: unknown = Value.Default(SettingsSchema, structuredClone(raw ?? {}));
  // TypeBox fills a default over a value of the wrong type too (`files: {}` becomes `[]`); only
  // settings it filled without replacing anything the file said may skip AJV.
  if (holdsAll(filled, raw ?? {}) && Value.Check(SettingsSchema, filled)) return filled as Settings;
  const copy = structuredClone(raw ?? {});
  const validate = settingsValidator();
  if (!validate(copy)) {
    // The validator speaks of tool arguments; in settings an unknown key is an unknown setting.
    const setting = (text: string) => text.replace(/is not a known argument/g, 'is not a known setting');
    throw new SettingsRejected(
      `${source} is not valid: ${setting(formatAjvErrors(validate.errors, copy))}`,
      'Fix the named fields (or move the file away to start from defaults) and start again.',
      ajvProblems(validate.errors, copy).map((p) => ({ field: p.field, reason: setting(p.reason) })),
    );
  }
  return copy;
}

/**
 * Settings that break the schema: SETTINGS_INVALID with each field (dotted, as in settings.json:
 * `policy.maxOutputBytes`) and what is wrong with it, so the settings page can point at the input.
 */
export class SettingsRejected extends KubezillaError {
  constructor(
    message: string,
    hint: string,
    readonly problems: Array<{ field: string; reason: string }>,
  ) {
    super('SETTINGS_INVALID', message, hint);
  }
}

/** Whether `filled` still holds every value of `original` (defaults may only add keys). */
function holdsAll(filled: unknown, original: unknown): boolean {
  if (original === null || typeof original !== 'object') return Object.is(filled, original);
  if (filled === null || typeof filled !== 'object' || Array.isArray(filled) !== Array.isArray(original)) return false;
  const have = filled as Record<string, unknown>;
  if (Array.isArray(original) && (filled as unknown[]).length !== original.length) return false;
  return Object.entries(original).every(([key, value]) => Object.hasOwn(have, key) && holdsAll(have[key], value));
}

type Listener = (settings: Settings) => void;

const settingsFileLabel = (file: string): PrivateFileLabel => ({
  code: 'SETTINGS_UNREADABLE',
  fix:
    `Replace it with a regular file you own: \`cp --remove-destination "$(readlink -f '${file}')" '${file}'\` keeps what it ` +
    'pointed to, or move it away to start from defaults.',
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * What modules get as `ctx.settings`: the current settings, deep-frozen, and no way to change
 * them. Changing settings is the person's (settings page, CLI), never a tool's.
 */
export interface SettingsView {
  get(): Settings;
}

declare module '../../kernel/contract.js' {
  interface Providers {
    settings: SettingsView;
  }
}

export class SettingsStore {
  readonly file: string;
  /** The read-only face of this store that the container hands to modules. */
  readonly view: SettingsView = Object.freeze({ get: () => this.get() });
  #current: Settings;
  #listeners = new Set<Listener>();

  constructor(readonly dir: string) {
    this.file = join(dir, 'settings.json');
    this.#current = deepFreeze(this.#load());
  }

  /**
   * The current settings: a deep-frozen snapshot, cheap enough to read on every tool call.
   * Change them only through update().
   */
  get(): Settings {
    return this.#current;
  }

  /**
   * Applies `change` to a copy, validates the whole result against the schema, then writes it
   * atomically (temp file + rename); on any error, thrown by `change`, the schema or the disk,
   * neither the file nor what get() returns has changed. A schema error is a SettingsRejected.
   */
  update(change: (draft: Settings) => void): Settings {
    const draft = structuredClone(this.#current);
    change(draft);
    const next = deepFreeze(parseSettings(draft, 'the new settings'));
    this.#write(next);
    this.#current = next;
    for (const listener of this.#listeners) listener(this.get());
    return this.get();
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #load(): Settings {
    let text: string | undefined;
    try {
      text = readPrivateFile(this.file, settingsFileLabel(this.file));
    } catch (err) {
      if (err instanceof KubezillaError) throw err;
      throw new KubezillaError(
        'SETTINGS_UNREADABLE',
        `cannot read ${this.file}: ${(err as Error).message}`,
        'Check the file permissions or pass --config-dir.',
      );
    }
    if (text === undefined) return parseSettings({}, 'defaults');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new KubezillaError(
        'SETTINGS_INVALID',
        `${this.file} is not valid JSON: ${(err as Error).message}`,
        'Fix the JSON (or move the file away to start from defaults); it was left untouched.',
      );
    }
    return parseSettings(raw, this.file);
  }

  #write(settings: Settings): void {
    writePrivateFileAtomic(this.file, JSON.stringify(settings, null, 2) + '\n', settingsFileLabel(this.file));
  }
}
