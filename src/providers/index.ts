/**
 * Registers the cluster-facing providers (kubeconfig discovery, cluster clients, tunnels, helm,
 * audit) in the kernel container. Each is a lazy singleton: constructing the container must not
 * contact any cluster. Adding a provider = one `register` line here plus a `Providers` entry
 * (declaration merging) in its own file.
 */
import type { KernelContainer } from '../kernel/container.js';

export function registerProviders(_container: KernelContainer): void {
  // Cluster providers register here as they land.
}
