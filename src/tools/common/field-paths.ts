/**
 * Field paths as kubectl takes them in `-o custom-columns` and `wait --for=jsonpath`:
 * `.metadata.name`, `{.status.phase}`, `.spec.containers[0].image`, `.spec.containers[*].image`,
 * `.metadata.labels.app\.kubernetes\.io/name` (a dot inside a key escaped). The subset of JSONPath
 * those flags are used with: fields, indexes and `[*]`; no filters or recursion, which keeps a
 * path's cost linear in the object it reads.
 *
 *   const path = parseFieldPath('.spec.containers[*].image', 'columns');
 *   valuesAt(pod, path)       // ['nginx:1.27', 'busybox']
 *   valuesText(valuesAt(...)) // 'nginx:1.27,busybox' (kubectl's join), '<none>' when nothing
 */
import { ToolError } from '../../kernel/contract.js';

export type FieldPath = ReadonlyArray<{ key: string } | { index: number } | { all: true }>;

const MAX_PATH_LENGTH = 512;

/** Parses a path, or throws a ToolError naming `field` and what was wrong. */
export function parseFieldPath(text: string, field: string): FieldPath {
  const raw = text.trim().replace(/^\{(.*)\}$/s, '$1');
  const fail = (why: string): never => {
    throw new ToolError(
      `${field}: "${text.slice(0, 80)}" is not a field path: ${why}.`,
      'Write it as kubectl does, e.g. .metadata.name, .spec.containers[*].image or .status.conditions[0].type.',
    );
  };
  if (raw.length > MAX_PATH_LENGTH) fail(`longer than ${MAX_PATH_LENGTH} characters`);
  if (!raw.startsWith('.')) fail('it must start with "."');
  const path: Array<FieldPath[number]> = [];
  let i = 0;
  while (i < raw.length) {
    if (raw[i] === '.') {
      let key = '';
      i++;
      while (i < raw.length && raw[i] !== '.' && raw[i] !== '[') {
        if (raw[i] === '\\' && raw[i + 1] === '.') {
          key += '.';
          i += 2;
        } else key += raw[i++];
      }
      if (!key) fail('a "." with no field name after it');
      if (!/^[\w\-/~]+$/.test(key.replace(/\./g, ''))) fail(`"${key}" is not a field name`);
      path.push({ key });
    } else if (raw[i] === '[') {
      const end = raw.indexOf(']', i);
      if (end < 0) fail('a "[" without "]"');
      const inner = raw.slice(i + 1, end);
      if (inner === '*') path.push({ all: true });
      else if (/^\d{1,6}$/.test(inner)) path.push({ index: Number(inner) });
      else fail(`"[${inner}]" is neither an index nor [*] (filters are not supported)`);
      i = end + 1;
    } else fail(`unexpected "${raw[i]}"`);
  }
  return path;
}

/** Every value the path reaches in `obj` (several through `[*]`), in order. */
export function valuesAt(obj: unknown, path: FieldPath): unknown[] {
  let current: unknown[] = [obj];
  for (const step of path) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || typeof value !== 'object') continue;
      if ('key' in step) {
        if (!Array.isArray(value) && Object.hasOwn(value, step.key)) next.push((value as Record<string, unknown>)[step.key]);
      } else if ('index' in step) {
        if (Array.isArray(value) && step.index < value.length) next.push(value[step.index]);
      } else if (Array.isArray(value)) next.push(...value);
      else next.push(...Object.values(value));
    }
    current = next;
  }
  return current.filter((v) => v !== undefined);
}

/** The values as kubectl prints a custom column: comma-joined, objects as JSON, `<none>` when empty. */
export function valuesText(values: readonly unknown[]): string {
  if (!values.length) return '<none>';
  return values.map((v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
}
