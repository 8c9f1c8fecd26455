/**
 * apply_yaml's answers: the diff, the dry-run and apply reports (one line per object, namespaces
 * named once or per line, objects alike in several namespaces merged), and the notes that go with
 * an object: fields the apply removes, fields it leaves because others own them, a create-only
 * object's answer.
 */
import { stringify } from 'yaml';
import { unifiedDiff } from '../../common/line-diff.js';
import type { KubeObject } from '../../common/redact.js';
import { forDiff, forDiffRaw, sameContent, yamlLines } from './diff.js';
import { count, type Doc } from './manifest.js';
import { FIELD_MANAGER, keptByOthers } from './ownership.js';
import { listSome } from './removals.js';

export type Outcome = 'created' | 'configured' | 'unchanged';

export function diffReport(docs: Doc[], context: string): string {
  const parts = docs.map((doc) => `${diffText(doc)}${removalNote(doc, `\n${refOf(doc)}: `)}${keptNote(doc, dryOutcome(doc))}`);
  const what = `${count(docs.length, 'object')} against the server-side dry run (context ${context})`;
  return `Diff of ${what}; nothing was applied.\n${parts.join('\n')}`;
}

export function dryRunReport(docs: Doc[], context: string): string {
  const summary = summarize(
    docs.map((doc) =>
      doc.waitsFor
        ? { doc, outcome: 'created', detail: ` (server dry run skipped: namespace ${doc.waitsFor} is created by this manifest)` }
        : {
            doc,
            outcome: dryOutcome(doc),
            detail: ` (server dry run${doc.createOnly ? '; a create-only kind: applying it returns its answer' : ''})`,
            extra: `${removalNote(doc, '; ')}${keptNote(doc, dryOutcome(doc))}`,
          },
    ),
  );
  return `Server dry run passed for ${count(docs.length, 'object')} (context ${context}${summary.scope}); nothing was applied.\n${summary.lines.join('\n')}`;
}

export interface OutcomeLine {
  doc: Doc;
  outcome: string;
  /** Said of the outcome, the same for objects alike: "(server dry run)". */
  detail?: string;
  /** Said of this object alone (fields removed or kept, an answer): its line is never merged. */
  extra?: string;
}

/**
 * The report's lines. When every namespaced object is in one namespace, the header names it once
 * (`scope`) and the lines are kubectl's (`configmap/app created`). Otherwise each line names its
 * namespace, and objects alike in several namespaces share one line:
 * `resourcequota/quota created in namespaces a, b, c`.
 */
export function summarize(entries: OutcomeLine[]): { scope: string; lines: string[] } {
  const namespaces = new Set(entries.flatMap(({ doc }) => (doc.namespace ? [doc.namespace] : [])));
  if (namespaces.size <= 1) {
    const [only] = namespaces;
    return {
      scope: only ? `, namespace ${only}` : '',
      lines: entries.map(({ doc, outcome, detail = '', extra = '' }) => `${refOf(doc)} ${outcome}${detail}${extra}`),
    };
  }
  const lines: string[] = [];
  // One line per head and detail; the namespaces are filled in once all are known.
  const alike = new Map<string, { at: number; head: string; detail: string; namespaces: string[] }>();
  for (const { doc, outcome, detail = '', extra = '' } of entries) {
    const head = `${refOf(doc)} ${outcome}`;
    if (!doc.namespace || extra) {
      lines.push(`${head}${doc.namespace ? ` in namespace ${doc.namespace}` : ''}${detail}${extra}`);
      continue;
    }
    const key = `${head}\0${detail}`;
    const group = alike.get(key);
    if (group) group.namespaces.push(doc.namespace);
    else {
      alike.set(key, { at: lines.length, head, detail, namespaces: [doc.namespace] });
      lines.push('');
    }
  }
  for (const { at, head, detail, namespaces: where } of alike.values()) {
    lines[at] = `${head} in ${where.length === 1 ? `namespace ${where[0]}` : `namespaces ${listSome(where, 10)}`}${detail}`;
  }
  return { scope: '', lines };
}

/**
 * For an object that comes back unchanged: the fields the manifest leaves out that stay because
 * another field manager owns them. Without this, taking a field out of the manifest and getting
 * "unchanged" reads as if nothing was there to remove.
 */
export function keptNote(doc: Doc, outcome: Outcome): string {
  if (outcome !== 'unchanged' || !doc.live) return '';
  const kept = keptByOthers(doc.live, doc.obj, FIELD_MANAGER);
  if (!kept.length) return '';
  const fields = kept.map((k) => `${k.path} (${k.managers.join(', ')})`);
  return (
    `\n  Fields the manifest leaves out stay, as other field managers own them: ${listSome(fields, 10)}. ` +
    'To remove one, first take it over: apply it once with a new value and forceConflicts: true, then apply without it.'
  );
}

/** For the previews: what applying would remove, and that it will ask first. */
export function removalNote(doc: Doc, lead: string): string {
  const fields = doc.removals ?? [];
  if (!fields.length) return '';
  return `${lead}applying removes ${count(fields.length, 'field')} the manifest leaves out (asks first): ${listSome(fields)}`;
}

/**
 * What a create-only object answered (its status), indented under its line: for a
 * SubjectAccessReview whether the user may, for a TokenReview who the token is.
 */
export function answerOf(object: KubeObject | undefined): string {
  const status = object?.status;
  if (!status || typeof status !== 'object' || !Object.keys(status).length) return ' (the server answered with no status)';
  return `; its answer:\n${stringify({ status }, { lineWidth: 0 })
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}`;
}

export function label(doc: Doc): string {
  const where = `document ${doc.index}${doc.item ? `, item ${doc.item}` : ''}`;
  const what = `${doc.obj.kind} ${doc.namespace ? `${doc.namespace}/` : ''}${doc.name || '(no name)'}`;
  return `${where} (${what}, line ${doc.line})`;
}

/** `deployment.apps/web`, as kubectl prints it (a nameless create-only object: its kind alone). */
export function refOf(doc: Doc): string {
  const k = doc.kind!;
  return `${k.kind.toLowerCase()}${k.group ? `.${k.group}` : ''}${doc.name ? `/${doc.name}` : ''}`;
}

/** `deployment.apps/web in namespace shop`, for a question that may name several objects. */
export function where(doc: Doc): string {
  return `${refOf(doc)}${doc.namespace ? ` in namespace ${doc.namespace}` : ''}`;
}

export function dryOutcome(doc: Doc): Outcome {
  if (!doc.live) return 'created';
  return sameContent(doc.live, doc.dry!) ? 'unchanged' : 'configured';
}

function diffText(doc: Doc): string {
  const ref = refOf(doc);
  if (doc.createOnly) return `${ref}: created, not stored (a create-only kind: there is no live object to compare; applying returns its answer)`;
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
