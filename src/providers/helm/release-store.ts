/**
 * Helm's release records as Helm 3 and 4 store them in the cluster, read without the helm binary.
 * Shared by list_helm_releases, get_helm_history and get_helm_revision_diff.
 *
 * One record per revision, named `sh.helm.release.v1.<release>.v<revision>`, labelled
 * `owner=helm, name=<release>, version=<revision>, status=<status>`:
 * - Secrets driver (Helm's default), type `helm.sh/release.v1`: `data.release` is Kubernetes'
 *   base64 of Helm's base64 of the gzipped release JSON.
 * - ConfigMaps driver (`HELM_DRIVER=configmap`): `data.release` is Helm's base64 of the gzipped JSON.
 * Helm also reads records that are not gzipped (plain JSON under the base64), so we do too.
 *
 * Listing reads metadata only (labels), then fetches the few records whose contents are needed.
 * A decoded record is kept per cluster handle and reused while the listing shows it unchanged
 * (the same resourceVersion), so a second look at the same releases costs one metadata list.
 */
import { gunzipSync } from 'node:zlib';
import { ToolError } from '../../kernel/contract.js';
import { cutOut } from '../../kernel/logger.js';
import type { ClusterHandle } from '../cluster/handle.js';
import { METADATA_ACCEPT } from '../cluster/media-types.js';
import { namespaceSegment, objectNameSegment } from '../cluster/discovery.js';

export type HelmDriver = 'secret' | 'configmap';
export const RECORD_PREFIX = 'sh.helm.release.v1.';
/** More records than this in one listing is not a cluster a tool call should walk. */
const MAX_RECORDS = 20_000;
/** A decoded release larger than this is refused (a gzip bomb, or not a Helm record). */
const MAX_RELEASE_BYTES = 64 * 1024 * 1024;

/** One stored revision, from the record's name and labels. */
export interface RecordRef {
  driver: HelmDriver;
  /** The Secret or ConfigMap name. */
  object: string;
  namespace: string;
  release: string;
  revision: number;
  /** The status label (the decoded record is authoritative). */
  status: string;
  /** As the listing saw it: a cached decode of the same version is reused. */
  resourceVersion?: string;
}

/** The fields of a release record the tools read. */
export interface HelmRelease {
  name: string;
  namespace: string;
  version: number;
  info?: {
    status?: string;
    first_deployed?: string;
    last_deployed?: string;
    deleted?: string;
    description?: string;
    notes?: string;
  };
  chart?: { metadata?: { name?: string; version?: string; appVersion?: string } };
  /** The user-supplied values (`helm get values`). */
  config?: Record<string, unknown> | null;
  /** The rendered manifest (`helm get manifest`). */
  manifest?: string;
}

export interface RecordList {
  records: RecordRef[];
  /** Per driver, the error that kept its records from being read (403 and the like). */
  errors: Partial<Record<HelmDriver, ToolError>>;
}

const KINDS: Record<HelmDriver, { plural: string; label: string }> = {
  secret: { plural: 'secrets', label: 'Secret' },
  configmap: { plural: 'configmaps', label: 'ConfigMap' },
};

export function driverKind(driver: HelmDriver): string {
  return KINDS[driver].label;
}

function collectionPath(driver: HelmDriver, namespace: string | undefined): string {
  return namespace ? `/api/v1/namespaces/${namespaceSegment(namespace)}/${KINDS[driver].plural}` : `/api/v1/${KINDS[driver].plural}`;
}

/**
 * The release records of both drivers in one namespace (or all, when `namespace` is undefined),
 * optionally of one release, from metadata only. A driver whose records cannot be read is
 * reported in `errors`, not thrown, so the other driver's releases still show.
 */
export async function listRecords(handle: ClusterHandle, opts: { namespace: string | undefined; release?: string; signal?: AbortSignal }): Promise<RecordList> {
  const selector = `owner=helm${opts.release ? `,name=${opts.release}` : ''}`;
  const records: RecordRef[] = [];
  const errors: RecordList['errors'] = {};
  await Promise.all(
    (['secret', 'configmap'] as const).map(async (driver) => {
      try {
        let token: string | undefined;
        let seen = 0;
        do {
          const res = await handle.request(collectionPath(driver, opts.namespace), {
            accept: METADATA_ACCEPT,
            query: { labelSelector: selector, limit: 500, continue: token },
            ...(opts.signal ? { signal: opts.signal } : {}),
          });
          const body = res.json<{
            items?: Array<{ metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string } }>;
            metadata?: { continue?: string };
          }>();
          for (const item of body.items ?? []) {
            const ref = toRef(driver, item.metadata ?? {});
            if (ref) records.push(ref);
          }
          seen += body.items?.length ?? 0;
          token = body.metadata?.continue || undefined;
        } while (token && seen < MAX_RECORDS);
      } catch (err) {
        // An answer (403, 404) concerns one driver's kind; no answer at all concerns the server,
        // and is the call's answer rather than a note beside the other driver's releases.
        if (!(err instanceof ToolError) || (err as { code?: unknown }).code === undefined) throw err;
        errors[driver] = err;
      }
    }),
  );
  records.sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.release.localeCompare(b.release) || a.revision - b.revision || a.driver.localeCompare(b.driver),
  );
  return { records, errors };
}

function toRef(
  driver: HelmDriver,
  meta: { name?: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string },
): RecordRef | undefined {
  const object = meta.name ?? '';
  if (!object.startsWith(RECORD_PREFIX)) return undefined;
  const labels = meta.labels ?? {};
  const fromName = /^(.+)\.v(\d+)$/.exec(object.slice(RECORD_PREFIX.length));
  const release = labels.name ?? fromName?.[1];
  const revision = Number(labels.version ?? fromName?.[2]);
  if (!release || !Number.isInteger(revision) || revision < 1) return undefined;
  return {
    driver,
    object,
    namespace: meta.namespace ?? '',
    release,
    revision,
    status: labels.status ?? 'unknown',
    ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
  };
}

/** Thrown when a record exists but cannot be decoded; names the object. */
export class CorruptRecordError extends ToolError {}

/**
 * Decoded records by cluster handle (one context, one identity: nothing is shared between users
 * a team server impersonates), then by driver, namespace and name. An entry is used only when
 * the metadata list just read shows the same resourceVersion, so it is never staler than that
 * list, and the list itself needs the permission that would hand out the record's data anyway.
 * Bounded by entries and by the JSON's size (a release with a big manifest counts for it).
 */
const decoded = new WeakMap<ClusterHandle, Map<string, { resourceVersion: string; release: HelmRelease; bytes: number }>>();
const CACHE_ENTRIES = 512;
const CACHE_BYTES = 64 * 1024 * 1024;
const cacheKey = (ref: RecordRef) => `${ref.driver}\0${ref.namespace}\0${ref.object}`;

function remember(handle: ClusterHandle, ref: RecordRef, release: HelmRelease, bytes: number): void {
  if (!ref.resourceVersion || bytes > CACHE_BYTES / 4) return;
  const cache = decoded.get(handle) ?? new Map();
  decoded.set(handle, cache);
  cache.delete(cacheKey(ref));
  cache.set(cacheKey(ref), { resourceVersion: ref.resourceVersion, release, bytes });
  // A Map iterates oldest first: drop from the front until both bounds hold.
  let total = 0;
  for (const entry of cache.values()) total += entry.bytes;
  for (const [key, entry] of cache) {
    if (cache.size <= CACHE_ENTRIES && total <= CACHE_BYTES) break;
    cache.delete(key);
    total -= entry.bytes;
  }
}

/** Fetches and decodes one record, or takes the decode of the same version from the cache. */
export async function readRecord(handle: ClusterHandle, ref: RecordRef, signal?: AbortSignal): Promise<HelmRelease> {
  const cache = decoded.get(handle);
  const hit = ref.resourceVersion ? cache?.get(cacheKey(ref)) : undefined;
  if (hit && hit.resourceVersion === ref.resourceVersion) {
    // Refreshed as most recently used; a copy, so a caller that edits it cannot change the cache.
    cache!.delete(cacheKey(ref));
    cache!.set(cacheKey(ref), hit);
    return structuredClone(hit.release);
  }
  const res = await handle.request(`${collectionPath(ref.driver, ref.namespace)}/${objectNameSegment(ref.object)}`, signal ? { signal } : {});
  const obj = res.json<{ data?: Record<string, string>; metadata?: { resourceVersion?: string } }>();
  const release = decodeRecord(ref, obj.data?.release);
  // Keyed by the version this GET read (it may be newer than the listing's).
  const version = obj.metadata?.resourceVersion;
  if (version) remember(handle, { ...ref, resourceVersion: version }, structuredClone(release), res.text.length);
  return release;
}

/**
 * Reads many records, a few at a time, keeping order. A record that cannot be read or decoded
 * becomes `undefined` plus a line in `problems` naming it, so one damaged revision never hides
 * the others.
 */
export async function readRecords(
  handle: ClusterHandle,
  refs: readonly RecordRef[],
  signal?: AbortSignal,
): Promise<{ releases: Array<HelmRelease | undefined>; problems: string[] }> {
  const problems: string[] = [];
  const releases = await mapLimit(refs, 8, async (ref): Promise<HelmRelease | undefined> => {
    try {
      return await readRecord(handle, ref, signal);
    } catch (err) {
      if (!(err instanceof ToolError)) throw err;
      problems.push(err.message);
      return undefined;
    }
  });
  return { releases, problems };
}

/** Decodes the `data.release` field of a record (exported for tests). */
export function decodeRecord(ref: Pick<RecordRef, 'driver' | 'object' | 'namespace'>, field: string | undefined): HelmRelease {
  const fail = (why: string) =>
    new CorruptRecordError(
      `Helm release record ${driverKind(ref.driver)} "${ref.object}" in namespace "${ref.namespace}" cannot be decoded: ${why}.`,
      `The record is damaged or was not written by Helm 3/4. Inspect it with get_resource_yaml {"kind": "${ref.driver}", "name": "${ref.object}", "namespace": "${ref.namespace}"}.`,
    );
  if (typeof field !== 'string' || field === '') throw fail('it has no data.release');
  try {
    let text = field;
    // The Secrets driver's value arrives base64-encoded once more by the API server.
    if (ref.driver === 'secret') text = Buffer.from(text, 'base64').toString('latin1');
    const bytes = Buffer.from(text.trim(), 'base64');
    if (bytes.length === 0) throw new Error('data.release is not base64');
    const json = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes, { maxOutputLength: MAX_RELEASE_BYTES }) : bytes;
    const release = JSON.parse(json.toString('utf8')) as HelmRelease;
    if (!release || typeof release !== 'object' || typeof release.name !== 'string' || typeof release.version !== 'number') {
      throw new Error('the JSON inside is not a Helm release (no name or version)');
    }
    return release;
  } catch (err) {
    if (err instanceof CorruptRecordError) throw err;
    const message = (err as Error).message ?? String(err);
    throw fail(
      /JSON/.test(message)
        ? `${message.replace(/\.$/, '')}`
        : /incorrect header|invalid|unexpected end|buffer/i.test(message)
          ? `not valid gzip (${message})`
          : message,
    );
  }
}

/** `kz-demo-0.1.0`, as helm list prints CHART. */
export function chartOf(rel: HelmRelease | undefined): string | undefined {
  const md = rel?.chart?.metadata;
  if (!md?.name) return undefined;
  return `${md.name}-${md.version ?? ''}`;
}

/** Values shorter than this are not hunted for in free text: "on", "web" or "3" would blot out every description. */
const MIN_SCRUBBED_VALUE = 4;

/**
 * The release's description (`helm history` DESCRIPTION) with every user-supplied string value cut
 * out unless `reveal`: helm writes failure messages there verbatim, and a Kubernetes 422 quotes the
 * invalid value, so a connection string or password from the values can surface in it. Every user
 * value of a release lives in its Secret, so it is treated as secret like Secret data.
 */
export function releaseDescription(rel: HelmRelease | undefined, reveal: boolean): string {
  const description = rel?.info?.description ?? '';
  if (reveal || !description) return description;
  const values = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node === 'string' && node.length >= MIN_SCRUBBED_VALUE) values.add(node);
    else if (node && typeof node === 'object') for (const child of Object.values(node)) walk(child);
  };
  walk(rel?.config);
  return cutOut(description, values, '<redacted value>');
}

/** A time as `2026-11-25T08:45:36Z` (seconds). */
export function when(time: string | undefined): string | undefined {
  if (!time || time.startsWith('0001-01-01')) return undefined;
  const d = new Date(time);
  return Number.isNaN(d.getTime()) ? time : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Runs `fn` over `items` with at most `limit` at once, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** The hint for a 403 on Helm's records. */
export function forbiddenHint(namespace: string | undefined, context: string): string {
  return `Helm keeps its release records in Secrets (or ConfigMaps with HELM_DRIVER=configmap); reading them needs list and get on secrets${namespace ? ` in namespace "${namespace}"` : ' in every namespace'}. Check with \`kubectl auth can-i list secrets${namespace ? ` -n ${namespace}` : ' -A'} --context ${context}\`, or use a context that may read them.`;
}

/** Releases in `namespace` by name, for "not found" messages. */
export function releaseNames(records: readonly RecordRef[]): string[] {
  return [...new Set(records.map((r) => r.release))].sort();
}

const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Every stored revision of a release, oldest first (one storage driver: the one holding the
 * newest revision). Throws a ToolError listing the namespace's releases when there is none.
 */
export async function releaseRecords(handle: ClusterHandle, release: string, namespace: string, signal?: AbortSignal): Promise<RecordRef[]> {
  const where = `namespace "${namespace}" (context "${handle.context}")`;
  if (!RELEASE_NAME.test(release)) {
    throw new ToolError(
      `release: "${release}" is not a valid Helm release name (lower case letters, digits, "-" and ".").`,
      `List the releases with list_helm_releases {"namespace": "${namespace}"}.`,
    );
  }
  const { records, errors } = await listRecords(handle, { namespace, release, signal });
  if (!records.length && errors.secret) {
    const err = errors.secret;
    throw (err as { code?: number }).code === 403 ? new ToolError(err.message, forbiddenHint(namespace, handle.context)) : err;
  }
  if (!records.length) {
    const [here, elsewhere] = await Promise.all([
      listRecords(handle, { namespace, signal }).catch(() => undefined),
      listRecords(handle, { namespace: undefined, release, signal }).catch(() => undefined),
    ]);
    const names = releaseNames(here?.records ?? []);
    const others = [...new Set((elsewhere?.records ?? []).map((r) => r.namespace))].filter((ns) => ns !== namespace).sort();
    const found = names.length
      ? ` Releases in this namespace: ${names.slice(0, 30).join(', ')}${names.length > 30 ? ', …' : ''}.`
      : ' There are no Helm releases in this namespace.';
    throw new ToolError(
      `Helm release "${release}" not found in ${where}.${found}${others.length ? ` A release "${release}" exists in namespace${others.length > 1 ? 's' : ''} ${others.map((n) => `"${n}"`).join(', ')}.` : ''}`,
      others.length
        ? `Pass "namespace": "${others[0]}".`
        : 'Find releases in every namespace with list_helm_releases {"allNamespaces": true, "status": "all"}.',
    );
  }
  // Both drivers holding the same release is unusual; follow the one with the newest revision.
  const byRevision = [...records].sort((a, b) => a.revision - b.revision);
  const driver = byRevision[byRevision.length - 1]!.driver;
  return byRevision.filter((r) => r.driver === driver);
}
