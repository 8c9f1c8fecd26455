/**
 * What every JSON endpoint of the settings page shares: reading a bounded JSON object body, and
 * answering a refusal the page can show next to the input it is about (`problem`, one sentence,
 * and `problems`, one `{field, reason}` per field, fields spelled as in settings.json).
 *
 * Every change goes through `saveSettings`: one SettingsStore.update, so the whole change is
 * validated against the settings schema and written atomically, or nothing is (no half-saved
 * request, whatever failed).
 */
import type Koa from 'koa';
import { readBodyText } from '../transports/body.js';
import { SettingsRejected, type Settings, type SettingsStore } from '../providers/config/settings.js';

export const MAX_JSON_BYTES = 16 * 1024;
/** An inline kubeconfig with a few embedded certificates is tens of KB; a few hundred is plenty. */
export const MAX_KUBECONFIG_JSON_BYTES = 512 * 1024;

export interface FieldReason {
  field: string;
  reason: string;
}

/** A refusal about one field of the request, thrown by a route's own checks. */
export class FieldProblem extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'FieldProblem';
  }
}

export async function readJsonBody(ctx: Koa.Context, limit = MAX_JSON_BYTES): Promise<Record<string, unknown>> {
  const text = await readBodyText(ctx.req, { limit });
  if (!text.trim()) return {};
  const parsed: unknown = JSON.parse(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object');
  return parsed as Record<string, unknown>;
}

/** Answers 400 (or `status`) with the sentence and the fields it is about. */
export function refuse(ctx: Koa.Context, problem: string, problems: FieldReason[] = [], status = 400, extra: Record<string, unknown> = {}): void {
  ctx.status = status;
  ctx.body = { ...extra, problem, problems };
}

/**
 * Runs `change` on a draft of the settings and saves the result (see the header). Answers the
 * refusal itself and returns false when the change was refused, by a FieldProblem thrown from
 * `change` or by the schema.
 */
export function saveSettings(ctx: Koa.Context, settings: Pick<SettingsStore, 'update'>, change: (draft: Settings) => void): boolean {
  try {
    settings.update(change);
    return true;
  } catch (err) {
    if (err instanceof FieldProblem) {
      refuse(ctx, `${err.field}: ${err.message}`, [{ field: err.field, reason: err.message }]);
      return false;
    }
    if (err instanceof SettingsRejected) {
      refuse(ctx, `Not saved: ${err.problems.map((p) => p.reason).join('; ')}`, err.problems);
      return false;
    }
    throw err;
  }
}

/** A required string field, trimmed; a FieldProblem when absent or empty. */
export function requiredString(input: Record<string, unknown>, field: string, label = field): string {
  const value = input[field];
  if (typeof value !== 'string' || !value.trim()) throw new FieldProblem(label, 'is required (a non-empty string)');
  return value.trim();
}

/** An optional string field: undefined when absent or blank. */
export function optionalString(input: Record<string, unknown>, field: string, label = field): string | undefined {
  const value = input[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new FieldProblem(label, 'must be a string');
  return value.trim() || undefined;
}

/** Turns FieldProblems thrown by `fn` into a refusal; returns undefined then. */
export async function withFieldChecks<T>(ctx: Koa.Context, fn: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof FieldProblem)) throw err;
    refuse(ctx, `${err.field}: ${err.message}`, [{ field: err.field, reason: err.message }]);
    return undefined;
  }
}
