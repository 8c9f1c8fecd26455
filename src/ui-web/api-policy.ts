/**
 * The safety policy on the settings page: which classes are on, read-only contexts, protected
 * namespaces, revealSecrets, the answer budget and the allowed chart sources (settings.json's
 * `policy`, whose schema the kernel owns).
 *
 * POST /api/policy takes any subset of those fields and saves them in one settings update: the
 * schema judges the whole result, so a bad field refuses the request naming it (as
 * `policy.<field>`) and nothing of it is saved. What the page adds to the schema is what it knows
 * and the schema cannot: a newly listed read-only context must be one of the contexts it shows,
 * and a destructive tool must be one this server has loaded.
 *
 * The change applies at once: the kernel reads the policy on every call, and the composition root
 * tells the kernel of every settings change, which announces `notifications/tools/list_changed`
 * to every open MCP session when the tools it offers changed.
 */
import type Router from '@koa/router';
import type { Logger } from '../kernel/logger.js';
import type { Policy } from '../kernel/policy.js';
import type { SettingsControl } from './app.js';
import { FieldProblem, readJsonBody, refuse, saveSettings } from './http.js';

const POLICY_FIELDS = [
  'enabledClasses',
  'destructiveTools',
  'readOnlyContexts',
  'protectedNamespaces',
  'revealSecrets',
  'maxOutputBytes',
  'allowedChartSources',
] as const satisfies ReadonlyArray<keyof Policy>;

export function policyState(control: SettingsControl) {
  const policy = control.settings.get().policy;
  let contexts: string[] = [];
  try {
    contexts = control.contexts().contexts.map((c) => c.name);
  } catch {
    // the contexts are unavailable (the clusters card says why): the picker is empty
  }
  return {
    policy,
    contexts,
    destructiveTools: control.destructiveTools(),
    destructiveForRun: control.destructiveForRun(),
    /** Every tool of this server with its class, so the page can say what each class brings. */
    tools: control.tools(),
  };
}

export function registerPolicyRoutes(router: Router, control: SettingsControl, log: Logger): void {
  router.get('/api/policy', (ctx) => {
    ctx.body = policyState(control);
  });

  router.post('/api/policy', async (ctx) => {
    const input = await readJsonBody(ctx);
    const unknown = Object.keys(input).filter((k) => !(POLICY_FIELDS as readonly string[]).includes(k));
    if (unknown.length) {
      return refuse(
        ctx,
        `Not saved: ${unknown.map((k) => `policy.${k}`).join(', ')} ${unknown.length === 1 ? 'is not a setting' : 'are not settings'} this page changes`,
        unknown.map((k) => ({ field: `policy.${k}`, reason: `\`policy.${k}\` is not a known setting` })),
      );
    }
    if (!Object.keys(input).length) return refuse(ctx, `Nothing to save: send one or more of ${POLICY_FIELDS.join(', ')}`);
    const saved = saveSettings(ctx, control.settings, (s) => {
      const previous = [...s.policy.readOnlyContexts];
      Object.assign(s.policy, input);
      const listed = input.readOnlyContexts;
      if (Array.isArray(listed)) {
        const known = policyState(control).contexts;
        const strange = listed.filter((n) => typeof n === 'string' && !known.includes(n) && !previous.includes(n));
        if (strange.length) throw new FieldProblem('policy.readOnlyContexts', `no context is named ${strange.map((n) => `"${n}"`).join(', ')}`);
      }
      const tools = input.destructiveTools;
      if (Array.isArray(tools)) {
        const known = control.destructiveTools().map((t) => t.name);
        const strange = tools.filter((t) => typeof t === 'string' && !known.includes(t));
        if (strange.length) throw new FieldProblem('policy.destructiveTools', `not destructive tools of this server: ${strange.join(', ')}`);
      }
    });
    if (!saved) return;
    log.info('policy changed from the settings page', { fields: Object.keys(input) });
    ctx.body = policyState(control);
  });
}
