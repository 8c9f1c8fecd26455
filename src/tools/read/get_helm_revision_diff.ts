/**
 * get_helm_revision_diff: what changed between two revisions of a Helm release: a unified diff of
 * the rendered manifests (`helm get manifest`) and of the user-supplied values (`helm get values`),
 * read from Helm's release records without the helm binary. Secret `data`/`stringData` in the
 * manifests and values under secret-looking keys are redacted (a change still shows as changed)
 * unless the settings allow revealing them; the answer keeps to the byte budget and says when cut.
 */
import { Type } from '@sinclair/typebox';
import { isMap, isScalar, parse, parseDocument, stringify } from 'yaml';
import { defineTool, ToolError } from '../../kernel/contract.js';
import { ContextArg, NamespaceArg, ReleaseArg } from '../arguments.js';
import { chartOf, forbiddenHint, readRecord, releaseRecords, type HelmRelease, type RecordRef } from '../helm-store.js';
import { unifiedDiff } from '../line-diff.js';
import { bodyBudget } from '../tail-budget.js';

const SHOW = ['manifest', 'values', 'both'] as const;
/** Values under keys like these are treated as secrets. */
const SECRET_KEY = /pass(word|wd|phrase)?$|secret|token|api[-_]?key|private[-_]?key|credential/i;

export default defineTool({
  name: 'get_helm_revision_diff',
  title: 'Diff two Helm revisions',
  description:
    'Diff of two revisions of a Helm release: manifests and user-supplied values. Example: {"release":"web","to":4}',
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
      if (!ref) throw new ToolError(`${arg}: release "${input.release}" has no revision ${revision} in namespace "${namespace}". ${storedText}`, `See them with get_helm_history {"release": "${input.release}", "namespace": "${namespace}"}.`);
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
          stored.length > 1 ? 'Pass from (and to) explicitly.' : `A release with one revision has nothing to compare; get_helm_history {"release": "${input.release}", "namespace": "${namespace}"} shows it.`,
        );
      }
      fromRef = before[before.length - 1]!;
    }
    if (fromRef.revision === toRef.revision) throw new ToolError(`from and to are both revision ${toRef.revision}: nothing to compare.`, 'Pass two different revisions.');

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
    const label = (rel: HelmRelease, ref: RecordRef) =>
      `revision ${ref.revision} (${chartOf(rel) ?? '?'}, ${rel.info?.status ?? ref.status}${rel.info?.description ? `, "${clipText(rel.info.description, 120)}"` : ''})`;
    const head = `Release "${input.release}" in namespace "${namespace}": ${label(from, fromRef)} → ${label(to, toRef)}.`;
    const notes: string[] = [];
    const sections: Array<{ title: string; diff: string }> = [];
    let redacted = false;

    if (show !== 'manifest') {
      const a = redactValues(from.config, undefined, reveal);
      const b = redactValues(to.config, { of: from.config }, reveal);
      redacted ||= a.redacted || b.redacted;
      const diff = unifiedDiff(valuesText(a.value), valuesText(b.value), { fromLabel: `values, revision ${fromRef.revision}`, toLabel: `values, revision ${toRef.revision}` });
      sections.push({ title: 'User-supplied values', diff: diff || (isEmpty(from.config) && isEmpty(to.config) ? '(none in either revision)' : '(unchanged)') });
    }
    if (show !== 'values') {
      const a = redactManifest(from.manifest ?? '', undefined, reveal);
      const b = redactManifest(to.manifest ?? '', a.secrets, reveal);
      redacted ||= a.redacted || b.redacted;
      const summary = resourceSummary(a.docs, b.docs);
      const diff = unifiedDiff(a.text, b.text, { fromLabel: `manifest, revision ${fromRef.revision}`, toLabel: `manifest, revision ${toRef.revision}` });
      sections.push({ title: `Manifest${summary ? ` (${summary})` : ''}`, diff: diff || '(unchanged)' });
    }
    if (redacted) notes.push('Secret data/stringData and values under secret-looking keys are redacted ("changed" marks a changed one); the server setting policy.revealSecrets shows them.');

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

function marker(value: unknown, changed: boolean): string {
  const bytes = typeof value === 'string' ? Buffer.byteLength(value) : Buffer.byteLength(JSON.stringify(value ?? null));
  return `<redacted: ${bytes} bytes${changed ? ', changed' : ''}>`;
}

/** A copy of the values with scalars under secret-looking keys redacted; `previous` (the old revision's) marks changes. */
function redactValues(config: unknown, previous: { of: unknown } | undefined, reveal: boolean): { value: unknown; redacted: boolean } {
  if (reveal) return { value: config, redacted: false };
  let redacted = false;
  const walk = (node: unknown, prev: unknown, secret: boolean): unknown => {
    if (Array.isArray(node)) return node.map((v, i) => walk(v, Array.isArray(prev) ? prev[i] : undefined, secret));
    if (node && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node as Record<string, unknown>).map(([k, v]) => [
          k,
          walk(v, prev && typeof prev === 'object' && !Array.isArray(prev) ? (prev as Record<string, unknown>)[k] : undefined, secret || SECRET_KEY.test(k)),
        ]),
      );
    }
    if (!secret || node === null || typeof node === 'boolean') return node;
    redacted = true;
    return marker(node, previous !== undefined && JSON.stringify(prev) !== JSON.stringify(node));
  };
  return { value: walk(config, previous?.of, false), redacted };
}

interface ManifestDoc {
  key: string;
  text: string;
}

/**
 * The manifest with the values of every Secret's data/stringData replaced by a marker (only those
 * documents are re-rendered; the rest stay as Helm stored them). `previous` maps
 * `<doc key>/<field>/<key>` to the old revision's value, to mark changed ones.
 */
function redactManifest(manifest: string, previous: Map<string, unknown> | undefined, reveal: boolean): { text: string; docs: ManifestDoc[]; secrets: Map<string, unknown>; redacted: boolean } {
  const secrets = new Map<string, unknown>();
  let redacted = false;
  const chunks = manifest.split(/^---[ \t]*$/m);
  const docs: ManifestDoc[] = [];
  const out = chunks.map((chunk) => {
    if (!chunk.trim()) return chunk;
    let meta: { kind?: string; metadata?: { name?: string; namespace?: string } } | undefined;
    try {
      meta = parse(chunk) as typeof meta;
    } catch {
      meta = undefined;
    }
    const key = `${meta?.kind ?? '?'} ${meta?.metadata?.namespace ? `${meta.metadata.namespace}/` : ''}${meta?.metadata?.name ?? '?'}`;
    let text = chunk;
    if (meta?.kind === 'Secret' && !reveal) {
      const doc = parseDocument(chunk);
      for (const field of ['data', 'stringData']) {
        const map = doc.get(field, true);
        if (!isMap(map)) continue;
        for (const pair of map.items) {
          const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
          const raw = isScalar(pair.value) ? pair.value.value : pair.value?.toString();
          const value = field === 'data' && typeof raw === 'string' ? Buffer.from(raw, 'base64').toString('latin1') : raw;
          const id = `${key}/${field}/${name}`;
          secrets.set(id, value);
          const changed = previous !== undefined && previous.get(id) !== value;
          map.set(pair.key, marker(value, changed));
          redacted = true;
        }
      }
      text = `\n${doc.toString({ lineWidth: 0 })}`;
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
  const list = (what: string, keys: string[]) => (keys.length ? `${what}: ${keys.slice(0, 20).join(', ')}${keys.length > 20 ? `, … (${keys.length})` : ''}` : '');
  return [list('changed', changed), list('added', added), list('removed', removed)].filter(Boolean).join('; ');
}
