/**
 * Renders the API server's Table response (what `kubectl get` prints) as compact text.
 *
 * Asking the server for `as=Table` gives every kind its own columns, CRDs included (their
 * additionalPrinterColumns), already formatted (ages, ready counts, statuses), so the tools never
 * reimplement kubectl's printers. Shared by list_resources, list_namespaces and others.
 */
import { table } from './format.js';

export { METADATA_ACCEPT, TABLE_ACCEPT } from '../../providers/cluster/media-types.js';

export interface TableColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { kind?: string; metadata?: { name?: string; namespace?: string; creationTimestamp?: string; labels?: Record<string, string> } };
}

export interface KubeTable {
  kind: 'Table';
  columnDefinitions: TableColumn[];
  rows: TableRow[] | null;
  metadata?: { continue?: string; remainingItemCount?: number; resourceVersion?: string };
}

export function isTable(value: unknown): value is KubeTable {
  return Boolean(value && typeof value === 'object' && (value as { kind?: unknown }).kind === 'Table' && Array.isArray((value as KubeTable).columnDefinitions));
}

export interface RenderOptions {
  /** Include priority > 0 columns (kubectl -o wide). */
  wide?: boolean;
  /** Prepend a NAMESPACE column from each row's object metadata (kubectl -A). */
  namespaceColumn?: boolean;
}

/** Which columns show, in order: priority 0 always, the others only when wide. */
export function visibleColumns(t: KubeTable, wide = false): number[] {
  return t.columnDefinitions
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => wide || !c.priority)
    .map(({ i }) => i);
}

/** Header row texts as kubectl prints them (upper case). */
export function headersOf(t: KubeTable, opts: RenderOptions = {}): string[] {
  const cols = visibleColumns(t, opts.wide);
  return [...(opts.namespaceColumn ? ['NAMESPACE'] : []), ...cols.map((i) => t.columnDefinitions[i]!.name.toUpperCase())];
}

/** One row's cells as strings, aligned with headersOf. */
export function rowCells(t: KubeTable, row: TableRow, opts: RenderOptions = {}): string[] {
  const cols = visibleColumns(t, opts.wide);
  return [...(opts.namespaceColumn ? [row.object?.metadata?.namespace ?? ''] : []), ...cols.map((i) => cellText(row.cells[i], t.columnDefinitions[i]!))];
}

/** The whole table as aligned text (header first); '' when there are no rows. */
export function renderTable(t: KubeTable, opts: RenderOptions = {}): string {
  const rows = t.rows ?? [];
  if (!rows.length) return '';
  return table(
    headersOf(t, opts),
    rows.map((r) => rowCells(t, r, opts)),
  );
}

function cellText(value: unknown, column: TableColumn): string {
  if (value === null || value === undefined) return '<none>';
  if (typeof value === 'string') return value === '' ? '<none>' : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length ? value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',') : '<none>';
  void column;
  return JSON.stringify(value);
}
