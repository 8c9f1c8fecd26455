/**
 * Making Kubernetes objects fit to show a model: strip `metadata.managedFields` and the
 * last-applied annotation (noise, often half the object), and redact Secret values, showing only
 * their keys and decoded sizes.
 */

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
      (values as Record<string, string>)[key] = `<redacted: ${bytes} bytes${changed ? ', changed' : ''}>`;
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
