/**
 * Assembles the kernel from a container the composition root filled: registry (modules checked,
 * start-up refused on a fault) → the tool-call pipeline → a factory for per-session MCP servers.
 * Nothing here contacts a cluster, and nothing here knows which providers exist.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { ClusterTargets } from './call-scope.js';
import type { KernelContainer } from './container.js';
import { SignedConfirmationTokens } from './confirmations.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { createSessionServer, type ProvidersFor } from './mcp-server.js';
import type { Policy } from './policy.js';
import { loadRegistry, type Registry } from './registry.js';
import { ToolCalls, type MutationRecord } from './tool-calls.js';

export interface Kernel {
  container: KernelContainer;
  registry: Registry;
  toolCalls: ToolCalls;
  newSessionServer(): Server;
  /** Disposes the container: every provider's disposer runs (cluster clients, tunnels). */
  dispose(): Promise<void>;
}

export interface KernelOptions {
  logger: Logger;
  /** Module directories beyond the built-in ones (--tools-dir, settings' toolDirs). */
  toolDirs: readonly string[];
  /** The policy now; read on every call, so a change applies at once. */
  policy: () => Policy;
  /** Where every non-read call is recorded. */
  recordMutation: (record: MutationRecord) => void;
  /** Context resolution for policy (the cluster provider), asked on the first cluster tool call. */
  targets?: () => ClusterTargets;
  /** Where tool calls are counted and timed (the team deployment's /metrics). */
  metrics?: Pick<Metrics, 'toolCall'>;
  /** The key stateless replicas share to sign confirmation tokens (see confirmations.ts). */
  confirmationKey?: Buffer;
}

export async function createKernel(container: KernelContainer, options: KernelOptions): Promise<Kernel> {
  const { logger, toolDirs } = options;
  const registry = await loadRegistry((name) => container.hasRegistration(name), toolDirs);
  const providersFor: ProvidersFor = (module) => Object.fromEntries((module.needs ?? []).map((name) => [name, container.resolve(name)]));
  const toolCalls = new ToolCalls(registry, options.policy, providersFor, logger.child({ component: 'tools' }), {
    recordMutation: options.recordMutation,
    ...(options.targets ? { targets: options.targets } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.confirmationKey ? { confirmations: new SignedConfirmationTokens(options.confirmationKey) } : {}),
  });
  logger.info('kernel ready', {
    tools: registry.tools.size,
    prompts: registry.prompts.size,
    resources: registry.resources.size,
    toolDirs,
  });
  return {
    container,
    registry,
    toolCalls,
    newSessionServer: () => createSessionServer(registry, toolCalls, providersFor),
    dispose: () => container.dispose(),
  };
}
