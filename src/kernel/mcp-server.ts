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
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type Resource,
  type ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js';
import type { Registry, RegisteredResource } from './registry.js';
import type { ToolCalls } from './tool-calls.js';
import { formatAjvErrors } from './validation.js';

export const SERVER_NAME = 'kubezilla-mcp';
export const SERVER_VERSION = '0.1.0';

const INSTRUCTIONS =
  'Kubezilla drives the Kubernetes clusters in this machine\'s kubeconfigs. Start with list_contexts to see ' +
  'which clusters exist; every cluster tool takes an optional `context` (default: the current context) and, ' +
  'where it applies, `namespace`. Answers are compact and budgeted: when one says it was truncated, narrow ' +
  'the request as it suggests instead of repeating it.';

export function createSessionServer(registry: Registry, toolCalls: ToolCalls): Server {
  const server = new Server(
    { name: SERVER_NAME, title: 'Kubezilla MCP', version: SERVER_VERSION },
    {
      capabilities: {
        tools: { listChanged: false },
        prompts: { listChanged: false },
        resources: { listChanged: false },
        logging: {},
        completions: {},
      },
      instructions: INSTRUCTIONS,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolCalls.list() }));

  server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    const progressToken = request.params._meta?.progressToken;
    const canElicit = Boolean(server.getClientCapabilities()?.elicitation);
    return toolCalls.call(request.params.name, request.params.arguments, {
      signal: extra.signal,
      sessionId: extra.sessionId,
      sendProgress:
        progressToken === undefined
          ? undefined
          : (progress, total, message) =>
              extra.sendNotification({
                method: 'notifications/progress',
                params: { progressToken, progress, ...(total === undefined ? {} : { total }), ...(message ? { message } : {}) },
              }),
      elicitConfirmation: canElicit
        ? async (message) => {
            const answer = await extra.sendRequest(
              {
                method: 'elicitation/create',
                params: {
                  mode: 'form',
                  message,
                  requestedSchema: {
                    type: 'object',
                    properties: { confirm: { type: 'boolean', title: 'Proceed', description: message } },
                    required: ['confirm'],
                  },
                },
              },
              ElicitResultSchema,
            );
            return answer.action === 'accept' && answer.content?.confirm === true;
          }
        : undefined,
    });
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({
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

  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
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

  server.setRequestHandler(ListResourcesRequestSchema, () => ({
    resources: fixed().map(({ module }): Resource => ({
      uri: module.uri,
      name: module.name,
      title: module.title,
      description: module.description,
      mimeType: module.mimeType,
    })),
  }));

  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: templated().map(({ module }): ResourceTemplate => ({
      uriTemplate: module.uri,
      name: module.name,
      title: module.title,
      description: module.description,
      mimeType: module.mimeType,
    })),
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    const match = findResource(registry, uri);
    if (!match) {
      throw new McpError(-32002, `Resource not found: ${uri}`, { uri });
    }
    return { contents: await match.entry.module.read(uri, match.params) };
  });

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const { ref, argument } = request.params;
    let values: string[] = [];
    if (ref.type === 'ref/prompt') {
      const entry = registry.prompts.get(ref.name);
      if (!entry) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${ref.name}`);
      values = (await entry.module.complete?.(argument.name, argument.value)) ?? [];
    } else {
      const entry = registry.resources.get(ref.uri);
      if (!entry) throw new McpError(ErrorCode.InvalidParams, `Unknown resource template: ${ref.uri}`);
      values = (await entry.module.complete?.(argument.name, argument.value)) ?? [];
    }
    // The spec caps a completion at 100 values and asks us to say when there are more.
    return { completion: { values: values.slice(0, 100), total: values.length, hasMore: values.length > 100 } };
  });

  return server;
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
