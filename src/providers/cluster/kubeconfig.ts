/**
 * Kubeconfig discovery: finds every kubeconfig source, parses each one on its own, and merges
 * them into one list of contexts, the way kubectl does, without letting one broken file take
 * the others down.
 *
 * Sources, in priority order (earlier wins a name clash):
 *   1. `KUBECONFIG` (a path list; missing entries are skipped like kubectl does), else
 *      `~/.kube/config` when it exists;
 *   2. `--kubeconfig` flags;
 *   3. settings `kubeconfig.files` (a file, or a directory whose non-hidden files are all read);
 *   4. settings `kubeconfig.inline` (`{name, content}`; settings.json itself is mode 0600).
 *
 * Merge rules:
 * - A context name defined by more than one source keeps its plain name for the first
 *   occurrence (kubectl's "first one wins"); later ones are kept, renamed `name@<file basename>`
 *   (or `name@<inline name>`, with `#2`, `#3` if that is still taken). Nothing is dropped silently.
 * - A context's cluster and user are looked up in its own file first, then in the merged set
 *   (first occurrence wins), so split files (clusters in one, users in another) work.
 * - The current context is the first `current-context` set along the KUBECONFIG chain (or in
 *   ~/.kube/config), else the first one any other source sets.
 * - Relative paths (certificate files, token files, exec commands with a slash) are resolved
 *   against the directory of the file that names them, like kubectl.
 *
 * Broken sources (unreadable, not YAML, wrong shape, an entry missing a required field) are
 * reported in `snapshot().problems` with the file and the line; the rest keep working.
 *
 * Freshness: every `snapshot()` re-stats the sources (a few stat calls, microseconds) and
 * re-reads only those that changed (mtime, size, inode), so an edit takes effect on the next
 * call even where file watching is unreliable. `watch()` adds push notifications (directory
 * watchers plus a slow poll) for the settings page and subscriptions. Nothing here talks to a
 * cluster.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';

/** Where a kubeconfig source came from. */
export type SourceOrigin = 'KUBECONFIG' | 'default' | 'flag' | 'settings' | 'inline';

export interface SourceSpec {
  origin: SourceOrigin;
  /** Absolute file path, or `inline:<name>` for inline kubeconfigs. */
  id: string;
  /** Present for inline sources. */
  content?: string;
  /** A file the person asked for explicitly: reported when missing (KUBECONFIG entries are not). */
  required: boolean;
}

export interface SourceProblem {
  source: string;
  message: string;
  line?: number;
  column?: number;
}

/** The raw kubeconfig entries (as in the file, paths made absolute) that make one context. */
export interface RawContextConfig {
  cluster: Record<string, unknown>;
  user: Record<string, unknown>;
  context: Record<string, unknown>;
  /** `clusters[].cluster.extensions` turned into a name → extension map. */
  clusterExtensions: Record<string, unknown>;
}

export interface ResolvedContext {
  /** Unique across all sources; what tools and people type. */
  name: string;
  /** The name as written in its file. */
  originalName: string;
  source: string;
  origin: SourceOrigin;
  clusterName: string;
  userName: string | undefined;
  server: string | undefined;
  namespace: string | undefined;
  raw: RawContextConfig;
  /** Changes whenever anything this context depends on changes. */
  fingerprint: string;
  /** Set when the context cannot be used as is (missing cluster or user); it is still listed. */
  problem?: string;
}

export interface KubeconfigSnapshot {
  contexts: ResolvedContext[];
  byName: Map<string, ResolvedContext>;
  current: string | undefined;
  problems: SourceProblem[];
  sources: Array<{ id: string; origin: SourceOrigin; contexts: number; ok: boolean }>;
  /** Increments whenever any source changes. */
  generation: number;
}

export interface KubeconfigInputs {
  env?: Record<string, string | undefined>;
  home?: string;
  flagPaths?: () => string[];
  settingsFiles?: () => string[];
  inline?: () => Array<{ name: string; content: string }>;
}

interface ParsedEntry {
  name: string;
  body: Record<string, unknown>;
  line: number | undefined;
}

interface ParsedSource {
  spec: SourceSpec;
  signature: string;
  problems: SourceProblem[];
  clusters: ParsedEntry[];
  users: ParsedEntry[];
  contexts: ParsedEntry[];
  currentContext: string | undefined;
  /** False when the file could not be read or parsed at all. */
  ok: boolean;
}

/** Lists the sources in priority order. Exported for tests. */
export function discoverSources(inputs: KubeconfigInputs): { specs: SourceSpec[]; problems: SourceProblem[] } {
  const env = inputs.env ?? process.env;
  const home = inputs.home ?? homedir();
  const specs: SourceSpec[] = [];
  const problems: SourceProblem[] = [];
  const seen = new Set<string>();
  const add = (spec: SourceSpec) => {
    if (seen.has(spec.id)) return;
    seen.add(spec.id);
    specs.push(spec);
  };
  const kubeconfigEnv = env.KUBECONFIG;
  if (kubeconfigEnv && kubeconfigEnv.trim() !== '') {
    for (const part of kubeconfigEnv.split(delimiter)) {
      if (part.trim() === '') continue;
      add({ origin: 'KUBECONFIG', id: resolve(expandHome(part.trim(), home)), required: false });
    }
  } else {
    add({ origin: 'default', id: join(home, '.kube', 'config'), required: false });
  }
  for (const path of inputs.flagPaths?.() ?? []) add({ origin: 'flag', id: resolve(expandHome(path, home)), required: true });
  for (const entry of inputs.settingsFiles?.() ?? []) {
    const path = resolve(expandHome(entry, home));
    let stats: Stats | undefined;
    try {
      stats = statSync(path);
    } catch {
      stats = undefined;
    }
    if (stats?.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(path)
          .filter((n) => !n.startsWith('.'))
          .sort();
      } catch (err) {
        problems.push({ source: path, message: `cannot list directory: ${(err as Error).message}` });
      }
      for (const name of names) {
        const file = join(path, name);
        try {
          if (statSync(file).isFile()) add({ origin: 'settings', id: file, required: true });
        } catch {
          /* vanished between readdir and stat */
        }
      }
    } else {
      add({ origin: 'settings', id: path, required: true });
    }
  }
  for (const { name, content } of inputs.inline?.() ?? []) {
    add({ origin: 'inline', id: `inline:${name}`, content, required: true });
  }
  return { specs, problems };
}

/** Far beyond any real kubeconfig (a few KB; a few MB with many embedded certificates). */
export const MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024;

/**
 * Reads a kubeconfig without letting the file freeze the server: opened non-blocking (a FIFO
 * planted at the path would otherwise block the one thread every session shares), refused unless
 * it is a regular file, and refused past MAX_KUBECONFIG_BYTES before anything is read.
 */
function readKubeconfigFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!stats.isFile()) throw new Error('is not a regular file (a FIFO, socket or device); a kubeconfig source must be a file');
    if (stats.size > MAX_KUBECONFIG_BYTES) {
      throw new Error(`is ${Math.round(stats.size / 1024 / 1024)} MB, larger than the ${MAX_KUBECONFIG_BYTES / 1024 / 1024} MB a kubeconfig may be`);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

function signatureOf(spec: SourceSpec): string | undefined {
  if (spec.content !== undefined) return 'inline:' + sha(spec.content);
  try {
    const s = statSync(spec.id);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return undefined;
  }
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Parses one kubeconfig text. Exported for tests. */
export function parseKubeconfigText(text: string, spec: SourceSpec): Omit<ParsedSource, 'signature'> {
  const out: Omit<ParsedSource, 'signature'> = {
    spec,
    problems: [],
    clusters: [],
    users: [],
    contexts: [],
    currentContext: undefined,
    ok: true,
  };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const pos = err.linePos?.[0];
    out.problems.push({
      source: spec.id,
      message: `not valid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      line: pos?.line,
      column: pos?.col,
    });
    out.ok = false;
    return out;
  }
  const root = doc.contents;
  if (root === null || (isMap(root) && root.items.length === 0)) return out; // empty file: nothing, no error
  if (!isMap(root)) {
    out.problems.push({ source: spec.id, message: 'not a kubeconfig: the top level is not a mapping', line: 1 });
    out.ok = false;
    return out;
  }
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as Node | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  const dir = spec.content === undefined ? dirname(spec.id) : undefined;
  const section = (key: 'clusters' | 'users' | 'contexts', inner: 'cluster' | 'user' | 'context') => {
    const node = root.get(key, true);
    if (node === undefined || node === null || (node as { value?: unknown }).value === null) return [] as ParsedEntry[];
    if (!isSeq(node)) {
      out.problems.push({ source: spec.id, message: `${key} must be a list`, line: lineOf(node) });
      return [];
    }
    const entries: ParsedEntry[] = [];
    node.items.forEach((item, index) => {
      const line = lineOf(item);
      const value = (item as Node).toJSON?.() as Record<string, unknown> | undefined;
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        out.problems.push({ source: spec.id, message: `${key}[${index}] is not a mapping`, line });
        return;
      }
      const name = value.name;
      if (typeof name !== 'string' || name === '') {
        out.problems.push({ source: spec.id, message: `${key}[${index}].name is missing`, line });
        return;
      }
      const body = value[inner];
      if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
        out.problems.push({ source: spec.id, message: `${key}[${index}] (${name}): ${inner} is not a mapping`, line });
        return;
      }
      const b = { ...((body as Record<string, unknown>) ?? {}) };
      if (key === 'clusters' && (typeof b.server !== 'string' || b.server === '')) {
        out.problems.push({ source: spec.id, message: `cluster "${name}" has no server`, line });
        return;
      }
      if (key === 'contexts' && (typeof b.cluster !== 'string' || b.cluster === '')) {
        out.problems.push({ source: spec.id, message: `context "${name}" names no cluster`, line });
        return;
      }
      if (dir) absolutize(b, key, dir);
      entries.push({ name, body: b, line });
    });
    return entries;
  };
  out.clusters = section('clusters', 'cluster');
  out.users = section('users', 'user');
  out.contexts = section('contexts', 'context');
  const current = root.get('current-context');
  if (typeof current === 'string' && current !== '') out.currentContext = current;
  return out;
}

const PATH_FIELDS: Record<string, string[]> = {
  clusters: ['certificate-authority'],
  users: ['client-certificate', 'client-key', 'token-file'],
  contexts: [],
};

function absolutize(body: Record<string, unknown>, key: string, dir: string): void {
  for (const field of PATH_FIELDS[key] ?? []) {
    const v = body[field];
    if (typeof v === 'string' && v !== '' && !isAbsolute(v)) body[field] = resolve(dir, v);
  }
  if (key === 'users' && body.exec && typeof body.exec === 'object') {
    const exec = { ...(body.exec as Record<string, unknown>) };
    if (typeof exec.command === 'string' && exec.command.includes('/') && !isAbsolute(exec.command)) {
      exec.command = resolve(dir, exec.command);
    }
    body.exec = exec;
  }
}

function extensionsMap(cluster: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const list = cluster.extensions;
  if (Array.isArray(list)) {
    for (const e of list) {
      if (e && typeof e === 'object' && typeof (e as { name?: unknown }).name === 'string') {
        out[(e as { name: string }).name] = (e as { extension?: unknown }).extension;
      }
    }
  }
  return out;
}

/** Merges parsed sources into contexts. Exported for tests. */
export function mergeSources(parsed: ParsedSource[]): Omit<KubeconfigSnapshot, 'generation'> {
  const clusters = new Map<string, ParsedEntry>();
  const users = new Map<string, ParsedEntry>();
  const problems: SourceProblem[] = [];
  for (const p of parsed) {
    problems.push(...p.problems);
    for (const c of p.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of p.users) if (!users.has(u.name)) users.set(u.name, u);
  }
  const contexts: ResolvedContext[] = [];
  const byName = new Map<string, ResolvedContext>();
  // First pass: plain names for first occurrences, so a later duplicate never steals a name.
  const firstOwner = new Map<string, ParsedSource>();
  for (const p of parsed) for (const c of p.contexts) if (!firstOwner.has(c.name)) firstOwner.set(c.name, p);
  const taken = new Set(firstOwner.keys());
  const nameFor = new Map<ParsedSource, Map<ParsedEntry, string>>();
  for (const p of parsed) {
    const names = new Map<ParsedEntry, string>();
    const seenHere = new Set<string>();
    for (const c of p.contexts) {
      if (seenHere.has(c.name)) {
        problems.push({ source: p.spec.id, message: `context "${c.name}" is defined twice in this file; the first one is used`, line: c.line });
        continue;
      }
      seenHere.add(c.name);
      if (firstOwner.get(c.name) === p) {
        names.set(c, c.name);
        continue;
      }
      const label = p.spec.content !== undefined ? p.spec.id.slice('inline:'.length) : basename(p.spec.id);
      let candidate = `${c.name}@${label}`;
      for (let i = 2; taken.has(candidate); i++) candidate = `${c.name}@${label}#${i}`;
      taken.add(candidate);
      names.set(c, candidate);
    }
    nameFor.set(p, names);
  }
  let current: string | undefined;
  for (const p of parsed) {
    const names = nameFor.get(p)!;
    if (current === undefined && p.currentContext !== undefined) {
      // current-context names a context by its in-file name; map it to this file's unique name.
      const own = p.contexts.find((c) => c.name === p.currentContext);
      current = own ? (names.get(own) ?? p.currentContext) : p.currentContext;
    }
    const ownClusters = new Map(p.clusters.map((c) => [c.name, c]));
    const ownUsers = new Map(p.users.map((u) => [u.name, u]));
    for (const c of p.contexts) {
      const name = names.get(c);
      if (name === undefined) continue;
      const clusterName = c.body.cluster as string;
      const userName = typeof c.body.user === 'string' && c.body.user !== '' ? c.body.user : undefined;
      const cluster = ownClusters.get(clusterName) ?? clusters.get(clusterName);
      const user = userName ? (ownUsers.get(userName) ?? users.get(userName)) : undefined;
      let problem: string | undefined;
      if (!cluster) problem = `cluster "${clusterName}" is not defined in any kubeconfig`;
      else if (userName && !user) problem = `user "${userName}" is not defined in any kubeconfig`;
      const raw: RawContextConfig = {
        cluster: cluster?.body ?? {},
        user: user?.body ?? {},
        context: c.body,
        clusterExtensions: extensionsMap(cluster?.body ?? {}),
      };
      const resolved: ResolvedContext = {
        name,
        originalName: c.name,
        source: p.spec.id,
        origin: p.spec.origin,
        clusterName,
        userName,
        server: typeof cluster?.body.server === 'string' ? cluster.body.server : undefined,
        namespace: typeof c.body.namespace === 'string' && c.body.namespace !== '' ? c.body.namespace : undefined,
        raw,
        fingerprint: sha(JSON.stringify([name, raw])),
        ...(problem ? { problem } : {}),
      };
      contexts.push(resolved);
      byName.set(name, resolved);
    }
  }
  if (current !== undefined && !byName.has(current)) {
    problems.push({
      source: parsed.find((p) => p.currentContext !== undefined)?.spec.id ?? 'kubeconfig',
      message: `current-context "${current}" does not exist`,
    });
    current = undefined;
  }
  return {
    contexts,
    byName,
    current,
    problems,
    sources: parsed.map((p) => ({ id: p.spec.id, origin: p.spec.origin, contexts: p.contexts.length, ok: p.ok })),
  };
}

/** Reads, caches and merges the sources; re-reads only what changed. */
export class KubeconfigStore {
  #cache = new Map<string, ParsedSource>();
  #snapshot: KubeconfigSnapshot | undefined;
  #key = '';
  #generation = 0;
  #listeners = new Set<(snapshot: KubeconfigSnapshot) => void>();

  constructor(private readonly inputs: KubeconfigInputs) {}

  /** The current merged view; cheap when nothing changed. */
  snapshot(): KubeconfigSnapshot {
    const { specs, problems: discoveryProblems } = discoverSources(this.inputs);
    const parsed: ParsedSource[] = [];
    const keyParts: string[] = [];
    for (const spec of specs) {
      const signature = signatureOf(spec);
      keyParts.push(`${spec.origin}|${spec.id}|${signature ?? 'missing'}`);
      if (signature === undefined) {
        if (spec.required) {
          parsed.push({
            spec,
            signature: 'missing',
            problems: [{ source: spec.id, message: 'file not found' }],
            clusters: [],
            users: [],
            contexts: [],
            currentContext: undefined,
            ok: false,
          });
        }
        continue;
      }
      const cached = this.#cache.get(spec.id);
      if (cached && cached.signature === signature && cached.spec.origin === spec.origin) {
        parsed.push(cached);
        continue;
      }
      const fresh = this.#read(spec, signature);
      this.#cache.set(spec.id, fresh);
      parsed.push(fresh);
    }
    const key = keyParts.join('\n') + '\n' + discoveryProblems.map((p) => p.message).join('\n');
    if (this.#snapshot && key === this.#key) return this.#snapshot;
    for (const id of [...this.#cache.keys()]) if (!specs.some((s) => s.id === id)) this.#cache.delete(id);
    const merged = mergeSources(parsed);
    merged.problems.unshift(...discoveryProblems);
    this.#key = key;
    this.#snapshot = { ...merged, generation: ++this.#generation };
    for (const listener of this.#listeners) listener(this.#snapshot);
    return this.#snapshot;
  }

  /** Called (from snapshot()) whenever the merged view changed. */
  onChange(listener: (snapshot: KubeconfigSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Pushes changes without waiting for a call: watches the directories of every source (which
   * catches editors' atomic renames and files that appear later), with a slow stat poll as a
   * safety net for filesystems where fs.watch is blind. `listener` gets the new snapshot.
   * Returns a function that stops watching. Used by the settings page and resource subscriptions.
   */
  watch(listener: (snapshot: KubeconfigSnapshot) => void, pollMs = 5000): () => void {
    this.snapshot(); // the state now is the baseline, not a change
    const off = this.onChange(listener);
    const watchers = new Map<string, FSWatcher>();
    let timer: NodeJS.Timeout | undefined;
    const refresh = () => {
      timer = undefined;
      this.snapshot();
      syncWatches();
    };
    const poke = () => {
      if (!timer) timer = setTimeout(refresh, 100);
    };
    const syncWatches = () => {
      const dirs = new Set<string>();
      for (const spec of discoverSources(this.inputs).specs) if (spec.content === undefined) dirs.add(dirname(spec.id));
      for (const entry of this.inputs.settingsFiles?.() ?? []) dirs.add(resolve(expandHome(entry, this.inputs.home ?? homedir())));
      for (const [dir, w] of watchers) {
        if (!dirs.has(dir)) {
          w.close();
          watchers.delete(dir);
        }
      }
      for (const dir of dirs) {
        if (watchers.has(dir)) continue;
        try {
          const w = watch(dir, { persistent: false }, poke);
          w.on('error', () => {
            w.close();
            watchers.delete(dir);
          });
          watchers.set(dir, w);
        } catch {
          /* the directory does not exist (yet): the poll notices when it does */
        }
      }
    };
    syncWatches();
    const poll = setInterval(refresh, pollMs);
    poll.unref();
    return () => {
      off();
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    };
  }

  #read(spec: SourceSpec, signature: string): ParsedSource {
    let text: string;
    if (spec.content !== undefined) {
      text = spec.content;
    } else {
      try {
        text = readKubeconfigFile(spec.id);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const message = code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
        return {
          spec,
          signature,
          problems: [{ source: spec.id, message: `cannot read: ${message}` }],
          clusters: [],
          users: [],
          contexts: [],
          currentContext: undefined,
          ok: false,
        };
      }
    }
    return { ...parseKubeconfigText(text, spec), signature };
  }
}
