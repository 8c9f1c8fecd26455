/**
 * pvc_upload: writes one file into a PersistentVolumeClaim, like `kubectl cp` into a pod: packed
 * here with tar and unpacked by `tar` in the container (missing directories are created). An
 * existing file is replaced only with `overwrite`; the person's question names the claim, the
 * path, the size and whether a file there would be replaced. Afterwards the file's size is read back and
 * compared, so a short write is reported, never passed off as done.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation, ToolError } from '../../kernel/contract.js';
import { ClaimArg, ContextArg, NamespaceArg } from '../common/arguments.js';
import { claimPath, onClaim, planClaimForTool, runOnClaim, statOnClaim, withClaimAccess } from '../common/pvc.js';
import { packOne } from '../common/tar.js';

export const MAX_UPLOAD_BYTES = 1024 * 1024;

export default defineTool({
  name: 'pvc_upload',
  title: 'Write a file in a PVC',
  description: `Writes one file (up to ${MAX_UPLOAD_BYTES / 1024} KiB) into a PVC. Example: {"claim":"data","path":"/app.ini","content":"a=1"}`,
  safety: 'destructive',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      claim: ClaimArg,
      path: Type.String({ minLength: 1, maxLength: 4096, description: 'From the claim root; dirs are created.' }),
      content: Type.String({ maxLength: Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + 4, description: 'Text, or base64.' }),
      encoding: Type.Optional(Type.String({ enum: ['text', 'base64'], default: 'text', description: 'Of content.' })),
      overwrite: Type.Optional(Type.Boolean({ description: 'Replace a file there.' })),
      namespace: NamespaceArg,
      context: ContextArg,
    },
    { additionalProperties: false },
  ),
  auditTarget: (input) => `pvc/${input.claim}:/${claimPath(input.path)}`,
  async run(input, ctx) {
    const relative = claimPath(input.path);
    if (!relative) throw new ToolError('path: names the claim root, a directory.', 'Pass the path of the file to write, e.g. "/conf/app.ini".');
    const content = decodeContent(input.content, input.encoding ?? 'text');
    if (content.length > MAX_UPLOAD_BYTES) {
      throw new ToolError(`content: ${content.length} bytes is over the ${MAX_UPLOAD_BYTES}-byte limit of one upload.`, 'Upload a smaller file, or split it.');
    }
    const shown = `/${relative}`;
    const { handle, plan } = await planClaimForTool(ctx, input, true);
    const { what } = plan;
    // Asked before anything reaches the cluster: looking at the file is already an exec (or a pod).
    await requireConfirmation(
      ctx.confirm,
      `Write ${content.length} bytes to ${shown} in ${what} through ${plan.via}${input.overwrite ? ', replacing the file there if there is one' : ' (only if no file is there)'}?`,
    );
    const archive = await packOne(relative, content);
    return withClaimAccess(handle, plan, ctx.signal, async (access) => {
      const path = onClaim(access, relative);
      const before = await statOnClaim(handle, plan, access, path, ctx.signal);
      if (before && !/regular/.test(before.type)) throw new ToolError(`${shown} in ${what} is a ${before.type}; only a file can be written there.`);
      if (before && !input.overwrite) {
        throw new ToolError(
          `${shown} already exists in ${what} (${before.size} bytes); nothing was written.`,
          'Pass overwrite: true to replace it, once the person agrees.',
        );
      }
      const { end, stderr } = await runOnClaim(handle, plan, access, ['tar', 'xf', '-', '-C', access.root], { signal: ctx.signal, stdin: archive });
      const after = await statOnClaim(handle, plan, access, path, ctx.signal);
      const failed = end.how !== 'exited' || end.exitCode !== 0;
      if (failed || after?.size !== content.length) {
        throw new ToolError(
          `Writing ${shown} in ${what} failed: ${stderr.bytes().toString('utf8').trim() || (failed ? `tar ended with ${end.how === 'exited' ? `exit code ${end.exitCode}` : end.how}` : `the file has ${after?.size ?? 'no'} bytes, not ${content.length}`)}.`,
          'Check that the volume is writable and has room (pvc_browse, exec_in_pod df -h).',
        );
      }
      return `Wrote ${content.length} bytes to ${shown} in ${what} through ${plan.via}${before ? `, replacing ${before.size} bytes` : ''}.`;
    });
  },
});

function decodeContent(content: string, encoding: string): Buffer {
  if (encoding === 'text') return Buffer.from(content, 'utf8');
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(content)) {
    throw new ToolError('content: is not base64 (encoding is "base64").', 'Send the bytes base64-encoded, or set encoding "text" for text.');
  }
  return Buffer.from(content, 'base64');
}
