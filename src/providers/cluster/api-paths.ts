/**
 * API paths of objects, built so that what a model typed can only ever address the one object it
 * names: names and namespaces are checked against Kubernetes' own rules before they become path
 * segments (discovery.ts re-exports these for its importers).
 */
import { ToolError } from '../../kernel/contract.js';
import type { ResolvedKind } from './discovery.js';

/**
 * The API path of a resolved kind: the collection (`name` omitted), one object, or a subresource.
 * `namespace` is ignored for cluster-scoped kinds; omit it on a namespaced kind to list across
 * all namespaces. A name or namespace that is given is checked first (objectNameSegment,
 * namespaceSegment), so a blank or `..` can never turn a request for one object into a list or
 * another resource.
 */
export function resourcePath(
  k: Pick<ResolvedKind, 'group' | 'version' | 'plural' | 'namespaced'>,
  opts: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  const ns = k.namespaced && opts.namespace !== undefined ? `/namespaces/${namespaceSegment(opts.namespace)}` : '';
  const name = opts.name !== undefined ? `/${objectNameSegment(opts.name)}` : '';
  const sub = opts.name !== undefined && opts.subresource ? `/${opts.subresource}` : '';
  return `${base}${ns}/${k.plural}${name}${sub}`;
}

/** A DNS-1123 label, which is what Kubernetes requires of a namespace's name. */
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** A value for an error message: JSON-quoted (control characters visible), and short. */
function shown(value: string): string {
  return value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}…` : JSON.stringify(value);
}

/**
 * An object's name as an API path segment, or a ToolError. Kubernetes' own rule for names in
 * paths (apimachinery's IsValidPathSegmentName): not "." or "..", no "/" or "%". Empty is refused
 * too (it would address the collection), and so are control characters, which no kind allows.
 * Which other characters a kind takes is the API server's to judge (a 404 or 422 says so).
 */
export function objectNameSegment(name: string): string {
  const rule = 'Kubernetes object names are path segments: not "." or "..", and without "/", "%" or control characters.';
  if (name.trim() === '') {
    throw new ToolError(`name ${shown(name)} is blank; name the object to read or change.`, `${rule} list_resources shows the names that exist.`);
  }
  if (name === '.' || name === '..') throw new ToolError(`name ${shown(name)} is not a valid object name.`, rule);
  const bad = ['/', '%'].find((c) => name.includes(c)) ?? (CONTROL_CHARACTER.test(name) ? 'a control character' : undefined);
  if (bad) throw new ToolError(`name ${shown(name)} is not a valid object name: it contains ${bad.length === 1 ? `"${bad}"` : bad}.`, rule);
  return encodeURIComponent(name);
}

/** A namespace as an API path segment, or a ToolError: Kubernetes requires a DNS-1123 label of at most 63 characters. */
export function namespaceSegment(namespace: string): string {
  if (namespace.length > 63 || !DNS_1123_LABEL.test(namespace)) {
    throw new ToolError(
      `namespace ${shown(namespace)} is not a valid namespace name.`,
      'Kubernetes namespaces are DNS-1123 labels: at most 63 lower case letters, digits and "-", starting and ending with a letter or digit; ' +
        'list_namespaces shows them.',
    );
  }
  return namespace;
}
