/**
 * Compact text for a model's context window: aligned tables like `kubectl get`, and ages like
 * kubectl prints them ("5m", "3d4h"). Columns are separated by at least two spaces so a model can
 * split them reliably; empty cells show "<none>" as kubectl does.
 */

export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): string {
  const cells = rows.map((row) => headers.map((_, i) => cellText(row[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

function cellText(value: string | number | undefined): string {
  if (value === undefined || value === '') return '<none>';
  return String(value).replace(/\s*\n\s*/g, ' ');
}

/**
 * kubectl's HumanDuration: two most significant units, e.g. 45s, 5m12s, 3h, 2d5h, 400d. Ours because
 * date libraries round differently, and a model compares these ages with kubectl's own output.
 */
export function age(from: string | Date | undefined, now = Date.now()): string {
  if (!from) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - new Date(from).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return `${days}d${hours % 24 ? `${hours % 24}h` : ''}`;
  if (days < 365 * 2) return `${days}d`;
  return `${Math.floor(days / 365)}y${days % 365 ? `${days % 365}d` : ''}`;
}
