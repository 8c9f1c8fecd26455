/**
 * Shared by the safe-mutation tools (scale, rollout_restart, apply_yaml): the `kind/name` a person
 * types to kubectl, and the policy checks the kernel cannot make from the arguments alone.
 *
 * The kernel refuses read-only contexts and asks before changing a protected namespace, but it
 * only sees the `context` and `namespace` arguments. When they are omitted the call still lands
 * in the kubeconfig's current context and its default namespace, and a manifest names its own
 * namespaces; `guardTargets` applies the same policy to where the change really goes. Lives
 * outside src/tools/mutate/, which the registry reserves for tool modules.
 */
import { ToolError, type ToolContext } from '../kernel/contract.js';
import { requireConfirmation } from '../kernel/tool-calls.js';
import type { ClusterHandle } from '../providers/clusters.js';
import type { SettingsStore } from '../providers/settings.js';

/** `deploy/web`, `deployments.apps/web` or `deploy web` → kind text and name. */
export function splitKindName(text: string, example: string): { kindText: string; name: string } {
  const trimmed = text.trim();
  const parts = trimmed.includes('/') ? trimmed.split('/') : trimmed.split(/\s+/);
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new ToolError(`resource: "${text}" is not <kind>/<name>.`, `Write it as kubectl does, e.g. "${example}".`);
  }
  return { kindText: parts[0], name: parts[1] };
}

/**
 * Refuses a read-only context (also when it was reached as the current context), and asks for
 * confirmation when the change lands in a protected namespace the kernel did not already ask
 * about (it asks only when the `namespace` argument names one).
 */
export async function guardTargets(
  ctx: Pick<ToolContext, 'confirm'> & { settings: SettingsStore },
  handle: ClusterHandle,
  tool: string,
  namespaces: Iterable<string>,
  explicitNamespace: string | undefined,
): Promise<void> {
  const policy = ctx.settings.get().policy;
  if (policy.readOnlyContexts.includes(handle.context)) {
    throw new ToolError(
      `context ${handle.context} is read-only on this server, so ${tool} may not change it.`,
      'Use a read tool, or ask the person to remove the context from the read-only list in the settings.',
    );
  }
  const risky = [...new Set(namespaces)].filter((ns) => ns !== explicitNamespace && policy.protectedNamespaces.includes(ns));
  if (risky.length) {
    const list = risky.map((ns) => `"${ns}"`).join(', ');
    await requireConfirmation(ctx.confirm, `${tool} will change the protected namespace${risky.length > 1 ? 's' : ''} ${list} in context ${handle.context}. Proceed?`);
  }
}
