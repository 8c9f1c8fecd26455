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
import { watch, type FSWatcher } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { mergeSources, parseKubeconfigText, type KubeconfigSnapshot, type ParsedSource } from './kubeconfig-merge.js';
import { discoverSources, expandHome, readKubeconfigFile, signatureOf, type KubeconfigInputs, type SourceSpec } from './kubeconfig-sources.js';

export type { KubeconfigSnapshot, RawContextConfig, ResolvedContext } from './kubeconfig-merge.js';
export { MAX_KUBECONFIG_BYTES, type KubeconfigInputs, type SourceOrigin, type SourceProblem, type SourceSpec } from './kubeconfig-sources.js';

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
