/**
 * apply_yaml: `kubectl apply --server-side` for one or more YAML documents, all or nothing as far
 * as the API server can tell in advance:
 *
 *   parse every document (errors name the document and line) → resolve every kind → server-side
 *   dry run of every document (apply-patch, fieldManager kubezilla-mcp, force only with
 *   `forceConflicts`) → only if all pass, apply them in order and report created / configured /
 *   unchanged per object.
 *
 * `dryRun` stops after the dry run and says what would happen; `diffOnly` returns a unified diff
 * per object between the live object and the dry-run result. Objects in a namespace that the
 * same manifest creates cannot be dry-run before it exists: that namespace is created first, the
 * rest is dry-run, and if anything fails the namespace is removed again. Secret values never
 * appear in an answer (diffs say which keys changed and their sizes).
 */
import { Type } from '@sinclair/typebox';
import { LineCounter, stringify } from 'yaml';
import { defineTool, ToolError } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/clusters.js';
import type { ResolvedKind } from '../../providers/discovery.js';
import { ContextArg, DryRunArg, NamespaceArg } from '../arguments.js';
import { qualifiedResource } from '../kube-paths.js';
import { unifiedDiff } from '../line-diff.js';
import { guardTargets } from '../mutations.js';
import { LAST_APPLIED, type KubeObject } from '../redact.js';
import { parseYamlDocuments, yamlToJS } from '../yaml-input.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;
const FIELD_MANAGER = 'kubezilla-mcp';
const APPLY_PATCH = 'application/apply-patch+yaml';

interface Doc {
  /** 1-based document number in the manifest, and the item number inside a List. */
  index: number;
  item?: number;
  line: number;
  obj: KubeObject & { metadata: NonNullable<KubeObject['metadata']> };
  kind?: ResolvedKind;
  namespace?: string;
  name: string;
  /** The object before this call; null when it does not exist. */
  live?: KubeObject | null;
  /** The server-side dry-run result. */
  dry?: KubeObject;
  /** Waits for a namespace created by this manifest. */
  waitsFor?: string;
}

type Outcome = 'created' | 'configured' | 'unchanged';

export default defineTool({
  name: 'apply_yaml',
  title: 'Apply YAML',
  description:
    'kubectl apply --server-side. Every document is dry-run first; if one fails, none is applied. Example: {"manifest":"kind: ConfigMap…","diffOnly":true}',
  safety: 'safe-mutation',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      manifest: Type.String({ maxLength: 1024 * 1024, description: 'YAML, --- between documents.' }),
      context: ContextArg,
      namespace: NamespaceArg,
      dryRun: DryRunArg,
      diffOnly: Type.Optional(Type.Boolean({ description: 'Only diff against live.' })),
      forceConflicts: Type.Optional(Type.Boolean({ description: 'Take over fields others own (--force-conflicts).' })),
    },
    { additionalProperties: false },
  ),
  auditTarget: ({ manifest }) => {
    const names = parseYamlDocuments(manifest, { field: 'manifest', tooLarge: 'none' }).flatMap((doc) => {
      try {
        const obj = yamlToJS(doc, { field: 'manifest' }) as { kind?: string; metadata?: { name?: string } } | null;
        return obj?.kind ? [`${obj.kind}/${obj.metadata?.name ?? '?'}`] : [];
      } catch {
        return ['(unparsable document)'];
      }
    });
    return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
  },
  async run(input, ctx) {
    const bytes = Buffer.byteLength(input.manifest);
    if (bytes > MAX_MANIFEST_BYTES) {
      throw new ToolError(`manifest is ${bytes} bytes; apply_yaml takes at most ${MAX_MANIFEST_BYTES} bytes (1 MiB). Nothing was applied.`, 'Split it into several apply_yaml calls (for example one per component).');
    }
    const docs = parseManifest(input.manifest);
    const handle = await ctx.clusters.get(input.context);
    const failures: string[] = [];
    const fail = (doc: Doc, why: string) => failures.push(`${label(doc)}: ${why}`);

    // Kinds and namespaces, before anything is sent.
    const kinds = new KindFinder(handle, ctx.signal);
    for (const doc of docs) {
      const found = await kinds.find(doc.obj.apiVersion!, doc.obj.kind!);
      if (typeof found === 'string') {
        fail(doc, found);
        continue;
      }
      doc.kind = found;
      if (found.namespaced) {
        const own = doc.obj.metadata.namespace as string | undefined;
        if (own && input.namespace && own !== input.namespace) {
          fail(doc, `its metadata.namespace "${own}" differs from the namespace argument "${input.namespace}" (kubectl refuses this too)`);
          continue;
        }
        doc.namespace = own || input.namespace || handle.namespace;
        doc.obj.metadata.namespace = doc.namespace;
      } else {
        delete doc.obj.metadata.namespace;
      }
    }
    if (failures.length) throw refusal(failures, docs.length, 'could not be checked');

    const dryRunOnly = input.dryRun === true || input.diffOnly === true;
    const force = input.forceConflicts === true;
    const steps = dryRunOnly ? docs.length : 2 * docs.length;
    if (!dryRunOnly) {
      const touched = docs.flatMap((d) => (d.namespace ? [d.namespace] : isNamespace(d) ? [d.name] : []));
      await guardTargets(ctx, handle, 'apply_yaml', touched, input.namespace);
    }

    // Namespaces this manifest creates: objects in them can only be dry-run once they exist.
    const newNamespaces = new Map<string, Doc>();
    for (const doc of docs) {
      if (isNamespace(doc)) {
        doc.live = await readLive(handle, doc, ctx.signal).catch((err: unknown) => {
          fail(doc, errorText(err, doc));
          return undefined;
        });
        if (doc.live === null) newNamespaces.set(doc.name, doc);
      }
    }
    for (const doc of docs) {
      if (isNamespace(doc)) continue;
      if (doc.namespace && newNamespaces.has(doc.namespace)) {
        doc.waitsFor = doc.namespace;
        doc.live = null;
        continue;
      }
      try {
        doc.live = await readLive(handle, doc, ctx.signal);
      } catch (err) {
        fail(doc, errorText(err, doc));
      }
    }
    if (failures.length) throw refusal(failures, docs.length, 'could not be read');

    for (const doc of docs) {
      if (doc.waitsFor) continue;
      try {
        await ctx.progress(docs.indexOf(doc), steps, `dry run: ${refOf(doc)}`);
        doc.dry = await applyOne(handle, doc, { dryRun: true, force }, ctx.signal).then((r) => r.object);
      } catch (err) {
        fail(doc, errorText(err, doc));
      }
    }
    if (failures.length) throw refusal(failures, docs.length, 'failed the server-side dry run');

    const waiting = docs.filter((d) => d.waitsFor);
    const ctxText = `context ${handle.context}`;
    if (input.diffOnly) {
      const parts = docs.map((doc) => diffText(doc));
      return `Diff of ${count(docs.length, 'object')} against the server-side dry run (${ctxText}); nothing was applied.\n${parts.join('\n')}`;
    }
    if (input.dryRun) {
      const lines = docs.map((doc) =>
        doc.waitsFor
          ? `${refOf(doc)} created (server dry run skipped: namespace ${doc.waitsFor} is created by this manifest)`
          : `${refOf(doc)} ${dryOutcome(doc)} (server dry run)`,
      );
      return `Server dry run passed for ${count(docs.length, 'object')} (${ctxText}); nothing was applied.\n${lines.join('\n')}`;
    }

    const results = new Map<Doc, Outcome>();
    if (waiting.length) {
      // Create the namespaces the others need, dry-run those, and undo the namespaces on failure.
      const created: Array<{ doc: Doc; uid: string | undefined }> = [];
      for (const nsDoc of new Set(waiting.map((d) => newNamespaces.get(d.waitsFor!)!))) {
        try {
          const res = await applyOne(handle, nsDoc, { dryRun: false, force }, ctx.signal);
          results.set(nsDoc, 'created');
          created.push({ doc: nsDoc, uid: (res.object.metadata?.uid as string | undefined) ?? undefined });
        } catch (err) {
          await removeNamespaces(handle, created);
          throw refusal([`${label(nsDoc)}: ${errorText(err, nsDoc)}`], docs.length, 'could not be applied');
        }
      }
      for (const doc of waiting) {
        try {
          doc.dry = (await applyOne(handle, doc, { dryRun: true, force }, ctx.signal)).object;
        } catch (err) {
          fail(doc, errorText(err, doc));
        }
      }
      if (failures.length) {
        const removed = await removeNamespaces(handle, created);
        throw refusal(failures, docs.length, 'failed the server-side dry run', removed);
      }
    }

    const lines: string[] = [];
    for (const doc of docs) {
      if (!results.has(doc)) {
        try {
          await ctx.progress(docs.length + docs.indexOf(doc), steps, `apply: ${refOf(doc)}`);
          const res = await applyOne(handle, doc, { dryRun: false, force }, ctx.signal);
          // Status updates by a controller also move the resourceVersion: compare what apply sets.
          const rvBefore = doc.live?.metadata?.resourceVersion;
          results.set(
            doc,
            res.status === 201 || !doc.live
              ? 'created'
              : res.object.metadata?.resourceVersion === rvBefore || sameContent(doc.live, res.object)
                ? 'unchanged'
                : 'configured',
          );
        } catch (err) {
          const done = docs.filter((d) => results.has(d)).map((d) => `${refOf(d)} ${results.get(d)}`);
          const skipped = docs.slice(docs.indexOf(doc) + 1).map(refOf);
          throw new ToolError(
            `Applied ${done.length} of ${count(docs.length, 'object')}, then ${label(doc)} failed although its dry run passed: ${errorText(err, doc)}` +
              `${done.length ? `\nApplied: ${done.join(', ')}.` : ''}${skipped.length ? `\nNot attempted: ${skipped.join(', ')}.` : ''}`,
            'Something changed on the server in between (a conflict, a webhook, a quota). Fix the cause and apply the manifest again; applying is idempotent.',
          );
        }
      }
      lines.push(`${refOf(doc)} ${results.get(doc)}`);
    }
    const tally = (['created', 'configured', 'unchanged'] as const).map((o) => [o, [...results.values()].filter((r) => r === o).length] as const).filter(([, n]) => n);
    return `Applied ${count(docs.length, 'object')} (${ctxText}): ${tally.map(([o, n]) => `${n} ${o}`).join(', ')}.\n${lines.join('\n')}`;
  },
});

// ---------------------------------------------------------------------------------------------
// parsing

function parseManifest(manifest: string): Doc[] {
  const lineCounter = new LineCounter();
  const parsed = parseYamlDocuments(manifest, { field: 'manifest', lineCounter, uniqueKeys: true });
  const list = Array.isArray(parsed) ? parsed : [];
  const docs: Doc[] = [];
  const problems: string[] = [];
  list.forEach((yamlDoc, i) => {
    const index = i + 1;
    const start = lineCounter.linePos(yamlDoc.contents?.range[0] ?? yamlDoc.range[0]).line;
    if (yamlDoc.errors.length) {
      // Only the first line of each message: the excerpt after it may show a Secret's value.
      problems.push(...yamlDoc.errors.slice(0, 3).map((e) => `document ${index} (from line ${start}): YAML error: ${e.message.split('\n')[0]!.replace(/:$/, '')}`));
      return;
    }
    const value: unknown = yamlToJS(yamlDoc, { field: 'manifest', what: `document ${index}` });
    if (value === null || value === undefined) return; // an empty document, as kubectl skips it
    const where = `document ${index} (line ${start})`;
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${where}: not a Kubernetes object (a mapping with apiVersion, kind and metadata)`);
      return;
    }
    const obj = value as KubeObject;
    const items = isList(obj) ? (obj.items as unknown[]) : undefined;
    const entries = items ? items.map((item, n) => ({ item: n + 1, value: item })) : [{ item: undefined, value: obj as unknown }];
    for (const entry of entries) {
      const at = entry.item ? `${where}, item ${entry.item}` : where;
      const problem = checkObject(entry.value);
      if (problem) {
        problems.push(`${at}: ${problem}`);
        continue;
      }
      const o = entry.value as Doc['obj'];
      docs.push({ index, ...(entry.item ? { item: entry.item } : {}), line: start, obj: o, name: o.metadata.name as string });
    }
  });
  if (problems.length) {
    throw new ToolError(`The manifest has ${count(problems.length, 'problem')}; nothing was applied.\n${problems.join('\n')}`, 'Fix the YAML and call apply_yaml again.');
  }
  if (!docs.length) throw new ToolError('The manifest holds no objects; nothing was applied.', 'Pass one or more YAML documents, each with apiVersion, kind and metadata.name.');
  return docs;
}

function isNamespace(doc: Doc): boolean {
  return doc.kind!.kind === 'Namespace' && doc.kind!.group === '';
}

function isList(obj: KubeObject): boolean {
  return typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items);
}

function checkObject(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a Kubernetes object (a mapping with apiVersion, kind and metadata)';
  const o = value as KubeObject;
  const missing = [
    typeof o.apiVersion === 'string' && o.apiVersion ? '' : 'apiVersion',
    typeof o.kind === 'string' && o.kind ? '' : 'kind',
    typeof o.metadata?.name === 'string' && o.metadata.name ? '' : 'metadata.name',
  ].filter(Boolean);
  if (missing.length) {
    const generate = o.metadata?.generateName ? ' (generateName cannot be applied; give the object a name)' : '';
    return `missing ${missing.join(', ')}${generate}`;
  }
  return undefined;
}

function label(doc: Doc): string {
  const where = `document ${doc.index}${doc.item ? `, item ${doc.item}` : ''}`;
  const what = `${doc.obj.kind} ${doc.namespace ? `${doc.namespace}/` : ''}${doc.name}`;
  return `${where} (${what}, line ${doc.line})`;
}

/** `deployment.apps/web`, as kubectl prints it. */
function refOf(doc: Doc): string {
  const k = doc.kind!;
  return `${k.kind.toLowerCase()}${k.group ? `.${k.group}` : ''}/${doc.name}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

// ---------------------------------------------------------------------------------------------
// talking to the cluster

class KindFinder {
  #refreshed = false;
  constructor(
    private readonly handle: ClusterHandle,
    private readonly signal: AbortSignal,
  ) {}

  /** The served kind for apiVersion + kind, or why there is none. */
  async find(apiVersion: string, kind: string): Promise<ResolvedKind | string> {
    let all = await this.handle.listKinds(this.signal);
    let hit = all.find((k) => k.apiVersion === apiVersion && k.kind === kind);
    if (!hit && !this.#refreshed) {
      this.#refreshed = true; // a CRD created a moment ago: look once more
      this.handle.discovery.invalidate();
      all = await this.handle.listKinds(this.signal);
      hit = all.find((k) => k.apiVersion === apiVersion && k.kind === kind);
    }
    if (hit) return hit;
    const elsewhere = [...new Set(all.filter((k) => k.kind === kind).map((k) => k.apiVersion))];
    if (elsewhere.length) return `apiVersion ${apiVersion} does not serve kind ${kind}; this cluster serves it as ${elsewhere.join(', ')}`;
    return `kind ${kind} (apiVersion ${apiVersion}) is not served by context "${this.handle.context}"; if it is a custom resource, apply its CustomResourceDefinition first (list_kinds shows what is served)`;
  }
}

function pathOf(handle: ClusterHandle, doc: Doc): string {
  return handle.pathFor(doc.kind!, { ...(doc.namespace ? { namespace: doc.namespace } : {}), name: doc.name });
}

async function readLive(handle: ClusterHandle, doc: Doc, signal: AbortSignal): Promise<KubeObject | null> {
  try {
    return (await handle.request(pathOf(handle, doc), { signal })).json<KubeObject>();
  } catch (err) {
    if ((err as { code?: number }).code === 404) return null;
    throw explain(handle, err, doc, 'get');
  }
}

async function applyOne(
  handle: ClusterHandle,
  doc: Doc,
  { dryRun, force }: { dryRun: boolean; force: boolean },
  signal: AbortSignal,
): Promise<{ status: number; object: KubeObject }> {
  try {
    const res = await handle.request(pathOf(handle, doc), {
      method: 'PATCH',
      body: JSON.stringify(doc.obj), // JSON is YAML: the apply-patch content type takes it as is
      contentType: APPLY_PATCH,
      query: { fieldManager: FIELD_MANAGER, force, ...(dryRun ? { dryRun: 'All' } : {}) },
      signal,
    });
    return { status: res.status, object: res.json<KubeObject>() };
  } catch (err) {
    throw explain(handle, err, doc, 'patch');
  }
}

function explain(handle: ClusterHandle, err: unknown, doc: Doc, verb: string): ToolError {
  const e = err as { code?: number; body?: { message?: string; reason?: string; details?: { causes?: Array<{ field?: string; message?: string }> } } };
  if (e.code === 422 && e.body?.details?.causes?.length) {
    return new ToolError(`invalid: ${e.body.details.causes.map((c) => `${c.field ?? '?'}: ${c.message ?? 'invalid'}`).join('; ')}`);
  }
  // Server-side apply checks field types before anything else and reports a mismatch as a 500
  // ("failed to create typed patch object … .data.a: expected string, got …"): the manifest is
  // wrong, not the server, so say so instead of suggesting a retry.
  const typed = /failed to create typed patch object \([^)]*\): (.*)$/s.exec(e.body?.message ?? '');
  if (typed) {
    const problem = typed[1]!.replace(/&value\.valueUnstructured\{Value:(.*?)\}/g, '$1').trim();
    return new ToolError(`invalid: ${problem}`, 'Fix the type in the manifest; a value the schema wants as a string must be quoted in YAML, e.g. "1" or "true".');
  }
  if (e.code === 409 && /conflict/i.test(e.body?.message ?? '') && e.body?.reason === 'Conflict') {
    return new ToolError(`field ownership conflict: ${e.body.message}`, 'Another field manager (kubectl, a controller, helm) owns those fields: change them through it, leave them out of the manifest, or, if the person wants this manifest to win, call again with forceConflicts: true.');
  }
  return handle.describeError(err, { verb, resource: qualifiedResource(doc.kind!), name: doc.name, ...(doc.namespace ? { namespace: doc.namespace } : {}) });
}

/** One line for the report: the explained error, with a Secret's values scrubbed out of it. */
function errorText(err: unknown, doc: Doc): string {
  const e = err as ToolError;
  let text = `${e.message ?? String(err)}${e.hint ? ` (${e.hint})` : ''}`.replace(/\s*\n\s*/g, ' ');
  for (const secret of secretValues(doc.obj)) text = text.split(secret).join('<redacted>');
  return text;
}

function secretValues(obj: KubeObject): string[] {
  if (obj.kind !== 'Secret') return [];
  const values: string[] = [];
  for (const field of ['data', 'stringData'] as const) {
    const map = obj[field];
    if (!map || typeof map !== 'object') continue;
    for (const v of Object.values(map as Record<string, unknown>)) {
      if (typeof v !== 'string' || v.length < 3) continue;
      values.push(v);
      if (field === 'data') values.push(Buffer.from(v, 'base64').toString('utf8'));
      else values.push(Buffer.from(v).toString('base64'));
    }
  }
  return values.filter((v) => v.length >= 3).sort((a, b) => b.length - a.length);
}

/** Removes namespaces this call created (and nothing else: the uid must still match). */
async function removeNamespaces(handle: ClusterHandle, created: Array<{ doc: Doc; uid: string | undefined }>): Promise<string[]> {
  const removed: string[] = [];
  for (const { doc, uid } of created) {
    try {
      await handle.request(pathOf(handle, doc), {
        method: 'DELETE',
        body: { kind: 'DeleteOptions', apiVersion: 'v1', ...(uid ? { preconditions: { uid } } : {}) },
        contentType: 'application/json',
      });
      removed.push(doc.name);
    } catch {
      // reported below as not removed
    }
  }
  return removed;
}

function refusal(failures: string[], total: number, what: string, removedNamespaces?: string[]): ToolError {
  const undo = removedNamespaces?.length
    ? `\n(Namespace ${removedNamespaces.join(', ')}, created only so the objects in it could be dry-run, was deleted again.)`
    : '';
  return new ToolError(
    `Nothing was applied: ${failures.length} of ${count(total, 'object')} ${what}.\n${failures.join('\n')}${undo}`,
    'Fix those documents and call apply_yaml again; it applies all of them or none.',
  );
}

// ---------------------------------------------------------------------------------------------
// diffs and outcomes

const NOISY_META = ['managedFields', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'uid', 'selfLink'];

/** The object as a diff shows it: no server bookkeeping, no status, Secret values redacted. */
function forDiff(obj: KubeObject | null | undefined, other?: KubeObject | null): KubeObject | null {
  if (!obj) return null;
  const copy = structuredClone(obj);
  delete copy.status;
  const meta = copy.metadata;
  if (meta) {
    for (const key of NOISY_META) delete meta[key];
    if (meta.annotations) {
      delete meta.annotations[LAST_APPLIED];
      if (!Object.keys(meta.annotations).length) delete meta.annotations;
    }
  }
  if (copy.kind === 'Secret') {
    for (const field of ['data', 'stringData'] as const) {
      const map = copy[field] as Record<string, unknown> | undefined;
      if (!map || typeof map !== 'object') continue;
      const before = (other?.[field] ?? (field === 'stringData' ? other?.data : undefined)) as Record<string, unknown> | undefined;
      for (const [key, value] of Object.entries(map)) {
        const size = typeof value !== 'string' ? 0 : field === 'data' ? Buffer.from(value, 'base64').length : Buffer.byteLength(value);
        const changed = other !== undefined && before !== undefined && key in before && before[key] !== value;
        map[key] = `<redacted: ${size} bytes${changed ? ', changed' : ''}>`;
      }
    }
  }
  return copy;
}

function yamlLines(obj: KubeObject | null): string[] {
  return obj ? stringify(obj, { lineWidth: 0 }).trimEnd().split('\n') : [];
}

function dryOutcome(doc: Doc): Outcome {
  if (!doc.live) return 'created';
  return sameContent(doc.live, doc.dry!) ? 'unchanged' : 'configured';
}

/** Equal once server bookkeeping and status are set aside (Secret values compared, not shown). */
function sameContent(before: KubeObject, after: KubeObject): boolean {
  return yamlLines(forDiff(before)).join('\n') === yamlLines(forDiff(after, forDiffRaw(before))).join('\n');
}

function diffText(doc: Doc): string {
  const ref = refOf(doc);
  if (doc.waitsFor) {
    const lines = yamlLines(forDiff(doc.obj));
    return `--- ${ref} (does not exist)\n+++ ${ref} (as in the manifest; not dry-run: namespace ${doc.waitsFor} is created by this manifest)\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join('\n')}`;
  }
  const before = yamlLines(forDiff(doc.live));
  // Comparing with the live object marks changed Secret keys without showing either value.
  const after = yamlLines(forDiff(doc.dry, doc.live ? forDiffRaw(doc.live) : undefined));
  const diff = unifiedDiff(before.join('\n'), after.join('\n'), {
    fromLabel: `${ref} (${doc.live ? 'live' : 'does not exist'})`,
    toLabel: `${ref} (after apply)`,
  });
  return diff || `${ref}: no changes`;
}

/** The live object's Secret maps, still encoded, for change detection only (never printed). */
function forDiffRaw(live: KubeObject): KubeObject {
  return { kind: live.kind, data: live.data, stringData: live.stringData } as KubeObject;
}
