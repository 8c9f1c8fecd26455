/**
 * list_kinds: the resource kinds a cluster serves (kubectl api-resources), from the discovery
 * cache the clusters provider keeps per context, with filters so the answer stays small.
 */
import { Type } from '@sinclair/typebox';
import { defineTool } from '../../kernel/contract.js';
import type { ResolvedKind } from '../../providers/cluster/discovery.js';
import { ContextArg } from '../common/arguments.js';
import { table } from '../common/format.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export default defineTool({
  name: 'list_kinds',
  title: 'List resource kinds',
  description: 'Kinds the cluster serves, CRDs too (kubectl api-resources): short names, scope, verbs. Example: {"search":"cert"}',
  safety: 'read',
  needs: ['clusters'],
  input: Type.Object(
    {
      context: ContextArg,
      search: Type.Optional(Type.String({ minLength: 1, description: 'Word in a name, group or category.' })),
      group: Type.Optional(Type.String({ description: 'API group; "core" for v1.' })),
      namespaced: Type.Optional(Type.Boolean({ description: 'true: namespaced only; false: cluster-scoped.' })),
      allVersions: Type.Optional(Type.Boolean({ description: 'Also non-preferred versions.' })),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const kinds = await handle.listKinds(ctx.signal);
    const group = input.group === undefined ? undefined : input.group.toLowerCase() === 'core' ? '' : input.group.toLowerCase();
    const word = input.search?.toLowerCase();
    const shown = kinds.filter(
      (k) =>
        (input.allVersions || k.preferred) &&
        (group === undefined || k.group === group) &&
        (input.namespaced === undefined || k.namespaced === input.namespaced) &&
        (!word || matches(k, word)),
    );
    if (!shown.length) {
      const what = [
        word && `matching "${input.search}"`,
        group !== undefined && `in group "${input.group}"`,
        input.namespaced !== undefined && (input.namespaced ? 'namespaced' : 'cluster-scoped'),
      ]
        .filter(Boolean)
        .join(', ');
      const groups = [...new Set(kinds.map((k) => k.group || 'core'))];
      return `No kinds ${what} on context "${handle.context}" (${kinds.filter((k) => k.preferred).length} kinds served). Groups: ${groups.join(', ')}.`;
    }
    const rows = shown.map((k) => [k.plural, k.shortNames.join(','), k.apiVersion, k.namespaced ? 'true' : 'false', k.kind, verbsText(k.verbs)]);
    const out = table(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', 'VERBS'], rows);
    const notes = [
      `${shown.length} kinds. VERBS "all" = ${ALL_VERBS.join(',')}. Pass "kind" to other tools as NAME, NAME.group (for example deployments.apps), KIND or a short name.`,
    ];
    return `${out}\n\n${notes.join('\n')}`;
  },
});

function matches(k: ResolvedKind, word: string): boolean {
  return [k.plural, k.kind, k.singular, k.group, ...k.shortNames, ...k.categories].some((s) => s.toLowerCase().includes(word));
}

function verbsText(verbs: string[]): string {
  const set = new Set(verbs);
  if (ALL_VERBS.every((v) => set.has(v)) && set.size === ALL_VERBS.length) return 'all';
  return [...set].sort().join(',');
}
