/**
 * The awilix container: one place that builds every long-lived service. Providers are
 * singletons resolved lazily (PROXY mode), so nothing touches a cluster, a bastion or the disk
 * beyond the config directory until a tool actually needs it: a dead context can never slow
 * start-up. Tool modules never see the container; the kernel hands them exactly the providers
 * they declared in `needs`.
 */
import { asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix';
import type { Providers } from './contract.js';
import type { Logger } from './logger.js';
import { SettingsStore } from '../providers/settings.js';
import { TokenStore } from '../providers/tokens.js';
import { AuditLog } from '../providers/audit.js';
import { registerProviders } from '../providers/index.js';

declare module './contract.js' {
  interface Providers {
    settings: SettingsStore;
    tokens: TokenStore;
  }
}

/** What the process was started with, beyond settings.json (CLI flags, environment). */
export interface RuntimeOptions {
  configDir: string;
  /** Extra kubeconfig files from `--kubeconfig`, on top of KUBECONFIG / ~/.kube/config and settings. */
  kubeconfigPaths: string[];
  /** Extra tool-module directories from `--tools-dir`, on top of the settings' toolDirs. */
  toolDirs: string[];
}

export interface Core {
  options: RuntimeOptions;
  logger: Logger;
}

export type KernelContainer = AwilixContainer<Providers & Core>;

export function createKernelContainer(options: RuntimeOptions, logger: Logger): KernelContainer {
  const container = createContainer<Providers & Core>({ injectionMode: InjectionMode.PROXY, strict: true });
  container.register({
    options: asValue(options),
    logger: asValue(logger),
    settings: asValue(new SettingsStore(options.configDir)),
    tokens: asValue(new TokenStore(options.configDir)),
    audit: asValue(new AuditLog(options.configDir)),
  });
  registerProviders(container);
  return container;
}
