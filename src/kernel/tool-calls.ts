/**
 * The tool-call pipeline: everything between "the client called tool X with these arguments"
 * and "here is the result", identical for every tool.
 *
 *   policy → confirmation → validation (AJV) → run(input, ctx) → output budget → result
 *
 * Two error channels, deliberately: anything the model can act on (bad arguments, a disabled
 * tool, a 403 from the cluster, a declined confirmation) is a *tool error result* (isError: true)
 * with what / why / what to try, because the model reads results but usually never sees JSON-RPC
 * errors. Only protocol failures (an unknown tool name, a malformed request) are JSON-RPC errors.
 */
import {
  ErrorCode,
  McpError,
  type CallToolResult,
  type ContentBlock,
  type CreateMessageRequestParams,
  type CreateMessageResult,
  type ElicitRequestFormParams,
  type ElicitResult,
  type LoggingLevel,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { Type, type TObject } from '@sinclair/typebox';
import { annotationsFor } from './annotations.js';
import { ToolError, type ElicitAnswer, type ToolContext, type ToolModule, type ToolOutput } from './contract.js';
import type { Logger } from './logger.js';
import { isToolEnabled, judgeCall } from './policy.js';
import type { Registry, RegisteredTool } from './registry.js';
import { SharedArguments } from './shared-arguments.js';
import { formatAjvErrors } from './validation.js';
import type { Settings } from '../providers/settings.js';

/** Every non-read tool accepts `confirm`; the kernel consumes it, so handlers never see it. */
const CONFIRM_PROPERTY = Type.Boolean({
  description: 'Set true only after the tool asked for confirmation and the person agreed; never on a first call.',
});

/** What the session layer supplies for one call: MCP plumbing, independent of any tool. */
export interface CallEnvironment {
  signal: AbortSignal;
  sessionId: string | undefined;
  sendProgress?: (progress: number, total?: number, message?: string) => Promise<void>;
  /** Undefined when the client did not declare the elicitation capability. */
  elicit?: (params: ElicitRequestFormParams) => Promise<ElicitResult>;
  /** Undefined when the client did not declare the sampling capability. */
  sample?: (params: CreateMessageRequestParams) => Promise<CreateMessageResult>;
  /** notifications/message to the client, already filtered by its logging/setLevel. */
  notify?: (level: LoggingLevel, data: unknown) => Promise<void>;
}

/** One line for the audit log about a call that could change something. */
export interface MutationRecord {
  session: string;
  tool: string;
  context: string;
  namespace: string;
  target: string;
  outcome: 'ok' | 'error' | 'refused' | 'cancelled';
  summary: string;
}

export class ToolCalls {
  /** Argument texts that recur across tools; tools/list leaves them to the server instructions. */
  readonly sharedArguments: SharedArguments;
  /** Each tool's tools/list entry, built once: modules do not change while the server runs. */
  readonly #listed: ReadonlyMap<string, Tool>;

  constructor(
    private readonly registry: Registry,
    private readonly settings: () => Settings,
    /** Returns the providers a tool declared in `needs`, resolved from the container. */
    private readonly providersFor: (tool: ToolModule) => Record<string, unknown>,
    private readonly log: Logger,
    /** Every call of a non-read tool is recorded here, whatever its outcome, by the kernel itself. */
    private readonly recordMutation: (record: MutationRecord) => void = () => undefined,
  ) {
    const described = [...registry.tools.values()].map(({ module }) => describeTool(module));
    this.sharedArguments = new SharedArguments(described);
    this.#listed = new Map(described.map((tool) => [tool.name, this.sharedArguments.strip(tool)]));
  }

  /** tools/list: only what policy enables, so a model is never offered a tool it cannot call. */
  list(): Tool[] {
    const policy = this.settings().policy;
    return [...this.registry.tools.values()]
      .filter(({ module }) => isToolEnabled(module, policy))
      .map(({ module }) => this.#listed.get(module.name)!);
  }

  async call(name: string, args: Record<string, unknown> | undefined, env: CallEnvironment): Promise<CallToolResult> {
    const entry = this.registry.tools.get(name);
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const started = performance.now();
    const log = this.log.child({ tool: name, session: env.sessionId });
    let result: CallToolResult | undefined;
    let outcome: MutationRecord['outcome'] = 'error';
    try {
      result = await this.#run(entry, { ...args }, env, log);
      outcome = result.isError ? 'error' : 'ok';
      return result;
    } catch (err) {
      outcome = err instanceof CallRefused ? 'refused' : env.signal.aborted || (err as Error)?.name === 'AbortError' ? 'cancelled' : 'error';
      result = errorResult(err, name, log);
      return result;
    } finally {
      // Argument *names* only: values may be manifests with secrets in them.
      log.info('tools/call', { outcome, ms: Math.round(performance.now() - started), args: Object.keys(args ?? {}) });
      if (entry.module.safety !== 'read') this.#audit(entry.module, args ?? {}, env, outcome, result);
    }
  }

  #audit(
    module: ToolModule,
    args: Record<string, unknown>,
    env: CallEnvironment,
    outcome: MutationRecord['outcome'],
    result: CallToolResult | undefined,
  ): void {
    const text = result?.content.find((block) => block.type === 'text')?.text ?? 'no result';
    const field = (key: string) => (typeof args[key] === 'string' ? (args[key] as string) : '');
    try {
      this.recordMutation({
        session: env.sessionId ?? '',
        tool: module.name,
        context: field('context') || '(current)',
        namespace: field('namespace'),
        // The object the call names, in kubectl's kind/name or helm's release form when it has one.
        target: module.auditTarget?.(args as never) ?? (field('resource') || field('release') || field('name')),
        outcome,
        summary: text.split('\n')[0]!,
      });
    } catch (err) {
      this.log.error('could not write the audit log', { tool: module.name, error: err });
    }
  }

  async #run(entry: RegisteredTool, args: Record<string, unknown>, env: CallEnvironment, log: Logger): Promise<CallToolResult> {
    const { module } = entry;
    const settings = this.settings();
    const confirmed = module.safety !== 'read' && args.confirm === true;
    if (module.safety !== 'read') delete args.confirm;

    const verdict = judgeCall(module, args, settings.policy);
    if (!verdict.allow) throw new CallRefused(verdict.reason, verdict.hint);

    if (!entry.validate(args)) {
      return textResult(
        `Invalid arguments for ${module.name}: ${formatAjvErrors(entry.validate.errors, args)}.\n` +
          `What to try: call ${module.name} again with arguments that match its input schema.`,
        true,
      );
    }

    const elicit = async (message: string, requestedSchema: ElicitRequestFormParams['requestedSchema']): Promise<ElicitAnswer> => {
      if (!env.elicit) return { action: 'unsupported' };
      const answer = await env.elicit({ mode: 'form', message, requestedSchema });
      return answer.action === 'accept' ? { action: 'accept', content: answer.content } : { action: answer.action };
    };
    const confirm = async (message: string): Promise<'accepted' | 'declined' | 'unsupported'> => {
      if (confirmed) return 'accepted';
      const answer = await elicit(message, {
        type: 'object',
        properties: { confirm: { type: 'boolean', title: 'Proceed', description: message } },
        required: ['confirm'],
      });
      if (answer.action === 'unsupported') return 'unsupported';
      return answer.action === 'accept' && answer.content?.confirm === true ? 'accepted' : 'declined';
    };
    if (verdict.confirm) await requireConfirmation(confirm, verdict.confirm);

    const ctx: ToolContext = {
      signal: env.signal,
      sessionId: env.sessionId,
      log,
      confirm,
      elicit,
      sample: async (request) => {
        if (!env.sample) {
          throw new ToolError(`${module.name} needs the client to offer sampling (an LLM completion), and this client does not.`,
            'Use a client that declares the sampling capability.');
        }
        return env.sample(request);
      },
      notify: env.notify ?? (async () => undefined),
      progress: env.sendProgress ?? (async () => undefined),
    };
    const output = await module.run(args as never, Object.assign(ctx, this.providersFor(module)) as never);
    return toResult(output, module, module.maxOutputBytes ?? settings.policy.maxOutputBytes);
  }
}

/** The call was not allowed to run: policy said no, or the person did not (yet) confirm. */
export class CallRefused extends ToolError {}

/**
 * For tools with their own notion of risk (scale to 0, a 10× jump): ask, and turn anything but a
 * yes into a tool error that tells the model how to proceed properly.
 */
export async function requireConfirmation(confirm: ToolContext['confirm'], message: string): Promise<void> {
  const answer = await confirm(message);
  if (answer === 'accepted') return;
  if (answer === 'declined') throw new CallRefused(`Not done: the person declined. (${message})`, 'Do not retry unless they ask again.');
  throw new CallRefused(
    `Needs confirmation: ${message}`,
    'Show this to the person; if they agree, call the tool again with the same arguments plus "confirm": true.',
  );
}

/** The tools/list entry for a module: JSON Schema without TypeBox's symbol keys, annotations from the class. */
export function describeTool(module: ToolModule): Tool {
  const input = module.safety === 'read' ? module.input : withConfirm(module.input);
  return {
    name: module.name,
    title: module.title,
    description: module.description,
    inputSchema: JSON.parse(JSON.stringify(input)) as Tool['inputSchema'],
    ...(module.output ? { outputSchema: JSON.parse(JSON.stringify(module.output)) as Tool['outputSchema'] } : {}),
    annotations: annotationsFor(module),
  };
}

function withConfirm(input: TObject): TObject {
  return { ...input, properties: { ...input.properties, confirm: CONFIRM_PROPERTY } } as TObject;
}

function toResult(output: ToolOutput, module: ToolModule, budget: number): CallToolResult {
  const { content, structured }: { content: ContentBlock[]; structured?: Record<string, unknown> } =
    typeof output === 'string'
      ? { content: [{ type: 'text', text: output }] }
      : 'content' in output
        ? output
        : { content: [{ type: 'text', text: output.text }], structured: output.structured };
  const result: CallToolResult = {
    content: content.map((block) => (block.type === 'text' ? { ...block, text: enforceBudget(block.text, budget) } : block)),
  };
  if (structured && module.output) result.structuredContent = structured;
  return result;
}

/**
 * The last line of defence against flooding a model's context (peers have returned 700k tokens
 * for one list). Tools page and summarise first; this only guarantees the bound, cutting on a
 * line boundary and saying exactly what was left out.
 */
export function enforceBudget(text: string, budget: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= budget) return text;
  const head = Buffer.from(text).subarray(0, budget).toString('utf8').replace(/\uFFFD$/, '');
  const cut = head.lastIndexOf('\n') > budget / 2 ? head.slice(0, head.lastIndexOf('\n')) : head;
  const kept = Buffer.byteLength(cut);
  return (
    `${cut}\n[truncated: showed ${kept} of ${bytes} bytes. ` +
    'Narrow the request (a namespace, a label selector, a smaller limit, fewer log lines) to see the rest.]'
  );
}

export function textResult(text: string, isError = false): CallToolResult {
  return { content: [{ type: 'text', text }], ...(isError ? { isError: true } : {}) };
}

function errorResult(err: unknown, tool: string, log: Logger): CallToolResult {
  // By name as well as class: a module in a --tools-dir may import ToolError from the built
  // package while the kernel runs from source (tests), which makes two distinct classes.
  if (err instanceof ToolError || (err as Error)?.name === 'ToolError') {
    const { message, hint } = err as ToolError;
    return textResult(`Error: ${message}${hint ? `\nWhat to try: ${hint}` : ''}`, true);
  }
  if (err instanceof McpError) throw err;
  if ((err as Error)?.name === 'AbortError') return textResult(`Cancelled: ${tool} was stopped before it finished.`, true);
  log.error('tool failed unexpectedly', { error: err });
  return textResult(
    `Error: ${tool} failed unexpectedly: ${(err as Error)?.message ?? String(err)}\n` +
      'What to try: retry once; if it fails again, report it with the server log.',
    true,
  );
}
