/**
 * Shared by the safe-mutation tools (scale, rollout_restart): the `kind/name` a person types to
 * kubectl. (Policy is not here: the kernel judges every write the cluster client sends.) Lives
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
