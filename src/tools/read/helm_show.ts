/**
 * helm_show: `helm show values|chart|readme` of a chart before installing it, so the model finds
 * the values key to set ("replicas" or "replicaCount"?) instead of guessing. The chart comes from
 * the same sources helm_install takes (a repository URL, an oci:// reference, a local directory)
 * and is held to the same policy.allowedChartSources. Nothing touches a cluster. Long values
 * files are cut on a line boundary with a note saying how much was left out.
 */
import { Type } from '@sinclair/typebox';
import { defineTool } from '../../kernel/contract.js';
import { bodyBudget, keepFirst } from '../common/budget.js';
import { ChartArg, checkChartSource, RepoArg, VersionArg } from '../common/helm.js';

const SHOW = ['values', 'chart', 'readme'] as const;

export default defineTool({
  name: 'helm_show',
  title: 'Show a Helm chart',
  description:
    'helm show values|chart|readme: a chart\'s values keys and defaults, before helm_install. Example: {"chart":"nginx","repo":"https://charts.example.com"}',
  safety: 'read',
  needs: ['helm', 'settings'],
  input: Type.Object(
    {
      chart: ChartArg,
      repo: RepoArg,
      version: VersionArg,
      show: Type.Optional(Type.Unsafe<(typeof SHOW)[number]>(Type.String({ enum: [...SHOW], default: 'values', description: 'What to show.' }))),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    checkChartSource({ chart: input.chart, repo: input.repo, version: input.version }, ctx.settings.get().policy.allowedChartSources);
    const show = input.show ?? 'values';
    const bin = await ctx.helm.locate(ctx.signal);
    const args = ['show', show, input.chart.trim()];
    if (input.version) args.push('--version', input.version);
    if (input.repo) args.push('--repo', input.repo);
    const what = `${input.chart}${input.version ? ` ${input.version}` : ''}`;
    const { stdout } = await ctx.helm.run(ctx, bin, args, { what: `show ${show} of chart ${what}`, timeoutSeconds: 60 });
    const text = stdout.trimEnd();
    if (!text) return show === 'readme' ? `Chart ${what} has no README.` : `helm show ${show} printed nothing for chart ${what}.`;
    const lines = text.split('\n');
    const { kept, dropped } = keepFirst(lines, bodyBudget(ctx.settings, 512));
    const head = `# helm show ${show} ${what}${input.repo ? ` (repo ${input.repo})` : ''}, helm ${bin.version}`;
    if (!dropped) return [head, ...kept].join('\n');
    return [head, ...kept, `[cut after ${kept.length} of ${lines.length} lines to fit the answer budget; the rest is further down the same file]`].join('\n');
  },
});
