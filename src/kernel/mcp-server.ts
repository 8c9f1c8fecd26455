/**
 * One MCP `Server` per session, wired to the registry. We use the SDK's low-level Server rather
 * than McpServer because McpServer wants Zod schemas and owns its own registry; ours is the
 * registry above, with TypeBox schemas, policy and budgets, so we answer tools/list, tools/call,
 * prompts/*, resources/* and completion/complete ourselves. The transport layer never sees any
 * of this: it only moves bytes.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingLevelSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ServerNotification,
  type ServerRequest,
  type JSONRPCRequest,
  type LoggingLevel,
  type Resource,
  type ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { actingAs, callerOf } from './caller.js';
import type { Registry, RegisteredResource } from './registry.js';
import type { ToolCalls } from './tool-calls.js';
import { formatAjvErrors } from './validation.js';

export const SERVER_NAME = 'kubezilla-mcp';
export const SERVER_VERSION = '0.1.0';

const INSTRUCTIONS =
  "Kubezilla drives the Kubernetes clusters in this machine's kubeconfigs. Start with list_contexts to see " +
  'which clusters exist. Answers are compact and budgeted: when one says it was truncated, narrow the ' +
  'request as it suggests instead of repeating it.';

/** The fixed text, then the arguments tools/list leaves undescribed because they recur (see shared-arguments.ts). */
export function serverInstructions(toolCalls: ToolCalls): string {
  return [INSTRUCTIONS, toolCalls.sharedArguments.guide].filter(Boolean).join('\n\n');
}

/** Resolves the providers a module declared in `needs` (the kernel's container does it). */
export type ProvidersFor = (module: { needs?: readonly string[] | undefined }) => Record<string, unknown>;

export function createSessionServer(registry: Registry, toolCalls: ToolCalls, providersFor: ProvidersFor): Server {
  const server = new Server(
    { name: SERVER_NAME, title: 'Kubezilla MCP', version: SERVER_VERSION },
    {
      capabilities: {
        // The tools policy enables can change while a session is open (the settings page turns the
        // destructive class on): the session is told, and lists them again.
        tools: { listChanged: true },
        prompts: { listChanged: false },
        resources: { listChanged: false, subscribe: true },
        logging: {},
        completions: {},
      },
      instructions: serverInstructions(toolCalls),
    },
  );

  // Every request this server answers goes through one dispatcher (the SDK's fallback handler),
  // which checks its params itself: the SDK's own check answers a missing `params`, or
  // `arguments: null` in tools/call, with Internal error (-32603) and a dump of the schema
  // library's issues, where the protocol says Invalid params (-32602) and a client needs to be
  // told which field is wrong.
  const answers = new Map<string, (request: JSONRPCRequest, extra: Extra) => Promise<unknown>>();
  const on = <R>(schema: RequestSchema<R>, handle: (request: R, extra: Extra) => unknown): void => {
    const method = schema.shape.method.value;
    server.removeRequestHandler(method); // the SDK's own, where it has one (logging/setLevel)
    answers.set(method, async (request, extra) => handle(checkParams(schema, request), extra));
  };
  server.fallbackRequestHandler = async (request, extra) => {
    const answer = answers.get(request.method);
    if (!answer) throw new McpError(ErrorCode.MethodNotFound, 'Method not found');
    return (await answer(request, extra)) as never;
  };

  // One Server per session, so the level logging/setLevel chose is simply this session's. (The
  // SDK keeps its own map, but only for notifications that are not tied to a request.)
  const severity = (level: LoggingLevel) => LoggingLevelSchema.options.indexOf(level);
  let minimumLevel: LoggingLevel | undefined;
  on(SetLevelRequestSchema, (request) => {
    minimumLevel = request.params.level;
    return {};
  });

  on(ListToolsRequestSchema, (_request, extra) => ({ tools: toolCalls.list(callerOf(extra.authInfo)) }));

  on(CallToolRequestSchema, (request, extra) => {
    const progressToken = request.params._meta?.progressToken;
    const client = server.getClientCapabilities();
    return toolCalls.call(request.params.name, request.params.arguments, {
      signal: extra.signal,
      sessionId: extra.sessionId,
      caller: callerOf(extra.authInfo),
      sendProgress:
        progressToken === undefined
          ? undefined
          : (progress, total, message) =>
              extra.sendNotification({
                method: 'notifications/progress',
                params: { progressToken, progress, ...(total === undefined ? {} : { total }), ...(message ? { message } : {}) },
              }),
      elicit: client?.elicitation ? (params) => extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema) : undefined,
      sample: client?.sampling ? (params) => extra.sendRequest({ method: 'sampling/createMessage', params }, CreateMessageResultSchema) : undefined,
      notify: async (level, data) => {
        if (minimumLevel && severity(level) < severity(minimumLevel)) return;
        await extra.sendNotification({ method: 'notifications/message', params: { level, logger: request.params.name, data } });
      },
    });
  });

  on(ListPromptsRequestSchema, () => ({
    prompts: [...registry.prompts.values()].map(({ module }) => ({
      name: module.name,
      title: module.title,
      description: module.description,
      arguments: Object.entries(module.arguments.properties).map(([name, schema]) => ({
        name,
        description: (schema as { description?: string }).description,
        required: (module.arguments.required ?? []).includes(name),
      })),
    })),
  }));

  on(GetPromptRequestSchema, async (request) => {
    const entry = registry.prompts.get(request.params.name);
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
    const args = { ...request.params.arguments };
    if (!entry.validate(args)) {
      throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for prompt ${entry.module.name}: ${formatAjvErrors(entry.validate.errors, args)}`);
    }
    return { description: entry.module.description, messages: await entry.module.render(args) };
  });

  const fixed = () => [...registry.resources.values()].filter(({ module }) => !UriTemplate.isTemplate(module.uri));
  const templated = () => [...registry.resources.values()].filter(({ module }) => UriTemplate.isTemplate(module.uri));

  on(ListResourcesRequestSchema, () => ({
    resources: fixed().map(
      ({ module }): Resource => ({
        uri: module.uri,
        name: module.name,
        title: module.title,
        description: module.description,
        mimeType: module.mimeType,
      }),
    ),
  }));

  on(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: templated().map(
      ({ module }): ResourceTemplate => ({
        uriTemplate: module.uri,
        name: module.name,
        title: module.title,
        description: module.description,
        mimeType: module.mimeType,
      }),
    ),
  }));

  on(ReadResourceRequestSchema, async (request, extra) => {
    const { uri } = request.params;
    const match = findResource(registry, uri);
    if (!match) {
      throw new McpError(-32002, `Resource not found: ${uri}`, { uri });
    }
    return { contents: await actingAs(callerOf(extra.authInfo), () => match.entry.module.read(uri, match.params)) };
  });

  // resources/subscribe: remember the URI for this session and, when the module can watch it,
  // send notifications/resources/updated on each change until unsubscribe or the session ends.
  const subscriptions = new Map<string, () => void>();
  on(SubscribeRequestSchema, (request) => {
    const { uri } = request.params;
    const match = findResource(registry, uri);
    if (!match) throw new McpError(-32002, `Resource not found: ${uri}`, { uri });
    if (!subscriptions.has(uri)) {
      const stop = match.entry.module.watch?.(uri, match.params, () => void server.sendResourceUpdated({ uri }).catch(() => undefined));
      subscriptions.set(uri, stop ?? (() => undefined));
    }
    return {};
  });
  on(UnsubscribeRequestSchema, (request) => {
    subscriptions.get(request.params.uri)?.();
    subscriptions.delete(request.params.uri);
    return {};
  });
  const stopListChanged = toolCalls.onListChanged(() => void server.sendToolListChanged().catch(() => undefined));
  const previousOnClose = server.onclose;
  server.onclose = () => {
    stopListChanged();
    for (const stop of subscriptions.values()) stop();
    subscriptions.clear();
    previousOnClose?.();
  };

  on(CompleteRequestSchema, async (request, extra) => {
    const { ref, argument } = request.params;
    const prompt = ref.type === 'ref/prompt' ? registry.prompts.get(ref.name)?.module : undefined;
    const resource = ref.type === 'ref/resource' ? registry.resources.get(ref.uri)?.module : undefined;
    if (!prompt && !resource) {
      const what = ref.type === 'ref/prompt' ? `prompt: ${ref.name}` : `resource template: ${ref.uri}`;
      throw new McpError(ErrorCode.InvalidParams, `Unknown ${what}`);
    }
    let values: string[];
    if (prompt) {
      // A suggestion is a convenience: one that fails (a cluster down) is no suggestion, not an error.
      const ctx = { arguments: request.params.context?.arguments ?? {}, signal: extra.signal, ...providersFor(prompt) };
      // Suggestions read the cluster as the signed-in person, like their tool calls.
      const suggest = async () => prompt.complete?.(argument.name, argument.value, ctx as never);
      values = (await actingAs(callerOf(extra.authInfo), suggest).catch(() => undefined)) ?? [];
    } else {
      values = (await resource!.complete?.(argument.name, argument.value)) ?? [];
    }
    // The spec caps a completion at 100 values and asks us to say when there are more.
    return { completion: { values: values.slice(0, 100), total: values.length, hasMore: values.length > 100 } };
  });

  return server;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What `on` needs of an SDK request schema: its method, and a parse that reports issues. */
interface RequestSchema<R> {
  shape: { method: { value: string } };
  safeParse(data: unknown): { success: true; data: R } | { success: false; error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } };
}

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'string' ? 'a string' : typeof v);

/** The request, parsed by its schema, or Invalid params naming the fields that are wrong. */
function checkParams<R>(schema: RequestSchema<R>, request: JSONRPCRequest): R {
  const method = schema.shape.method.value;
  const invalid = (problem: string) => new McpError(ErrorCode.InvalidParams, `Invalid params for ${method}: ${problem}`);
  if (method === 'tools/call') checkCallToolParams(request.params, invalid);
  const parsed = schema.safeParse(request);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 5).map((i) => {
    const path = i.path.map(String).join('.') || 'params';
    return `\`${path}\`: ${i.message.replace(/^Invalid input: /, '')}`;
  });
  throw invalid(`${issues.join('; ')}${parsed.error.issues.length > 5 ? '; …' : ''}`);
}

/** tools/call's params in the words of what a client sends, before the schema's own check. */
function checkCallToolParams(params: unknown, invalid: (problem: string) => McpError): void {
  if (params === undefined || params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw invalid(`tools/call needs params: {"name": "<tool>", "arguments": {…}} (got ${params === undefined ? 'none' : kindOf(params)})`);
  }
  const { name, arguments: args } = params as Record<string, unknown>;
  if (typeof name !== 'string') throw invalid(`\`params.name\` must be the name of a tool, a string (got ${kindOf(name)}); tools/list shows them`);
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
    throw invalid(`\`params.arguments\` must be an object of the tool's arguments (got ${kindOf(args)}); send {} or leave it out for none`);
  }
}

function findResource(registry: Registry, uri: string): { entry: RegisteredResource; params: Record<string, string> } | undefined {
  const exact = registry.resources.get(uri);
  if (exact && !UriTemplate.isTemplate(exact.module.uri)) return { entry: exact, params: {} };
  for (const entry of registry.resources.values()) {
    if (!UriTemplate.isTemplate(entry.module.uri)) continue;
    const variables = new UriTemplate(entry.module.uri).match(uri);
    if (variables) {
      const params = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
      return { entry, params };
    }
  }
  return undefined;
}
