/**
 * Parsing one kubeconfig and merging many, by kubectl's rules (see kubeconfig.ts). Ours rather
 * than client-node's loader: that one throws on the first broken file and drops duplicate names,
 * where every problem here is kept with its file and line and every context stays reachable.
 */
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { sha, type SourceOrigin, type SourceProblem, type SourceSpec } from './kubeconfig-sources.js';

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

export interface ParsedEntry {
  name: string;
  body: Record<string, unknown>;
  line: number | undefined;
}

export interface ParsedSource {
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

/** Parses one kubeconfig text. */
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

/** Merges parsed sources into contexts. */
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
