/**
 * get_helm_history: `helm history` without the helm binary: a release's revisions with status,
 * chart, app version and description, read from Helm's release records (both storage drivers).
 * Descriptions lose any user-supplied value quoted in them unless policy.revealSecrets is on.
 */
import { Type } from '@sinclair/typebox';
import { defineTool } from '../../kernel/contract.js';
import { ContextArg, NamespaceArg, ReleaseArg } from '../common/arguments.js';
import { table } from '../common/format.js';
import { chartOf, readRecords, releaseDescription, releaseRecords, when } from '../../providers/helm/release-store.js';

const DEFAULT_MAX = 20;
const MAX_DESCRIPTION = 400;

export default defineTool({
  name: 'get_helm_history',
  title: 'Helm release history',
  description: 'Revisions of a Helm release with status, chart and description (helm history). Example: {"release":"web"}',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      release: ReleaseArg,
      context: ContextArg,
      namespace: NamespaceArg,
      max: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `Newest revisions (default ${DEFAULT_MAX}).` })),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const namespace = input.namespace ?? handle.namespace;
    const refs = await releaseRecords(handle, input.release, namespace, ctx.signal);
    const max = input.max ?? DEFAULT_MAX;
    const shown = refs.slice(-max);
    const { releases, problems } = await readRecords(handle, shown, ctx.signal);
    const reveal = ctx.settings.get().policy.revealSecrets;
    const text = table(
      ['REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION', 'DESCRIPTION'],
      shown.map((ref, i) => {
        const rel = releases[i];
        const description = releaseDescription(rel, reveal);
        return [
          ref.revision,
          when(rel?.info?.last_deployed),
          rel?.info?.status ?? ref.status,
          rel ? chartOf(rel) : '<unreadable>',
          rel?.chart?.metadata?.appVersion,
          description.length > MAX_DESCRIPTION ? `${description.slice(0, MAX_DESCRIPTION)}… [+${description.length - MAX_DESCRIPTION} chars]` : description,
        ];
      }),
    );
    const notes: string[] = [];
    if (refs.length > shown.length)
      notes.push(`Showing the newest ${shown.length} of ${refs.length} revisions (oldest stored: ${refs[0]!.revision}); pass max to see more.`);
    if (refs[0]!.driver === 'configmap') notes.push('Stored in ConfigMaps (HELM_DRIVER=configmap).');
    notes.push(...problems);
    return notes.length ? `${text}\n\n${notes.join('\n')}` : text;
  },
});
