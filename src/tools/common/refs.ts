/**
 * References to objects as a person types them to kubectl, read one way by every tool:
 * `deploy/web`, `deployments.apps/web`, `deploy web`, or a separate `kind` beside a bare `name`.
 * The workload kinds (the ones `deploy/web` style references name) are listed once here too.
 *
 * ```ts
 * const { kind, name } = await resolveObjectRef(handle, { field: 'name', ref: 'deploy/web' }, signal);
 * const { kind, name } = await resolveObjectRef(handle, { field: 'name', ref: 'web', kind: 'deploy' }, signal);
 * isWorkload(kind)           // Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob
 * isWorkload(kind, 'pods')   // … or a Pod
 * ```
 */
import { ToolError } from '../../kernel/contract.js';
import type { ResolvedKind } from '../../providers/cluster/discovery.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';

/** The kinds that own pods through a selector, by `group/Kind`, with the short name kubectl knows. */
export const WORKLOAD_KINDS: ReadonlyMap<string, { short: string; restartable: boolean }> = new Map([
  ['apps/Deployment', { short: 'deploy', restartable: true }],
  ['apps/StatefulSet', { short: 'sts', restartable: true }],
  ['apps/DaemonSet', { short: 'ds', restartable: true }],
  ['apps/ReplicaSet', { short: 'rs', restartable: false }],
  ['batch/Job', { short: 'job', restartable: false }],
  ['batch/CronJob', { short: 'cj', restartable: false }],
]);

export const WORKLOAD_REF_HELP = 'a pod name, or <kind>/<name>: deploy/web, sts/db, ds/agent, rs/web-5d4f, job/backup, cj/nightly (its newest Job), pod/web-0';

/** `apps/Deployment`, `/Pod`: a kind's identity whatever name or version it was typed with. */
export function kindId(kind: Pick<ResolvedKind, 'group' | 'kind'>): string {
  return `${kind.group}/${kind.kind}`;
}

/** Whether `kind` is a workload kind; with 'pods', a Pod counts too (a reference may name one). */
export function isWorkload(kind: Pick<ResolvedKind, 'group' | 'kind'>, pods?: 'pods'): boolean {
  const id = kindId(kind);
  return WORKLOAD_KINDS.has(id) || (pods === 'pods' && id === '/Pod');
}

/** `deploy/web` style text for messages: lowercase kind as kubectl prints it. */
export function refText(kind: ResolvedKind | { kind: string }, name: string): string {
  return `${kind.kind.toLowerCase()}/${name}`;
}

export interface RefInput {
  /** The argument the reference came in, for messages: `name`, `resource`, `object`. */
  field: string;
  /** What the person typed: `kind/name`, `kind name`, or a bare name. */
  ref: string;
  /** The tool's separate `kind` argument, when it has one (undefined when not given). */
  kind?: string | undefined;
  /** Whether the tool has a separate `kind` argument (so a bare name can be completed with one). */
  kindArgument?: boolean;
  /** The kind a bare name means when no kind is given (a bare name in get_pod_logs is a pod). */
  bareKind?: string;
  /** An example for the hint, e.g. `deploy/web`. */
  example?: string;
}

/**
 * Splits a reference into the kind text and the name, without the cluster. A name holds no `/` and
 * no space, so `a/b/c` or `a b c` is refused here rather than sent on as a strange name.
 */
export function parseObjectRef(input: RefInput): { kindText: string; name: string; otherKind?: string } {
  const text = input.ref.trim();
  const example = input.example ?? 'deploy/web';
  const [exampleKind, exampleName] = example.split('/');
  const orSeparate = input.kindArgument ? `, or pass {"kind": "${exampleKind}", "${input.field}": "${exampleName}"}` : '';
  const parts = text.includes('/') ? text.split('/') : text.split(/\s+/);
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new ToolError(`${input.field}: "${input.ref}" is neither a name nor kind/name.`, `Write it as kubectl does, e.g. "${example}"${orSeparate}.`);
  }
  if (parts.length === 2) {
    const [kindText, name] = parts as [string, string];
    const other = input.kind?.trim();
    return { kindText, name, ...(other && other.toLowerCase() !== kindText.toLowerCase() ? { otherKind: other } : {}) };
  }
  const kindText = input.kind?.trim() || input.bareKind;
  if (kindText) return { kindText, name: text };
  if (input.kindArgument) {
    throw new ToolError(
      `kind: missing; say what kind of object "${input.ref}" is.`,
      `Pass kind (e.g. "deploy", "cm", "node") or write ${input.field} as kind/name, e.g. "${example}".`,
    );
  }
  throw new ToolError(`${input.field}: "${input.ref}" is not kind/name.`, `Write it as kubectl does, e.g. "${example}".`);
}

/**
 * Parses and resolves a reference through the cluster's discovery. A separate `kind` that differs
 * in spelling from the one in `kind/name` is accepted when both name the same resource
 * (`{kind: "deploy", name: "deployment/web"}`), refused when they name two.
 */
export async function resolveObjectRef(handle: ClusterHandle, input: RefInput, signal?: AbortSignal): Promise<{ kind: ResolvedKind; name: string }> {
  const { kindText, name, otherKind } = parseObjectRef(input);
  const kind = await handle.resolveKind(kindText, signal);
  if (otherKind) {
    const other = await handle.resolveKind(otherKind, signal);
    if (other.plural !== kind.plural || other.group !== kind.group) {
      throw new ToolError(
        `kind "${otherKind}" and ${input.field} "${input.ref}" name two different kinds (${other.kind} and ${kind.kind}).`,
        `Give the kind once: either in kind, or as kind/name in ${input.field}.`,
      );
    }
  }
  return { kind, name };
}
