/**
 * pvc_download: reads one file of a PersistentVolumeClaim, like `kubectl cp` out of a pod: `tar`
 * in the container, unpacked here. Text comes back as text, anything else as base64 (or as asked).
 * The answer budget caps the size: a bigger text file gives its first part with a note saying how
 * to read the rest; a bigger binary file is refused, since half a binary is rarely of use.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation, ToolError } from '../../kernel/contract.js';
import { ClaimArg, ContextArg, NamespaceArg } from '../common/arguments.js';
import { bodyBudget } from '../common/budget.js';
import { OutputBuffer } from '../common/pod-exec.js';
import { claimPath, onClaim, planClaimForTool, runOnClaim, statOnClaim, withClaimAccess } from '../common/pvc.js';
import { unpackOne } from '../common/tar.js';

export default defineTool({
  name: 'pvc_download',
  title: 'Read a file in a PVC',
  description: 'Reads a file in a PVC: text, or base64 if binary; size-capped. Example: {"claim":"data","path":"/app.log"}',
  safety: 'destructive',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      claim: ClaimArg,
      path: Type.String({ minLength: 1, maxLength: 4096, description: 'From the claim root.' }),
      encoding: Type.Optional(Type.String({ enum: ['auto', 'text', 'base64'], default: 'auto', description: 'auto: text if UTF-8.' })),
      namespace: NamespaceArg,
      context: ContextArg,
    },
    { additionalProperties: false },
  ),
  auditTarget: (input) => `pvc/${input.claim}:/${claimPath(input.path)}`,
  async run(input, ctx) {
    const relative = claimPath(input.path);
    if (!relative) throw new ToolError('path: names the claim root, a directory.', 'Pass a file path; pvc_browse lists what is there.');
    const shown = `/${relative}`;
    const { handle, plan } = await planClaimForTool(ctx, input, false);
    const { what } = plan;
    await requireConfirmation(ctx.confirm, `Read ${shown} from ${what} through ${plan.via}?`);
    // Base64 takes 4 bytes for 3: the cap is what fits the answer either way.
    const textCap = bodyBudget(ctx.settings, 2048);
    const binaryCap = Math.floor((textCap * 3) / 4);
    return withClaimAccess(handle, plan, ctx.signal, async (access) => {
      const path = onClaim(access, relative);
      const stat = await statOnClaim(handle, plan, access, path, ctx.signal);
      if (!stat) throw new ToolError(`${shown} does not exist in ${what}.`, 'pvc_browse its directory to see what is there.');
      if (!/regular/.test(stat.type))
        throw new ToolError(`${shown} in ${what} is a ${stat.type}, not a regular file.`, 'pvc_browse lists a directory; pass the path of a file.');
      const head = `${what}, ${shown} (${stat.size} bytes, modified ${new Date(stat.mtime * 1000).toISOString()}) through ${plan.via}`;
      if (stat.size > textCap || (input.encoding === 'base64' && stat.size > binaryCap)) {
        // Only as much as can be shown is read: the first part, with `head -c`.
        const stdout = new OutputBuffer(textCap, 'head');
        await runOnClaim(handle, plan, access, ['head', '-c', String(textCap), path], { signal: ctx.signal, stdout });
        const part = input.encoding === 'base64' ? undefined : decode(stdout.bytes(), 'text');
        if (part === undefined) {
          throw new ToolError(
            `${shown} in ${what} is ${stat.size} bytes${input.encoding === 'base64' ? '' : ' of binary data'}, over the ${binaryCap}-byte limit for base64 in one answer.`,
            'Read a part with exec_in_pod (for example ["sh","-c","tail -c 20000 FILE | base64"]), or raise policy.maxOutputBytes in the settings.',
          );
        }
        // Whole lines only, when there are any.
        const cut = part.includes('\n') ? part.slice(0, part.lastIndexOf('\n') + 1) : part;
        return `${head}; the first ${Buffer.byteLength(cut)} bytes as text (the answer budget is full); read further with exec_in_pod (tail -c, sed -n 'A,Bp').\n${cut}`;
      }
      // The whole file, as kubectl cp takes it: tar in the container (with a little room for its headers).
      const stdout = new OutputBuffer(stat.size + 64 * 1024, 'head');
      const parent = relative.includes('/') ? onClaim(access, relative.slice(0, relative.lastIndexOf('/'))) : access.root;
      const { end, stderr } = await runOnClaim(handle, plan, access, ['tar', 'cf', '-', '-C', parent, relative.split('/').pop()!], {
        signal: ctx.signal,
        stdout,
      });
      if (end.how !== 'exited' || end.exitCode !== 0) {
        throw new ToolError(
          `tar could not read ${shown} in ${what}: ${stderr.bytes().toString('utf8').trim() || `exit ${end.how === 'exited' ? end.exitCode : end.how}`}.`,
        );
      }
      const file = await unpackOne(stdout.bytes());
      if (!file) throw new ToolError(`tar sent no file for ${shown} in ${what} (it may have changed while being read).`, 'Try again.');
      const asText = input.encoding === 'base64' ? undefined : decode(file, 'text');
      if (input.encoding === 'text' && asText === undefined) {
        throw new ToolError(`${shown} in ${what} is not UTF-8 text.`, 'Call again with encoding "base64" (or "auto").');
      }
      if (asText !== undefined) return `${head}, as text:\n${asText}`;
      if (file.length > binaryCap)
        throw new ToolError(`${shown} in ${what} is ${file.length} bytes, over the ${binaryCap}-byte limit for base64 in one answer.`);
      return `${head}, as base64 (it is not UTF-8 text):\n${file.toString('base64')}`;
    });
  },
});

/** UTF-8 text without NUL bytes, else undefined (binary); base64 always decodes. */
function decode(bytes: Buffer, as: 'text' | 'base64'): string | undefined {
  if (as === 'base64') return bytes.toString('base64');
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // A cut in the middle of a character at the very end is still text.
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, Math.max(0, bytes.length - 3)));
    } catch {
      return undefined;
    }
  }
}
