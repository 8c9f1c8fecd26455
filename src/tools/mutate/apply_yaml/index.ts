/**
 * apply_yaml: `kubectl apply --server-side` for one or more YAML documents, all or nothing as far
 * as the API server can tell in advance:
 *
 *   parse every document (errors name the document and line) → resolve every kind → read the
 *   live objects → server-side dry run of every document (apply-patch, fieldManager kubezilla-mcp,
 *   force only with `forceConflicts`) → name the fields the apply would remove → only if all pass
 *   and the person confirmed any removal, apply them in order and report created / configured /
 *   unchanged per object.
 *
 * `dryRun` stops after the dry run and says what would happen; `diffOnly` returns a unified diff
 * per object between the live object and the dry-run result. Both list the removals too. Objects
 * in a namespace that the same manifest creates cannot be dry-run before it exists: that
 * namespace is created first, the rest is dry-run, and if anything fails the namespace is removed
 * again. Secret values never appear in an answer (diffs say which keys changed and their sizes).
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation, ToolError, type ToolContext } from '../../../kernel/contract.js';
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import { forDiff, forDiffRaw, sameContent, secretValues, yamlLines } from './diff.js';
import { count, parseManifest, type Doc } from './manifest.js';
import { listSome, removalQuestion, removedFields } from './removals.js';
import { explainApplyError, KindFinder } from './server.js';
import { ContextArg, DryRunArg, NamespaceArg } from '../../common/arguments.js';
import { mapLimit } from '../../common/concurrency.js';
import { unifiedDiff } from '../../common/line-diff.js';
import type { KubeObject } from '../../common/redact.js';
import { parseYamlDocuments, yamlToJS } from '../../common/yaml-input.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;
const FIELD_MANAGER = 'kubezilla-mcp';
const APPLY_PATCH = 'application/apply-patch+yaml';
/** Reads and dry runs in flight at once: a 300-document manifest waits for ~19 rounds, not 300. */
const IN_FLIGHT = 16;

type Outcome = 'created' | 'configured' | 'unchanged';

/** One call's state, handed from step to step; `failures` collects every document's problem before refusing. */
interface ApplyCall {
  handle: ClusterHandle;
  docs: Doc[];
  signal: AbortSignal;
  progress: ToolContext['progress'];
  force: boolean;
  /** Progress total: a dry run per document, plus an apply per document when applying. */
  steps: number;
  failures: string[];
}

export default defineTool({
  name: 'apply_yaml',
  title: 'Apply YAML',
  description:
    'kubectl apply --server-side; all documents dry-run first, none applied if one fails. Fields an earlier apply set and this one omits ' +
    'are removed only once confirmed. Example: {"manifest":"kind: ConfigMap…","diffOnly":true}',
  safety: 'safe-mutation',
  needs: ['clusters'],
  input: Type.Object(
    {
      manifest: Type.String({ maxLength: 1024 * 1024, description: 'YAML, --- between documents.' }),
      context: ContextArg,
      namespace: NamespaceArg,
      dryRun: DryRunArg,
      diffOnly: Type.Optional(Type.Boolean({ description: 'Only diff against live.' })),
      forceConflicts: Type.Optional(Type.Boolean({ description: 'Take fields others own (--force-conflicts).' })),
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
      throw new ToolError(
        `manifest is ${bytes} bytes; apply_yaml takes at most ${MAX_MANIFEST_BYTES} bytes (1 MiB). Nothing was applied.`,
        'Split it into several apply_yaml calls (for example one per component).',
      );
    }
    const docs = parseManifest(input.manifest);
    const handle = await ctx.clusters.get(input.context);
    await resolveKindsAndNamespaces(handle, docs, input.namespace, ctx.signal);

    const dryRunOnly = input.dryRun === true || input.diffOnly === true;
    const force = input.forceConflicts === true;
    const steps = dryRunOnly ? docs.length : 2 * docs.length;

    // Namespaces this manifest creates: objects in them can only be dry-run once they exist.
    const call: ApplyCall = { handle, docs, signal: ctx.signal, progress: ctx.progress, force, steps, failures: [] };
    const newNamespaces = await readLiveObjects(call);
    await dryRunAll(call);
    findRemovals(call);

    if (input.diffOnly) return diffReport(call);
    if (input.dryRun) return dryRunReport(call);
    await confirmRemovals(call, ctx.confirm);
    const results = await createNamespacesFirst(call, newNamespaces);
    return applyAll(call, results);
  },
});

// ---------------------------------------------------------------------------------------------
// the steps of one call, in order

function fail(call: ApplyCall, doc: Doc, why: string): void {
  call.failures.push(`${label(doc)}: ${why}`);
}

/** Kinds and namespaces, before anything is sent. */
async function resolveKindsAndNamespaces(handle: ClusterHandle, docs: Doc[], namespaceArg: string | undefined, signal: AbortSignal): Promise<void> {
  const failures: string[] = [];
  const kinds = new KindFinder(handle, signal);
  for (const doc of docs) {
    const found = await kinds.find(doc.obj.apiVersion!, doc.obj.kind!);
    if (typeof found === 'string') {
      failures.push(`${label(doc)}: ${found}`);
      continue;
    }
    doc.kind = found;
    if (found.namespaced) {
      const own = doc.obj.metadata.namespace as string | undefined;
      if (own && namespaceArg && own !== namespaceArg) {
        failures.push(`${label(doc)}: its metadata.namespace "${own}" differs from the namespace argument "${namespaceArg}" (kubectl refuses this too)`);
        continue;
      }
      doc.namespace = own || namespaceArg || handle.namespace;
      doc.obj.metadata.namespace = doc.namespace;
    } else {
      delete doc.obj.metadata.namespace;
    }
  }
  if (failures.length) throw refusal(failures, docs.length, 'could not be checked');
}

/**
 * Every document's live object (null: it does not exist yet). Returns the namespaces this
 * manifest creates: objects in them can only be dry-run once they exist.
 */
async function readLiveObjects(call: ApplyCall): Promise<Map<string, Doc>> {
  const { handle, docs, signal } = call;
  const newNamespaces = new Map<string, Doc>();
  for (const doc of docs) {
    if (isNamespace(doc)) {
      doc.live = await readLive(handle, doc, signal).catch((err: unknown) => {
        fail(call, doc, errorText(err, doc));
        return undefined;
      });
      if (doc.live === null) newNamespaces.set(doc.name, doc);
    }
  }
  const rest = docs.filter((doc) => !isNamespace(doc));
  for (const doc of rest) {
    if (doc.namespace && newNamespaces.has(doc.namespace)) {
      doc.waitsFor = doc.namespace;
      doc.live = null;
    }
  }
  await eachInFlight(
    call,
    rest.filter((doc) => !doc.waitsFor),
    async (doc) => {
      doc.live = await readLive(handle, doc, signal);
    },
  );
  if (call.failures.length) throw refusal(call.failures, docs.length, 'could not be read');
  return newNamespaces;
}

/**
 * `step` for each document, IN_FLIGHT at a time; a document's error becomes its failure line, in
 * document order whatever order the answers came in.
 */
async function eachInFlight(call: ApplyCall, docs: Doc[], step: (doc: Doc) => Promise<void>): Promise<void> {
  const failures = await mapLimit(docs, IN_FLIGHT, (doc) =>
    step(doc).then(
      () => undefined,
      (err: unknown) => errorText(err, doc),
    ),
  );
  docs.forEach((doc, i) => {
    if (failures[i] !== undefined) fail(call, doc, failures[i]!);
  });
}

async function dryRunAll(call: ApplyCall): Promise<void> {
  let done = 0;
  await eachInFlight(
    call,
    call.docs.filter((doc) => !doc.waitsFor),
    async (doc) => {
      doc.dry = (await applyOne(call.handle, doc, { dryRun: true, force: call.force }, call.signal)).object;
      void call.progress(++done, call.steps, `dry run: ${refOf(doc)}`).catch(() => undefined);
    },
  );
  if (call.failures.length) throw refusal(call.failures, call.docs.length, 'failed the server-side dry run');
}

/** Only objects that exist can lose fields; one waiting for its namespace is created whole. */
function findRemovals(call: ApplyCall): void {
  for (const doc of call.docs) doc.removals = doc.live && doc.dry ? removedFields(doc.live, doc.dry, doc.obj) : [];
}

/** Nothing is written until the person agreed to every field the apply would take away. */
async function confirmRemovals(call: ApplyCall, confirm: ToolContext['confirm']): Promise<void> {
  const losing = call.docs.filter((d) => d.removals?.length).map((d) => ({ object: where(d), fields: d.removals! }));
  if (losing.length) await requireConfirmation(confirm, removalQuestion(losing, call.handle.context));
}

function diffReport(call: ApplyCall): string {
  const parts = call.docs.map((doc) => `${diffText(doc)}${removalNote(doc, `\n${refOf(doc)}: `)}`);
  const what = `${count(call.docs.length, 'object')} against the server-side dry run (context ${call.handle.context})`;
  return `Diff of ${what}; nothing was applied.\n${parts.join('\n')}`;
}

function dryRunReport(call: ApplyCall): string {
  const lines = call.docs.map((doc) =>
    doc.waitsFor
      ? `${refOf(doc)} created (server dry run skipped: namespace ${doc.waitsFor} is created by this manifest)`
      : `${refOf(doc)} ${dryOutcome(doc)} (server dry run)${removalNote(doc, '; ')}`,
  );
  return `Server dry run passed for ${count(call.docs.length, 'object')} (context ${call.handle.context}); nothing was applied.\n${lines.join('\n')}`;
}

/** For the previews: what applying would remove, and that it will ask first. */
function removalNote(doc: Doc, lead: string): string {
  const fields = doc.removals ?? [];
  if (!fields.length) return '';
  return `${lead}applying removes ${count(fields.length, 'field')} the manifest leaves out (asks first): ${listSome(fields)}`;
}

/**
 * Creates the namespaces that objects of this manifest wait for and dry-runs those objects; if
 * one fails, the namespaces are deleted again. Returns the outcome of each namespace created.
 */
async function createNamespacesFirst(call: ApplyCall, newNamespaces: Map<string, Doc>): Promise<Map<Doc, Outcome>> {
  const { handle, docs, signal, force } = call;
  const results = new Map<Doc, Outcome>();
  const waiting = docs.filter((d) => d.waitsFor);
  if (!waiting.length) return results;
  const created: Array<{ doc: Doc; uid: string | undefined }> = [];
  for (const nsDoc of new Set(waiting.map((d) => newNamespaces.get(d.waitsFor!)!))) {
    try {
      const res = await applyOne(handle, nsDoc, { dryRun: false, force }, signal);
      results.set(nsDoc, 'created');
      created.push({ doc: nsDoc, uid: (res.object.metadata?.uid as string | undefined) ?? undefined });
    } catch (err) {
      await removeNamespaces(handle, created);
      throw refusal([`${label(nsDoc)}: ${errorText(err, nsDoc)}`], docs.length, 'could not be applied');
    }
  }
  await eachInFlight(call, waiting, async (doc) => {
    doc.dry = (await applyOne(handle, doc, { dryRun: true, force }, signal)).object;
  });
  if (call.failures.length) {
    const removed = await removeNamespaces(handle, created);
    throw refusal(call.failures, docs.length, 'failed the server-side dry run', removed);
  }
  return results;
}

/** Applies the documents in order (those not applied already) and reports each outcome. */
async function applyAll(call: ApplyCall, results: Map<Doc, Outcome>): Promise<string> {
  const { handle, docs, signal, force } = call;
  const lines: string[] = [];
  for (const doc of docs) {
    if (!results.has(doc)) {
      try {
        await call.progress(docs.length + docs.indexOf(doc), call.steps, `apply: ${refOf(doc)}`);
        const res = await applyOne(handle, doc, { dryRun: false, force }, signal);
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
    const removed = doc.removals?.length ? ` (removed ${listSome(doc.removals)})` : '';
    lines.push(`${refOf(doc)} ${results.get(doc)}${removed}`);
  }
  const tally = (['created', 'configured', 'unchanged'] as const)
    .map((o) => [o, [...results.values()].filter((r) => r === o).length] as const)
    .filter(([, n]) => n);
  return `Applied ${count(docs.length, 'object')} (context ${handle.context}): ${tally.map(([o, n]) => `${n} ${o}`).join(', ')}.\n${lines.join('\n')}`;
}

function isNamespace(doc: Doc): boolean {
  return doc.kind!.kind === 'Namespace' && doc.kind!.group === '';
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

/** `deployment.apps/web in namespace shop`, for a question that may name several objects. */
function where(doc: Doc): string {
  return `${refOf(doc)}${doc.namespace ? ` in namespace ${doc.namespace}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// talking to the cluster

function pathOf(handle: ClusterHandle, doc: Doc): string {
  return handle.pathFor(doc.kind!, { ...(doc.namespace ? { namespace: doc.namespace } : {}), name: doc.name });
}

async function readLive(handle: ClusterHandle, doc: Doc, signal: AbortSignal): Promise<KubeObject | null> {
  try {
    return (await handle.request(pathOf(handle, doc), { signal })).json<KubeObject>();
  } catch (err) {
    if ((err as { code?: number }).code === 404) return null;
    throw explainApplyError(handle, err, doc, 'get');
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
    throw explainApplyError(handle, err, doc, 'patch');
  }
}

/** One line for the report: the explained error, with a Secret's values scrubbed out of it. */
function errorText(err: unknown, doc: Doc): string {
  const e = err as ToolError;
  let text = `${e.message ?? String(err)}${e.hint ? ` (${e.hint})` : ''}`.replace(/\s*\n\s*/g, ' ');
  for (const secret of secretValues(doc.obj)) text = text.split(secret).join('<redacted>');
  return text;
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

function dryOutcome(doc: Doc): Outcome {
  if (!doc.live) return 'created';
  return sameContent(doc.live, doc.dry!) ? 'unchanged' : 'configured';
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
