/**
 * What a server-side apply would take away. Once kubezilla-mcp's field manager owns a field (any
 * earlier apply, or a `forceConflicts` takeover), applying a manifest that leaves it out removes
 * it: replicas fall back to the default, labels, ports and resources vanish, and the API server
 * only answers "configured". apply_yaml compares the live object with the server's dry-run result
 * to name those fields before anything is written, and asks before removing them.
 *
 *   removedFields(live, dryRunResult, manifestObject)
 *     // ['spec.replicas (3, becomes 1)', 'metadata.labels.tier', 'spec.template.spec.containers[web].ports[8080]']
 */
import { LAST_APPLIED, type KubeObject } from '../../common/redact.js';

/** Metadata the API server maintains itself; it changes on every write and is never a removal. */
export const SERVER_MAINTAINED_METADATA = ['managedFields', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'uid', 'selfLink'];

/**
 * List entries are matched by the key server-side apply merges them on, so an entry is reported
 * by that key (`containers[web]`, `ports[8080]`, `env[LOG_LEVEL]`) rather than by a position that
 * shifts. Ports come first: a container port's optional `name` is not its merge key.
 */
const LIST_KEYS = ['containerPort', 'port', 'name', 'mountPath', 'devicePath', 'ip', 'topologyKey'] as const;

/** A label key or annotation can be 317 characters; one path must not crowd out the others. */
const MAX_PATH_CHARS = 160;

/** A copy without status, server-maintained metadata and kubectl's last-applied annotation. */
export function withoutServerFields(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  delete copy.status;
  const meta = copy.metadata;
  if (meta) {
    for (const key of SERVER_MAINTAINED_METADATA) delete meta[key];
    if (meta.annotations) {
      delete meta.annotations[LAST_APPLIED];
      if (!Object.keys(meta.annotations).length) delete meta.annotations;
    }
  }
  return copy;
}

/**
 * Field paths the apply would remove: present in the live object and gone from the dry-run result,
 * or (a removed field the API server defaults again, like `spec.replicas`) changed although the
 * manifest does not mention them. A field the manifest sets explicitly, `null` included (the
 * apply-patch way to drop a field), is the manifest's intent and not reported.
 */
export function removedFields(live: KubeObject, dryRunResult: KubeObject, manifest: KubeObject): string[] {
  const removed: string[] = [];
  compareObjects(withoutServerFields(live), withoutServerFields(dryRunResult), manifest, '', removed);
  return removed.map((path) => (path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS - 1)}…` : path));
}

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compareObjects(live: JsonObject, dry: JsonObject, manifest: Json, path: string, removed: string[]): void {
  const stated = isObject(manifest) ? manifest : undefined;
  for (const [key, liveValue] of Object.entries(live)) {
    const at = joinKey(path, key);
    if (stated && key in stated && stated[key] === null) continue;
    if (key in dry && dry[key] !== undefined) compareValues(liveValue, dry[key], stated?.[key], at, removed);
    else if (Array.isArray(liveValue) && mergeKey(liveValue)) {
      // A keyed list that goes entirely is named entry by entry: `ports[8080]`, `ports[9090]`.
      const listKey = mergeKey(liveValue)!;
      for (const entry of liveValue as JsonObject[]) removed.push(`${at}[${entryId(entry, listKey)}]`);
    } else removed.push(at);
  }
}

function compareValues(live: Json, dry: Json, manifest: Json, path: string, removed: string[]): void {
  if (isObject(live) && isObject(dry)) {
    compareObjects(live, dry, manifest, path, removed);
    return;
  }
  if (Array.isArray(live) && Array.isArray(dry)) {
    compareLists(live, dry, manifest, path, removed);
    return;
  }
  // A scalar (or a changed shape) the manifest does not set, yet the apply changes: it was
  // removed and defaulted again. Numbers and booleans are shown; strings may be Secret data.
  if (manifest === undefined && !sameJson(live, dry)) {
    const shown = (v: Json) => typeof v === 'number' || typeof v === 'boolean';
    removed.push(shown(live) && shown(dry) ? `${path} (${String(live)}, becomes ${String(dry)})` : path);
  }
}

function compareLists(live: Json[], dry: Json[], manifest: Json, path: string, removed: string[]): void {
  const key = mergeKey(live);
  if (key) {
    const stated = Array.isArray(manifest) ? manifest : [];
    for (const entry of live as JsonObject[]) {
      const id = entryId(entry, key);
      const at = `${path}[${id}]`;
      const kept = dry.find((d) => isObject(d) && entryId(d, key) === id);
      if (kept === undefined) removed.push(at);
      else
        compareValues(
          entry,
          kept,
          stated.find((m) => isObject(m) && entryId(m, key) === id),
          at,
          removed,
        );
    }
    return;
  }
  // A list without a merge key is replaced whole: when the manifest states it, that is its intent.
  if (manifest !== undefined) return;
  live.forEach((entry, index) => {
    if (!dry.some((d) => sameJson(d, entry))) removed.push(`${path}[${typeof entry === 'string' || typeof entry === 'number' ? entry : index}]`);
  });
}

/** The field every entry carries with a distinct value, as server-side apply keys the list. */
function mergeKey(list: Json[]): (typeof LIST_KEYS)[number] | undefined {
  if (!list.length || !list.every(isObject)) return undefined;
  return LIST_KEYS.find((key) => {
    const ids = list.map((entry) => (entry as JsonObject)[key]);
    return ids.every((id) => typeof id === 'string' || typeof id === 'number') && new Set(list.map((e) => entryId(e as JsonObject, key))).size === list.length;
  });
}

/**
 * A list entry's id from a managedFields key (`{"containerPort":80,"protocol":"TCP"}`,
 * `{"name":"web"}`), the same as `entryId` gives the entry itself.
 */
export function listEntryId(key: JsonObject): string {
  const field = LIST_KEYS.find((k) => k in key) ?? Object.keys(key)[0];
  return field === undefined ? '?' : entryId(key, field);
}

/**
 * The paths the manifest states, in the notation the reports use: `all` holds inner nodes too,
 * `whole` the ones it sets as a value (a scalar, an empty map, a list of scalars), which cover
 * everything below them.
 */
export function manifestPaths(manifest: Json, path = '', out = { all: new Set<string>(), whole: new Set<string>() }): typeof out {
  if (path) out.all.add(path);
  if (isObject(manifest) && Object.keys(manifest).length) {
    for (const [key, value] of Object.entries(manifest)) manifestPaths(value, joinKey(path, key), out);
  } else if (Array.isArray(manifest) && manifest.some(isObject)) {
    const key = mergeKey(manifest);
    manifest.forEach((entry, index) => {
      manifestPaths(entry, `${path}[${key ? entryId(entry as JsonObject, key) : String(index)}]`, out);
    });
  } else if (path) {
    out.whole.add(path);
    // A list of scalars is a set to server-side apply when its entries are owned one by one.
    if (Array.isArray(manifest)) for (const entry of manifest) out.all.add(`${path}[${String(entry)}]`);
  }
  return out;
}

/** `8080`, or `53/UDP` for a port whose protocol is not TCP (the same number can serve both). */
function entryId(entry: JsonObject, key: string): string {
  const protocol = typeof entry.protocol === 'string' && entry.protocol !== 'TCP' && (key === 'containerPort' || key === 'port') ? `/${entry.protocol}` : '';
  return `${String(entry[key])}${protocol}`;
}

/** `spec.replicas`, `metadata.labels.tier`, `metadata.labels["app.kubernetes.io/name"]`. */
export function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as Json[]).length && a.every((v, i) => sameJson(v, (b as Json[])[i]));
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in (b as JsonObject) && sameJson((a as JsonObject)[k], (b as JsonObject)[k]));
}

/** At most `max` items, then "and N more": a confirmation and a report line stay readable. */
export function listSome(items: readonly string[], max = 20): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}

export interface ObjectRemovals {
  /** `deployment.apps/web in namespace shop`. */
  object: string;
  fields: string[];
}

/**
 * The confirmation question: each object and the fields that would go, 20 fields in all at most,
 * and what to do instead when a field should stay.
 */
export function removalQuestion(objects: readonly ObjectRemovals[], context: string, max = 20): string {
  const total = objects.reduce((n, o) => n + o.fields.length, 0);
  let budget = max;
  const parts: string[] = [];
  for (const { object, fields } of objects) {
    if (budget <= 0) break;
    parts.push(`${object}: ${fields.slice(0, budget).join(', ')}`);
    budget -= fields.length;
  }
  const more = total > max ? ` and ${total - max} more` : '';
  return (
    `Applying in context ${context} removes ${total} field${total === 1 ? '' : 's'} that an earlier apply set and this manifest leaves out: ` +
    `${parts.join('; ')}${more}. Proceed? (To keep a field, add it to the manifest.)`
  );
}
