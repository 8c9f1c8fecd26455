/**
 * Assembles the kernel: container → registry (modules checked, start-up refused on a fault) →
 * the tool-call pipeline → a factory for per-session MCP servers. Nothing here contacts a cluster.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { createKernelContainer, type KernelContainer, type RuntimeOptions } from './container.js';
import type { Logger } from './logger.js';
import { createSessionServer, type ProvidersFor } from './mcp-server.js';
import { loadRegistry, type Registry } from './registry.js';
import { ToolCalls } from './tool-calls.js';

export interface Kernel {
  container: KernelContainer;
  registry: Registry;
  toolCalls: ToolCalls;
  newSessionServer(): Server;
}

export async function createKernel(options: RuntimeOptions, logger: Logger): Promise<Kernel> {
  const container = createKernelContainer(options, logger);
  const settings = container.cradle.settings;
  const toolDirs = [...settings.get().toolDirs, ...options.toolDirs];
  const registry = await loadRegistry((name) => container.hasRegistration(name), toolDirs);
  const providersFor: ProvidersFor = (module) => Object.fromEntries((module.needs ?? []).map((name) => [name, container.resolve(name)]));
  const toolCalls = new ToolCalls(
    registry,
    () => settings.get(),
    providersFor,
    logger.child({ component: 'tools' }),
    {
      recordMutation: (record) => container.cradle.audit.record(record),
      // Resolved on the first cluster tool call, not at start-up (it reads the kubeconfigs).
      targets: () => container.cradle.clusters,
    },
  );
  logger.info('kernel ready', {
    tools: registry.tools.size,
    prompts: registry.prompts.size,
    resources: registry.resources.size,
    toolDirs,
  });
  return { container, registry, toolCalls, newSessionServer: () => createSessionServer(registry, toolCalls, providersFor) };
}
