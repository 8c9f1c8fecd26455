/**
 * The values held by Secrets in an API response, whatever shape it came in: a Secret, a
 * SecretList, a watch event, a Table whose rows embed objects. The cluster client hands them to
 * the call scope, which keeps them out of the call's answer while `revealSecrets` is off; so
 * redaction does not depend on a tool getting back the kind it asked for.
 *
 * Both spellings of every value are collected: for `data` the base64 the API sends and the text it
 * decodes to (what a template prints). Helm's own release records are skipped: their one value is
 * the whole encoded release, never quoted in an answer.
 */
import { currentCall } from '../../kernel/call-scope.js';

export function secretValuesIn(json: unknown, out: string[] = [], depth = 0): string[] {
  if (!json || typeof json !== 'object' || depth > 4) return out;
  const obj = json as { kind?: unknown; type?: unknown; data?: unknown; stringData?: unknown; items?: unknown; rows?: unknown; object?: unknown };
  if (obj.kind === 'Secret' && obj.type !== 'helm.sh/release.v1') {
    for (const value of Object.values(asRecord(obj.data))) {
      if (typeof value !== 'string') continue;
      out.push(value);
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      if (decoded && !decoded.includes('\uFFFD')) out.push(decoded, ...decoded.split('\n').filter((line) => line.trim().length >= 6));
    }
    // A manifest's stringData is plain text the API server stores, and may quote, as base64.
    for (const value of Object.values(asRecord(obj.stringData))) if (typeof value === 'string') out.push(value, Buffer.from(value).toString('base64'));
  }
  if (Array.isArray(obj.items)) for (const item of obj.items) secretValuesIn(item, out, depth + 1);
  if (Array.isArray(obj.rows)) for (const row of obj.rows) secretValuesIn((row as { object?: unknown })?.object, out, depth + 1);
  if (obj.object) secretValuesIn(obj.object, out, depth + 1);
  return out;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Hands the values of any Secret in a response body to the current call's scope, if there is one. */
export function rememberSecrets(pathname: string, body: string): void {
  const call = currentCall();
  if (!call || !mayHoldSecrets(pathname) || !body.includes('"Secret"')) return;
  try {
    call.rememberSecretValues(secretValuesIn(JSON.parse(body)));
  } catch {
    /* not JSON (protobuf, a torn stream): nothing a tool could print either */
  }
}

/** Whether a response to this request path (no query) could carry Secret values: a Secret or a list of them. */
export function mayHoldSecrets(pathname: string): boolean {
  return /\/secrets(\/[^/]+)?\/?$/.test(pathname);
}
