/**
 * Policy in one place: which safety classes are reachable, which contexts are read-only, which
 * namespaces need a person's confirmation before anything in them changes. Tools never check
 * these themselves: the kernel asks here before tools/list and before every tools/call, and the
 * call scope (call-scope.ts) applies the context and namespace rules to every request a call
 * sends to a cluster.
 */
import type { ToolModule } from './contract.js';
import type { Settings } from '../providers/settings.js';

export type Policy = Settings['policy'];

export function isToolEnabled(tool: Pick<ToolModule, 'safety'>, policy: Policy): boolean {
  return policy.enabledClasses.includes(tool.safety);
}

export type CallVerdict = { allow: true } | { allow: false; reason: string; hint: string };

/** Whether the tool may be called at all under this policy (its class is enabled). */
export function judgeCall(tool: Pick<ToolModule, 'safety' | 'name'>, policy: Policy): CallVerdict {
  if (isToolEnabled(tool, policy)) return { allow: true };
  return {
    allow: false,
    reason: `tool ${tool.name} is disabled: its safety class "${tool.safety}" is not enabled on this server`,
    hint: 'Ask the person running Kubezilla to enable that class in the settings if they want it.',
  };
}

/**
 * A call that only previews: `dryRun: true` or `diffOnly: true`. It changes nothing, so it is
 * allowed on read-only contexts, needs no confirmation, and is audited as `dry-run`; in exchange
 * the call scope refuses any real write it tries.
 */
export function isPreview(input: Record<string, unknown>): boolean {
  return input.dryRun === true || input.diffOnly === true;
}
