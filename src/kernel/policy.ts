/**
 * Policy in one place: which safety classes are reachable, which contexts are read-only, which
 * namespaces need a person's confirmation before anything in them changes. Tools never check
 * these themselves: the kernel asks here before tools/list and before every tools/call, and the
 * call scope (call-scope.ts) applies the context and namespace rules to every request a call
 * sends to a cluster.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Caller } from './caller.js';
import { SAFETY_CLASSES, type SafetyClass, type ToolModule } from './contract.js';

/** The `policy` section of settings.json: the kernel owns its shape, the settings store its file. */
export const PolicySchema = Type.Object(
  {
    enabledClasses: Type.Array(Type.Union(SAFETY_CLASSES.map((c) => Type.Literal(c))), {
      uniqueItems: true,
      default: ['read', 'safe-mutation'],
    }),
    /**
     * With `destructive` enabled: the destructive tools that may be used, by name (cordon_node without
     * delete_resource). Empty (the default) allows every destructive tool once the class is enabled.
     */
    destructiveTools: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,128}$' }), { uniqueItems: true, default: [] }),
    readOnlyContexts: Type.Array(Type.String(), { default: [] }),
    protectedNamespaces: Type.Array(Type.String(), { default: ['kube-system', 'kube-public', 'kube-node-lease'] }),
    revealSecrets: Type.Boolean({ default: false }),
    maxOutputBytes: Type.Integer({ minimum: 1024, default: 48 * 1024 }),
    /**
     * Where helm_install and helm_upgrade may take charts from: repository URL prefixes (https://…), OCI
     * prefixes (oci://registry/charts) and absolute local directories. Empty (the default) allows any source,
     * as helm itself does; a person who lists one source has restricted them all.
     */
    allowedChartSources: Type.Array(
      Type.String({
        pattern: '^(https?://|oci://|/|[A-Za-z]:[\\\\/])',
        description: 'An http(s):// or oci:// URL prefix, or an absolute directory.',
      }),
      { default: [] },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type Policy = Static<typeof PolicySchema>;

/**
 * The OAuth scopes of team mode, one per safety class: a signed-in person reaches a class only
 * when their token grants its scope, and only where the server's policy enables the class too
 * (a scope never turns on what the settings keep off). Each scope grants its own class alone.
 */
export const CLASS_SCOPES: Readonly<Record<SafetyClass, string>> = {
  read: 'kubezilla:read',
  'safe-mutation': 'kubezilla:write',
  destructive: 'kubezilla:destructive',
};

/** The classes a set of granted scopes reaches (unknown scopes are ignored). */
export function classesForScopes(scopes: Iterable<string>): SafetyClass[] {
  const granted = new Set(scopes);
  return SAFETY_CLASSES.filter((c) => granted.has(CLASS_SCOPES[c]));
}

/**
 * Whether the tool is offered: its class enabled by the policy (destructive ones by name when the
 * policy lists names) and, for a signed-in person, granted by their token's scopes.
 */
export function isToolEnabled(tool: Pick<ToolModule, 'safety' | 'name'>, policy: Policy, caller?: Caller): boolean {
  if (!policy.enabledClasses.includes(tool.safety)) return false;
  if (caller && !caller.classes.includes(tool.safety)) return false;
  return tool.safety !== 'destructive' || !policy.destructiveTools?.length || policy.destructiveTools.includes(tool.name);
}

export type CallVerdict = { allow: true } | { allow: false; reason: string; hint: string };

/** Whether the tool may be called at all under this policy (its class is enabled) by this caller (its scope granted). */
export function judgeCall(tool: Pick<ToolModule, 'safety' | 'name'>, policy: Policy, caller?: Caller): CallVerdict {
  if (isToolEnabled(tool, policy, caller)) return { allow: true };
  if (caller && policy.enabledClasses.includes(tool.safety) && !caller.classes.includes(tool.safety)) {
    const scope = CLASS_SCOPES[tool.safety];
    return {
      allow: false,
      reason: `tool ${tool.name} needs the scope "${scope}" (its safety class is "${tool.safety}"), and ${caller.name}'s sign-in did not grant it (granted: ${caller.scopes.join(' ') || 'no scopes'})`,
      hint: `Sign in again asking for the scope "${scope}", or ask whoever runs your identity provider to grant it to you.`,
    };
  }
  if (policy.enabledClasses.includes(tool.safety)) {
    return {
      allow: false,
      reason: `tool ${tool.name} is disabled: destructive tools are enabled on this server only by name, and this one is not listed (${policy.destructiveTools.join(', ')})`,
      hint: 'Ask the person running Kubezilla to add it to the destructive tools on the settings page if they want it.',
    };
  }
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
