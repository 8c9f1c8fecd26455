/**
 * Policy in one place: which safety classes are reachable, which contexts are read-only, which
 * namespaces need a person's confirmation before anything in them changes. Tools never check
 * these themselves; the kernel asks here before tools/list and before every tools/call.
 */
import type { ToolModule } from './contract.js';
import type { Settings } from '../providers/settings.js';

type Policy = Settings['policy'];

export function isToolEnabled(tool: Pick<ToolModule, 'safety'>, policy: Policy): boolean {
  return policy.enabledClasses.includes(tool.safety);
}

export type CallVerdict =
  | { allow: true; confirm?: string }
  | { allow: false; reason: string; hint: string };

/**
 * Decides whether a call may proceed. `confirm` is set when it may proceed only after the person
 * agrees (through elicitation, or `confirm: true` for clients without it).
 */
export function judgeCall(tool: Pick<ToolModule, 'safety' | 'name'>, input: Record<string, unknown>, policy: Policy): CallVerdict {
  if (!isToolEnabled(tool, policy)) {
    return {
      allow: false,
      reason: `tool ${tool.name} is disabled: its safety class "${tool.safety}" is not enabled on this server`,
      hint: 'Ask the person running Kubezilla to enable that class in the settings if they want it.',
    };
  }
  if (tool.safety === 'read') return { allow: true };
  const context = typeof input.context === 'string' ? input.context : undefined;
  if (context && policy.readOnlyContexts.includes(context)) {
    return {
      allow: false,
      reason: `context ${context} is read-only on this server, so ${tool.name} may not change it`,
      hint: 'Use a read tool, or ask the person to remove the context from the read-only list in the settings.',
    };
  }
  const namespace = typeof input.namespace === 'string' ? input.namespace : undefined;
  if (namespace && policy.protectedNamespaces.includes(namespace)) {
    return { allow: true, confirm: `${tool.name} will change the protected namespace "${namespace}"${context ? ` in context ${context}` : ''}. Proceed?` };
  }
  return { allow: true };
}
