/**
 * pvc_browse: the entries of one directory in a PersistentVolumeClaim (type, size, modified,
 * mode, name), like `ls -l`, through a pod that mounts the claim or a short-lived helper pod
 * (tools/common/pvc.ts). Destructive like the other exec-based tools: it runs commands in a
 * container, or starts a pod, so the person confirms which first.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation, ToolError } from '../../kernel/contract.js';
import { ClaimArg, ContextArg, NamespaceArg } from '../common/arguments.js';
import { bodyBudget } from '../common/budget.js';
import { table } from '../common/format.js';
import { claimPath, listOnClaim, onClaim, planClaimForTool, statOnClaim, withClaimAccess, type FileStat } from '../common/pvc.js';

export default defineTool({
  name: 'pvc_browse',
  title: 'List a directory in a PVC',
  description: 'ls -l of one directory in a PersistentVolumeClaim. Example: {"claim":"data","path":"/logs"}',
  safety: 'destructive',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      claim: ClaimArg,
      path: Type.Optional(Type.String({ maxLength: 4096, description: 'From the claim root; default /.' })),
      namespace: NamespaceArg,
      context: ContextArg,
    },
    { additionalProperties: false },
  ),
  auditTarget: (input) => `pvc/${input.claim}:/${claimPath(input.path)}`,
  async run(input, ctx) {
    const relative = claimPath(input.path);
    const shown = `/${relative}`;
    const { handle, plan } = await planClaimForTool(ctx, input, false);
    const { what } = plan;
    await requireConfirmation(ctx.confirm, `List ${shown} in ${what} through ${plan.via}?`);
    const budget = bodyBudget(ctx.settings);
    return withClaimAccess(handle, plan, ctx.signal, async (access) => {
      const path = onClaim(access, relative);
      const stat = await statOnClaim(handle, plan, access, path, ctx.signal);
      if (!stat) throw new ToolError(`${shown} does not exist in ${what}.`, 'Browse its parent directory to see what is there.');
      const head = `${what}, ${shown} through ${plan.via}`;
      if (stat.type !== 'directory') return `${head}: a ${stat.type}, not a directory.\n${render([{ ...stat, name: relative.split('/').pop()! }])}`;
      const { entries, cut, errors } = await listOnClaim(handle, plan, access, path, budget, ctx.signal);
      return [
        `${head}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}${cut ? ' shown, more left out (the answer budget is full): browse a subdirectory' : ''}.`,
        ...(entries.length ? [render(entries)] : []),
        ...(errors ? [`Not listed (find said): ${errors.split('\n').slice(0, 5).join('; ')}`] : []),
      ].join('\n');
    });
  },
});

function render(entries: FileStat[]): string {
  return table(
    ['TYPE', 'SIZE', 'MODIFIED', 'MODE', 'NAME'],
    entries.map((e) => [e.type, e.size, new Date(e.mtime * 1000).toISOString().replace('.000Z', 'Z'), e.mode, e.name]),
  );
}
