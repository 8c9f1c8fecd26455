/** describe_resource for PersistentVolumeClaims (with the pods that mount them) and for every other kind (compact YAML). */
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import { namespaceSegment, type ResolvedKind } from '../../../providers/cluster/discovery.js';
import { compactYaml, fields, indent } from './format.js';
import { isSecret } from '../../common/redact.js';
import type { KObject } from '../../common/workloads.js';
import { conditions, type Condition, type Lines } from './header.js';

// PersistentVolumeClaims: what kubectl describe shows, with the pods that mount the claim, which
// answers both "why is my pod Pending" (the claim is) and "what still uses this volume".

export async function describeClaim(handle: ClusterHandle, pvc: KObject, signal: AbortSignal): Promise<Lines> {
  const spec = pvc.spec ?? {};
  const status = pvc.status ?? {};
  const ns = pvc.metadata.namespace ?? '';
  let usedBy: string;
  try {
    const res = await handle.request(`/api/v1/namespaces/${namespaceSegment(ns)}/pods`, { signal });
    const users = (res.json<{ items?: KObject[] }>().items ?? [])
      .filter((pod) =>
        ((pod.spec?.volumes ?? []) as Array<{ persistentVolumeClaim?: { claimName?: string } }>).some(
          (v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name,
        ),
      )
      .map((pod) => `pod/${pod.metadata.name} (${pod.status?.phase ?? 'Unknown'})`);
    usedBy = users.join(', ') || '<none>';
  } catch (err) {
    usedBy = `unknown (${handle.describeError(err, { verb: 'list', resource: 'pods', namespace: ns }).message})`;
  }
  return [
    ...fields([
      ['Status', status.phase ?? 'Pending'],
      ['Volume', spec.volumeName || '<none>'],
      ['Storage class', spec.storageClassName ?? '<default>'],
      ['Requested', spec.resources?.requests?.storage],
      ['Capacity', status.capacity?.storage ?? '<none>'],
      ['Access modes', (spec.accessModes ?? []).join(', ') || '<none>'],
      ['Volume mode', spec.volumeMode],
      ['Used by', usedBy],
    ]),
    ...conditions((status.conditions ?? []) as Condition[]),
  ];
}

// Everything else

export function describeGeneric(obj: KObject, kind: ResolvedKind, budget: number): Lines {
  const lines: Lines = [];
  const rest = Object.entries(obj).filter(([k]) => !['apiVersion', 'kind', 'metadata'].includes(k));
  // Judged on the answer as well as the request: Secret values never go out under another label.
  if (isSecret(obj) || (kind.kind === 'Secret' && !kind.group)) {
    const data = { ...(obj.data as Record<string, string> | undefined) };
    const keys = Object.entries(data).map(([k, v]) => `${k}: ${Buffer.from(v ?? '', 'base64').length} bytes`);
    lines.push(...fields([['Type', obj.type as string | undefined]]));
    lines.push('Data (values hidden; get_resource_yaml shows them only when the settings allow):', ...(keys.length ? keys.map((k) => `  ${k}`) : ['  <none>']));
    return lines;
  }
  if (!rest.length) return lines;
  const each = Math.max(600, Math.floor(budget / rest.length));
  const conditionTable = Array.isArray(obj.status?.conditions);
  for (const [key, raw] of rest) {
    // Conditions get their table below; in the status YAML they would be said twice.
    const value = key === 'status' && conditionTable ? { ...(raw as object), conditions: undefined } : raw;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => v === undefined)) continue;
    if (value === null || typeof value !== 'object') {
      lines.push(`${key[0]!.toUpperCase()}${key.slice(1)}: ${String(value)}`);
      continue;
    }
    const yaml = compactYaml(value, each);
    if (yaml) lines.push(`${key[0]!.toUpperCase()}${key.slice(1)}:`, ...indent(yaml));
  }
  if (conditionTable) {
    // Conditions deserve a table even for unknown kinds: they are usually the diagnosis.
    lines.push(...conditions(obj.status.conditions as Condition[]));
  }
  return lines;
}
