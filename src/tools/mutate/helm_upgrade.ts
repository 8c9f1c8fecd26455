/**
 * helm_upgrade: `helm upgrade` with the real helm CLI (3 or 4): a new revision of an existing
 * release (or a first one with `install`), from a repository, an OCI reference or a local chart
 * path. The release's storage driver (Secrets or ConfigMaps) is read from its records, so helm
 * finds it either way. dryRun renders and validates on the server and lists the objects.
 */
import { Type } from '@sinclair/typebox';
import { defineTool } from '../../kernel/contract.js';
import { ContextArg, DryRunArg, NamespaceArg } from '../common/arguments.js';
import {
  helmChartCommand,
  ChartSourceArgs,
  checkChartSource,
  describeOutcome,
  dryRunFlags,
  guardChartWrites,
  manifestObjects,
  parseHelmJson,
  TimeoutArg,
  WaitArg,
} from '../common/helm.js';
import { listRecords, releaseRecords, type RecordRef } from '../../providers/helm/release-store.js';

export default defineTool({
  name: 'helm_upgrade',
  title: 'Helm upgrade',
  description: 'helm upgrade a release to a new chart version or values. Example: {"release":"web","chart":"./web","values":"replicaCount: 3"}',
  safety: 'safe-mutation',
  needs: ['clusters', 'settings', 'helm'],
  input: Type.Object(
    {
      ...ChartSourceArgs,
      reuseValues: Type.Optional(Type.Boolean({ description: 'Merge into current values.' })),
      install: Type.Optional(Type.Boolean({ description: 'Install if missing.' })),
      namespace: NamespaceArg,
      context: ContextArg,
      wait: WaitArg,
      timeoutSeconds: TimeoutArg,
      dryRun: DryRunArg,
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    checkChartSource(input, ctx.settings.get().policy.allowedChartSources);
    const bin = await ctx.helm.locate(ctx.signal);
    const handle = await ctx.clusters.get(input.context);
    const namespace = input.namespace ?? handle.namespace;
    const what = `upgrade ${input.release} in namespace ${namespace}`;

    let records: RecordRef[];
    if (input.install) {
      records = (await listRecords(handle, { namespace, release: input.release, signal: ctx.signal })).records;
      const newest = records[records.length - 1];
      if (newest) records = records.filter((r) => r.driver === newest.driver);
    } else {
      records = await releaseRecords(handle, input.release, namespace, ctx.signal);
    }
    const from = records[records.length - 1];

    const args = helmChartCommand('upgrade', input);
    if (input.reuseValues) args.push('--reuse-values');
    if (input.install) args.push('--install');
    const run = {
      handle,
      namespace,
      what,
      values: input.values,
      wait: input.wait,
      timeoutSeconds: input.timeoutSeconds,
      waitFlags: true,
      ...(from ? { driver: from.driver } : {}),
    };
    if (input.dryRun) args.push(...dryRunFlags(bin));
    else await guardChartWrites(ctx, bin, args, run);
    const { stdout } = await ctx.helm.run(ctx, bin, args, run);
    const rel = parseHelmJson(stdout, what);
    const where = { release: input.release, namespace, context: handle.context };
    const change = from ? `revision ${from.revision} (${from.status}) → ${rel.version ?? '?'}` : `new release, revision ${rel.version ?? 1}`;
    if (input.dryRun) {
      const objects = manifestObjects(rel.manifest);
      const chart = rel.chart?.metadata;
      return [
        `Dry run (helm ${bin.version}, nothing changed): ${input.release} would be upgraded (${change}) to ${chart?.name ?? '?'}-${chart?.version ?? '?'}, rendering ${objects.length} object${objects.length === 1 ? '' : 's'}:`,
        ...objects.map((o) => `- ${o}`),
      ].join('\n');
    }
    const after = input.wait
      ? 'Its resources are ready (--wait).'
      : `Changes roll out in the background: watch with list_resources {"kind": "pods", "namespace": "${namespace}"}; undo with helm_rollback.`;
    return `Upgraded ${input.release}: ${change} (helm ${bin.version}).\n${describeOutcome(rel, where)}\n${after}`;
  },
});
