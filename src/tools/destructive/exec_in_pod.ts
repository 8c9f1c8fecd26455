/**
 * exec_in_pod: `kubectl exec` of one non-interactive command, argv as given (a shell only when the
 * caller asks for one with ["sh","-c","…"]). Destructive: a command can change anything the
 * container can reach, so the person confirms the exact argv, pod and container first.
 *
 * The answer keeps stdout and stderr apart with the exit code; long output keeps its end (where a
 * command's result and errors are) within the budget and says how much was left out. A timeout or
 * cancellation stops the command (pod-exec.ts: closing the stream alone would leave it running) and
 * the answer says so with what had arrived. The audit log records the argv, never stdin.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation, ToolError } from '../../kernel/contract.js';
import { ContextArg, NamespaceArg } from '../common/arguments.js';
import { bodyBudget, clip } from '../common/budget.js';
import { execInContainer, OutputBuffer, type ExecEnd } from '../common/pod-exec.js';
import { runningPodFor } from '../common/pods.js';

const DEFAULT_TIMEOUT_S = 60;
const MAX_STDIN_BYTES = 1024 * 1024;

export default defineTool({
  name: 'exec_in_pod',
  title: 'Run a command in a container',
  description: 'kubectl exec of one command: exit code, stdout, stderr. Example: {"name":"deploy/web","command":["ls","/app"]}',
  safety: 'destructive',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      name: Type.String({ minLength: 1, description: 'Pod, or deploy/x, sts/x, … (its first running pod).' }),
      command: Type.Array(Type.String({ maxLength: 32_768 }), {
        minItems: 1,
        maxItems: 1024,
        description: 'argv, no shell; pipes, globs: ["sh","-c","…"].',
      }),
      container: Type.Optional(Type.String({ minLength: 1, description: 'Default: annotated default, else first.' })),
      stdin: Type.Optional(Type.String({ maxLength: MAX_STDIN_BYTES, description: 'Text fed to the command.' })),
      timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: DEFAULT_TIMEOUT_S, description: 'Then it is stopped.' })),
      namespace: NamespaceArg,
      context: ContextArg,
    },
    { additionalProperties: false },
  ),
  auditTarget: (input) => clip(`${input.name} ${JSON.stringify(input.command)}`, 2000),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const namespace = input.namespace ?? handle.namespace;
    // Judged first: a read-only context or a protected namespace is refused before anything is looked up.
    await ctx.guardWrites(handle.context, [namespace]);
    const stdin = input.stdin === undefined ? undefined : Buffer.from(input.stdin, 'utf8');
    if (stdin && stdin.length > MAX_STDIN_BYTES) {
      throw new ToolError(
        `stdin: ${stdin.length} bytes is over the ${MAX_STDIN_BYTES}-byte limit.`,
        'Send less, or put the data in a ConfigMap and read it there.',
      );
    }
    const { pod, container, note } = await runningPodFor(handle, input.name, namespace, input.container, ctx.signal);
    const where = `pod ${pod} (container ${container}, namespace ${namespace}, context ${handle.context})`;
    const argv = JSON.stringify(input.command);
    await requireConfirmation(ctx.confirm, `Run ${argv} in ${where}${stdin ? `, with ${stdin.length} bytes on stdin` : ''}?`);

    const budget = bodyBudget(ctx.settings);
    const stdout = new OutputBuffer(Math.floor(budget * 0.75), 'tail');
    const stderr = new OutputBuffer(budget - stdout.limit, 'tail');
    const timeoutSeconds = input.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
    const end = await execInContainer(handle, {
      namespace,
      pod,
      container,
      command: input.command,
      ...(stdin ? { stdin } : {}),
      signal: ctx.signal,
      timeoutMs: timeoutSeconds * 1000,
      stdout,
      stderr,
    });
    const text = [
      `${headline(end, timeoutSeconds)}: ${argv} in ${where}.`,
      ...(note ? [note] : []),
      ...section('stdout', stdout),
      ...section('stderr', stderr),
    ].join('\n');
    // A command that ran and failed is still an answer (its exit code is the point); one that
    // could not run, or was cut short, is an error the model should not read as a result.
    if (end.how === 'exited') return text;
    throw new ToolError(text, HINTS[end.how]);
  },
});

const HINTS: Record<Exclude<ExecEnd['how'], 'exited'>, string> = {
  failed: 'exec runs the program directly, without a shell: check that it exists in the container (or pass ["sh","-c","…"]) and that the container is running.',
  timeout: 'Raise timeoutSeconds for a longer command, or bound it yourself (timeout 30 …, head -n).',
  cancelled: 'Run it again if it is still wanted.',
  closed: 'The connection to the API server or the node dropped: check the pod and try again.',
  overflow: 'Narrow the command so it prints less.',
};

/** What the shell's conventional exit codes mean, as a person reading them would say it. */
const EXIT_MEANING: Record<number, string> = { 126: 'not executable', 127: 'command not found', 137: 'killed, SIGKILL', 143: 'terminated, SIGTERM' };

function headline(end: ExecEnd, timeoutSeconds: number): string {
  const stopped =
    end.signalled === false
      ? 'the stream was closed, but the command could not be signalled (the container has no shell to find it with), so it may still be running'
      : 'the command was sent SIGTERM (SIGKILL 2 s later)';
  const arrived = '(the output below is what had arrived)';
  switch (end.how) {
    case 'exited':
      return `Exit code ${end.exitCode}${EXIT_MEANING[end.exitCode] ? ` (${EXIT_MEANING[end.exitCode]})` : ''}`;
    case 'failed':
      return `The command did not run to an exit code (${end.message})`;
    case 'timeout':
      return `Timed out after ${timeoutSeconds}s: ${stopped} ${arrived}`;
    case 'cancelled':
      return `Cancelled: ${stopped} ${arrived}`;
    case 'closed':
      return `Ended without an exit code: ${end.detail}`;
    case 'overflow':
      return `Stopped, more output than allowed: ${stopped}`;
  }
}

function section(name: string, out: OutputBuffer): string[] {
  if (out.total === 0) return [`--- ${name}: (empty) ---`];
  const bytes = out.bytes();
  let text = bytes.toString('utf8');
  const notes: string[] = [];
  if (out.overflowed) {
    // The cut may fall inside a multi-byte character or a line: start at the next whole line.
    const nl = text.indexOf('\n');
    if (nl >= 0 && nl < text.length - 1) text = text.slice(nl + 1);
    notes.push(
      `the first ${out.total - Buffer.byteLength(text)} of ${out.total} bytes are left out, the end is kept; narrow the command (| tail -n, | grep, head -c) to see other parts`,
    );
  }
  if (text.includes('\uFFFD')) notes.push('not all UTF-8 text: shown with replacement characters; pipe through base64 to see the bytes');
  return [`--- ${name} (${out.total} bytes${notes.length ? `; ${notes.join('; ')}` : ''}) ---`, text.endsWith('\n') ? text.slice(0, -1) : text];
}
