/**
 * The one place that decides what of a Secret a model may see. Two readers need it:
 * - live objects (get_resource_yaml, describe, lists, apply diffs): strip `metadata.managedFields`
 *   and the last-applied annotation (noise, often half the object), and redact Secret values,
 *   showing their keys and decoded sizes;
 * - Helm revisions (get_helm_revision_diff): every user-supplied value, and Secret data in the
 *   rendered manifests, marked only as unchanged, changed or added. No sizes there: two revisions
 *   side by side would show how a value's length changed, and a release's values are all secret.
 * Both write the same marker, `<redacted…>`, from `redactedMarker`.
 */
import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type YAMLMap } from 'yaml';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; managedFields?: unknown; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface CleanOptions {
  keepManagedFields?: boolean;
  keepLastApplied?: boolean;
  /** Show Secret values as they are (settings.policy.revealSecrets). */
  revealSecrets?: boolean;
  /**
   * The caller asked for a Secret: an object in the answer that carries no `kind` of its own is
   * redacted as one too. Redaction never trusts the answer to have the kind that was requested.
   */
  requestedSecret?: boolean;
}

export interface CleanResult {
  object: KubeObject;
  /** What was left out, for a note to the reader. */
  removed: Array<'managedFields' | 'lastApplied'>;
  redacted: boolean;
}

/** A copy of `obj` with noise removed and Secret values redacted (never mutates the input). */
export function cleanObject(obj: KubeObject, opts: CleanOptions = {}): CleanResult {
  const object = structuredClone(obj);
  const removed: CleanResult['removed'] = [];
  const meta = object.metadata;
  if (meta) {
    if (!opts.keepManagedFields && meta.managedFields !== undefined) {
      delete meta.managedFields;
      removed.push('managedFields');
    }
    if (meta.annotations && LAST_APPLIED in meta.annotations) {
      if (!opts.keepLastApplied) {
        delete meta.annotations[LAST_APPLIED];
        if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
        removed.push('lastApplied');
      }
    }
  }
  const redacted = opts.revealSecrets ? false : redactSecretsIn(object, opts.requestedSecret === true);
  return { object, removed, redacted };
}

/**
 * Redacts, in place, every Secret `obj` holds, whatever shape the answer has: the object itself,
 * the items of any List (a SecretList's items carry no kind of their own), and the objects a
 * Table's rows embed. An object without a `kind` counts as a Secret when `secretHint` says the
 * request was for Secrets. Returns whether anything was redacted.
 */
export function redactSecretsIn(obj: unknown, secretHint = false): boolean {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return false;
  const o = obj as KubeObject;
  let any = false;
  if (isSecret(o) || (o.kind === undefined && secretHint)) {
    any = redactSecretInPlace(o);
    // The last-applied annotation of a Secret holds the values in plain JSON.
    const annotation = o.metadata?.annotations?.[LAST_APPLIED];
    if (annotation !== undefined) {
      o.metadata!.annotations![LAST_APPLIED] = redactLastApplied(annotation);
      any = true;
    }
  }
  if (Array.isArray(o.items)) {
    const itemHint = secretHint || o.kind === 'SecretList';
    for (const item of o.items) any = redactSecretsIn(item, itemHint) || any;
  }
  if (o.kind === 'Table' && Array.isArray(o.rows)) {
    for (const row of o.rows as Array<{ object?: unknown }>) any = redactSecretsIn(row?.object, secretHint) || any;
  }
  return any;
}

export function isSecret(obj: KubeObject): boolean {
  return obj.kind === 'Secret' && (obj.apiVersion === 'v1' || obj.apiVersion === undefined);
}

/**
 * Replaces every value of `data` (base64) and `stringData` with `<redacted: N bytes>` (N decoded).
 * With `before` (the same Secret's older maps, still encoded), a value that differs from it is marked
 * `<redacted: N bytes, changed>`, so a diff can say a value changed without showing either.
 */
export function redactSecretInPlace(obj: KubeObject, before?: KubeObject): boolean {
  let any = false;
  for (const field of ['data', 'stringData'] as const) {
    const values = obj[field];
    if (!values || typeof values !== 'object') continue;
    const old = (before?.[field] ?? (field === 'stringData' ? before?.data : undefined)) as Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      const bytes = typeof value !== 'string' ? 0 : field === 'data' ? Buffer.from(value, 'base64').length : Buffer.byteLength(value);
      const changed = old !== undefined && key in old && old[key] !== value;
      (values as Record<string, string>)[key] = redactedMarker(changed ? 'changed' : undefined, bytes);
      any = true;
    }
  }
  return any;
}

function redactLastApplied(annotation: string): string {
  try {
    const parsed = JSON.parse(annotation) as KubeObject;
    redactSecretInPlace(parsed);
    return JSON.stringify(parsed);
  } catch {
    return '<redacted: not valid JSON>';
  }
}

/** How a value compares with the same value in an older revision. */
export type Change = 'same' | 'changed' | 'added';

/**
 * The text that stands for a hidden value: `<redacted>`, `<redacted, changed>`, or with `bytes`
 * (live Secrets only) `<redacted: 12 bytes, changed>`. Never the content.
 */
export function redactedMarker(change?: Change, bytes?: number): string {
  const note = change === undefined || change === 'same' ? '' : `, ${change}`;
  return bytes === undefined ? `<redacted${note}>` : `<redacted: ${bytes} bytes${note}>`;
}

/** What became of a value since the older revision (undefined on the older side itself). */
function compare(value: unknown, previous: { has: boolean; value: unknown } | undefined): Change | undefined {
  if (!previous) return undefined;
  if (!previous.has) return 'added';
  return JSON.stringify(previous.value) === JSON.stringify(value) ? 'same' : 'changed';
}

/**
 * A copy of the values with every scalar but null replaced by a marker; `previous` (the older
 * revision's values) marks changed and added ones. null stays: in helm values it means "drop
 * the chart default", which is structure rather than content.
 */
export function redactHelmValues(config: unknown, previous: { of: unknown } | undefined, reveal: boolean): { value: unknown; redacted: boolean } {
  if (reveal) return { value: config, redacted: false };
  let redacted = false;
  const child = (prev: { has: boolean; value: unknown } | undefined, key: string | number) => {
    if (!prev) return undefined;
    const container = prev.value;
    if (typeof key === 'number') {
      return Array.isArray(container) && key < container.length ? { has: true, value: container[key] } : { has: false, value: undefined };
    }
    const has = !!container && typeof container === 'object' && !Array.isArray(container) && Object.hasOwn(container, key);
    return { has, value: has ? (container as Record<string, unknown>)[key] : undefined };
  };
  const walk = (node: unknown, prev: { has: boolean; value: unknown } | undefined): unknown => {
    if (Array.isArray(node)) return node.map((v, i) => walk(v, child(prev, i)));
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node as Record<string, unknown>).map(([k, v]) => [k, walk(v, child(prev, k))]));
    }
    if (node === null || node === undefined) return node;
    redacted = true;
    return redactedMarker(compare(node, prev));
  };
  return { value: walk(config, previous && { has: true, value: previous.of }), redacted };
}

export interface ManifestDoc {
  key: string;
  text: string;
}

// Any apiVersion: a chart's manifests are text a person wrote, and hiding a look-alike costs nothing.
const isSecretKind = (kind: unknown) => kind === 'Secret';
/** A document we cannot parse but that may be a Secret is hidden whole rather than shown raw. */
const MAYBE_SECRET = /^\s*kind:\s*["']?Secret["']?\s*$/m;

/**
 * The manifest with the values of every Secret's data/stringData replaced by a marker (only those
 * documents are re-rendered; the rest stay as Helm stored them). `previous` maps
 * `<doc key>/<field>/<key>` to the old revision's value, to mark changed ones.
 */
export function redactManifestSecrets(
  manifest: string,
  previous: Map<string, unknown> | undefined,
  reveal: boolean,
): { text: string; docs: ManifestDoc[]; secrets: Map<string, unknown>; redacted: boolean } {
  const secrets = new Map<string, unknown>();
  let redacted = false;
  const chunks = manifest.split(/^---[ \t]*$/m);
  const docs: ManifestDoc[] = [];

  /** Redacts one Secret map in place; `key` identifies it across revisions. */
  const redactSecret = (secret: YAMLMap, key: string) => {
    for (const field of ['data', 'stringData']) {
      const map = secret.get(field, true);
      if (map === undefined || map === null) continue;
      if (!isMap(map)) {
        // data: "<something odd>", a sequence, an alias: show none of it.
        secret.set(field, redactedMarker());
        redacted = true;
        continue;
      }
      for (const pair of map.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const raw = isScalar(pair.value) ? pair.value.value : pair.value?.toString();
        const value = field === 'data' && typeof raw === 'string' ? Buffer.from(raw, 'base64').toString('latin1') : raw;
        const id = `${key}/${field}/${name}`;
        secrets.set(id, value);
        map.set(pair.key, redactedMarker(previous && compare(value, { has: previous.has(id), value: previous.get(id) })));
        redacted = true;
      }
    }
  };
  /** Redacts every Secret in one parsed document: the document itself, or the items of a List. */
  const redactDocument = (doc: Document, key: string): boolean => {
    const root = doc.contents;
    if (!isMap(root)) return false;
    if (isSecretKind(root.get('kind'))) {
      redactSecret(root, key);
      return true;
    }
    const items = root.get('items', true);
    let found = false;
    if (isSeq(items)) {
      items.items.forEach((item, i) => {
        if (isMap(item) && isSecretKind(item.get('kind'))) {
          redactSecret(item, `${key}[${i}]`);
          found = true;
        }
      });
    }
    return found;
  };

  const out = chunks.map((chunk) => {
    if (!chunk.trim()) return chunk;
    const parsed = parseAllDocuments(chunk);
    const list = Array.isArray(parsed) ? parsed : [];
    const broken = !Array.isArray(parsed) || list.some((d) => d.errors.length > 0);
    type Meta = { kind?: string; metadata?: { name?: string; namespace?: string } } | undefined;
    let meta: Meta;
    try {
      meta = broken ? undefined : (list[0]?.toJS({ maxAliasCount: 100 }) as Meta);
    } catch {
      meta = undefined; // an alias bomb or the like: named "? ?", and redactDocument below still walks the tree
    }
    const key = `${meta?.kind ?? '?'} ${meta?.metadata?.namespace ? `${meta.metadata.namespace}/` : ''}${meta?.metadata?.name ?? '?'}`;
    let text = chunk;
    if (!reveal) {
      if (broken) {
        if (MAYBE_SECRET.test(chunk)) {
          text = `\n# ${redactedMarker()}: a document that does not parse as YAML and may be a Secret\n`;
          redacted = true;
        }
      } else {
        let touched = false;
        list.forEach((doc, i) => {
          touched = redactDocument(doc, i === 0 ? key : `${key}#${i}`) || touched;
        });
        if (touched) text = `\n${list.map((doc) => doc.toString({ lineWidth: 0 })).join('---\n')}`;
      }
    }
    docs.push({ key, text });
    return text;
  });
  return { text: out.join('---'), docs, secrets, redacted };
}
