/**
 * The awilix container type the kernel works with. The kernel resolves providers from it by the
 * names modules declare in `needs`, and knows nothing of what they are: the composition root
 * (src/compose.ts) builds the container and registers every provider. Providers are singletons
 * resolved lazily (PROXY mode), so nothing touches a cluster, a bastion or the disk beyond the
 * config directory until a tool actually needs it. Tool modules never see the container.
 */
import { asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix';
import type { Providers } from './contract.js';
import type { Logger } from './logger.js';

export interface Core {
  logger: Logger;
}

export type KernelContainer = AwilixContainer<Providers & Core>;

/** An empty container with the logger; the composition root registers the providers. */
export function createKernelContainer(logger: Logger): KernelContainer {
  const container = createContainer<Providers & Core>({ injectionMode: InjectionMode.PROXY, strict: true });
  container.register({ logger: asValue(logger) });
  return container;
}
