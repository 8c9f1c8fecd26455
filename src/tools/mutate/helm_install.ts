/**
 * helm_install: `helm install` with the real helm CLI (3 or 4), from a repository (repo URL +
 * chart name), an OCI reference or a local chart path. Refuses a release name already in use
 * (helm_upgrade changes a release). Values go through a 0600 file, never the command line.
 * dryRun renders and validates on the server and lists what would be created.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
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
import { listRecords } from '../../providers/helm/release-store.js';

export default defineTool({
  name: 'helm_install',
  title: 'Helm install',
  description: 'helm install a new release (to change one: helm_upgrade). Example: {"release":"web","chart":"oci://ghcr.io/x/web"}',
  safety: 'safe-mutation',
  needs: ['clusters', 'settings', 'helm'],
  input: Type.Object(
    {
      ...ChartSourceArgs,
      namespace: NamespaceArg,
      createNamespace: Type.Optional(Type.Boolean({ description: 'Create it if missing.' })),
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
    const what = `install ${input.release} in namespace ${namespace}`;

    const { records } = await listRecords(handle, { namespace, release: input.release, signal: ctx.signal });
    if (records.length) {
      const last = records[records.length - 1]!;
      throw new ToolError(
        `Helm release "${input.release}" already exists in namespace "${namespace}" (context "${handle.context}"): revision ${last.revision}, ${last.status}. Nothing was installed.`,
        `Use helm_upgrade {"release": "${input.release}", "chart": "…", "namespace": "${namespace}"} to change it, or pick another release name.`,
      );
    }

    const args = helmChartCommand('install', input);
    if (input.createNamespace) args.push('--create-namespace');
    const run = { handle, namespace, what, values: input.values, wait: input.wait, timeoutSeconds: input.timeoutSeconds, waitFlags: true };
    if (input.dryRun) args.push(...dryRunFlags(bin));
    else await guardChartWrites(ctx, bin, args, run);
    const { stdout } = await ctx.helm.run(ctx, bin, args, run);
    const rel = parseHelmJson(stdout, what);
    const where = { release: input.release, namespace, context: handle.context };
    if (input.dryRun) {
      const objects = manifestObjects(rel.manifest);
      return [
        `Dry run (helm ${bin.version}, nothing changed): installing ${input.release} would create ${objects.length} object${objects.length === 1 ? '' : 's'}:`,
        ...objects.map((o) => `- ${o}`),
        describeOutcome(rel, where)
          .split('\n')
          .filter((l) => l.startsWith('chart:'))[0]!,
      ].join('\n');
    }
    const after = input.wait
      ? 'Its resources are ready (--wait).'
      : `Resources start in the background: watch them with list_resources {"kind": "pods", "namespace": "${namespace}"}.`;
    return `Installed ${input.release} (helm ${bin.version}).\n${describeOutcome(rel, where)}\n${after}`;
  },
});
