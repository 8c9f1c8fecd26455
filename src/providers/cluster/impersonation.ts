/**
 * The signed-in person on the wire, for team mode's per-person cluster handles (handle.ts; the
 * person comes from src/kernel/caller.ts). Two ways, as the server is configured:
 * - impersonation: the server's own credentials plus Impersonate-User and one Impersonate-Group
 *   line per group, on every request and stream; the API server checks that the server may
 *   `impersonate` them, then judges the request by the person's RBAC;
 * - passthrough: the person's own access token is the handle's only credential (a client
 *   certificate of the server's would otherwise win over it), for an API server that trusts the
 *   same issuer.
 * A handle per person and context keeps what one person read (the Helm record cache) from ever
 * serving another; discovery, the same for everyone, is shared.
 */
import type { Dispatcher } from 'undici';
import type { Acting } from '../../kernel/caller.js';
import type { DiscoveryCache } from './discovery.js';

/** What makes a person's handle: who, and the context's shared discovery. */
export interface ActingAs {
  acting: Acting;
  discovery: DiscoveryCache;
}

export class PersonOnTheWire {
  /** Impersonate-User / Impersonate-Group (a list: one header line each); empty for passthrough. */
  readonly headers: Record<string, string | string[]>;

  constructor(readonly acting: Acting) {
    this.headers =
      acting.kind === 'impersonate' ? { 'Impersonate-User': acting.user, ...(acting.groups.length ? { 'Impersonate-Group': [...acting.groups] } : {}) } : {};
  }

  /** The kubeconfig user a handle authenticates with: the server's own, or only the person's token. */
  credentials(serverUser: Record<string, unknown>): Record<string, unknown> {
    return this.acting.kind === 'token' ? { token: this.acting.token } : serverUser;
  }

  #plain: Promise<Dispatcher> | undefined;

  /** The dispatcher requests go through: client-node's (TLS to the server), wrapped so that every request names the person. */
  dispatcher<D extends Pick<Dispatcher, 'compose'>>(given: D): Dispatcher {
    return (this.acting.kind === 'impersonate' ? given.compose(impersonating(this.headers)) : given) as unknown as Dispatcher;
  }

  /**
   * For a plain-http API server, which gets no dispatcher from client-node: one of the person's own
   * (idle sockets time out). undici is loaded here, on first use, not when the server starts.
   */
  plainHttpDispatcher(): Promise<Dispatcher> {
    this.#plain ??= import('undici').then(({ Agent }) => this.dispatcher(new Agent()));
    return this.#plain;
  }
}

/**
 * An undici interceptor that adds `headers` to every request, replacing any impersonation header
 * the request carried. fetch would join repeated headers into one value, which the API server
 * would take for a single group; undici's own request takes a list as one line per value.
 */
export function impersonating(headers: Record<string, string | string[]>): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const given: Record<string, string | string[]> = {};
    const raw = opts.headers;
    if (Array.isArray(raw)) for (let i = 0; i + 1 < raw.length; i += 2) given[String(raw[i])] = String(raw[i + 1]);
    else if (raw && typeof (raw as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const [k, v] of raw as Iterable<[string, string | string[] | undefined]>) if (v !== undefined) given[k] = v;
    } else if (raw) for (const [k, v] of Object.entries(raw)) if (v !== undefined) given[k] = v as string | string[];
    for (const k of Object.keys(given)) if (k.toLowerCase().startsWith('impersonate-')) delete given[k];
    return dispatch({ ...opts, headers: { ...given, ...headers } }, handler);
  };
}
