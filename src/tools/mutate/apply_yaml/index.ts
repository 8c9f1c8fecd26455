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
 * A kind the API server only creates (SubjectAccessReview, TokenReview, …) is created rather than
 * applied, and its answer is its status. Report wording lives in report.ts.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation, ToolError, type ToolContext } from '../../../kernel/contract.js';
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import { cutOut } from '../../../kernel/logger.js';
import { secretValuesIn } from '../../../providers/cluster/secret-values.js';
import { sameContent } from './diff.js';
import { count, missingName, parseManifest, type Doc } from './manifest.js';
import { FIELD_MANAGER, isOwned, ownedBy } from './ownership.js';
import { answerOf, diffReport, dryRunReport, keptNote, label, type Outcome, type OutcomeLine, refOf, summarize, where } from './report.js';
import { listSome, removalQuestion, removedFields } from './removals.js';
import { explainApplyError, KindFinder } from './server.js';
import { ContextArg, DryRunArg, NamespaceArg } from '../../common/arguments.js';
import { mapLimit } from '../../common/concurrency.js';
import type { KubeObject } from '../../common/redact.js';
import { parseYamlDocuments, yamlToJS } from '../../common/yaml-input.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;
const APPLY_PATCH = 'application/apply-patch+yaml';
/** Reads and dry runs in flight at once: a 300-document manifest waits for ~19 rounds, not 300. */
const IN_FLIGHT = 16;

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

    if (input.diffOnly) return diffReport(docs, handle.context);
    if (input.dryRun) return dryRunReport(docs, handle.context);
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
    doc.createOnly = found.verbs.includes('create') && !found.verbs.includes('patch') && !found.verbs.includes('get');
    if (!doc.name && !doc.createOnly) {
      failures.push(`${label(doc)}: ${missingName(doc)}`);
      continue;
    }
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
    if (doc.createOnly) doc.live = null; // nothing stored to read
    if (doc.namespace && newNamespaces.has(doc.namespace)) {
      doc.waitsFor = doc.namespace;
      doc.live = null;
    }
  }
  await eachInFlight(
    call,
    rest.filter((doc) => !doc.waitsFor && !doc.createOnly),
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

/**
 * Only objects that exist can lose fields; one waiting for its namespace is created whole. Only a
 * field this field manager owns can be removed by leaving it out: anything else that differs
 * between the live read and the dry run (a controller's annotation written in between) is not
 * the apply's doing.
 */
function findRemovals(call: ApplyCall): void {
  for (const doc of call.docs) {
    if (!doc.live || !doc.dry) {
      doc.removals = [];
      continue;
    }
    const owned = ownedBy(doc.live, FIELD_MANAGER);
    doc.removals = removedFields(doc.live, doc.dry, doc.obj).filter((field) => isOwned(owned, field));
  }
}

/** Nothing is written until the person agreed to every field the apply would take away. */
async function confirmRemovals(call: ApplyCall, confirm: ToolContext['confirm']): Promise<void> {
  const losing = call.docs.filter((d) => d.removals?.length).map((d) => ({ object: where(d), fields: d.removals! }));
  if (losing.length) await requireConfirmation(confirm, removalQuestion(losing, call.handle.context));
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
  const lines: OutcomeLine[] = [];
  for (const doc of docs) {
    if (!results.has(doc)) {
      try {
        await call.progress(docs.length + docs.indexOf(doc), call.steps, `apply: ${refOf(doc)}`);
        const res = await applyOne(handle, doc, { dryRun: false, force }, signal);
        doc.applied = res.object;
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
    lines.push({ doc, outcome: results.get(doc)!, extra: `${removed}${doc.createOnly ? answerOf(doc.applied) : keptNote(doc, results.get(doc)!)}` });
  }
  const tally = (['created', 'configured', 'unchanged'] as const)
    .map((o) => [o, [...results.values()].filter((r) => r === o).length] as const)
    .filter(([, n]) => n);
  const summary = summarize(lines);
  return `Applied ${count(docs.length, 'object')} (context ${handle.context}${summary.scope}): ${tally.map(([o, n]) => `${n} ${o}`).join(', ')}.\n${summary.lines.join('\n')}`;
}

function isNamespace(doc: Doc): boolean {
  return doc.kind!.kind === 'Namespace' && doc.kind!.group === '';
}

// ---------------------------------------------------------------------------------------------
// talking to the cluster

/** The object's path; for a create-only kind, the collection it is posted to. */
function pathOf(handle: ClusterHandle, doc: Doc): string {
  return handle.pathFor(doc.kind!, { ...(doc.namespace ? { namespace: doc.namespace } : {}), ...(doc.createOnly ? {} : { name: doc.name }) });
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
  // A create-only kind cannot be applied (there is nothing to patch): it is created, as kubectl
  // create does, and the server's answer is in its status.
  const create = doc.createOnly === true;
  try {
    const res = await handle.request(pathOf(handle, doc), {
      method: create ? 'POST' : 'PATCH',
      body: JSON.stringify(doc.obj), // JSON is YAML: the apply-patch content type takes it as is
      contentType: create ? 'application/json' : APPLY_PATCH,
      query: { fieldManager: FIELD_MANAGER, ...(create ? {} : { force }), ...(dryRun ? { dryRun: 'All' } : {}) },
      signal,
    });
    return { status: res.status, object: res.json<KubeObject>() };
  } catch (err) {
    throw explainApplyError(handle, err, doc, create ? 'create' : 'patch');
  }
}

/** One line for the report: the explained error, with a Secret's values scrubbed out of it. */
function errorText(err: unknown, doc: Doc): string {
  const e = err as ToolError;
  const text = `${e.message ?? String(err)}${e.hint ? ` (${e.hint})` : ''}`.replace(/\s*\n\s*/g, ' ');
  // Short values ("true", "80") would garble the message; three characters is where a leak starts to matter.
  return cutOut(
    text,
    secretValuesIn(doc.obj).filter((v) => v.length >= 3),
    '<redacted>',
  );
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
