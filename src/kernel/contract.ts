/**
 * The module contract: what a tool, prompt or resource module default-exports.
 *
 * A module is plain data plus one function. Everything that must be the same for every tool
 * (input validation, annotations, policy, output budgets, error mapping, timing) lives in the
 * kernel, so a module author writes only what is specific to the operation. Adding a tool means
 * adding one file under src/tools/read/ or src/tools/mutate/ (or a --tools-dir): nothing else
 * changes.
 */
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { ContentBlock, CreateMessageRequestParams, CreateMessageResult, ElicitRequestFormParams, LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from './logger.js';

/**
 * How much harm a tool can do. The kernel maps this to MCP annotations in one place
 * (annotations.ts) and enables classes by policy: `destructive` is off unless the settings turn
 * it on, so Phase 2 tools can ship as modules without being reachable by default.
 */
export type SafetyClass = 'read' | 'safe-mutation' | 'destructive';
export const SAFETY_CLASSES: readonly SafetyClass[] = ['read', 'safe-mutation', 'destructive'];

/**
 * The services a module may ask for by name in `needs`. Providers add themselves with
 * declaration merging (`declare module '../kernel/contract.js' { interface Providers { … } }`),
 * so a tool's `ctx` is typed with exactly what it declared, and the registry refuses, at start-up,
 * a module that needs a provider the container does not have.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Providers {}
export type ProviderName = keyof Providers & string;

/** What the kernel hands a handler besides its validated input. */
export interface ToolContext {
  /** Aborted when the client cancels the call (notifications/cancelled) or the session closes. */
  signal: AbortSignal;
  /** Sends notifications/progress when the client asked for it; a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /**
   * Asks the person behind the client to confirm `message`. With an elicitation-capable client the
   * person is always asked (MCP elicitation) and this resolves `accepted` or `declined`. Without
   * elicitation it resolves `accepted` only when the call carries a confirmation token the kernel
   * issued for exactly this message and these arguments; otherwise it throws NeedsConfirmation,
   * which the kernel turns into a refusal carrying a new single-use token. Either way the model
   * cannot answer for the person. Most tools want `requireConfirmation(ctx.confirm, message)`.
   */
  confirm(message: string): Promise<'accepted' | 'declined'>;
  /**
   * For writes this process cannot see request by request (a subprocess such as helm, given a
   * kubeconfig file): judges them up front exactly as the cluster client judges its own requests
   * (read-only contexts refused, protected namespaces confirmed). Writes made through the cluster
   * client need nothing: every one of them is judged before it is sent.
   */
  guardWrites(context: string, namespaces: Iterable<string | undefined>): Promise<void>;
  /**
   * Asks the person for structured input through MCP form elicitation (`confirm` is the yes/no
   * case of this). `unsupported` when the client has no elicitation capability.
   */
  elicit(message: string, requestedSchema: ElicitRequestFormParams['requestedSchema']): Promise<ElicitAnswer>;
  /**
   * Asks the client's model for a completion (MCP sampling/createMessage). Throws a ToolError the
   * model can read when the client did not declare the sampling capability.
   */
  sample(request: CreateMessageRequestParams): Promise<CreateMessageResult>;
  /**
   * Sends a log line to the client (notifications/message on the call's stream), subject to the
   * level the client chose with logging/setLevel. The server's own log is `log`, not this.
   */
  notify(level: LoggingLevel, data: unknown): Promise<void>;
  /** Writes to the server log with secrets scrubbed; never send tokens or credentials here anyway. */
  log: Logger;
  /** The MCP session the call came from, for audit records. */
  sessionId: string | undefined;
}

export type ElicitAnswer = { action: 'accept'; content?: Record<string, unknown> } | { action: 'decline' | 'cancel' | 'unsupported' };

/** A tool's answer. A plain string is shorthand for one text block. */
export type ToolOutput =
  | string
  | {
      /** Text for the model. The kernel enforces the byte budget on it, with a visible notice. */
      text: string;
      /** Machine-readable result, sent as structuredContent when the tool declares `output`. */
      structured?: Record<string, unknown>;
    }
  | {
      /**
       * Several MCP content blocks (text, image, audio, resource links, embedded resources), for
       * the rare tool whose answer is not one text. The byte budget applies to each text block.
       */
      content: ContentBlock[];
      structured?: Record<string, unknown>;
    };

export interface ToolModule<I extends TObject = TObject, N extends ProviderName = ProviderName> {
  kind: 'tool';
  /** `[A-Za-z0-9_.-]{1,128}`, unique across every loaded module. */
  name: string;
  /** Short human title for clients' UIs. */
  title: string;
  /** Written for the model: what it is for, when to prefer another tool, an example call. */
  description: string;
  safety: SafetyClass;
  /** Input schema; its property descriptions teach the model each argument. */
  input: I;
  output?: TSchema;
  /** Provider names from `Providers`; each one arrives as a property of `ctx`. */
  needs?: readonly N[];
  /**
   * True when the tool talks to something outside this process (a cluster): drives openWorldHint.
   * Defaults to true; set false for tools that only read local state.
   */
  openWorld?: boolean;
  /**
   * How the audit log names what a mutation changes, when no `resource`, `release` or `name`
   * argument says it (apply_yaml: "3 documents"). Gets the raw arguments.
   */
  auditTarget?(input: Static<I>): string;
  /** Largest answer in bytes before the kernel truncates it; defaults to the settings' budget. */
  maxOutputBytes?: number;
  run(input: Static<I>, ctx: ToolContext & Pick<Providers, N>): Promise<ToolOutput>;
}

export interface PromptModule<A extends TObject = TObject, N extends ProviderName = ProviderName> {
  kind: 'prompt';
  name: string;
  title: string;
  description: string;
  /** Flat object of string arguments (MCP prompts take strings); `required` marks the mandatory ones. */
  arguments: A;
  render(args: Static<A>): Promise<PromptMessage[]> | PromptMessage[];
  /** Provider names from `Providers` that complete() uses (render stays a pure function of its arguments). */
  needs?: readonly N[];
  /**
   * Suggestions for one argument's value (completion/complete); optional. `ctx.arguments` holds
   * what the person already chose for the other arguments, so a suggestion can depend on them.
   */
  complete?(argument: string, value: string, ctx: CompletionContext & Pick<Providers, N>): Promise<string[]> | string[];
}

export interface CompletionContext {
  arguments: Readonly<Record<string, string>>;
  signal: AbortSignal;
}

export interface PromptMessage {
  role: 'user' | 'assistant';
  /** Usually `{ type: 'text', text }`; images, audio and embedded resources are allowed too. */
  content: ContentBlock;
}

export interface ResourceModule {
  kind: 'resource';
  /** A fixed URI, or an RFC 6570 template such as `kz://contexts/{name}` for a family of resources. */
  uri: string;
  name: string;
  title: string;
  description: string;
  mimeType: string;
  read(uri: string, params: Record<string, string>): Promise<ResourceContent[]>;
  /**
   * Optional change feed for resources/subscribe: call `changed()` whenever the resource at `uri`
   * changes, and return a function that stops watching. Without it a subscription is accepted and
   * simply never fires (the resource does not change while the server runs).
   */
  watch?(uri: string, params: Record<string, string>, changed: () => void): () => void;
  /** Suggestions for one template variable's value (completion/complete); optional. */
  complete?(variable: string, value: string): Promise<string[]> | string[];
}

export type ResourceContent = { uri: string; mimeType: string; text: string } | { uri: string; mimeType: string; blob: string };

export type KernelModule = ToolModule<any, any> | PromptModule<any, any> | ResourceModule;

/**
 * Identity helpers: they add nothing at run time but let TypeScript infer the handler's input
 * type from the schema and the ctx type from `needs`, which is the whole point of the contract.
 */
export function defineTool<I extends TObject, N extends ProviderName = never>(module: Omit<ToolModule<I, N>, 'kind'>): ToolModule<I, N> {
  return { kind: 'tool', ...module };
}

export function definePrompt<A extends TObject, N extends ProviderName = never>(module: Omit<PromptModule<A, N>, 'kind'>): PromptModule<A, N> {
  return { kind: 'prompt', ...module };
}

export function defineResource(module: Omit<ResourceModule, 'kind'>): ResourceModule {
  return { kind: 'resource', ...module };
}

/**
 * A failure the tool can explain: becomes a tool error result (isError) that the model reads,
 * never a JSON-RPC error. `hint` says what to try next.
 */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

/** The call was not allowed to run: policy said no, or the person did not (yet) confirm. */
export class CallRefused extends ToolError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'CallRefused';
  }
}

/**
 * The call needs the person's confirmation and the client cannot ask them (no elicitation). The
 * kernel answers with the message and a single-use token bound to the session, the tool and the
 * exact arguments; only a repeat of the same call carrying that token gets past this point.
 */
export class NeedsConfirmation extends CallRefused {
  constructor(readonly question: string) {
    super(`Needs confirmation: ${question}`);
    this.name = 'NeedsConfirmation';
  }
}

/** The refusal when the person said no to `message`. */
export function declinedBy(message: string): CallRefused {
  return new CallRefused(`Not done: the person declined. (${message})`, 'Do not retry unless they ask again.');
}

/**
 * Asks for confirmation of `message` and turns anything but a yes into a refusal the model can
 * read (declined, or needs confirmation with a token). For tools with their own notion of risk:
 * scale to 0, a tenfold jump, fields an apply would remove.
 */
export async function requireConfirmation(confirm: ToolContext['confirm'], message: string): Promise<void> {
  const answer = await confirm(message);
  if (answer !== 'accepted') throw declinedBy(message);
}
