/**
 * The benchmark report: every benchmark records its figures as rows of one shape, so `npm run bench`
 * (bench/run-all.ts) can put them all in one table, bench/results/latest.json and latest.md.
 *
 * A row is one figure measured against a baseline measured in the same run, never against a number
 * from another day or machine:
 *   name      what was measured, e.g. "list_resources pods, 1,000 pods: latency"
 *   value     the figure, in `unit`; null only when the measurement itself failed
 *   unit      'ms', 'B', 'MB', 'calls/s', 'count'
 *   baseline  { name, value } of what it is compared with (same unit), or null when it stands alone
 *   ratio     value / baseline.value (so < 1 is "less than the baseline"), or null without a baseline
 *   target    { of, op, limit }: which number is judged ('value', 'ratio', or 'delta' = value −
 *             baseline.value), how ('<=' or '>='), against what; null for a figure shown for scale only
 *   met       whether the target holds; null when there is no target. A row that could not be measured
 *             has met false and says why in its name: a missed target is reported, never hidden.
 *
 * A benchmark makes one Report, adds rows, and calls done(): that prints its rows, appends them as
 * JSON lines to $BENCH_REPORT when the runner set it, and sets exit code 1 when a target is missed
 * (each `bench:*` script keeps failing on a miss; the runner ignores that and reads the rows).
 */
import { appendFileSync } from 'node:fs';

export type Unit = 'ms' | 'B' | 'MB' | 'calls/s' | 'count';

export interface Target {
  of: 'value' | 'ratio' | 'delta';
  op: '<=' | '>=';
  limit: number;
}

export interface Baseline {
  name: string;
  value: number;
}

export interface Row {
  /** The benchmark file that measured it, e.g. "kernel". */
  bench: string;
  name: string;
  value: number | null;
  unit: Unit;
  baseline: Baseline | null;
  ratio: number | null;
  target: Target | null;
  met: boolean | null;
}

export interface RowInput {
  name: string;
  value: number;
  unit: Unit;
  baseline?: Baseline;
  target?: Target;
}

/** Shorthands for the targets the benchmarks use, read as "the ratio must be at most 1.2". */
export const atMost = (of: Target['of'], limit: number): Target => ({ of, op: '<=', limit });
export const atLeast = (of: Target['of'], limit: number): Target => ({ of, op: '>=', limit });

/** Judges one row; exported so the runner and the benchmarks agree on what "met" means. */
export function judge(input: RowInput): Pick<Row, 'ratio' | 'met'> {
  const ratio = input.baseline && input.baseline.value !== 0 ? input.value / input.baseline.value : null;
  if (!input.target) return { ratio, met: null };
  const { of, op, limit } = input.target;
  const judged = of === 'value' ? input.value : of === 'ratio' ? ratio : input.baseline ? input.value - input.baseline.value : null;
  if (judged === null || !Number.isFinite(judged)) return { ratio, met: false };
  return { ratio, met: op === '<=' ? judged <= limit : judged >= limit };
}

// Rounded for reading, not for judging: `met` is computed from the unrounded numbers above.
const DIGITS: Record<Unit, number> = { ms: 2, B: 0, MB: 1, 'calls/s': 0, count: 0 };
const round = (n: number, digits: number) => Number(n.toFixed(digits));

export function formatNumber(value: number | null, unit: Unit): string {
  if (value === null) return '–';
  const digits = unit === 'ms' && Math.abs(value) >= 100 ? 0 : DIGITS[unit];
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit === 'count' ? text : `${text} ${unit}`;
}

export function formatTarget(target: Target | null, unit: Unit): string {
  if (!target) return '–';
  const op = target.op === '<=' ? '≤' : '≥';
  if (target.of === 'ratio') return `${op} ${target.limit}×`;
  if (target.of === 'delta') return `${op} +${formatNumber(target.limit, unit)}`;
  return `${op} ${formatNumber(target.limit, unit)}`;
}

const formatRatio = (ratio: number | null) => (ratio === null ? '–' : `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(ratio < 0.1 ? 3 : 2)}×`);
const formatMet = (met: boolean | null) => (met === null ? 'info' : met ? '✓' : '✗');

/** The Markdown table the README's Performance section shows (pipes in names escaped). */
export function markdownTable(rows: Row[]): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const lines = ['| Figure | Value | Baseline (same run) | Ratio | Target | Met |', '|---|---:|---|---:|---:|:---:|'];
  for (const r of rows) {
    const baseline = r.baseline ? `${r.baseline.name}: ${formatNumber(r.baseline.value, r.unit)}` : '–';
    lines.push(
      `| ${cell(r.name)} | ${formatNumber(r.value, r.unit)} | ${cell(baseline)} | ${formatRatio(r.ratio)} | ${formatTarget(r.target, r.unit)} | ${formatMet(r.met)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The same rows as plain text for a terminal: one line each. */
export function textLines(rows: Row[]): string {
  return rows
    .map((r) => {
      const baseline = r.baseline ? ` vs ${r.baseline.name} ${formatNumber(r.baseline.value, r.unit)} = ${formatRatio(r.ratio)}` : '';
      const target = r.target ? ` (target ${formatTarget(r.target, r.unit)})` : '';
      return `${formatMet(r.met).padEnd(4)} ${r.name}: ${formatNumber(r.value, r.unit)}${baseline}${target}`;
    })
    .join('\n');
}

/** Rows stored rounded, so latest.json reads like the table and diffs stay small between runs. */
function stored(row: Row): Row {
  const digits = DIGITS[row.unit] + 1;
  return {
    ...row,
    value: row.value === null ? null : round(row.value, digits),
    baseline: row.baseline ? { ...row.baseline, value: round(row.baseline.value, digits) } : null,
    ratio: row.ratio === null ? null : round(row.ratio, 4),
  };
}

export class Report {
  readonly rows: Row[] = [];

  constructor(readonly bench: string) {}

  add(input: RowInput): Row {
    const row: Row = {
      bench: this.bench,
      name: input.name,
      value: input.value,
      unit: input.unit,
      baseline: input.baseline ?? null,
      target: input.target ?? null,
      ...judge(input),
    };
    this.rows.push(row);
    return row;
  }

  /** A figure that could not be measured (a missing binary, a failed setup): reported as missed. */
  failed(name: string, unit: Unit, reason: string, target?: Target): Row {
    const row: Row = {
      bench: this.bench,
      name: `${name} (not measured: ${reason})`,
      value: null,
      unit,
      baseline: null,
      ratio: null,
      target: target ?? null,
      met: false,
    };
    this.rows.push(row);
    return row;
  }

  /** Prints the rows, hands them to the runner, and fails the process on a missed target. */
  done(): void {
    console.log(textLines(this.rows));
    const file = process.env.BENCH_REPORT;
    if (file) appendFileSync(file, this.rows.map((r) => `${JSON.stringify(stored(r))}\n`).join(''));
    if (this.rows.some((r) => r.met === false)) process.exitCode = 1;
  }
}
