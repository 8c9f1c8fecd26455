/**
 * Registers the cluster-facing providers (kubeconfig discovery, cluster clients, tunnels, helm,
 * audit) in the kernel container. Each is a lazy singleton: constructing the container must not
 * contact any cluster. Adding a provider = one `register` line here plus a `Providers` entry
 * (declaration merging) in its own file.
 *
 * `clusters` (src/providers/clusters.ts) is what cluster tools declare in `needs`. It reads
 * kubeconfigs from KUBECONFIG / ~/.kube/config, `--kubeconfig` flags and the settings, and
 * tunnels from settings.tunnels and the `kubezilla.dev/ssh-tunnel` cluster extension.
 * KUBEZILLA_REQUEST_TIMEOUT_MS overrides the 10 s per-request timeout.
 */
import { asFunction } from 'awilix';
import type { KernelContainer } from '../kernel/container.js';
import { ClusterProvider } from './clusters.js';
import { KubeconfigStore } from './kubeconfig.js';
import { TunnelRegistry } from './tunnels.js';

declare module '../kernel/contract.js' {
  interface Providers {
    clusters: ClusterProvider;
  }
}

function positiveInt(value: string | undefined): number | undefined {
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function registerProviders(container: KernelContainer): void {
  container.register({
    clusters: asFunction(({ options, settings, logger }) => {
      const kubeconfig = new KubeconfigStore({
        flagPaths: () => options.kubeconfigPaths,
        settingsFiles: () => settings.get().kubeconfig.files,
        inline: () => settings.get().kubeconfig.inline,
      });
      // Settings changes (kubeconfig files or inline configs added on the settings page) reach
      // watchers at once rather than on the next poll.
      settings.onChange(() => kubeconfig.snapshot());
      const timeout = positiveInt(process.env.KUBEZILLA_REQUEST_TIMEOUT_MS);
      return new ClusterProvider({
        kubeconfig,
        tunnels: new TunnelRegistry({ logger: logger.child({ component: 'tunnels' }), ...(timeout ? { connectTimeoutMs: timeout } : {}) }),
        tunnelSettings: () => settings.get().tunnels,
        readOnlyContexts: () => settings.get().policy.readOnlyContexts,
        logger: logger.child({ component: 'clusters' }),
        ...(timeout ? { requestTimeoutMs: timeout } : {}),
      });
    })
      .singleton()
      .disposer((clusters) => clusters.close()),
  });
}
