/**
 * helm_rollback: `helm rollback` with the real helm CLI (3 or 4). The target revision (default:
 * the one before the current) is checked against the release's stored records first, so a wrong
 * number fails with the revisions that exist instead of helm's terse error. Reports from → to.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import { ContextArg, NamespaceArg, ReleaseArg } from '../common/arguments.js';
import { checkReleaseName, manifestNamespaces, TimeoutArg, WaitArg } from '../common/helm.js';
import { chartOf, listRecords, readRecords, releaseRecords } from '../../providers/helm/release-store.js';

export default defineTool({
  name: 'helm_rollback',
  title: 'Helm rollback',
  description: 'helm rollback to an earlier revision (default: the previous); get_helm_history lists them. Example: {"release":"web","revision":2}',
  safety: 'safe-mutation',
  needs: ['clusters', 'settings', 'helm'],
  input: Type.Object(
    {
      release: ReleaseArg,
      revision: Type.Optional(Type.Integer({ minimum: 1, description: 'Target revision.' })),
      namespace: NamespaceArg,
      context: ContextArg,
      wait: WaitArg,
      timeoutSeconds: TimeoutArg,
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    checkReleaseName(input.release);
    const bin = await ctx.helm.locate(ctx.signal);
    const handle = await ctx.clusters.get(input.context);
    const namespace = input.namespace ?? handle.namespace;
    const what = `rollback ${input.release} in namespace ${namespace}`;
    const where = `namespace "${namespace}" (context "${handle.context}")`;

    const records = await releaseRecords(handle, input.release, namespace, ctx.signal);
    const current = records[records.length - 1]!;
    const stored = records.map((r) => r.revision);
    const target =
      input.revision !== undefined ? records.find((r) => r.revision === input.revision) : [...records].reverse().find((r) => r.revision < current.revision);
    if (!target) {
      throw new ToolError(
        input.revision !== undefined
          ? `Helm release "${input.release}" has no revision ${input.revision} in ${where}. Stored revisions: ${stored.join(', ')}. Nothing was changed.`
          : `Helm release "${input.release}" has only revision ${current.revision} stored in ${where}: there is no previous revision to roll back to.`,
        `See the revisions with get_helm_history {"release": "${input.release}", "namespace": "${namespace}"}.`,
      );
    }
    const {
      releases: [fromRel, toRel],
    } = await readRecords(handle, [current, target], ctx.signal);
    // The revision rolled back to says where its objects go: judged before helm changes anything.
    await ctx.guardWrites(handle.context, manifestNamespaces([toRel?.manifest], namespace));

    await ctx.helm.run(ctx, bin, ['rollback', input.release, String(target.revision)], {
      handle,
      namespace,
      what,
      wait: input.wait,
      timeoutSeconds: input.timeoutSeconds,
      waitFlags: true,
      driver: current.driver,
    });

    const after = (await listRecords(handle, { namespace, release: input.release, signal: ctx.signal })).records.filter((r) => r.driver === current.driver);
    const newest = after[after.length - 1];
    const {
      releases: [newRel],
    } = newest ? await readRecords(handle, [newest], ctx.signal) : { releases: [undefined] };
    const chart = (rel: typeof fromRel) => chartOf(rel) ?? 'chart unknown';
    return [
      `Rolled back ${input.release} (helm ${bin.version}): revision ${current.revision} (${chart(fromRel)}) → revision ${newest?.revision ?? '?'}, a copy of revision ${target.revision} (${chart(toRel)}).`,
      `release: ${input.release}`,
      `namespace: ${namespace} (context ${handle.context})`,
      `revision: ${newest?.revision ?? '?'}`,
      `status: ${newRel?.info?.status ?? newest?.status ?? 'unknown'}`,
      `chart: ${chart(newRel ?? toRel)}`,
      input.wait
        ? 'Its resources are ready (--wait).'
        : `Pods follow in the background: watch with list_resources {"kind": "pods", "namespace": "${namespace}"}.`,
    ].join('\n');
  },
});
