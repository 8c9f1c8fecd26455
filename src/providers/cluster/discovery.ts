/**
 * API discovery and kind resolution, per context.
 *
 * - Uses aggregated discovery (`/api` and `/apis` as `apidiscovery.k8s.io/v2` or `v2beta1`: two
 *   requests for the whole cluster, however many CRDs) and falls back to the legacy walk
 *   (`/api/v1` plus every `/apis/<group>/<version>`, 16 at a time, unavailable aggregated APIs
 *   skipped) on servers without it.
 * - Cached per context; refreshed at most once per miss (and after `ttlMs`), so a new CRD is found
 *   on first use and a cluster with hundreds of CRDs costs one index lookup per call.
 * - Resolves what a person types to kubectl: `Deployment`, `deployments`, `deployment`, `deploy`,
 *   `deployments.apps`, `deployments.v1.apps`, `Deployment.apps`, CRD plurals with their group
 *   (`widgets.example.com`). Ties go to the preferred version, then to the server's group order
 *   (core first), which is how kubectl picks `events` from core rather than events.k8s.io.
 * - An unknown kind becomes a ToolError listing the closest matches.
 */
import { ToolError } from '../../kernel/contract.js';

// The path builders live in api-paths.ts; most importers know them from here.
export { namespaceSegment, objectNameSegment, resourcePath } from './api-paths.js';
import { NoAnswerError } from './kube-errors.js';
import { AGGREGATED_DISCOVERY_ACCEPT } from './media-types.js';

export interface ResolvedKind {
  group: string;
  version: string;
  /** `v1` or `apps/v1` */
  apiVersion: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  shortNames: string[];
  categories: string[];
  subresources: string[];
  /** Whether this is the group's preferred version. */
  preferred: boolean;
}

/** GET a discovery path; resolves with status and text. Throws only for transport failures. */
export type DiscoveryFetch = (path: string, accept: string, signal?: AbortSignal) => Promise<{ status: number; contentType: string; body: string }>;

interface AggregatedList {
  kind?: string;
  items?: Array<{
    metadata?: { name?: string };
    versions?: Array<{
      version: string;
      resources?: Array<{
        resource: string;
        responseKind?: { group?: string; version?: string; kind?: string };
        scope?: string;
        singularResource?: string;
        verbs?: string[];
        shortNames?: string[];
        categories?: string[];
        subresources?: Array<{ subresource: string }>;
      }>;
    }>;
  }>;
}

function parseAggregated(list: AggregatedList, out: ResolvedKind[]): void {
  for (const item of list.items ?? []) {
    const group = item.metadata?.name ?? '';
    (item.versions ?? []).forEach((v, index) => {
      for (const r of v.resources ?? []) {
        const kind = r.responseKind?.kind;
        if (!kind) continue;
        out.push({
          group,
          version: v.version,
          apiVersion: group ? `${group}/${v.version}` : v.version,
          kind,
          plural: r.resource,
          singular: r.singularResource || kind.toLowerCase(),
          namespaced: r.scope === 'Namespaced',
          verbs: r.verbs ?? [],
          shortNames: r.shortNames ?? [],
          categories: r.categories ?? [],
          subresources: (r.subresources ?? []).map((s) => s.subresource),
          preferred: index === 0,
        });
      }
    });
  }
}

interface LegacyResourceList {
  groupVersion?: string;
  resources?: Array<{
    name: string;
    singularName?: string;
    namespaced?: boolean;
    kind: string;
    verbs?: string[];
    shortNames?: string[];
    categories?: string[];
  }>;
}

function parseLegacy(list: LegacyResourceList, group: string, version: string, preferred: boolean, out: ResolvedKind[]): void {
  const subs = new Map<string, string[]>();
  for (const r of list.resources ?? []) {
    const slash = r.name.indexOf('/');
    if (slash > 0) {
      const base = r.name.slice(0, slash);
      subs.set(base, [...(subs.get(base) ?? []), r.name.slice(slash + 1)]);
    }
  }
  for (const r of list.resources ?? []) {
    if (r.name.includes('/')) continue;
    out.push({
      group,
      version,
      apiVersion: group ? `${group}/${version}` : version,
      kind: r.kind,
      plural: r.name,
      singular: r.singularName || r.kind.toLowerCase(),
      namespaced: r.namespaced === true,
      verbs: r.verbs ?? [],
      shortNames: r.shortNames ?? [],
      categories: r.categories ?? [],
      subresources: subs.get(r.name) ?? [],
      preferred,
    });
  }
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

function jsonOf<T>(res: { status: number; body: string }, path: string): T {
  if (res.status < 200 || res.status >= 300) {
    const err = new Error(`discovery ${path} answered ${res.status}`) as Error & { code: number; body: string };
    err.code = res.status;
    err.body = res.body;
    throw err;
  }
  return JSON.parse(res.body) as T;
}

/** Fetches every served resource. Exported for tests. */
export async function fetchDiscovery(
  fetch: DiscoveryFetch,
  signal?: AbortSignal,
): Promise<{ kinds: ResolvedKind[]; aggregated: boolean; failedGroups: string[] }> {
  const [core, apis] = await Promise.all([fetch('/api', AGGREGATED_DISCOVERY_ACCEPT, signal), fetch('/apis', AGGREGATED_DISCOVERY_ACCEPT, signal)]);
  const coreJson = jsonOf<AggregatedList & { versions?: string[] }>(core, '/api');
  const apisJson = jsonOf<AggregatedList & { groups?: Array<{ name: string; versions: Array<{ version: string }>; preferredVersion?: { version: string } }> }>(
    apis,
    '/apis',
  );
  const kinds: ResolvedKind[] = [];
  if (coreJson.kind === 'APIGroupDiscoveryList' && apisJson.kind === 'APIGroupDiscoveryList') {
    parseAggregated(coreJson, kinds);
    parseAggregated(apisJson, kinds);
    return { kinds, aggregated: true, failedGroups: [] };
  }
  // Legacy discovery: one request per group-version.
  const jobs: Array<{ path: string; group: string; version: string; preferred: boolean; order: number }> = [];
  for (const v of coreJson.versions ?? ['v1'])
    jobs.push({ path: `/api/${v}`, group: '', version: v, preferred: v === (coreJson.versions ?? ['v1'])[0], order: jobs.length });
  for (const g of apisJson.groups ?? []) {
    const preferred = g.preferredVersion?.version ?? g.versions[0]?.version;
    for (const v of g.versions)
      jobs.push({ path: `/apis/${g.name}/${v.version}`, group: g.name, version: v.version, preferred: v.version === preferred, order: jobs.length });
  }
  const results: ResolvedKind[][] = jobs.map(() => []);
  const failedGroups: string[] = [];
  await mapLimit(jobs, 16, async (job) => {
    try {
      const res = await fetch(job.path, 'application/json', signal);
      parseLegacy(jsonOf<LegacyResourceList>(res, job.path), job.group, job.version, job.preferred, results[job.order]!);
    } catch (err) {
      if (signal?.aborted) throw err;
      failedGroups.push(job.group ? `${job.group}/${job.version}` : job.version);
    }
  });
  return { kinds: results.flat(), aggregated: false, failedGroups };
}

// ---------------------------------------------------------------------------------------------
// resolution

function addIndex(index: Map<string, ResolvedKind[]>, key: string, k: ResolvedKind) {
  const list = index.get(key);
  if (!list) index.set(key, [k]);
  else if (!list.includes(k)) list.push(k);
}

export class KindIndex {
  /** lowercased plural / singular / kind / short name → candidates in server order */
  #byName = new Map<string, ResolvedKind[]>();

  constructor(readonly kinds: ResolvedKind[]) {
    for (const k of kinds) {
      addIndex(this.#byName, k.plural.toLowerCase(), k);
      addIndex(this.#byName, k.singular.toLowerCase(), k);
      addIndex(this.#byName, k.kind.toLowerCase(), k);
      for (const s of k.shortNames) addIndex(this.#byName, s.toLowerCase(), k);
    }
  }

  /** kubectl-style resolution; undefined when nothing matches. */
  resolve(text: string): ResolvedKind | undefined {
    const t = text.trim().toLowerCase();
    if (t === '') return undefined;
    const best = (list: ResolvedKind[]) => list.find((k) => k.preferred) ?? list[0];
    // 1. The whole text is a name (no group given), unless it contains a dot that could be a group.
    const direct = this.#byName.get(t);
    if (direct && direct.length > 0 && !t.includes('.')) return best(direct);
    // 2. name.group or name.version.group, trying every split point.
    for (let i = t.indexOf('.'); i > 0; i = t.indexOf('.', i + 1)) {
      const name = t.slice(0, i);
      const rest = t.slice(i + 1);
      const list = this.#byName.get(name) ?? [];
      const withGroup = list.filter((k) => k.group === rest);
      if (withGroup.length > 0) return best(withGroup);
      const withVersion = list.filter((k) => k.group !== '' && `${k.version}.${k.group}` === rest);
      if (withVersion.length > 0) return withVersion[0];
    }
    return direct && direct.length > 0 ? best(direct) : undefined;
  }

  /**
   * The preferred version of every resource in a category (`all`, or a CRD's `categories`), in
   * server order, as kubectl expands `kubectl get all`; empty when no resource declares it.
   */
  category(text: string): ResolvedKind[] {
    const t = text.trim().toLowerCase();
    return this.kinds.filter((k) => k.preferred && k.categories.includes(t));
  }

  /** Up to `max` resources whose names are closest to text; none for a text longer than any name can be. */
  closest(text: string, max = 5): ResolvedKind[] {
    const t = text.trim().toLowerCase().split('.')[0]!;
    if (t.length > MAX_NAME_LENGTH) return [];
    const limit = Math.max(2, Math.floor(t.length / 3));
    const scored = new Map<ResolvedKind, number>();
    for (const [name, list] of this.#byName) {
      let d = levenshtein(t, name, limit);
      if (name.startsWith(t) || t.startsWith(name)) d = Math.min(d, Math.abs(name.length - t.length) / 2);
      for (const k of list) {
        if (!k.preferred) continue;
        const prev = scored.get(k);
        if (prev === undefined || d < prev) scored.set(k, d);
      }
    }
    return [...scored.entries()]
      .filter(([, d]) => d <= limit)
      .sort((a, b) => a[1] - b[1])
      .slice(0, max)
      .map(([k]) => k);
  }
}

/**
 * The longest name Kubernetes gives anything (a DNS-1123 subdomain: 253 characters). "Did you mean"
 * searches compare at most this much of a text, so their cost has a ceiling whatever a model sends.
 */
export const MAX_NAME_LENGTH = 253;

/**
 * Edit distance between two names, for "did you mean" suggestions. Bounded work, because a model
 * chooses one side: only the first MAX_NAME_LENGTH characters of each are compared, and once the
 * distance is certain to exceed `max` the answer is `max + 1` without finishing the table.
 */
export function levenshtein(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (a.length > MAX_NAME_LENGTH) a = a.slice(0, MAX_NAME_LENGTH);
  if (b.length > MAX_NAME_LENGTH) b = b.slice(0, MAX_NAME_LENGTH);
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (prev[j]! < rowMin) rowMin = prev[j]!;
      diag = tmp;
    }
    // Every later row's cells are at least this row's smallest one.
    if (rowMin > max) return max + 1;
  }
  return prev[b.length]!;
}

export function describeKind(k: ResolvedKind): string {
  return `${k.plural}${k.group ? `.${k.group}` : ''} (${k.kind}, ${k.apiVersion}${k.shortNames.length ? `, short: ${k.shortNames.join(',')}` : ''})`;
}

export interface DiscoveryOptions {
  /** Context name, for messages. */
  context: string;
  /** Re-fetch at most this often on a miss (default 2 s). */
  minRefreshMs?: number;
  /** Re-fetch on the next use after this long (default 10 min). */
  ttlMs?: number;
  /** Milliseconds now (default Date.now); tests move their own clock instead of sleeping. */
  now?: () => number;
  /**
   * How long one caller waits for discovery, from its own first wait (the request timeout), and
   * the error it gets when that runs out. Without them a caller waits for whatever fetch is in
   * flight and shares its fate.
   */
  timeoutMs?: number;
  timeoutError?: (timeoutMs: number) => Error;
}

function isTimeout(err: unknown): boolean {
  return err instanceof NoAnswerError || (err as Error)?.name === 'TimeoutError';
}

export class DiscoveryCache {
  #index: KindIndex | undefined;
  #fetchedAt = 0;
  #inflight: Promise<KindIndex> | undefined;
  #failedGroups: string[] = [];
  #aggregated: boolean | undefined;
  readonly #minRefreshMs: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(
    private readonly fetch: DiscoveryFetch,
    private readonly options: DiscoveryOptions,
  ) {
    this.#minRefreshMs = options.minRefreshMs ?? 2000;
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Every served resource (cached). */
  async kinds(signal?: AbortSignal): Promise<ResolvedKind[]> {
    return (await this.#get(signal)).kinds;
  }

  /** Group-versions that could not be read (legacy discovery only), e.g. a down metrics API. */
  get failedGroups(): string[] {
    return [...this.#failedGroups];
  }

  /** Whether the last fetch used aggregated discovery (undefined before the first fetch). */
  get aggregated(): boolean | undefined {
    return this.#aggregated;
  }

  invalidate(): void {
    this.#index = undefined;
  }

  /**
   * The index, fetched when missing or stale. The fetch is shared by every concurrent caller, so
   * it is not tied to one caller's signal, and each caller keeps its own deadline: one that
   * joined a fetch started by another call does not inherit that call's timeout (it would fail
   * early, saying it had waited the full timeout). When the shared fetch times out before the
   * caller's own time is up, the caller starts a fresh one and waits out the rest.
   */
  async #get(signal?: AbortSignal, force = false): Promise<KindIndex> {
    const timeoutMs = this.options.timeoutMs;
    const deadline = timeoutMs ? Date.now() + timeoutMs : undefined;
    for (;;) {
      const fresh = this.#index && this.#now() - this.#fetchedAt < this.#ttlMs;
      if (fresh && !force) return this.#index!;
      const joined = this.#inflight !== undefined;
      if (!this.#inflight) {
        this.#inflight = fetchDiscovery(this.fetch)
          .then(({ kinds, failedGroups, aggregated }) => {
            this.#aggregated = aggregated;
            this.#index = new KindIndex(kinds);
            this.#fetchedAt = this.#now();
            this.#failedGroups = failedGroups;
            return this.#index;
          })
          .finally(() => {
            this.#inflight = undefined;
          });
      }
      const pending = this.#inflight;
      try {
        return await this.#wait(pending, signal, deadline);
      } catch (err) {
        const timeLeft = deadline !== undefined && Date.now() < deadline - 50;
        if (joined && isTimeout(err) && timeLeft && !signal?.aborted) {
          force = false;
          continue;
        }
        throw err;
      }
    }
  }

  /** Waits for the shared fetch until the caller's signal fires or its deadline passes. */
  #wait(pending: Promise<KindIndex>, signal: AbortSignal | undefined, deadline: number | undefined): Promise<KindIndex> {
    if (!signal && deadline === undefined) return pending;
    return new Promise<KindIndex>((resolveP, rejectP) => {
      if (signal?.aborted) return rejectP(signal.reason);
      const onAbort = () => rejectP(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer =
        deadline === undefined
          ? undefined
          : setTimeout(
              () => {
                const ms = this.options.timeoutMs!;
                rejectP(this.options.timeoutError?.(ms) ?? new DOMException(`discovery did not answer within ${ms} ms`, 'TimeoutError'));
              },
              Math.max(0, deadline - Date.now()),
            );
      timer?.unref?.();
      pending.then(resolveP, rejectP).finally(() => {
        signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      });
    });
  }

  /** Resolves a kind as typed to kubectl; refreshes once on a miss; ToolError with suggestions. */
  async resolveKind(text: string, signal?: AbortSignal): Promise<ResolvedKind> {
    if (typeof text !== 'string' || text.trim() === '')
      throw new ToolError('No kind given.', 'Pass a kind such as "pods", "deploy" or "Deployment"; list_kinds shows them all.');
    let index = await this.#get(signal);
    let found = index.resolve(text);
    if (!found && this.#now() - this.#fetchedAt >= this.#minRefreshMs) {
      index = await this.#get(signal, true);
      found = index.resolve(text);
    }
    if (found) return found;
    const close = index.closest(text);
    throw new ToolError(
      `Unknown kind "${text}" in context "${this.options.context}".${close.length ? ` Closest matches: ${close.map(describeKind).join('; ')}.` : ''}`,
      `Use list_kinds to see every kind this cluster serves${this.#failedGroups.length ? ` (not readable right now: ${this.#failedGroups.join(', ')})` : ''}.`,
    );
  }

  /**
   * Like resolveKind, but a word that names no resource may name a category instead (`all`), as
   * in `kubectl get all`: then every resource in it. A resource always wins over a category.
   */
  async resolveKindOrCategory(text: string, signal?: AbortSignal): Promise<{ kind: ResolvedKind } | { category: string; kinds: ResolvedKind[] }> {
    try {
      return { kind: await this.resolveKind(text, signal) };
    } catch (err) {
      // resolveKind has just refreshed the index on its miss, so the category is current too. No
      // index means discovery itself failed (a server that did not answer): that is the answer,
      // not a reason to ask it again and double the wait.
      const kinds = typeof text === 'string' && this.#index ? this.#index.category(text) : [];
      if (kinds.length === 0) throw err;
      return { category: text.trim().toLowerCase(), kinds };
    }
  }
}
