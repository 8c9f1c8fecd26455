/**
 * apply_yaml's manifest, read: every YAML document (and every item of a List) as one object to
 * apply, with its document number and line for messages, and every problem found at once.
 */
import { LineCounter } from 'yaml';
import { ToolError } from '../../../kernel/contract.js';
import type { ResolvedKind } from '../../../providers/cluster/discovery.js';
import type { KubeObject } from '../../common/redact.js';
import { parseYamlDocuments, yamlToJS } from '../../common/yaml-input.js';

export interface Doc {
  /** 1-based document number in the manifest, and the item number inside a List. */
  index: number;
  item?: number;
  line: number;
  obj: KubeObject & { metadata: NonNullable<KubeObject['metadata']> };
  kind?: ResolvedKind;
  namespace?: string;
  name: string;
  /** The object before this call; null when it does not exist. */
  live?: KubeObject | null;
  /** The server-side dry-run result. */
  dry?: KubeObject;
  /** What the API server returned when it was applied. */
  applied?: KubeObject;
  /** Waits for a namespace created by this manifest. */
  waitsFor?: string;
  /** Fields the apply would remove: owned by this field manager, left out of the manifest. */
  removals?: string[];
  /**
   * A kind the API server only creates (SelfSubjectAccessReview, TokenReview, …): nothing is
   * stored, the answer is the object's status, and it needs no name.
   */
  createOnly?: boolean;
}

export function parseManifest(manifest: string): Doc[] {
  const lineCounter = new LineCounter();
  const parsed = parseYamlDocuments(manifest, { field: 'manifest', lineCounter, uniqueKeys: true });
  const list = Array.isArray(parsed) ? parsed : [];
  const docs: Doc[] = [];
  const problems: string[] = [];
  list.forEach((yamlDoc, i) => {
    const index = i + 1;
    const start = lineCounter.linePos(yamlDoc.contents?.range[0] ?? yamlDoc.range[0]).line;
    if (yamlDoc.errors.length) {
      // Only the first line of each message: the excerpt after it may show a Secret's value.
      problems.push(
        ...yamlDoc.errors.slice(0, 3).map((e) => `document ${index} (from line ${start}): YAML error: ${e.message.split('\n')[0]!.replace(/:$/, '')}`),
      );
      return;
    }
    const value: unknown = yamlToJS(yamlDoc, { field: 'manifest', what: `document ${index}` });
    if (value === null || value === undefined) return; // an empty document, as kubectl skips it
    const where = `document ${index} (line ${start})`;
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${where}: not a Kubernetes object (a mapping with apiVersion, kind and metadata)`);
      return;
    }
    const obj = value as KubeObject;
    const items = isList(obj) ? (obj.items as unknown[]) : undefined;
    const entries = items ? items.map((item, n) => ({ item: n + 1, value: item })) : [{ item: undefined, value: obj as unknown }];
    for (const entry of entries) {
      const at = entry.item ? `${where}, item ${entry.item}` : where;
      const problem = checkObject(entry.value);
      if (problem) {
        problems.push(`${at}: ${problem}`);
        continue;
      }
      const o = entry.value as Doc['obj'];
      o.metadata ??= {};
      docs.push({ index, ...(entry.item ? { item: entry.item } : {}), line: start, obj: o, name: (o.metadata.name as string | undefined) ?? '' });
    }
  });
  if (problems.length) {
    throw new ToolError(
      `The manifest has ${count(problems.length, 'problem')}; nothing was applied.\n${problems.join('\n')}`,
      'Fix the YAML and call apply_yaml again.',
    );
  }
  if (!docs.length)
    throw new ToolError(
      'The manifest holds no objects; nothing was applied.',
      'Pass one or more YAML documents, each with apiVersion, kind and metadata.name.',
    );
  return docs;
}

function isList(obj: KubeObject): boolean {
  return typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items);
}

/**
 * What the document lacks to be applied. A missing name alone is judged once the kind is known
 * (`missingName`): a create-only kind such as a SubjectAccessReview has none.
 */
function checkObject(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a Kubernetes object (a mapping with apiVersion, kind and metadata)';
  const o = value as KubeObject;
  if (o.metadata !== undefined && (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata))) return 'metadata must be a mapping';
  if (o.metadata?.name !== undefined && (typeof o.metadata.name !== 'string' || !o.metadata.name)) return 'metadata.name must be a non-empty string';
  const missing = [typeof o.apiVersion === 'string' && o.apiVersion ? '' : 'apiVersion', typeof o.kind === 'string' && o.kind ? '' : 'kind'].filter(Boolean);
  return missing.length ? `missing ${[...missing, ...(o.metadata?.name ? [] : ['metadata.name'])].join(', ')}` : undefined;
}

/** The problem of an object of a stored kind without a name. */
export function missingName(doc: Doc): string {
  const generate = doc.obj.metadata.generateName ? ' (generateName cannot be applied; give the object a name)' : '';
  return `missing metadata.name${generate}`;
}

export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
