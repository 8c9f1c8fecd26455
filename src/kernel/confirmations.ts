/**
 * Confirmation tokens, for clients that cannot ask the person themselves (no MCP elicitation).
 *
 * A refusal that needs the person's yes carries a token bound to the session, the tool, the
 * exact arguments and the questions the person is shown. Only a repeat of that same call carrying
 * the token gets past those questions, once, within a few minutes. A `confirm: true` a model
 * invents, a token replayed for other arguments, another tool or another session, or a question
 * that changed since (the object moved on: "from 3 to 0" became "from 5 to 0") all ask again.
 *
 * Two kinds, one contract. ConfirmationTokens keeps what it issued in memory (a laptop: one
 * process). SignedConfirmationTokens, for several stateless replicas behind one Service, keeps
 * nothing it needs to check a token: the token carries its expiry and questions, and an HMAC under
 * the key the replicas share (the chart's Secret) covers them and the binding, so whichever
 * replica the repeat reaches can check it. Single use is remembered per replica, so within the
 * 5 minutes a copied token could pass once on each replica; each pass is still only that same
 * call, whose questions must still read the same (a scale already done, an object already gone,
 * asks or fails differently).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a token is good for. */
export interface ConfirmationBinding {
  session: string;
  tool: string;
  /** The call's arguments without `confirm`. */
  args: Record<string, unknown>;
}

interface Issued {
  binding: string;
  questions: readonly string[];
  expires: number;
}

export const CONFIRMATION_TTL_MS = 5 * 60_000;
/** Outstanding tokens kept at most; the oldest go first (a model looping on refusals cannot grow memory). */
const MAX_OUTSTANDING = 1000;
const TOKEN = /^kzc_[A-Za-z0-9_-]{22}$/;

export type Redeemed = { questions: readonly string[] } | { problem: string };

/** What the tool-call pipeline needs of either kind. */
export interface Confirmations {
  issue(binding: ConfirmationBinding, questions: readonly string[]): string;
  redeem(token: unknown, binding: ConfirmationBinding): Redeemed;
}

const NOT_A_TOKEN = '"confirm" must be the token (kzc_…) that a refusal of this same call returned';
const INVENTED = '"confirm": true is not a confirmation: only the token a refusal returns is, and only for that same call';
const OTHER_CALL = 'this confirmation token was issued for another call (other arguments, tool or session) and is now used up';
const UNKNOWN = 'this confirmation token is unknown, already used or expired (tokens are single-use and last 5 minutes)';

export class ConfirmationTokens implements Confirmations {
  readonly #issued = new Map<string, Issued>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new single-use token for `questions`, asked in this call. */
  issue(binding: ConfirmationBinding, questions: readonly string[]): string {
    this.#sweep();
    while (this.#issued.size >= MAX_OUTSTANDING) this.#issued.delete(this.#issued.keys().next().value!);
    const token = `kzc_${randomBytes(16).toString('base64url')}`;
    this.#issued.set(token, { binding: bindingKey(binding), questions, expires: this.now() + CONFIRMATION_TTL_MS });
    return token;
  }

  /** Uses up `token` (whatever the outcome) and returns the questions it answers, or why it answers none. */
  redeem(token: unknown, binding: ConfirmationBinding): Redeemed {
    if (token === true || token === 'true') return { problem: INVENTED };
    if (typeof token !== 'string' || !TOKEN.test(token)) return { problem: NOT_A_TOKEN };
    this.#sweep();
    const issued = this.#issued.get(token);
    if (!issued) return { problem: UNKNOWN };
    this.#issued.delete(token);
    const expected = Buffer.from(issued.binding);
    const actual = Buffer.from(bindingKey(binding));
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { problem: OTHER_CALL };
    return { questions: issued.questions };
  }

  #sweep(): void {
    const now = this.now();
    for (const [token, issued] of this.#issued) if (issued.expires <= now) this.#issued.delete(token);
  }
}

/** `kzc_` + base64url(payload) + `.` + 128 bits of HMAC; the payload is a few questions, a few hundred bytes. */
const SIGNED = /^kzc_([A-Za-z0-9_-]{1,8000})\.([A-Za-z0-9_-]{22})$/;
export const MIN_CONFIRMATION_KEY_BYTES = 32;
/** Used tokens remembered per replica (a few dozen bytes each). */
const MAX_USED = 100_000;

export class SignedConfirmationTokens implements Confirmations {
  /** Tokens this replica has let through, until they expire (single use, per replica). */
  readonly #used = new Map<string, number>();

  constructor(
    private readonly key: Buffer,
    private readonly now: () => number = Date.now,
  ) {
    if (key.length < MIN_CONFIRMATION_KEY_BYTES) throw new Error(`a confirmation key needs at least ${MIN_CONFIRMATION_KEY_BYTES} bytes`);
  }

  issue(binding: ConfirmationBinding, questions: readonly string[]): string {
    const payload = Buffer.from(JSON.stringify({ e: this.now() + CONFIRMATION_TTL_MS, n: randomBytes(9).toString('base64url'), q: questions })).toString(
      'base64url',
    );
    return `kzc_${payload}.${this.#mac(payload, binding)}`;
  }

  redeem(token: unknown, binding: ConfirmationBinding): Redeemed {
    if (token === true || token === 'true') return { problem: INVENTED };
    const match = typeof token === 'string' ? SIGNED.exec(token) : null;
    if (!match) return { problem: NOT_A_TOKEN };
    const [, payload, mac] = match as unknown as [string, string, string];
    const expected = Buffer.from(this.#mac(payload, binding));
    if (!timingSafeEqual(expected, Buffer.from(mac.padEnd(expected.length).slice(0, expected.length)))) {
      return { problem: 'this confirmation token was issued for another call (other arguments, tool or session), or by a server with another key' };
    }
    let claims: { e?: unknown; q?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return { problem: NOT_A_TOKEN };
    }
    const now = this.now();
    for (const [used, expires] of this.#used) if (expires <= now) this.#used.delete(used);
    if (typeof claims.e !== 'number' || claims.e <= now || this.#used.has(mac)) return { problem: UNKNOWN };
    if (!Array.isArray(claims.q) || !claims.q.every((q) => typeof q === 'string')) return { problem: NOT_A_TOKEN };
    // Forgetting a used token early would let it pass again: when full, refuse instead (5 minutes at most).
    if (this.#used.size >= MAX_USED) return { problem: 'too many confirmations in the last 5 minutes on this server; ask again in a few minutes' };
    this.#used.set(mac, claims.e);
    return { questions: claims.q as string[] };
  }

  #mac(payload: string, binding: ConfirmationBinding): string {
    return createHmac('sha256', this.key)
      .update(`${payload}|${bindingKey(binding)}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }
}

/** A digest of the binding with object keys sorted, so `{a,b}` and `{b,a}` are the same call. */
function bindingKey(binding: ConfirmationBinding): string {
  return createHash('sha256')
    .update(JSON.stringify([binding.session, binding.tool, sorted(binding.args)]))
    .digest('hex');
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
