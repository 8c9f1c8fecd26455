/**
 * The caller: who a request comes from, when the server knows (team mode, where a person signs in
 * with an OAuth access token). The transport builds it from a validated token and hands it to the
 * session's MCP server with the request (the SDK's `authInfo`); the kernel judges the person's
 * scopes with the policy and runs everything the request does inside `actingAs`, so the cluster
 * client (a provider) finds the identity to act with through `currentCaller()` without any tool
 * passing it along. In laptop mode there is no caller: the server acts with the kubeconfig's own
 * credentials, as it always has.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SafetyClass } from './contract.js';

export interface Caller {
  /** The person as the audit log and messages name them (the user name calls act as). */
  name: string;
  /** The safety classes the person's token grants (its scopes, mapped); the policy narrows them further. */
  classes: readonly SafetyClass[];
  /** The scopes the token carried, for messages. */
  scopes: readonly string[];
  /** How calls to clusters carry the person's rights; each distinct value gets its own cluster clients. */
  acting: Acting;
  /** Seconds since the epoch when the token expires. */
  expiresAt: number;
}

/**
 * `impersonate`: the server's own credentials plus Impersonate-User / Impersonate-Group, so the
 * cluster's RBAC judges the person. `token`: the person's own access token replaces the server's
 * credentials (the API server trusts the same issuer).
 */
export type Acting = { kind: 'impersonate'; user: string; groups: readonly string[] } | { kind: 'token'; user: string; token: string };

const storage = new AsyncLocalStorage<Caller | undefined>();

/** Runs `fn` (and everything it awaits) on behalf of `caller`; undefined: as the server itself. */
export function actingAs<T>(caller: Caller | undefined, fn: () => T): T {
  return storage.run(caller, fn);
}

/** The person the code in progress acts for, or undefined (laptop mode, server internals). */
export function currentCaller(): Caller | undefined {
  return storage.getStore();
}

/** The caller the transport attached to a request (`authInfo.extra.caller`), when it is one. */
export function callerOf(authInfo: { extra?: Record<string, unknown> } | undefined): Caller | undefined {
  const caller = authInfo?.extra?.caller as Caller | undefined;
  return caller && typeof caller.name === 'string' && Array.isArray(caller.classes) ? caller : undefined;
}
