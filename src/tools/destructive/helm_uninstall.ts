/**
 * helm_uninstall: `helm uninstall` with the real helm CLI (3 or 4), through the same runner,
 * kubeconfig proxy and SSH tunnel as the other Helm tools. Before asking, it reads the release's
 * stored record and lists the objects the release owns, so the person confirms exactly what goes;
 * `keepHistory` keeps the revisions (status uninstalled), `dryRun` asks helm to simulate only.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation } from '../../kernel/contract.js';
import { ContextArg, DryRunArg, NamespaceArg, ReleaseArg } from '../common/arguments.js';
import { checkReleaseName, manifestNamespaces, manifestObjects, TimeoutArg } from '../common/helm.js';
import { chartOf, listRecords, readRecords, releaseRecords } from '../../providers/helm/release-store.js';

export default defineTool({
  name: 'helm_uninstall',
  title: 'Helm uninstall',
  description: 'helm uninstall: deletes the release and all it owns (listed to the person first). Example: {"release":"web"}',
  safety: 'destructive',
  needs: ['clusters', 'helm'],
  input: Type.Object(
    {
      release: ReleaseArg,
      namespace: NamespaceArg,
      context: ContextArg,
      keepHistory: Type.Optional(Type.Boolean({ description: 'As helm --keep-history.' })),
      dryRun: DryRunArg,
      wait: Type.Optional(Type.Boolean({ description: 'Until its objects are gone (helm --wait).' })),
      timeoutSeconds: TimeoutArg,
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    checkReleaseName(input.release);
    const handle = await ctx.clusters.get(input.context);
    const namespace = input.namespace ?? handle.namespace;
    const where = `namespace ${namespace}, context ${handle.context}`;

    const records = await releaseRecords(handle, input.release, namespace, ctx.signal);
    const current = records[records.length - 1]!;
    const {
      releases: [rel],
    } = await readRecords(handle, [current], ctx.signal);
    const status = rel?.info?.status ?? current.status;
    if (status === 'uninstalled') {
      return `Helm release ${input.release} is already uninstalled (${where}); its history is kept (${records.length} revision${records.length === 1 ? '' : 's'}). Nothing changed.`;
    }
    const bin = await ctx.helm.locate(ctx.signal);
    const objects = manifestObjects(rel?.manifest);
    const owned = objects.length ? `${objects.length} object${objects.length === 1 ? '' : 's'}: ${objects.join(', ')}` : 'no objects';
    const chart = chartOf(rel) ?? 'chart unknown';
    const history = input.keepHistory ? 'keeping its history' : `and its history (${records.length} revision${records.length === 1 ? '' : 's'})`;
    const about = `Helm release ${input.release} (revision ${current.revision}, ${chart}, ${status}; ${where})`;
    const what = `uninstall ${input.release} in namespace ${namespace}`;
    const args = ['uninstall', input.release, ...(input.keepHistory ? ['--keep-history'] : [])];
    const opts = { handle, namespace, what, wait: input.wait, timeoutSeconds: input.timeoutSeconds, waitFlags: true, driver: current.driver } as const;

    if (input.dryRun) {
      await ctx.helm.run(ctx, bin, [...args, '--dry-run'], opts);
      return `Dry run (helm ${bin.version}): uninstalling ${about} would delete ${owned}, ${history}. Nothing changed.`;
    }
    await ctx.guardWrites(handle.context, manifestNamespaces([rel?.manifest], namespace));
    await requireConfirmation(ctx.confirm, `Uninstall ${about}? It deletes ${owned}, ${history}.`);
    await ctx.helm.run(ctx, bin, args, opts);

    const after = (await listRecords(handle, { namespace, release: input.release, signal: ctx.signal })).records.filter((r) => r.driver === current.driver);
    const kept = after.length
      ? `History kept: ${after.length} revision${after.length === 1 ? '' : 's'}, the last marked uninstalled (get_helm_history shows them).`
      : 'No release history is left.';
    return [
      `Uninstalled ${input.release} (helm ${bin.version}; ${where}): revision ${current.revision}, ${chart}.`,
      `Deleted ${owned}.`,
      kept,
      input.wait
        ? 'Its resources are gone (--wait).'
        : `Pods stop in the background: list_resources {"kind": "pods", "namespace": "${namespace}"} shows them go.`,
    ].join('\n');
  },
});
