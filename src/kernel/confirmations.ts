/**
 * Confirmation tokens, for clients that cannot ask the person themselves (no MCP elicitation).
 *
 * A refusal that needs the person's yes carries a token bound to the session, the tool, the
 * exact arguments and the questions the person is shown. Only a repeat of that same call carrying
 * the token gets past those questions, once, within a few minutes. A `confirm: true` a model
 * invents, a token replayed for other arguments, another tool or another session, or a question
 * that changed since (the object moved on: "from 3 to 0" became "from 5 to 0") all ask again.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

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

export class ConfirmationTokens {
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
    if (token === true || token === 'true') {
      return { problem: '"confirm": true is not a confirmation: only the token a refusal returns is, and only for that same call' };
    }
    if (typeof token !== 'string' || !TOKEN.test(token)) {
      return { problem: '"confirm" must be the token (kzc_…) that a refusal of this same call returned' };
    }
    this.#sweep();
    const issued = this.#issued.get(token);
    if (!issued) return { problem: 'this confirmation token is unknown, already used or expired (tokens are single-use and last 5 minutes)' };
    this.#issued.delete(token);
    const expected = Buffer.from(issued.binding);
    const actual = Buffer.from(bindingKey(binding));
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      return { problem: 'this confirmation token was issued for another call (other arguments, tool or session) and is now used up' };
    }
    return { questions: issued.questions };
  }

  #sweep(): void {
    const now = this.now();
    for (const [token, issued] of this.#issued) if (issued.expires <= now) this.#issued.delete(token);
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
