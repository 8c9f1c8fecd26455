/**
 * YAML that a model sends (apply_yaml's `manifest`, Helm `values`) is parsed here and nowhere
 * else, with bounds checked before anything is expanded.
 *
 * Why: aliases make YAML small on the wire and huge in memory. A 1 MB manifest of aliases to one
 * large scalar cost about 500 MB per call once expanded (each alias became its own copy in the
 * JSON sent to the API server), and nested aliases grow exponentially. The `yaml` package's own
 * guard (maxAliasCount) weighs aliases by the collections they point at, so aliases of one big
 * scalar pass it. Here every document is measured on its parsed tree first, in one pass with
 * each anchor's size remembered: the number of aliases and the size the document would have
 * with every alias written out. Only a document within both bounds is turned into data.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document, type LineCounter } from 'yaml';
import { ToolError } from '../../kernel/contract.js';

/** The largest YAML text accepted (apply_yaml's manifest and Helm values declare the same maxLength). */
export const MAX_YAML_BYTES = 1024 * 1024;
/** Aliases (`*name`, merge keys included) per document: far beyond what hand-written YAML uses. */
export const MAX_YAML_ALIASES = 1000;
/** A document's size with every alias written out: a few times the largest text. */
export const MAX_YAML_EXPANDED_BYTES = 4 * 1024 * 1024;

export interface YamlParseOptions {
  /** The argument the YAML came in, for error messages. */
  field: string;
  lineCounter?: LineCounter;
  uniqueKeys?: boolean;
  /** For callers that must not fail (an audit summary): a text over MAX_YAML_BYTES gives no documents instead of an error. */
  tooLarge?: 'throw' | 'none';
}

/** The documents of `text`, unexpanded; a ToolError when the text is larger than MAX_YAML_BYTES. */
export function parseYamlDocuments(text: string, options: YamlParseOptions): Document.Parsed[] {
  const bytes = text.length > MAX_YAML_BYTES ? Buffer.byteLength(text) : 0;
  if (bytes > MAX_YAML_BYTES) {
    if (options.tooLarge === 'none') return [];
    throw new ToolError(
      `${options.field} is ${bytes} bytes of YAML; at most ${MAX_YAML_BYTES} bytes (1 MiB) are accepted.`,
      'Split it into several calls (for example one per component).',
    );
  }
  const parsed = parseAllDocuments(text, { ...(options.lineCounter ? { lineCounter: options.lineCounter } : {}), uniqueKeys: options.uniqueKeys ?? true });
  return Array.isArray(parsed) ? parsed : [];
}

/**
 * One document as plain data, after checking its aliases: a ToolError naming the argument and
 * the document (`what`, e.g. "document 2") when it has more than MAX_YAML_ALIASES aliases, would
 * expand past MAX_YAML_EXPANDED_BYTES, or refers to itself.
 */
export function yamlToJS(doc: Document, options: { field: string; what?: string }): unknown {
  const where = `${options.field}${options.what ? `, ${options.what}` : ''}`;
  const hint = 'Write the repeated parts out instead of using YAML anchors and aliases (&name / *name), or split the YAML into smaller calls.';
  const anchors = new Map<string, unknown>();
  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  let aliases = 0;
  const grow = (total: number): number => {
    if (total > MAX_YAML_EXPANDED_BYTES) {
      throw new ToolError(`${where}: the YAML would expand to more than ${MAX_YAML_EXPANDED_BYTES} bytes through its aliases; nothing was used.`, hint);
    }
    return total;
  };
  const size = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    if (isAlias(node)) {
      if (++aliases > MAX_YAML_ALIASES) throw new ToolError(`${where}: more than ${MAX_YAML_ALIASES} YAML aliases in one document; nothing was used.`, hint);
      const target = anchors.get(node.source);
      if (target !== undefined && open.has(target)) throw new ToolError(`${where}: the alias *${node.source} refers to a node that contains it.`, hint);
      return sizes.get(target) ?? 0; // an undefined anchor is a YAML error that toJS reports
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node);
    let total = 0;
    if (isScalar(node)) total = typeof node.value === 'string' ? node.value.length : 8;
    else if (isMap(node) || isSeq(node)) {
      open.add(node);
      total = 2;
      for (const item of node.items as unknown[]) total = grow(total + 2 + (isPair(item) ? size(item.key) + size(item.value) : size(item)));
      open.delete(node);
    }
    if (anchor) sizes.set(node, total);
    return total;
  };
  try {
    size(doc.contents);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new ToolError(`${where}: the YAML is nested too deeply.`, 'Flatten it; Kubernetes objects are never nested more than a few dozen levels.');
    }
    throw err;
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    // The yaml package's own alias guard, and aliases to anchors that do not exist.
    if (err instanceof ReferenceError) throw new ToolError(`${where}: ${err.message}.`, hint);
    throw err;
  }
}
