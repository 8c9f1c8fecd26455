/**
 * Fields that a server-side apply leaves alone because another field manager owns them. Leaving a
 * field out of an applied manifest removes it only when no other manager (kubectl's client-side
 * apply, `kubectl edit`, a controller) also owns it, so a person who takes a label out of the
 * manifest and applies gets "unchanged" and the label stays. apply_yaml names those fields, read
 * from the live object's `metadata.managedFields`, so the model does not report a removal that did
 * not happen.
 *
 *   keptByOthers(live, manifest, 'kubezilla-mcp')
 *     // [{ path: 'metadata.labels.tier', managers: ['kubectl-client-side-apply'] }]
 */
import type { KubeObject } from '../../common/redact.js';
import { LAST_APPLIED } from '../../common/redact.js';
import { joinKey, listEntryId, manifestPaths } from './removals.js';

/** The field manager every apply_yaml write uses: what it owns, a later apply may remove. */
export const FIELD_MANAGER = 'kubezilla-mcp';

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
}

/**
 * The control plane's own managers keep fields they maintain (a Deployment's revision annotation):
 * nobody put those in a manifest or means to remove them, so naming them would only be noise.
 */
const SYSTEM_MANAGERS = /^(kube-controller-manager|kube-scheduler|kube-apiserver|kubelet)$/;

export interface KeptField {
  path: string;
  managers: string[];
}

/**
 * Leaf fields owned by a manager other than `self` that the manifest does not mention, in the
 * path notation of removals.ts (`spec.template.spec.containers[web].image`). Status (a
 * subresource of its own) and kubectl's last-applied annotation are not reported.
 */
export function keptByOthers(live: KubeObject, manifest: KubeObject, self: string): KeptField[] {
  const entries = (live.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
  const stated = manifestPaths(manifest);
  const mentioned = (path: string) => stated.all.has(path) || [...ancestors(path)].some((a) => stated.whole.has(a));
  const kept = new Map<string, Set<string>>();
  for (const entry of entries) {
    if (entry.manager === self || SYSTEM_MANAGERS.test(entry.manager ?? '') || entry.subresource || entry.fieldsType !== 'FieldsV1' || !entry.fieldsV1)
      continue;
    for (const path of leafPaths(entry.fieldsV1, '')) {
      if (path.startsWith('status') || path === `metadata.annotations[${JSON.stringify(LAST_APPLIED)}]` || mentioned(path)) continue;
      const owners = kept.get(path) ?? new Set<string>();
      owners.add(entry.manager ?? '(unnamed manager)');
      kept.set(path, owners);
    }
  }
  return [...kept].map(([path, managers]) => ({ path, managers: [...managers].sort() }));
}

/** The leaf fields `manager` owns in `live`, outside subresources such as status. */
export function ownedBy(live: KubeObject, manager: string): Set<string> {
  const owned = new Set<string>();
  for (const entry of (live.metadata?.managedFields ?? []) as ManagedFieldsEntry[]) {
    if (entry.manager !== manager || entry.subresource || entry.fieldsType !== 'FieldsV1' || !entry.fieldsV1) continue;
    for (const path of leafPaths(entry.fieldsV1, '')) owned.add(path);
  }
  return owned;
}

/**
 * Whether a reported field (`spec.replicas (3, becomes 1)`, `…ports[9090]`) is one `owned` covers:
 * the field itself, something inside it, or a map or list it is part of that is owned whole.
 */
export function isOwned(owned: Set<string>, reported: string): boolean {
  const path = reported.replace(/ \(.*\)$/, '').replace(/…$/, '');
  if (owned.has(path) || [...ancestors(path)].some((a) => owned.has(a))) return true;
  for (const leaf of owned) if (leaf.startsWith(`${path}.`) || leaf.startsWith(`${path}[`)) return true;
  return false;
}

/** `a.b[x].c` → `a`, `a.b`, `a.b[x]`: a manifest that sets an ancestor whole mentions the leaf. */
function* ancestors(path: string): Generator<string> {
  for (let i = 1; i < path.length; i++) if (path[i] === '.' || path[i] === '[') yield path.slice(0, i);
}

/**
 * The leaves of a FieldsV1 set: `f:name` is a field, `k:{"name":"web"}` a list entry by its
 * merge key, `v:"x"` a set member, `.` the node itself (owned as a whole, not a leaf here unless
 * it has no children).
 */
function leafPaths(node: Record<string, unknown>, path: string): string[] {
  const children = Object.entries(node).filter(([key]) => key !== '.');
  if (!children.length) return path ? [path] : [];
  const out: string[] = [];
  for (const [key, child] of children) {
    const next = child && typeof child === 'object' ? (child as Record<string, unknown>) : {};
    if (key.startsWith('f:')) out.push(...leafPaths(next, joinKey(path, key.slice(2))));
    else if (key.startsWith('k:')) out.push(...leafPaths(next, `${path}[${keyId(key.slice(2))}]`));
    else if (key.startsWith('v:')) out.push(...leafPaths(next, `${path}[${valueId(key.slice(2))}]`));
  }
  return out;
}

function keyId(json: string): string {
  try {
    const key = JSON.parse(json) as Record<string, unknown>;
    return listEntryId(key);
  } catch {
    return json;
  }
}

function valueId(json: string): string {
  try {
    const value = JSON.parse(json) as unknown;
    return typeof value === 'string' || typeof value === 'number' ? String(value) : json;
  } catch {
    return json;
  }
}
