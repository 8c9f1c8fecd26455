/** describe_resource's opening lines for every kind (name, kind, age, owners, labels, annotations) and conditions as a table. */
import type { ResolvedKind } from '../../../providers/cluster/discovery.js';
import { fields, indent } from './format.js';
import { age, table } from '../../common/format.js';
import { LAST_APPLIED } from '../../common/redact.js';
import type { KObject } from '../../common/workloads.js';

export type Lines = string[];

export function when(ts: string | undefined): string | undefined {
  return ts ? `${ts} (${age(ts)} ago)` : undefined;
}

export function header(obj: KObject, kind: ResolvedKind): Lines {
  const m = obj.metadata;
  const labels = Object.entries(m.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const annotations = Object.entries(m.annotations ?? {})
    .filter(([k]) => k !== LAST_APPLIED)
    .map(([k, v]) => `${k}=${v.length > 200 ? `${v.slice(0, 200).replace(/\s+/g, ' ')}… [+${v.length - 200} chars]` : v.replace(/\s+/g, ' ')}`);
  const owners = (m.ownerReferences ?? []).map((o) => `${o.kind}/${o.name}${o.controller ? '' : ' (not controller)'}`);
  const lines = fields([
    ['Name', m.name],
    ['Namespace', kind.namespaced ? m.namespace : undefined],
    ['Kind', `${kind.kind} (${kind.apiVersion})`],
    ['Created', when(m.creationTimestamp)],
    [
      'Deleting',
      m.deletionTimestamp
        ? `since ${when(m.deletionTimestamp)}${Array.isArray(m.finalizers) && m.finalizers.length ? `, waiting for finalizers ${(m.finalizers as string[]).join(', ')}` : ''}`
        : undefined,
    ],
    ['Controlled by', owners.join(', ')],
    ['Labels', labels.length ? labels.join(', ') : '<none>'],
    ['Annotations', annotations.length ? (annotations.length === 1 && annotations[0]!.length < 100 ? annotations[0] : ' ') : '<none>'],
  ]);
  if (annotations.length > 1 || (annotations[0]?.length ?? 0) >= 100) {
    lines[lines.length - 1] = 'Annotations:';
    lines.push(...annotations.map((a) => `  ${a}`));
  }
  return lines;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export function conditions(list: Condition[] | undefined): Lines {
  if (!list?.length) return [];
  return [
    'Conditions:',
    ...indent(
      table(
        ['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'],
        list.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime ? age(c.lastTransitionTime) : '', c.message]),
      ),
    ),
  ];
}
