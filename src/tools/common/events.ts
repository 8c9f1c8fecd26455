/**
 * Reading and rendering core/v1 Events, shared by get_events and describe_resource: paged lists
 * with a cap, the time an event was last seen whichever field carries it (lastTimestamp,
 * series.lastObservedTime, eventTime, creation), and a compact table that keeps the newest rows
 * within a byte budget and says how many older ones it left out.
 */
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import { age, table } from './format.js';
import { keepNewest } from './budget.js';
import { namespaceSegment } from '../../providers/cluster/discovery.js';

export interface KEvent {
  metadata: { name: string; namespace?: string; creationTimestamp?: string };
  involvedObject: { kind?: string; name?: string; namespace?: string; uid?: string; apiVersion?: string; fieldPath?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  source?: { component?: string; host?: string };
  reportingComponent?: string;
}

/** Never read more than this many events for one answer. */
export const MAX_EVENTS_READ = 5000;

export function lastSeen(e: KEvent): string {
  return e.series?.lastObservedTime || e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata.creationTimestamp || '';
}

export function eventCount(e: KEvent): number {
  return e.series?.count ?? e.count ?? 1;
}

/**
 * How often a repeated event happened, `(x5 over 10m)` counted from when it was first seen, as
 * `kubectl events` says it; empty for an event seen once.
 */
export function repeatNote(e: KEvent, now?: number): string {
  const count = eventCount(e);
  if (count <= 1) return '';
  const first = e.firstTimestamp || e.eventTime || e.metadata.creationTimestamp;
  return `(x${count} over ${age(first || undefined, now)})`;
}

/** `pod/web-1`, as kubectl prints an event's object. */
export function eventObject(e: KEvent): string {
  return `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`;
}

export function byLastSeen(a: KEvent, b: KEvent): number {
  const ta = new Date(lastSeen(a)).getTime() || 0;
  const tb = new Date(lastSeen(b)).getTime() || 0;
  return ta - tb || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);
}

/**
 * Lists events of a namespace (or all, `namespace` undefined), following continue tokens up to
 * MAX_EVENTS_READ. `capped` tells whether more were left unread.
 */
export async function listEvents(
  handle: ClusterHandle,
  opts: { namespace?: string; fieldSelector?: string; signal?: AbortSignal },
): Promise<{ events: KEvent[]; capped: boolean }> {
  const path = opts.namespace ? `/api/v1/namespaces/${namespaceSegment(opts.namespace)}/events` : '/api/v1/events';
  const events: KEvent[] = [];
  let token: string | undefined;
  do {
    let page: { items?: KEvent[]; metadata?: { continue?: string } };
    try {
      const res = await handle.request(path, {
        query: { limit: 500, continue: token, fieldSelector: opts.fieldSelector || undefined },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      page = res.json();
    } catch (err) {
      throw handle.describeError(err, { verb: 'list', resource: 'events', ...(opts.namespace ? { namespace: opts.namespace } : {}) });
    }
    events.push(...(page.items ?? []));
    token = page.metadata?.continue || undefined;
  } while (token && events.length < MAX_EVENTS_READ);
  return { events, capped: Boolean(token) };
}

export interface RenderOptions {
  /** Bytes the table may take. */
  budget: number;
  /** Adds a NAMESPACE column (all-namespaces lists). */
  namespaceColumn?: boolean;
  /** Leaves out the OBJECT column (describe, where the object is known). */
  objectColumn?: boolean;
  now?: number;
}

/**
 * The events as a table, oldest first so the newest are last, keeping the newest rows that fit
 * `budget`. Returns the text and how many older rows were dropped.
 */
export function renderEvents(events: readonly KEvent[], opts: RenderOptions): { text: string; dropped: number } {
  const sorted = [...events].sort(byLastSeen);
  const withObject = opts.objectColumn !== false;
  // `kubectl get events`'s columns. How often a repeated event happened (which kubectl keeps to its
  // wide COUNT column) trails the message: at the end of the last column it costs only its own bytes,
  // where in LAST SEEN it would widen that column on every row.
  const headers = [...(opts.namespaceColumn ? ['NAMESPACE'] : []), 'LAST SEEN', 'TYPE', 'REASON', ...(withObject ? ['OBJECT'] : []), 'MESSAGE'];
  const rows = sorted.map((e) => [
    ...(opts.namespaceColumn ? [e.metadata.namespace ?? e.involvedObject.namespace ?? ''] : []),
    age(lastSeen(e) || undefined, opts.now),
    e.type ?? '',
    e.reason ?? '',
    ...(withObject ? [eventObject(e)] : []),
    [clipMessage(e.message ?? ''), repeatNote(e, opts.now)].filter(Boolean).join(' '),
  ]);
  const full = table(headers, rows).split('\n');
  const header = full[0]!;
  const { kept } = keepNewest(full.slice(1), opts.budget - Buffer.byteLength(header) - 1);
  const dropped = rows.length - kept.length;
  // Dropping rows can only narrow the columns, so the re-rendered table fits as well.
  return { text: table(headers, rows.slice(dropped)), dropped };
}

function clipMessage(message: string, max = 400): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max)}…`;
}
