/**
 * list_resources: `kubectl get <kind>` for any kind, CRDs included, with the API server's own
 * Table columns, paged with continue tokens and kept inside the output budget by asking the
 * server for a smaller page (so the continue token always points right after the last row shown).
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/clusters.js';
import type { ResolvedKind } from '../../providers/discovery.js';
import { AllNamespacesArg, ContextArg, FieldSelectorArg, KindArg, LabelSelectorArg, NamespaceArg, pageArgs } from '../arguments.js';
import { age } from '../format.js';
import { resourcePath } from '../../providers/discovery.js';
import { qualifiedResource } from '../kube-paths.js';
import { isTable, renderTable, TABLE_ACCEPT, type KubeTable } from '../kube-table.js';

const DEFAULT_LIMIT = 100;
/** Room kept for the notes after the table (continue token, counts). */
const NOTES_RESERVE = 600;

export default defineTool({
  name: 'list_resources',
  title: 'List resources of a kind',
  description:
    'kubectl get for any kind, CRDs included, with its columns. One object in depth: describe_resource. Example: {"kind":"deploy","labelSelector":"app=web"}',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      kind: KindArg,
      context: ContextArg,
      namespace: NamespaceArg,
      allNamespaces: AllNamespacesArg,
      labelSelector: LabelSelectorArg,
      fieldSelector: FieldSelectorArg,
      ...pageArgs(DEFAULT_LIMIT),
      wide: Type.Optional(Type.Boolean({ description: 'Extra columns, like -o wide.' })),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const kind = await handle.resolveKind(input.kind, ctx.signal);
    const resource = qualifiedResource(kind);
    if (!kind.verbs.includes('list')) {
      throw new ToolError(`${resource} (${kind.kind}) cannot be listed: the API server allows only ${kind.verbs.join(', ') || 'no verbs'} on it.`,
        'Use get_resource_yaml for a single object, or list_kinds to find a listable kind.');
    }
    const all = Boolean(input.allNamespaces) && kind.namespaced;
    const namespace = kind.namespaced && !all ? (input.namespace ?? handle.namespace) : undefined;
    const limit = input.limit ?? DEFAULT_LIMIT;
    const budget = Math.max(1024, ctx.settings.get().policy.maxOutputBytes - NOTES_RESERVE);

    let page = await fetchPage(handle, kind, namespace, input, limit, all, ctx.signal);
    let text = render(page, input.wide, all);
    let cut: { shown: number; asked: number } | undefined;
    if (Buffer.byteLength(text) > budget) {
      // Ask for the page that fits, so the continue token follows the last row shown.
      const fits = rowsThatFit(text, budget);
      cut = { shown: fits, asked: limit };
      page = await fetchPage(handle, kind, namespace, input, fits, all, ctx.signal);
      text = render(page, input.wide, all);
    }

    const where = all ? 'across all namespaces' : namespace ? `in namespace "${namespace}"` : '';
    const selectors = [input.labelSelector && `labels "${input.labelSelector}"`, input.fieldSelector && `fields "${input.fieldSelector}"`].filter(Boolean).join(' and ');
    const rows = page.rows?.length ?? 0;
    const notes: string[] = [];
    if (!kind.namespaced && (input.namespace || input.allNamespaces)) notes.push(`(${resource} are cluster-scoped; namespace ignored.)`);
    if (!rows && !page.metadata?.continue) {
      let msg = `No ${resource} found${where ? ` ${where}` : ''}${selectors ? ` matching ${selectors}` : ''} (context "${handle.context}").`;
      if (namespace && !(await namespaceExists(handle, namespace, ctx.signal))) msg += ` Namespace "${namespace}" does not exist; list_namespaces shows the namespaces.`;
      return [msg, ...notes].join('\n');
    }
    const next = page.metadata?.continue;
    if (next) {
      const remaining = page.metadata?.remainingItemCount;
      if (cut) notes.push(`Page cut to ${cut.shown} rows (of limit ${cut.asked}) to fit the output budget.`);
      notes.push(
        `Showing ${rows} ${resource}${remaining !== undefined ? `; ${remaining} more remain` : '; more remain'}. ` +
          `Next page: call list_resources with the same arguments plus "continue": "${next}"` +
          `${cut ? ` and "limit": ${cut.shown}` : ''}. Or narrow it with labelSelector/fieldSelector${all ? ' or a namespace' : ''}.`,
      );
    }
    return notes.length ? `${text}\n\n${notes.join('\n')}` : text;
  },
});

interface ListArgs {
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  continue?: string | undefined;
}

async function fetchPage(
  handle: ClusterHandle,
  kind: ResolvedKind,
  namespace: string | undefined,
  args: ListArgs,
  limit: number,
  all: boolean,
  signal: AbortSignal,
): Promise<KubeTable> {
  const res = await handle.request(resourcePath(kind, namespace ? { namespace } : {}), {
    accept: TABLE_ACCEPT,
    signal,
    query: {
      limit,
      continue: args.continue,
      labelSelector: args.labelSelector,
      fieldSelector: args.fieldSelector,
      // The namespace column needs each row's metadata; otherwise the cells are all we use.
      includeObject: all ? 'Metadata' : 'None',
    },
  });
  const body = res.json<unknown>();
  return isTable(body) ? body : fromPlainList(body);
}

/** A few aggregated APIs do not serve tables: NAME and AGE from the plain list, as kubectl does. */
function fromPlainList(body: unknown): KubeTable {
  const list = body as { items?: Array<{ metadata?: { name?: string; namespace?: string; creationTimestamp?: string } }>; metadata?: KubeTable['metadata'] };
  return {
    kind: 'Table',
    columnDefinitions: [
      { name: 'Name', type: 'string' },
      { name: 'Age', type: 'string' },
    ],
    rows: (list.items ?? []).map((i) => ({ cells: [i.metadata?.name, age(i.metadata?.creationTimestamp)], object: { metadata: i.metadata ?? {} } })),
    ...(list.metadata ? { metadata: list.metadata } : {}),
  };
}

function render(page: KubeTable, wide: boolean | undefined, all: boolean): string {
  return renderTable(page, { wide: Boolean(wide), namespaceColumn: all });
}

/** How many data rows of a rendered table fit in `budget` bytes (at least 1). */
function rowsThatFit(text: string, budget: number): number {
  const lines = text.split('\n');
  let used = Buffer.byteLength(lines[0]!) + 1;
  let n = 0;
  for (const line of lines.slice(1)) {
    used += Buffer.byteLength(line) + 1;
    if (used > budget) break;
    n++;
  }
  return Math.max(1, n);
}

async function namespaceExists(handle: ClusterHandle, namespace: string, signal: AbortSignal): Promise<boolean> {
  try {
    await handle.request(`/api/v1/namespaces/${encodeURIComponent(namespace)}`, { signal, timeoutMs: 3000 });
    return true;
  } catch (err) {
    return (err as { code?: number }).code !== 404;
  }
}

