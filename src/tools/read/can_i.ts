/**
 * can_i: `kubectl auth can-i` for the context's own user. One question (a verb on a kind, optionally
 * one object, given as `name` or `kind/name`, a subresource, or every namespace) is a SelfSubjectAccessReview, which the API server
 * answers with its RBAC, webhook and admission view, including the rule that allowed it when the
 * authorizer says. With `list: true` it is `kubectl auth can-i --list`: a SelfSubjectRulesReview of
 * what the user may do in one namespace. Both are reviews about the caller; neither changes anything.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import { AllNamespacesArg, ContextArg, KindArg, NamespaceArg, ObjectNameArg } from '../common/arguments.js';
import { resolveObjectRef } from '../common/refs.js';
import { table } from '../common/format.js';
import { bodyBudget, keepFirst } from '../common/budget.js';

const VERB = /^(\*|[a-z]+)$/;

interface AccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

interface RulesReviewStatus {
  resourceRules?: Array<{ verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }>;
  nonResourceRules?: Array<{ verbs: string[]; nonResourceURLs?: string[] }>;
  incomplete?: boolean;
  evaluationError?: string;
}

export default defineTool({
  name: 'can_i',
  title: 'Check own permissions',
  description: 'kubectl auth can-i for the context\'s user (list: all its rules). Example: {"verb":"create","kind":"deploy"}',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      verb: Type.Optional(Type.String({ description: 'get, list, create, delete, … or *.' })),
      kind: Type.Optional(KindArg),
      name: Type.Optional(ObjectNameArg),
      subresource: Type.Optional(Type.String({ minLength: 1, description: 'log, exec, scale, …' })),
      namespace: NamespaceArg,
      allNamespaces: AllNamespacesArg,
      list: Type.Optional(Type.Boolean({ description: 'Every rule in the namespace instead.' })),
      context: ContextArg,
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const namespace = input.namespace ?? handle.namespace;
    // In team mode the answer is the signed-in person's (the handle acts as them).
    const who = handle.person ? handle.person.acting.user : `the user of context "${handle.context}"`;

    if (input.list) {
      if (input.verb || input.kind || input.name || input.subresource || input.allNamespaces) {
        throw new ToolError(
          'list: true lists every rule in one namespace; it takes no verb, kind, name, subresource or allNamespaces.',
          'Ask one question without list, or pass only list (and namespace).',
        );
      }
      const res = await handle.request('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
        method: 'POST',
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
        signal: ctx.signal,
      });
      return rulesText(res.json<{ status?: RulesReviewStatus }>().status ?? {}, `${who} in namespace ${namespace}`, bodyBudget(ctx.settings, 600));
    }

    if (!input.verb || (!input.kind && !input.name?.includes('/'))) {
      throw new ToolError(
        `${!input.verb ? 'verb' : 'kind'}: missing; can_i asks about one verb on one kind.`,
        'Pass verb and kind, e.g. {"verb":"delete","kind":"pods"}, or list: true for every rule.',
      );
    }
    const verb = input.verb.trim().toLowerCase();
    if (!VERB.test(verb))
      throw new ToolError(`verb: "${input.verb}" is not a Kubernetes verb.`, 'Use get, list, watch, create, update, patch, delete, deletecollection, or *.');
    let resource = { group: '*', resource: '*', namespaced: true, label: 'every resource' };
    let name: string | undefined;
    if (input.kind?.trim() === '*') {
      if (input.name) throw new ToolError('name: a name needs a kind, not *.', 'Pass the kind of the named object.');
    } else {
      const ref = input.name
        ? await resolveObjectRef(handle, { field: 'name', ref: input.name, kind: input.kind, kindArgument: true }, ctx.signal)
        : { kind: await handle.resolveKind(input.kind!, ctx.signal), name: undefined };
      const kind = ref.kind;
      name = ref.name;
      resource = { group: kind.group, resource: kind.plural, namespaced: kind.namespaced, label: kind.group ? `${kind.plural}.${kind.group}` : kind.plural };
    }
    const scoped = resource.namespaced && !input.allNamespaces;
    const attributes = {
      verb,
      group: resource.group,
      resource: resource.resource,
      ...(input.subresource ? { subresource: input.subresource } : {}),
      ...(name ? { name } : {}),
      ...(scoped ? { namespace } : {}),
    };
    const res = await handle.request('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      method: 'POST',
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attributes } },
      signal: ctx.signal,
    });
    const status = res.json<{ status?: AccessReviewStatus }>().status ?? {};
    const target = `${resource.label}${input.subresource ? `/${input.subresource}` : ''}${name ? ` "${name}"` : ''}`;
    const where = scoped ? `in namespace ${namespace}` : resource.namespaced ? 'in every namespace' : '(cluster-scoped)';
    const question = `${verb} ${target} ${where}`;
    const why = [status.reason, status.evaluationError ? `evaluation error: ${status.evaluationError}` : ''].filter(Boolean).join('; ');
    if (status.allowed) return `yes: ${who} may ${question}.${why ? ` (${why})` : ''}`;
    return `no: ${who} may not ${question}.${why ? ` (${why})` : ''} list: true shows what it may do in a namespace.`;
  },
});

/** `deployments/scale` in group apps as kubectl writes it: `deployments.apps/scale`. */
function withGroup(resource: string, group: string): string {
  if (!group) return resource;
  const [base, sub] = resource.split('/');
  return `${base}.${group}${sub ? `/${sub}` : ''}`;
}

function rulesText(status: RulesReviewStatus, whose: string, budget: number): string {
  // Resources as kubectl auth can-i --list prints them, with their group (`deployments.apps`).
  // The long column last, so no row is padded to the longest list of resources.
  const rows = (status.resourceRules ?? []).map((r) => [
    r.verbs.join(','),
    (r.resourceNames ?? []).join(',') || '*',
    (r.apiGroups?.length ? r.apiGroups : ['']).flatMap((g) => (r.resources ?? ['*']).map((res) => withGroup(res, g))).join(', '),
  ]);
  const urls = (status.nonResourceRules ?? []).map((r) => [r.verbs.join(','), '-', (r.nonResourceURLs ?? []).join(', ')]);
  const lines = table(['VERBS', 'NAMES', 'RESOURCES (or URLs)'], [...rows, ...urls]).split('\n');
  const { kept, dropped } = keepFirst(lines, budget);
  return [
    `Rules of ${whose}:`,
    ...kept,
    ...(dropped ? [`[${dropped} more rules not shown to fit the answer budget]`] : []),
    ...(status.incomplete
      ? ['(incomplete: an authorizer in this cluster cannot list its rules, so more may be allowed than shown; ask one question to be sure)']
      : []),
    ...(status.evaluationError ? [`(evaluation error: ${status.evaluationError})`] : []),
  ].join('\n');
}
