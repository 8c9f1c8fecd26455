/**
 * The `kind/name` a person types to kubectl, shared by the tools that take one (scale,
 * rollout_restart, get_resource_yaml, delete_resource). (Policy is not here: the kernel judges every write the cluster client sends.) Lives
 * outside src/tools/mutate/, which the registry reserves for tool modules.
 */
import { ToolError } from '../../kernel/contract.js';

/** `deploy/web`, `deployments.apps/web` or `deploy web` → kind text and name. */
export function splitKindName(text: string, example: string): { kindText: string; name: string } {
  const trimmed = text.trim();
  const parts = trimmed.includes('/') ? trimmed.split('/') : trimmed.split(/\s+/);
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new ToolError(`resource: "${text}" is not <kind>/<name>.`, `Write it as kubectl does, e.g. "${example}".`);
  }
  return { kindText: parts[0], name: parts[1] };
}

/** `kind` + `name`, or `name` written as kind/name (as get_resource_yaml and delete_resource take it). */
export function splitRef(kind: string | undefined, rawName: string): { kindText: string; name: string } {
  const name = rawName.trim();
  const slash = name.indexOf('/');
  if (slash === -1) {
    if (!kind) throw new ToolError('kind: missing; say what kind of object to get.', 'Pass kind (e.g. "deploy", "cm", "node") or write name as kind/name.');
    return { kindText: kind, name };
  }
  if (slash === 0 || slash === name.length - 1 || name.indexOf('/', slash + 1) !== -1) {
    throw new ToolError(`name: "${rawName}" is neither a name nor kind/name.`, 'Pass {"kind": "deploy", "name": "web"} or {"name": "deploy/web"}.');
  }
  const refKind = name.slice(0, slash);
  if (kind && kind.toLowerCase() !== refKind.toLowerCase()) {
    throw new ToolError(`kind "${kind}" and name "${rawName}" name two different kinds.`, 'Give the kind once: either in kind, or as kind/name in name.');
  }
  return { kindText: refKind, name: name.slice(slash + 1) };
}
