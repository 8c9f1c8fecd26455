/**
 * list_resources: `kubectl get <kind>` for any kind, CRDs included, with the API server's own
 * Table columns, paged with continue tokens and kept inside the output budget by asking the
 * server for a smaller page (so the continue token always points right after the last row shown).
 * A category instead of a kind (`all`, or a CRD's categories), or several kinds at once
 * (`roles,rolebindings`), lists each kind, as `kubectl get all` does. `columns` is kubectl's
 * `-o custom-columns`: the values of field paths (common/field-paths.ts) read from each object,
 * with Secret values redacted first unless the settings reveal them.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import type { ResolvedKind } from '../../providers/cluster/discovery.js';
import { AllNamespacesArg, ContextArg, FieldSelectorArg, KindArg, LabelSelectorArg, NamespaceArg, pageArgs } from '../common/arguments.js';
import { bodyBudget, keepFirst } from '../common/budget.js';
import { age } from '../common/format.js';
import { namespaceSegment, resourcePath } from '../../providers/cluster/discovery.js';
import { nearNames, qualifiedResource } from '../common/objects.js';
import { parseFieldPath, valuesAt, valuesText, type FieldPath } from '../common/field-paths.js';
import { redactSecretsIn, type KubeObject } from '../common/redact.js';
import { isTable, renderTable, TABLE_ACCEPT, type KubeTable } from '../common/tables.js';

const DEFAULT_LIMIT = 100;
/** Room kept for the notes after the table (continue token, counts). */
const NOTES_RESERVE = 600;

export default defineTool({
  name: 'list_resources',
  title: 'List resources',
  description: 'kubectl get for any kind or category ("all"), CRDs too, with its columns. Example: {"kind":"all","namespace":"shop"}',
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
      columns: Type.Optional(Type.String({ maxLength: 2048, description: 'As -o custom-columns, e.g. "NAME:.metadata.name,IMG:.spec.containers[*].image".' })),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const budget = bodyBudget(ctx.settings, NOTES_RESERVE);
    const view: View = {
      wide: input.wide,
      ...(input.columns !== undefined ? { columns: parseColumns(input.columns) } : {}),
      reveal: ctx.settings.get().policy.revealSecrets,
    };
    const kindTexts = [
      ...new Set(
        input.kind
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
      ),
    ];
    if (kindTexts.length > 1) {
      const kinds: ResolvedKind[] = [];
      for (const text of kindTexts) kinds.push(await handle.resolveKind(text, ctx.signal));
      return listCategory(handle, `kinds "${kindTexts.join(',')}"`, kinds, input, view, budget, ctx.signal);
    }
    const resolved = await handle.resolveKindOrCategory(kindTexts[0] ?? input.kind, ctx.signal);
    if ('category' in resolved) return listCategory(handle, `category "${resolved.category}"`, resolved.kinds, input, view, budget, ctx.signal);
    const kind = resolved.kind;
    const resource = qualifiedResource(kind);
    if (!kind.verbs.includes('list')) {
      throw new ToolError(
        `${resource} (${kind.kind}) cannot be listed: the API server allows only ${kind.verbs.join(', ') || 'no verbs'} on it.`,
        'Use get_resource_yaml for a single object, or list_kinds to find a listable kind.',
      );
    }
    const all = Boolean(input.allNamespaces) && kind.namespaced;
    const namespace = kind.namespaced && !all ? (input.namespace ?? handle.namespace) : undefined;
    const limit = input.limit ?? DEFAULT_LIMIT;

    let page = await fetchPage(handle, kind, namespace, input, view, limit, all, ctx.signal);
    let text = render(page, view, all);
    let cut: { shown: number; asked: number } | undefined;
    if (Buffer.byteLength(text) > budget) {
      // Ask for the page that fits, so the continue token follows the last row shown.
      const fits = rowsThatFit(text, budget);
      cut = { shown: fits, asked: limit };
      page = await fetchPage(handle, kind, namespace, input, view, fits, all, ctx.signal);
      text = render(page, view, all);
    }

    const where = all ? 'across all namespaces' : namespace ? `in namespace "${namespace}"` : '';
    const selectors = [input.labelSelector && `labels "${input.labelSelector}"`, input.fieldSelector && `fields "${input.fieldSelector}"`]
      .filter(Boolean)
      .join(' and ');
    const rows = page.rows?.length ?? 0;
    const notes: string[] = [];
    if (!kind.namespaced && (input.namespace || input.allNamespaces)) notes.push(`(${resource} are cluster-scoped; namespace ignored.)`);
    if (!rows && !page.metadata?.continue) {
      let msg = `No ${resource} found${where ? ` ${where}` : ''}${selectors ? ` matching ${selectors}` : ''} (context "${handle.context}").`;
      if (namespace) msg += await missingNamespace(handle, namespace, ctx.signal);
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

interface CategoryArgs extends ListArgs {
  namespace?: string | undefined;
  allNamespaces?: boolean | undefined;
  limit?: number | undefined;
}

/** How rows are shown: the server's columns (wide or not), or custom columns read from each object. */
interface View {
  wide?: boolean | undefined;
  columns?: Columns;
  /** policy.revealSecrets: custom columns may read Secret values only when it is on. */
  reveal: boolean;
}

interface Columns {
  headers: string[];
  paths: FieldPath[];
}

const MAX_COLUMNS = 20;

/** `NAME:.metadata.name,IMAGES:.spec.containers[*].image` as kubectl's -o custom-columns reads it. */
function parseColumns(spec: string): Columns {
  const entries = spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (!entries.length || entries.length > MAX_COLUMNS) {
    throw new ToolError(
      `columns: give 1 to ${MAX_COLUMNS} columns as HEADER:.field.path, separated by commas.`,
      'e.g. "NAME:.metadata.name,NODE:.spec.nodeName".',
    );
  }
  const headers: string[] = [];
  const paths: FieldPath[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const header = entry.slice(0, colon).trim();
    if (colon <= 0 || !header) throw new ToolError(`columns: "${entry.slice(0, 80)}" is not HEADER:.field.path.`, 'e.g. "IMAGES:.spec.containers[*].image".');
    headers.push(header);
    paths.push(parseFieldPath(entry.slice(colon + 1), 'columns'));
  }
  return { headers, paths };
}

/**
 * `kubectl get all` (or another category): a table per kind that has objects, each name written
 * kind/name as kubectl does, so it can be passed on to other tools as it is. Each kind shows its
 * first page. A continue token belongs to one kind, so a kind with more rows, or one the budget
 * left out, gets a line saying how to list it alone; a kind this user may not list gets its error
 * and the others still show, as with kubectl.
 */
async function listCategory(
  handle: ClusterHandle,
  what: string,
  kinds: ResolvedKind[],
  input: CategoryArgs,
  view: View,
  budget: number,
  signal: AbortSignal,
): Promise<string> {
  if (input.continue) {
    throw new ToolError(
      `"continue" pages through one kind, not the ${what}.`,
      'Call list_resources with the kind the note named (for example "deployments.apps") and its continue value.',
    );
  }
  const all = Boolean(input.allNamespaces);
  const namespace = all ? undefined : (input.namespace ?? handle.namespace);
  const limit = input.limit ?? DEFAULT_LIMIT;
  const listable = kinds.filter((k) => k.verbs.includes('list'));
  const pages = await Promise.all(
    listable.map(async (kind) => {
      const ns = kind.namespaced ? namespace : undefined;
      try {
        return { kind, page: await fetchPage(handle, kind, ns, input, view, limit, all && kind.namespaced, signal) };
      } catch (err) {
        if (signal.aborted) throw err;
        // The explained first sentence; the server's own words repeat it once per kind.
        return { kind, error: String((err as Error).message ?? err).split(' The API server said:')[0]! };
      }
    }),
  );

  const sections: string[] = [];
  const notes: string[] = [];
  let used = 0;
  for (const result of pages) {
    const resource = qualifiedResource(result.kind);
    if ('error' in result) {
      notes.push(`${resource}: ${result.error}`);
      continue;
    }
    const rows = result.page.rows ?? [];
    if (!rows.length) continue;
    const alone = `list_resources ${JSON.stringify({
      kind: resource,
      ...(all ? { allNamespaces: true } : result.kind.namespaced ? { namespace } : {}),
      ...(input.labelSelector ? { labelSelector: input.labelSelector } : {}),
      ...(input.fieldSelector ? { fieldSelector: input.fieldSelector } : {}),
    })}`;
    if (used >= budget) {
      notes.push(`${resource}: not shown, the answer is full; ${alone} lists them.`);
      continue;
    }
    let text = render(withKindNames(result.page, result.kind), view, all && result.kind.namespaced);
    if (used + Buffer.byteLength(text) > budget) {
      const fits = rowsThatFit(text, budget - used);
      text = text
        .split('\n')
        .slice(0, fits + 1)
        .join('\n');
      notes.push(`${resource}: the first ${fits} shown to fit the output budget; ${alone} pages through all of them.`);
    } else if (result.page.metadata?.continue) {
      notes.push(`${resource}: the first ${rows.length} shown, more remain; ${alone} pages through them.`);
    }
    sections.push(text);
    used += Buffer.byteLength(text) + 2;
  }

  const members = `${what}: ${listable.map(qualifiedResource).join(', ')}`;
  if (!sections.length) {
    const where = all ? 'across all namespaces' : `in namespace "${namespace}"`;
    if (notes.length === listable.length) {
      throw new ToolError(
        `No kind of the ${members} could be listed ${where} (context "${handle.context}"):\n${notes.join('\n')}`,
        'Each line says why; for RBAC refusals use a context with the rights, or a namespace this user may read.',
      );
    }
    let msg = `No resources found ${where} (${members}; context "${handle.context}").`;
    if (namespace && !notes.length) msg += await missingNamespace(handle, namespace, signal);
    return [msg, ...notes].join('\n');
  }
  return [sections.join('\n\n'), [`(${members})`, ...notes].join('\n')].join('\n\n');
}

/** The table with each name written kind.group/name, as kubectl prints a category. */
function withKindNames(page: KubeTable, kind: ResolvedKind): KubeTable {
  const column = page.columnDefinitions.findIndex((c) => c.format === 'name' || c.name === 'Name');
  if (column < 0) return page;
  const prefix = `${kind.kind.toLowerCase()}${kind.group ? `.${kind.group}` : ''}/`;
  return { ...page, rows: (page.rows ?? []).map((row) => ({ ...row, cells: row.cells.map((cell, i) => (i === column ? `${prefix}${String(cell)}` : cell)) })) };
}

async function fetchPage(
  handle: ClusterHandle,
  kind: ResolvedKind,
  namespace: string | undefined,
  args: ListArgs,
  view: View,
  limit: number,
  all: boolean,
  signal: AbortSignal,
): Promise<KubeTable> {
  if (view.columns) return fetchCustomColumns(handle, kind, namespace, args, view.columns, view.reveal, limit, signal);
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

/** The plain list, each object read through the custom columns (after Secret values are redacted). */
async function fetchCustomColumns(
  handle: ClusterHandle,
  kind: ResolvedKind,
  namespace: string | undefined,
  args: ListArgs,
  columns: Columns,
  reveal: boolean,
  limit: number,
  signal: AbortSignal,
): Promise<KubeTable> {
  const res = await handle.request(resourcePath(kind, namespace ? { namespace } : {}), {
    signal,
    query: { limit, continue: args.continue, labelSelector: args.labelSelector, fieldSelector: args.fieldSelector },
  });
  const list = res.json<PlainList>();
  if (!reveal) redactSecretsIn(list, kind.kind === 'Secret' && !kind.group);
  return listAsTable(list, columns.headers, (item) => columns.paths.map((path) => valuesText(valuesAt(item, path))));
}

/** A few aggregated APIs do not serve tables: NAME and AGE from the plain list, as kubectl does. */
function fromPlainList(body: unknown): KubeTable {
  return listAsTable(body as PlainList, ['Name', 'Age'], (item) => [item.metadata?.name, age(item.metadata?.creationTimestamp as string | undefined)]);
}

type PlainList = { items?: KubeObject[]; metadata?: KubeTable['metadata'] };

/** A plain list as a Table: the given columns per item, and each row's metadata for the namespace column. */
function listAsTable(list: PlainList, headers: readonly string[], cells: (item: KubeObject) => unknown[]): KubeTable {
  return {
    kind: 'Table',
    columnDefinitions: headers.map((name) => ({ name, type: 'string' })),
    rows: (list.items ?? []).map((item) => ({ cells: cells(item), object: { metadata: item.metadata ?? {} } })),
    ...(list.metadata ? { metadata: list.metadata } : {}),
  };
}

function render(page: KubeTable, view: View, all: boolean): string {
  return renderTable(page, { wide: Boolean(view.wide) || view.columns !== undefined, namespaceColumn: all });
}

/** How many data rows of a rendered table fit in `budget` bytes (at least 1). */
function rowsThatFit(text: string, budget: number): number {
  const [header = '', ...rows] = text.split('\n');
  return Math.max(1, keepFirst(rows, budget - Buffer.byteLength(header) - 1).kept.length);
}

/**
 * For an empty answer: " Namespace "x" does not exist; …" (with the closest names) when that is
 * why, since the API server lists nothing rather than saying so; '' when it exists or cannot be told.
 */
async function missingNamespace(handle: ClusterHandle, namespace: string, signal: AbortSignal): Promise<string> {
  try {
    await handle.request(`/api/v1/namespaces/${namespaceSegment(namespace)}`, { signal, timeoutMs: 3000 });
    return '';
  } catch (err) {
    if ((err as { code?: number }).code !== 404) return '';
  }
  const near = await handle.resolveKind('namespaces', signal).then(
    (kind) => nearNames(handle, kind, undefined, namespace, signal),
    () => [],
  );
  return ` Namespace "${namespace}" does not exist${near.length ? ` (did you mean: ${near.join(', ')}?)` : ''}; list_namespaces shows the namespaces.`;
}
