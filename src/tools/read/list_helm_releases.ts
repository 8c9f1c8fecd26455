/**
 * list_helm_releases: `helm list` without the helm binary: the latest revision of every release,
 * read from Helm's release records (Secrets and ConfigMaps drivers both). Every status by default,
 * as helm 4 lists them (helm 3 showed deployed and failed only: status "deployed,failed").
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import { AllNamespacesArg, ContextArg, NamespaceArg } from '../common/arguments.js';
import { table } from '../common/format.js';
import { compilePattern } from '../common/patterns.js';
import { chartOf, forbiddenHint, listRecords, readRecords, when, type RecordRef } from '../../providers/helm/release-store.js';

const STATUSES = [
  'deployed',
  'failed',
  'pending',
  'pending-install',
  'pending-upgrade',
  'pending-rollback',
  'superseded',
  'uninstalled',
  'uninstalling',
  'unknown',
];
/** Releases whose records are fetched and shown in one answer. */
const MAX_ROWS = 200;

export default defineTool({
  name: 'list_helm_releases',
  title: 'List Helm releases',
  description: 'Helm releases with status, chart and app version (helm list). Example: {"allNamespaces":true,"filter":"^web"}',
  safety: 'read',
  needs: ['clusters'],
  input: Type.Object(
    {
      context: ContextArg,
      namespace: NamespaceArg,
      allNamespaces: AllNamespacesArg,
      filter: Type.Optional(Type.String({ description: 'Regex on release names.' })),
      status: Type.Optional(Type.String({ description: 'Helm statuses, comma-separated: deployed,failed.' })),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const namespace = input.allNamespaces ? undefined : (input.namespace ?? handle.namespace);
    const where = `${namespace ? `namespace "${namespace}"` : 'any namespace'} (context "${handle.context}")`;
    const filter = input.filter ? compilePattern(input.filter, { field: 'filter', alternative: 'For example "^web" or "db$".' }) : undefined;
    const wanted = parseStatus(input.status);

    const { records, errors } = await listRecords(handle, { namespace, signal: ctx.signal });
    const notes: string[] = [];
    if (errors.secret) {
      // Most releases live in Secrets: without them an empty answer would be a lie.
      if (errors.configmap || !records.length) throw explain(errors.secret, namespace, handle.context);
      notes.push(`Releases stored in Secrets (Helm's default) could not be read: ${errors.secret.message}`);
    }
    if (errors.configmap && !errors.secret)
      notes.push(`Releases stored in ConfigMaps (HELM_DRIVER=configmap) could not be checked: ${errors.configmap.message}`);

    // The latest revision of each release (per namespace and storage driver), as helm list shows it;
    // only superseded revisions, by definition never the latest, skip that step (as helm does).
    const matching = records.filter((r) => !filter || filter(r.release));
    let candidates: RecordRef[];
    if (wanted?.size === 1 && wanted.has('superseded')) candidates = matching;
    else {
      const latest = new Map<string, RecordRef>();
      for (const r of matching) {
        const key = `${r.driver}\n${r.namespace}\n${r.release}`;
        const seen = latest.get(key);
        if (!seen || seen.revision < r.revision) latest.set(key, r);
      }
      candidates = [...latest.values()];
    }
    const shown = candidates.filter((r) => statusMatches(r.status, wanted));
    const hidden = candidates.filter((r) => !statusMatches(r.status, wanted));
    shown.sort((a, b) => a.release.localeCompare(b.release) || a.namespace.localeCompare(b.namespace) || a.revision - b.revision);

    const rows = shown.slice(0, MAX_ROWS);
    const { releases, problems } = await readRecords(handle, rows, ctx.signal);

    const lines: string[] = [];
    if (!rows.length) {
      lines.push(`No Helm releases${wanted ? ` with status ${[...wanted].join(' or ')}` : ''}${filter ? ` matching "${input.filter}"` : ''} in ${where}.`);
    } else {
      lines.push(
        table(
          ['NAME', 'NAMESPACE', 'REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION'],
          rows.map((ref, i) => {
            const rel = releases[i];
            return [
              ref.release,
              ref.namespace,
              ref.revision,
              when(rel?.info?.last_deployed),
              rel?.info?.status ?? ref.status,
              rel ? chartOf(rel) : '<unreadable>',
              rel?.chart?.metadata?.appVersion,
            ];
          }),
        ),
      );
    }
    if (shown.length > rows.length) {
      notes.push(`Showing ${rows.length} of ${shown.length} releases; narrow with namespace or filter.`);
    }
    const inConfigMaps = rows.filter((r) => r.driver === 'configmap').map((r) => r.release);
    if (inConfigMaps.length) notes.push(`Stored in ConfigMaps (HELM_DRIVER=configmap): ${[...new Set(inConfigMaps)].join(', ')}.`);
    if (hidden.length && !wanted?.has('superseded')) {
      const sample = hidden.slice(0, 5).map((r) => `${r.release} (${r.status})`);
      notes.push(
        `${hidden.length} more release${hidden.length === 1 ? '' : 's'} with other statuses not shown: ${sample.join(', ')}${hidden.length > 5 ? ', …' : ''}. Omit status to include them.`,
      );
    }
    notes.push(...problems);
    return [lines.join('\n'), notes.join('\n')].filter(Boolean).join('\n\n');
  },
});

/** The statuses asked for (`pending` meaning all three pending-*); undefined for all, as helm 4 list. */
function parseStatus(text: string | undefined): Set<string> | undefined {
  if (!text || text.trim() === 'all') return undefined;
  const wanted = new Set<string>();
  for (const raw of text.split(',')) {
    const s = raw.trim().toLowerCase();
    if (!STATUSES.includes(s)) {
      throw new ToolError(
        `status: "${raw.trim()}" is not a Helm release status.`,
        `Use one or more of ${STATUSES.join(', ')} (comma-separated), or omit status for all.`,
      );
    }
    if (s === 'pending') for (const p of ['pending-install', 'pending-upgrade', 'pending-rollback']) wanted.add(p);
    else wanted.add(s);
  }
  return wanted;
}

function statusMatches(status: string, wanted: Set<string> | undefined): boolean {
  return !wanted || wanted.has(status) || (!STATUSES.includes(status) && wanted.has('unknown'));
}

function explain(err: ToolError, namespace: string | undefined, context: string): ToolError {
  if ((err as { code?: number }).code !== 403) return err;
  return new ToolError(err.message, forbiddenHint(namespace, context));
}
