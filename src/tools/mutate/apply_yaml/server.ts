/**
 * What the API server says to apply_yaml: which kinds it serves (one discovery refresh for a CRD
 * created a moment ago), and its apply errors explained in the manifest's terms (a 422's causes,
 * a type mismatch the server reports as a 500, an ownership conflict and how to resolve it).
 */
import { ToolError } from '../../../kernel/contract.js';
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import type { ResolvedKind } from '../../../providers/cluster/discovery.js';
import { invalidFields } from '../../../providers/cluster/kube-errors.js';
import { qualifiedResource } from '../../common/objects.js';

/** The object an error is about, as apply_yaml's documents carry it once their kind is resolved. */
export interface ApplyTarget {
  kind?: ResolvedKind;
  name: string;
  namespace?: string;
}

export class KindFinder {
  #refreshed = false;
  /** One lookup per apiVersion and kind, however many documents share them. */
  #found = new Map<string, Promise<ResolvedKind | string>>();
  constructor(
    private readonly handle: ClusterHandle,
    private readonly signal: AbortSignal,
  ) {}

  /** The served kind for apiVersion + kind, or why there is none. */
  find(apiVersion: string, kind: string): Promise<ResolvedKind | string> {
    const key = `${apiVersion}\0${kind}`;
    let found = this.#found.get(key);
    if (!found) {
      found = this.#lookUp(apiVersion, kind);
      this.#found.set(key, found);
    }
    return found;
  }

  async #lookUp(apiVersion: string, kind: string): Promise<ResolvedKind | string> {
    let all = await this.handle.listKinds(this.signal);
    let hit = all.find((k) => k.apiVersion === apiVersion && k.kind === kind);
    if (!hit && !this.#refreshed) {
      this.#refreshed = true; // a CRD created a moment ago: look once more
      this.handle.discovery.invalidate();
      all = await this.handle.listKinds(this.signal);
      hit = all.find((k) => k.apiVersion === apiVersion && k.kind === kind);
    }
    if (hit) return hit;
    const elsewhere = [...new Set(all.filter((k) => k.kind === kind).map((k) => k.apiVersion))];
    if (elsewhere.length) return `apiVersion ${apiVersion} does not serve kind ${kind}; this cluster serves it as ${elsewhere.join(', ')}`;
    return (
      `kind ${kind} (apiVersion ${apiVersion}) is not served by context "${this.handle.context}"; ` +
      'if it is a custom resource, apply its CustomResourceDefinition first (list_kinds shows what is served)'
    );
  }
}

/**
 * How the API server words a field that cannot change once the object exists: "field is
 * immutable" (a Deployment's selector, a Job's template), "may not change once set" (a Service's
 * clusterIP), "is immutable after creation" (a PVC's spec), "updates to statefulset spec for
 * fields other than … are forbidden".
 */
const IMMUTABLE = /field is immutable|is immutable after creation|may not change once set|updates to \S+ spec for fields other than .* are forbidden/i;

export function explainApplyError(handle: ClusterHandle, err: unknown, doc: ApplyTarget, verb: string): ToolError {
  const e = err as { code?: number; body?: { message?: string; reason?: string; details?: { causes?: Array<{ field?: string; message?: string }> } } };
  const causes = e.body?.details?.causes ?? [];
  const immutable = causes.filter((c) => IMMUTABLE.test(c.message ?? ''));
  if (e.code === 422 && immutable.length) {
    const fields = [...new Set(immutable.map((c) => c.field ?? '?'))].join(', ');
    const ref = `${doc.kind?.kind ?? 'object'} ${doc.namespace ? `${doc.namespace}/` : ''}${doc.name}`;
    const others =
      causes.length > immutable.length
        ? ` Also invalid: ${invalidFields({ details: { causes: causes.filter((c) => !immutable.includes(c)) } }).join('; ')}.`
        : '';
    return new ToolError(
      `cannot change ${fields} of the existing ${ref}: the API server does not allow changing it once the object exists.${others}`,
      `To change it the object must be deleted and created again: delete_resource (a destructive tool, off unless the person turned that class on; ` +
        'what the object owns, such as its pods, goes with it), then apply_yaml again. Otherwise keep the live value in the manifest.',
    );
  }
  if (e.code === 422 && causes.length) return new ToolError(`invalid: ${invalidFields(e.body).join('; ')}`);
  // Server-side apply checks field types before anything else and reports a mismatch as a 500
  // ("failed to create typed patch object … .data.a: expected string, got …"): the manifest is
  // wrong, not the server, so say so instead of suggesting a retry.
  const typed = /failed to create typed patch object \([^)]*\): (.*)$/s.exec(e.body?.message ?? '');
  if (typed) {
    const problem = typed[1]!.replace(/&value\.valueUnstructured\{Value:(.*?)\}/g, '$1').trim();
    return new ToolError(
      `invalid: ${problem}`,
      'Fix the type in the manifest; a value the schema wants as a string must be quoted in YAML, e.g. "1" or "true".',
    );
  }
  if (e.code === 409 && /conflict/i.test(e.body?.message ?? '') && e.body?.reason === 'Conflict') {
    return new ToolError(
      `field ownership conflict: ${e.body.message}`,
      'Another field manager (kubectl, a controller, helm) owns the fields listed. If this change is what the person asked for, call ' +
        'again with forceConflicts: true, no need to ask again: this manifest then wins for exactly those fields and nothing else ' +
        'changes hands. Otherwise leave them out of the manifest, or change them through their owner.',
    );
  }
  return handle.describeError(err, { verb, resource: qualifiedResource(doc.kind!), name: doc.name, ...(doc.namespace ? { namespace: doc.namespace } : {}) });
}
