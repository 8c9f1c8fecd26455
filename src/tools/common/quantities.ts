/**
 * Kubernetes resource quantities (`100m`, `1.5Gi`, `2e3`) read and printed as kubectl does. Ours
 * rather than a library's: the rules are a dozen lines, and the only package that has them
 * (client-node's) does not export them.
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity (`100m`, `1.5Gi`, `2e3`) as a number of base units; NaN when unreadable. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return NaN;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  const unit = m[2]!;
  if (unit in BINARY) return n * BINARY[unit]!;
  if (unit in DECIMAL) return n * DECIMAL[unit]!;
  return NaN;
}

/** CPU cores as kubectl prints them: `250m`, `2`, `1500m`. */
export function formatCpu(cores: number): string {
  if (!Number.isFinite(cores)) return '?';
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Bytes as the largest whole binary unit: `128Mi`, `2Gi`, `1536Ki`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  if (bytes === 0) return '0';
  const units = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;
  for (const unit of units) {
    const v = bytes / BINARY[unit]!;
    if (v >= 1 && Number.isInteger(v)) return `${v}${unit}`;
  }
  for (const unit of units) {
    const v = bytes / BINARY[unit]!;
    if (v >= 1) return `${Math.round(v * 10) / 10}${unit}`;
  }
  return String(Math.round(bytes));
}

export function formatResource(name: string, value: number): string {
  if (name === 'cpu') return formatCpu(value);
  if (name === 'memory' || name.endsWith('storage') || name.startsWith('hugepages-')) return formatBytes(value);
  return String(Math.round(value * 1000) / 1000);
}

/**
 * CPU as `kubectl top` prints it: always whole millicores, rounded up as Quantity.MilliValue() does
 * (`250m`, `2000m`), so a column of usages reads in one unit and matches kubectl to the digit. Counted
 * from whole nanocores first: 0.3 cores times 1000 is 300.00000000000006 in floating point.
 */
export function topMillicores(cores: number): number {
  return Math.ceil(Math.round(cores * 1e9) / 1e6);
}

export function formatTopCpu(cores: number): string {
  return Number.isFinite(cores) ? `${topMillicores(cores)}m` : '<unknown>';
}

/** Memory as `kubectl top` prints it: whole mebibytes, rounded down (`64Mi`, `2048Mi`). */
export function formatTopMemory(bytes: number): string {
  return Number.isFinite(bytes) ? `${Math.floor(Math.ceil(bytes) / 2 ** 20)}Mi` : '<unknown>';
}

/** Usage as a share of allocatable, as kubectl top node computes it (millis over millis, truncated). */
export function topPercent(used: number, allocatable: number): string {
  if (!Number.isFinite(used) || !Number.isFinite(allocatable) || allocatable <= 0) return '<unknown>';
  return `${Math.trunc((topMillicores(used) / topMillicores(allocatable)) * 100)}%`;
}
