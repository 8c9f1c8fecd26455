/**
 * The tool-call pipeline: everything between "the client called tool X with these arguments"
 * and "here is the result", identical for every tool.
 *
 *   class enabled? → confirmation token redeemed → validation (AJV) → context resolved and judged
 *   → run(input, ctx) inside the call scope (every cluster request judged) → output budget → result
 *   → audit line (every non-read call, whatever its outcome)
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
import { CallScope, type ClusterTargets } from './call-scope.js';
import { actingAs, type Caller } from './caller.js';
import { ConfirmationTokens, type ConfirmationBinding, type Confirmations } from './confirmations.js';
import {
  CallRefused,
  declinedBy,
  NeedsConfirmation,
  requireConfirmation,
  ToolError,
  type ElicitAnswer,
  type ToolContext,
  type ToolModule,
  type ToolOutput,
} from './contract.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { isPreview, isToolEnabled, judgeCall, type Policy } from './policy.js';
import type { Registry, RegisteredTool } from './registry.js';
import { SharedArguments } from './shared-arguments.js';
import { argumentProblem, formatAjvErrors } from './validation.js';

/** Every non-read tool accepts `confirm`; the kernel consumes it, so handlers never see it. */
const CONFIRM_PROPERTY = Type.String({
  description: 'Only the token a refusal of this same call returned, after the person agreed; never on a first call.',
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
  /** The signed-in person (team mode): their scopes are judged, and the call acts as them. */
  caller?: Caller | undefined;
}

/** One line for the audit log about a call that could change something. */
export interface MutationRecord {
  session: string;
  /** The signed-in person the call acted as (team mode); absent in laptop mode. */
  person?: string;
  tool: string;
  /** The context the call reached (the current one when it named none). */
  context: string;
  /** Every namespace it wrote to, comma-separated; else the namespace it addressed. */
  namespace: string;
  target: string;
  outcome: 'ok' | 'error' | 'refused' | 'cancelled' | 'dry-run';
  summary: string;
}

export interface ToolCallsOptions {
  /** Every call of a non-read tool is recorded here, whatever its outcome, by the kernel itself. */
  recordMutation?: (record: MutationRecord) => void;
  /** Resolves contexts for policy (the cluster provider); asked only for tools that need `clusters`. */
  targets?: () => ClusterTargets;
  /** Clock for confirmation-token expiry (tests). */
  now?: () => number;
  /** Counts every call and its latency by tool and outcome (Prometheus, for the team deployment). */
  metrics?: Pick<Metrics, 'toolCall'>;
  /** How confirmation tokens are issued and checked (default: in memory; stateless replicas: signed). */
  confirmations?: Confirmations;
}

/** What the pipeline knows about one call, from its first step to the audit line. */
interface CallState {
  module: ToolModule;
  input: Record<string, unknown>;
  /** The arguments as sent, without `confirm` (before validation fills defaults): what a token binds. */
  sent: Record<string, unknown>;
  scope?: CallScope;
  /** The context and namespace the call addresses, once resolved. */
  target?: { context: string; namespace: string };
  valid: boolean;
  /** What makes the arguments unusable before any schema is applied (see argumentProblem). */
  malformed: string | undefined;
}

export class ToolCalls {
  /** Argument texts that recur across tools; tools/list leaves them to the server instructions. */
  readonly sharedArguments: SharedArguments;
  /** Each tool's tools/list entry, built once: modules do not change while the server runs. */
  readonly #listed: ReadonlyMap<string, Tool>;
  readonly #tokens: Confirmations;
  readonly #recordMutation: (record: MutationRecord) => void;
  readonly #targets: (() => ClusterTargets) | undefined;
  readonly #metrics: Pick<Metrics, 'toolCall'> | undefined;
  /** Sessions to tell when the enabled tools change (notifications/tools/list_changed). */
  readonly #listListeners = new Set<() => void>();
  /** The names tools/list held when last checked, to tell a real change from a settings save. */
  #listedNames: string;

  constructor(
    private readonly registry: Registry,
    /** The policy now: read on every list and call, so a change in the settings applies at once. */
    private readonly policy: () => Policy,
    /** Returns the providers a tool declared in `needs`, resolved from the container. */
    private readonly providersFor: (tool: ToolModule) => Record<string, unknown>,
    private readonly log: Logger,
    options: ToolCallsOptions = {},
  ) {
    const described = [...registry.tools.values()].map(({ module }) => describeTool(module));
    this.sharedArguments = new SharedArguments(described);
    this.#listed = new Map(described.map((tool) => [tool.name, this.sharedArguments.strip(tool)]));
    this.#tokens = options.confirmations ?? new ConfirmationTokens(options.now);
    this.#recordMutation = options.recordMutation ?? (() => undefined);
    this.#targets = options.targets;
    this.#metrics = options.metrics;
    this.#listedNames = this.#enabledNames();
  }

  #enabledNames(): string {
    return this.list()
      .map((tool) => tool.name)
      .join(',');
  }

  /** Calls `listener` whenever the tools policy enables change; returns the function that stops it. */
  onListChanged(listener: () => void): () => void {
    this.#listListeners.add(listener);
    return () => this.#listListeners.delete(listener);
  }

  /**
   * Re-reads the policy after the settings changed: when the tools it enables are not the ones
   * tools/list gave before, every open session is told to list them again.
   */
  policyChanged(): void {
    const names = this.#enabledNames();
    if (names === this.#listedNames) return;
    this.#listedNames = names;
    for (const listener of this.#listListeners) {
      try {
        listener();
      } catch (err) {
        this.log.warn('a tools/list_changed listener failed', { error: err });
      }
    }
  }

  /**
   * tools/list: only what policy enables (and, for a signed-in person, what their scopes grant),
   * so a model is never offered a tool it cannot call.
   */
  list(caller?: Caller): Tool[] {
    const policy = this.policy();
    return [...this.registry.tools.values()].filter(({ module }) => isToolEnabled(module, policy, caller)).map(({ module }) => this.#listed.get(module.name)!);
  }

  async call(name: string, args: Record<string, unknown> | undefined, env: CallEnvironment): Promise<CallToolResult> {
    const entry = this.registry.tools.get(name);
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const started = performance.now();
    const log = this.log.child({ tool: name, session: env.sessionId, ...(env.caller ? { person: env.caller.name } : {}) });
    const { confirm: _confirm, ...sent } = args ?? {};
    const malformed = argumentProblem(args);
    // Malformed arguments are not copied: the clone is what 100,000-deep nesting overflows.
    const state: CallState = { module: entry.module, input: { ...args }, sent: malformed ? {} : structuredClone(sent), valid: false, malformed };
    let result: CallToolResult | undefined;
    let outcome: MutationRecord['outcome'] = 'error';
    try {
      // Everything the call does, down to the cluster client, acts for the signed-in person.
      result = await actingAs(env.caller, () => this.#run(entry, state, env, log));
      outcome = result.isError ? 'error' : state.valid && isPreview(state.input) ? 'dry-run' : 'ok';
      return result;
    } catch (err) {
      // A refusal the call scope judged wins over whatever the handler made of it (a wrapped or
      // swallowed error): the model is told the real reason, and the audit log the real outcome.
      const cause = state.scope?.refusal ?? err;
      outcome = isRefusal(cause) ? 'refused' : env.signal.aborted || (cause as Error)?.name === 'AbortError' ? 'cancelled' : 'error';
      result = cause instanceof NeedsConfirmation ? this.#askForToken(cause, state, env) : errorResult(cause, name, log, outcome === 'cancelled');
      if (state.scope) result = scrubResult(result, state.scope);
      return result;
    } finally {
      // Argument *names* only: values may be manifests with secrets in them.
      const ms = performance.now() - started;
      log.info('tools/call', { outcome, ms: Math.round(ms), args: Object.keys(args ?? {}) });
      this.#metrics?.toolCall(name, outcome, ms / 1000);
      if (entry.module.safety !== 'read') this.#audit(state, env, outcome, result);
    }
  }

  /** The refusal for a client without elicitation: the question, and a token for exactly this call. */
  #askForToken(refusal: NeedsConfirmation, state: CallState, env: CallEnvironment): CallToolResult {
    const token = this.#tokens.issue(bindingOf(state, env), [...(state.scope?.approved ?? []), refusal.question]);
    return textResult(
      `Error: Needs confirmation: ${refusal.question}\n` +
        `What to try: show this to the person. Only if they agree, call ${state.module.name} again with exactly the same arguments ` +
        `plus "confirm": "${token}" (single-use, valid for 5 minutes).`,
      true,
    );
  }

  #audit(state: CallState, env: CallEnvironment, outcome: MutationRecord['outcome'], result: CallToolResult | undefined): void {
    const { module, sent } = state;
    const field = (key: string) => (typeof sent[key] === 'string' ? (sent[key] as string) : '');
    const written = state.scope ? [...state.scope.written] : [];
    const contexts = [state.target?.context ?? field('context'), ...written.map(([context]) => context), ...(state.scope?.writtenClusterWide ?? [])];
    const namespaces = [...new Set(written.flatMap(([, set]) => [...set]))].sort();
    let target = field('resource') || field('release') || field('name');
    try {
      // Only a validated input has the shape a module's auditTarget expects.
      if (state.valid && module.auditTarget) target = module.auditTarget(state.input as never);
    } catch {
      /* keep the generic target */
    }
    try {
      this.#recordMutation({
        session: env.sessionId ?? '',
        ...(env.caller ? { person: env.caller.name } : {}),
        tool: module.name,
        context: [...new Set(contexts.filter(Boolean))].join(', ') || '(none)',
        namespace: namespaces.join(', ') || state.target?.namespace || field('namespace'),
        target,
        outcome,
        // The kernel's first line only: what a tool quotes after it (helm's output) stays out of the log.
        summary: (result?.content.find((block) => block.type === 'text')?.text ?? 'no result').split('\n')[0]!,
      });
    } catch (err) {
      this.log.error('could not write the audit log', { tool: module.name, error: err });
    }
  }

  async #run(entry: RegisteredTool, state: CallState, env: CallEnvironment, log: Logger): Promise<CallToolResult> {
    const { module, input } = state;
    const policy = this.policy();
    const verdict = judgeCall(module, policy, env.caller);
    if (!verdict.allow) throw new CallRefused(verdict.reason, verdict.hint);
    if (state.malformed) return invalidArguments(module.name, state.malformed);

    // `confirm` belongs to the kernel. With elicitation the person is always asked and the argument
    // means nothing; without it, only a token issued for exactly this call answers its questions.
    let approved: readonly string[] = [];
    if (module.safety !== 'read') {
      const token = input.confirm;
      delete input.confirm;
      if (token !== undefined && !env.elicit) {
        const redeemed = this.#tokens.redeem(token, bindingOf(state, env));
        if ('problem' in redeemed) {
          throw new CallRefused(
            `${module.name} was not run: ${redeemed.problem}.`,
            `Call ${module.name} without "confirm"; when it needs the person's yes, its refusal says so and gives the token to use.`,
          );
        }
        approved = redeemed.questions;
      }
    }

    if (!entry.validate(input)) return invalidArguments(module.name, formatAjvErrors(entry.validate.errors, input));
    state.valid = true;

    const elicit = async (message: string, requestedSchema: ElicitRequestFormParams['requestedSchema']): Promise<ElicitAnswer> => {
      if (!env.elicit) return { action: 'unsupported' };
      const answer = await env.elicit({ mode: 'form', message, requestedSchema });
      return answer.action === 'accept' ? { action: 'accept', content: answer.content } : { action: answer.action };
    };
    const targets = module.needs?.includes('clusters' as never) ? this.#targets?.() : undefined;
    const scope = new CallScope({
      tool: module.name,
      safety: module.safety,
      preview: isPreview(input),
      policy,
      targets,
      confirm: (message) => requireConfirmation(ask, message),
    });
    scope.approved = approved;
    state.scope = scope;
    const ask = async (message: string): Promise<'accepted' | 'declined'> => {
      if (!env.elicit) {
        if (approved.includes(message)) return 'accepted';
        const refusal = new NeedsConfirmation(message);
        scope.noteRefusal(refusal);
        throw refusal;
      }
      const answer = await elicit(message, {
        type: 'object',
        properties: { confirm: { type: 'boolean', title: 'Proceed', description: message } },
        required: ['confirm'],
      });
      if (answer.action === 'accept' && answer.content?.confirm === true) return 'accepted';
      scope.noteRefusal(declinedBy(message));
      return 'declined';
    };
    // The tool's own questions; a yes to one of them is what lets a destructive tool write.
    const confirm = async (message: string): Promise<'accepted' | 'declined'> => {
      const answer = await ask(message);
      if (answer === 'accepted') scope.personConfirmed = true;
      return answer;
    };

    // Judged on what the call reaches, not on what it named: no `context` is the current context.
    const target = targets ? resolveQuietly(targets, input.context) : undefined;
    if (target) {
      state.target = { context: target.context, namespace: typeof input.namespace === 'string' ? input.namespace : target.namespace };
      scope.checkContext(target.context);
    }

    const ctx: ToolContext = {
      signal: env.signal,
      sessionId: env.sessionId,
      log,
      confirm,
      guardWrites: (context, namespaces) => scope.judgeWrites(context, namespaces),
      elicit,
      sample: async (request) => {
        if (!env.sample) {
          throw new ToolError(
            `${module.name} needs the client to offer sampling (an LLM completion), and this client does not.`,
            'Use a client that declares the sampling capability.',
          );
        }
        return env.sample(request);
      },
      notify: env.notify ?? (async () => undefined),
      progress: env.sendProgress
        ? (progress, total, message) => env.sendProgress!(progress, total, message && scope.scrubSecrets(message))
        : async () => undefined,
    };
    try {
      const output = await scope.run(() => module.run(input as never, Object.assign(ctx, this.providersFor(module)) as never));
      if (scope.refusal) throw scope.refusal;
      return scrubResult(toResult(output, module, module.maxOutputBytes ?? policy.maxOutputBytes), scope);
    } finally {
      await scope.end();
    }
  }
}

/** What a confirmation token is bound to: this session, this tool, these arguments as sent. */
function bindingOf(state: CallState, env: CallEnvironment): ConfirmationBinding {
  // Signed in, the person too: without sessions (stateless replicas) it is what keeps one person's yes from another's call.
  const session = env.caller ? `${env.sessionId ?? ''}|${env.caller.name}` : (env.sessionId ?? '');
  return { session, tool: state.module.name, args: state.sent };
}

function resolveQuietly(targets: ClusterTargets, context: unknown): { context: string; namespace: string } | undefined {
  try {
    return targets.resolve(typeof context === 'string' && context !== '' ? context : undefined);
  } catch {
    return undefined; // an unknown context: the tool's own call explains it
  }
}

/** Every text block without the Secret values the call read (see CallScope.rememberSecretValues). */
function scrubResult(result: CallToolResult, scope: CallScope): CallToolResult {
  return { ...result, content: result.content.map((block) => (block.type === 'text' ? { ...block, text: scope.scrubSecrets(block.text) } : block)) };
}

/** By name as well as class: a --tools-dir module may import the contract from the built package. */
function isRefusal(err: unknown): boolean {
  return err instanceof CallRefused || ['CallRefused', 'NeedsConfirmation'].includes((err as Error)?.name);
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
  const head = Buffer.from(text)
    .subarray(0, budget)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
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

function invalidArguments(tool: string, problem: string): CallToolResult {
  return textResult(`Invalid arguments for ${tool}: ${problem}.\nWhat to try: call ${tool} again with arguments that match its input schema.`, true);
}

function errorResult(err: unknown, tool: string, log: Logger, cancelled = false): CallToolResult {
  // By name as well as class: a module in a --tools-dir may import ToolError from the built
  // package while the kernel runs from source (tests), which makes two distinct classes.
  if (err instanceof ToolError || ['ToolError', 'CallRefused', 'NeedsConfirmation'].includes((err as Error)?.name)) {
    const { message, hint } = err as ToolError;
    return textResult(`Error: ${message}${hint ? `\nWhat to try: ${hint}` : ''}`, true);
  }
  if (err instanceof McpError) throw err;
  // A cancelled call may end with whatever its signal's reason was (notifications/cancelled
  // carries a string, which `signal.throwIfAborted()` throws as is): a stop, not a failure.
  if (cancelled || (err as Error)?.name === 'AbortError') return textResult(`Cancelled: ${tool} was stopped before it finished.`, true);
  log.error('tool failed unexpectedly', { error: err });
  return textResult(
    `Error: ${tool} failed unexpectedly: ${(err as Error)?.message ?? String(err)}\n` +
      'What to try: retry once; if it fails again, report it with the server log.',
    true,
  );
}
