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
import { stringify } from 'yaml';
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
import { bodyBudget, keepFirst } from '../common/budget.js';
import { type ManifestDoc, redactHelmValues, redactManifestSecrets } from '../common/redact.js';

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
      const a = redactHelmValues(from.config, undefined, reveal);
      const b = redactHelmValues(to.config, { of: from.config }, reveal);
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
      const a = redactManifestSecrets(from.manifest ?? '', undefined, reveal);
      const b = redactManifestSecrets(to.manifest ?? '', a.secrets, reveal);
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
      budget -= Buffer.byteLength(section.title) + 6;
      const { kept } = keepFirst(lines, budget);
      budget -= Buffer.byteLength(kept.join('\n')) + kept.length;
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
