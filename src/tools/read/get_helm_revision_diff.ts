/**
 * get_helm_revision_diff: what changed between two revisions of a Helm release: a unified diff of
 * the rendered manifests (`helm get manifest`) and of the user-supplied values (`helm get values`),
 * read from Helm's release records without the helm binary. Unless policy.revealSecrets is on:
 * - every value is redacted, not only those under secret-looking keys: a release's values live in
 *   its Secret, and a connection string under `url`, an env `value` or a `pwd` is as secret as a
 *   `password`. The keys stay, each marked unchanged, changed or added, so the diff still says what
 *   changed; a removed key shows as a removed line.
 * - Secret `data`/`stringData` in the manifests are redacted the same way, wherever a Secret sits
 *   (its own document, several documents in one `---` chunk, a List's items).
 * Other manifest objects are shown as rendered: they are what get_resource_yaml shows of the live
 * objects anyway, and the policy there is the same (Secrets redacted, the rest visible).
 * The answer keeps to the byte budget and says when it cut.
 */
import { Type } from '@sinclair/typebox';
import { isMap, isScalar, isSeq, parseAllDocuments, stringify, type Document, type YAMLMap } from 'yaml';
import { defineTool, ToolError } from '../../kernel/contract.js';
import { ContextArg, NamespaceArg, ReleaseArg } from '../common/arguments.js';
import {
  chartOf,
  forbiddenHint,
  readRecord,
  releaseDescription,
  releaseRecords,
  type HelmRelease,
  type RecordRef,
} from '../../providers/helm/release-store.js';
import { unifiedDiff } from '../common/line-diff.js';
import { bodyBudget } from '../common/budget.js';

const SHOW = ['manifest', 'values', 'both'] as const;

export default defineTool({
  name: 'get_helm_revision_diff',
  title: 'Diff two Helm revisions',
  description: 'Diff of two revisions of a Helm release: manifests and user-supplied values. Example: {"release":"web","to":4}',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      release: ReleaseArg,
      from: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the one before to.' })),
      to: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: latest.' })),
      context: ContextArg,
      namespace: NamespaceArg,
      show: Type.Optional(Type.String({ enum: [...SHOW], default: 'both', description: 'What to diff.' })),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const namespace = input.namespace ?? handle.namespace;
    const refs = await releaseRecords(handle, input.release, namespace, ctx.signal);
    const stored = refs.map((r) => r.revision);
    const storedText = `Stored revisions: ${stored.join(', ')} (helm keeps --history-max of them, 10 by default).`;
    const pick = (revision: number, arg: 'from' | 'to'): RecordRef => {
      const ref = refs.find((r) => r.revision === revision);
      if (!ref)
        throw new ToolError(
          `${arg}: release "${input.release}" has no revision ${revision} in namespace "${namespace}". ${storedText}`,
          `See them with get_helm_history {"release": "${input.release}", "namespace": "${namespace}"}.`,
        );
      return ref;
    };
    const toRef = pick(input.to ?? stored[stored.length - 1]!, 'to');
    let fromRef: RecordRef;
    if (input.from !== undefined) fromRef = pick(input.from, 'from');
    else {
      const before = refs.filter((r) => r.revision < toRef.revision);
      if (!before.length) {
        throw new ToolError(
          `Release "${input.release}" has no revision before ${toRef.revision} to compare with. ${storedText}`,
          stored.length > 1
            ? 'Pass from (and to) explicitly.'
            : `A release with one revision has nothing to compare; get_helm_history {"release": "${input.release}", "namespace": "${namespace}"} shows it.`,
        );
      }
      fromRef = before[before.length - 1]!;
    }
    if (fromRef.revision === toRef.revision)
      throw new ToolError(`from and to are both revision ${toRef.revision}: nothing to compare.`, 'Pass two different revisions.');

    let from: HelmRelease;
    let to: HelmRelease;
    try {
      [from, to] = await Promise.all([readRecord(handle, fromRef, ctx.signal), readRecord(handle, toRef, ctx.signal)]);
    } catch (err) {
      if ((err as { code?: number }).code === 403 && err instanceof ToolError) throw new ToolError(err.message, forbiddenHint(namespace, handle.context));
      throw err;
    }

    const reveal = ctx.settings.get().policy.revealSecrets;
    const show = (input.show ?? 'both') as (typeof SHOW)[number];
    const label = (rel: HelmRelease, ref: RecordRef) => {
      const description = releaseDescription(rel, reveal);
      return `revision ${ref.revision} (${chartOf(rel) ?? '?'}, ${rel.info?.status ?? ref.status}${description ? `, "${clipText(description, 120)}"` : ''})`;
    };
    const head = `Release "${input.release}" in namespace "${namespace}": ${label(from, fromRef)} → ${label(to, toRef)}.`;
    const notes: string[] = [];
    const sections: Array<{ title: string; diff: string }> = [];
    let redacted = false;

    if (show !== 'manifest') {
      const a = redactValues(from.config, undefined, reveal);
      const b = redactValues(to.config, { of: from.config }, reveal);
      redacted ||= a.redacted || b.redacted;
      const diff = unifiedDiff(valuesText(a.value), valuesText(b.value), {
        fromLabel: `values, revision ${fromRef.revision}`,
        toLabel: `values, revision ${toRef.revision}`,
      });
      sections.push({
        title: 'User-supplied values',
        diff: diff || (isEmpty(from.config) && isEmpty(to.config) ? '(none in either revision)' : '(unchanged)'),
      });
    }
    if (show !== 'values') {
      const a = redactManifest(from.manifest ?? '', undefined, reveal);
      const b = redactManifest(to.manifest ?? '', a.secrets, reveal);
      redacted ||= a.redacted || b.redacted;
      const summary = resourceSummary(a.docs, b.docs);
      const diff = unifiedDiff(a.text, b.text, { fromLabel: `manifest, revision ${fromRef.revision}`, toLabel: `manifest, revision ${toRef.revision}` });
      sections.push({ title: `Manifest${summary ? ` (${summary})` : ''}`, diff: diff || '(unchanged)' });
    }
    if (redacted) {
      notes.push(
        'Values and Secret data/stringData are redacted: every value of a release is stored in its Secret. "changed" and "added" mark ' +
          'what differs from the older revision; the server setting policy.revealSecrets shows them.',
      );
    }

    // Keep to the budget: values first (small, and what people change), then the manifest diff.
    let budget = bodyBudget(ctx.settings, 1024) - Buffer.byteLength(head);
    const parts: string[] = [head];
    for (const section of sections) {
      const lines = section.diff.split('\n');
      const kept: string[] = [];
      budget -= Buffer.byteLength(section.title) + 6;
      for (const line of lines) {
        const size = Buffer.byteLength(line) + 1;
        if (size > budget) break;
        budget -= size;
        kept.push(line);
      }
      parts.push(`== ${section.title}\n${kept.join('\n')}`);
      if (kept.length < lines.length) {
        notes.push(
          `${section.title.split(' (')[0]} diff cut after ${kept.length} of ${lines.length} lines to fit the answer budget. ${section.title.startsWith('Manifest') ? 'Pass show "values" for the values alone, or read the changed objects with get_resource_yaml.' : show === 'values' ? 'The server setting policy.maxOutputBytes sets the budget.' : 'Pass show "values" for the values alone.'}`,
        );
        budget = 0;
      }
    }
    return [...parts, ...(notes.length ? [notes.join('\n')] : [])].join('\n\n');
  },
});

function clipText(text: string, max: number): string {
  const one = text.replace(/\s*\n\s*/g, ' ');
  return one.length <= max ? one : `${one.slice(0, max)}…`;
}

function isEmpty(config: unknown): boolean {
  return config === null || config === undefined || (typeof config === 'object' && Object.keys(config as object).length === 0);
}

function valuesText(config: unknown): string {
  return isEmpty(config) ? '' : stringify(config, { sortMapEntries: true, lineWidth: 0 });
}

type Change = 'same' | 'changed' | 'added';

/** Says only that there is a value and how it compares with the older revision's: never its content or its length. */
function marker(change: Change | undefined): string {
  return change === undefined || change === 'same' ? '<redacted>' : `<redacted, ${change}>`;
}

/** What became of a value since the older revision (undefined on the older side itself). */
function compare(value: unknown, previous: { has: boolean; value: unknown } | undefined): Change | undefined {
  if (!previous) return undefined;
  if (!previous.has) return 'added';
  return JSON.stringify(previous.value) === JSON.stringify(value) ? 'same' : 'changed';
}

/**
 * A copy of the values with every scalar but null replaced by a marker; `previous` (the older
 * revision's values) marks changed and added ones. null stays: in helm values it means "drop
 * the chart default", which is structure rather than content.
 */
function redactValues(config: unknown, previous: { of: unknown } | undefined, reveal: boolean): { value: unknown; redacted: boolean } {
  if (reveal) return { value: config, redacted: false };
  let redacted = false;
  const child = (prev: { has: boolean; value: unknown } | undefined, key: string | number) => {
    if (!prev) return undefined;
    const container = prev.value;
    if (typeof key === 'number') {
      return Array.isArray(container) && key < container.length ? { has: true, value: container[key] } : { has: false, value: undefined };
    }
    const has = !!container && typeof container === 'object' && !Array.isArray(container) && Object.hasOwn(container, key);
    return { has, value: has ? (container as Record<string, unknown>)[key] : undefined };
  };
  const walk = (node: unknown, prev: { has: boolean; value: unknown } | undefined): unknown => {
    if (Array.isArray(node)) return node.map((v, i) => walk(v, child(prev, i)));
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node as Record<string, unknown>).map(([k, v]) => [k, walk(v, child(prev, k))]));
    }
    if (node === null || node === undefined) return node;
    redacted = true;
    return marker(compare(node, prev));
  };
  return { value: walk(config, previous && { has: true, value: previous.of }), redacted };
}

interface ManifestDoc {
  key: string;
  text: string;
}

const isSecretKind = (kind: unknown) => kind === 'Secret';
/** A document we cannot parse but that may be a Secret is hidden whole rather than shown raw. */
const MAYBE_SECRET = /^\s*kind:\s*["']?Secret["']?\s*$/m;

/**
 * The manifest with the values of every Secret's data/stringData replaced by a marker (only those
 * documents are re-rendered; the rest stay as Helm stored them). `previous` maps
 * `<doc key>/<field>/<key>` to the old revision's value, to mark changed ones.
 */
function redactManifest(
  manifest: string,
  previous: Map<string, unknown> | undefined,
  reveal: boolean,
): { text: string; docs: ManifestDoc[]; secrets: Map<string, unknown>; redacted: boolean } {
  const secrets = new Map<string, unknown>();
  let redacted = false;
  const chunks = manifest.split(/^---[ \t]*$/m);
  const docs: ManifestDoc[] = [];

  /** Redacts one Secret map in place; `key` identifies it across revisions. */
  const redactSecret = (secret: YAMLMap, key: string) => {
    for (const field of ['data', 'stringData']) {
      const map = secret.get(field, true);
      if (map === undefined || map === null) continue;
      if (!isMap(map)) {
        // data: "<something odd>", a sequence, an alias: show none of it.
        secret.set(field, marker(undefined));
        redacted = true;
        continue;
      }
      for (const pair of map.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const raw = isScalar(pair.value) ? pair.value.value : pair.value?.toString();
        const value = field === 'data' && typeof raw === 'string' ? Buffer.from(raw, 'base64').toString('latin1') : raw;
        const id = `${key}/${field}/${name}`;
        secrets.set(id, value);
        map.set(pair.key, marker(previous && compare(value, { has: previous.has(id), value: previous.get(id) })));
        redacted = true;
      }
    }
  };
  /** Redacts every Secret in one parsed document: the document itself, or the items of a List. */
  const redactDocument = (doc: Document, key: string): boolean => {
    const root = doc.contents;
    if (!isMap(root)) return false;
    if (isSecretKind(root.get('kind'))) {
      redactSecret(root, key);
      return true;
    }
    const items = root.get('items', true);
    let found = false;
    if (isSeq(items)) {
      items.items.forEach((item, i) => {
        if (isMap(item) && isSecretKind(item.get('kind'))) {
          redactSecret(item, `${key}[${i}]`);
          found = true;
        }
      });
    }
    return found;
  };

  const out = chunks.map((chunk) => {
    if (!chunk.trim()) return chunk;
    const parsed = parseAllDocuments(chunk);
    const list = Array.isArray(parsed) ? parsed : [];
    const broken = !Array.isArray(parsed) || list.some((d) => d.errors.length > 0);
    type Meta = { kind?: string; metadata?: { name?: string; namespace?: string } } | undefined;
    let meta: Meta;
    try {
      meta = broken ? undefined : (list[0]?.toJS({ maxAliasCount: 100 }) as Meta);
    } catch {
      meta = undefined; // an alias bomb or the like: named "? ?", and redactDocument below still walks the tree
    }
    const key = `${meta?.kind ?? '?'} ${meta?.metadata?.namespace ? `${meta.metadata.namespace}/` : ''}${meta?.metadata?.name ?? '?'}`;
    let text = chunk;
    if (!reveal) {
      if (broken) {
        if (MAYBE_SECRET.test(chunk)) {
          text = `\n# ${marker(undefined)}: a document that does not parse as YAML and may be a Secret\n`;
          redacted = true;
        }
      } else {
        let touched = false;
        list.forEach((doc, i) => {
          touched = redactDocument(doc, i === 0 ? key : `${key}#${i}`) || touched;
        });
        if (touched) text = `\n${list.map((doc) => doc.toString({ lineWidth: 0 })).join('---\n')}`;
      }
    }
    docs.push({ key, text });
    return text;
  });
  return { text: out.join('---'), docs, secrets, redacted };
}

/** "changed: Deployment web; added: Service web" over the manifest documents. */
function resourceSummary(from: ManifestDoc[], to: ManifestDoc[]): string {
  const a = new Map(from.map((d) => [d.key, d.text]));
  const b = new Map(to.map((d) => [d.key, d.text]));
  const added = [...b.keys()].filter((k) => !a.has(k));
  const removed = [...a.keys()].filter((k) => !b.has(k));
  const changed = [...b.keys()].filter((k) => a.has(k) && a.get(k)!.trim() !== b.get(k)!.trim());
  const list = (what: string, keys: string[]) =>
    keys.length ? `${what}: ${keys.slice(0, 20).join(', ')}${keys.length > 20 ? `, … (${keys.length})` : ''}` : '';
  return [list('changed', changed), list('added', added), list('removed', removed)].filter(Boolean).join('; ');
}
