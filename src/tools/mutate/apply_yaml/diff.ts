/**
 * How apply_yaml shows and compares objects: YAML without server bookkeeping or status, Secret
 * values replaced by their size (and whether they change), and the Secret values to scrub from
 * any error text.
 */
import { stringify } from 'yaml';
import { withoutServerFields } from './removals.js';
import { redactSecretInPlace, type KubeObject } from '../../common/redact.js';

/** The object as a diff shows it: no server bookkeeping, no status, Secret values redacted. */
export function forDiff(obj: KubeObject | null | undefined, other?: KubeObject | null): KubeObject | null {
  if (!obj) return null;
  const copy = withoutServerFields(obj);
  if (copy.kind === 'Secret') redactSecretInPlace(copy, other ?? undefined);
  return copy;
}

/** The live object's Secret maps, still encoded, for change detection only (never printed). */
export function forDiffRaw(live: KubeObject): KubeObject {
  return { kind: live.kind, data: live.data, stringData: live.stringData } as KubeObject;
}

export function yamlLines(obj: KubeObject | null): string[] {
  return obj ? stringify(obj, { lineWidth: 0 }).trimEnd().split('\n') : [];
}

/** Equal once server bookkeeping and status are set aside (Secret values compared, not shown). */
export function sameContent(before: KubeObject, after: KubeObject): boolean {
  return yamlLines(forDiff(before)).join('\n') === yamlLines(forDiff(after, forDiffRaw(before))).join('\n');
}
