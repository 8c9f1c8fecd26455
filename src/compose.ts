/**
 * The composition root: the one place that knows every provider. It fills the kernel's container
 * (settings, tokens and audit log from the config directory; cluster clients with kubeconfig
 * discovery and SSH tunnels), hands the kernel the few functions it needs (the policy, where to
 * record mutations, how to resolve contexts) and disposes it all on close. Each provider is a
 * lazy singleton: composing must not contact any cluster. Adding a provider = one `register`
 * entry here plus its `Providers` entry (declaration merging) in its own file.
 *
 * `clusters` reads kubeconfigs from KUBECONFIG / ~/.kube/config, `--kubeconfig` flags and the
 * settings, and tunnels from settings.tunnels and the `kubezilla.dev/ssh-tunnel` cluster
 * extension. KUBEZILLA_REQUEST_TIMEOUT_MS overrides the 10 s per-request timeout.
 */
import { asFunction, asValue } from 'awilix';
import { createKernelContainer, type KernelContainer } from './kernel/container.js';
import { createKernel, type Kernel } from './kernel/kernel.js';
import type { Logger } from './kernel/logger.js';
import type { Metrics } from './kernel/metrics.js';
import { judgeCall, type Policy } from './kernel/policy.js';
import { ClusterProvider } from './providers/cluster/clusters.js';
import { type InCluster, inClusterKubeconfig } from './providers/cluster/in-cluster.js';
import { KubeconfigStore } from './providers/cluster/kubeconfig.js';
import { PortForwardRegistry } from './providers/cluster/port-forwards.js';
import { TunnelRegistry } from './providers/cluster/tunnels.js';
import { HelmRunner } from './providers/helm/runner.js';
import { AuditLog } from './providers/config/audit.js';
import { SettingsStore } from './providers/config/settings.js';
import { TokenStore } from './providers/config/tokens.js';

declare module './kernel/contract.js' {
  interface Providers {
    clusters: ClusterProvider;
  }
}

/** What the process was started with, beyond settings.json (CLI flags, environment). */
export interface RuntimeOptions {
  configDir: string;
  /** Extra kubeconfig files from `--kubeconfig`, on top of KUBECONFIG / ~/.kube/config and settings. */
  kubeconfigPaths: string[];
  /** Extra tool-module directories from `--tools-dir`, on top of the settings' toolDirs. */
  toolDirs: string[];
  /**
   * `--enable-destructive`: the destructive class is enabled for this run, on top of the settings
   * (not written to settings.json); `policy.destructiveTools` still narrows it to the tools named there.
   */
  enableDestructive?: boolean;
  /**
   * Team mode: cluster calls act for the signed-in person of each request (impersonation or their
   * own token), never with the kubeconfig's rights alone.
   */
  actForCaller?: boolean;
  /** What the team deployment adds (`serve --in-cluster --audit-stdout --metrics-port …`); none on a laptop. */
  team?: TeamOptions;
}

export interface TeamOptions {
  /** The pod's own cluster as the first (and current) context. */
  inCluster?: InCluster;
  /** Every audit entry also as a JSON line on stdout, for the cluster's log collector. */
  auditStdout?: boolean;
  /** Where tool calls and cluster requests are counted (served at /metrics). */
  metrics?: Metrics;
  /** The key replicas share to sign confirmation tokens (`--confirmation-key-file`). */
  confirmationKey?: Buffer;
}

/** The policy the kernel applies: the saved one, with this run's flags on top. */
export function effectivePolicy(saved: Policy, options: Pick<RuntimeOptions, 'enableDestructive'>): Policy {
  if (!options.enableDestructive || saved.enabledClasses.includes('destructive')) return saved;
  return { ...saved, enabledClasses: [...saved.enabledClasses, 'destructive'] };
}

function positiveInt(value: string | undefined): number | undefined {
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * The container with every provider registered (nothing built yet: they are lazy), and the
 * settings store itself, which stays with the application: modules get its read-only view.
 */
export function composeContainer(options: RuntimeOptions, logger: Logger): { container: KernelContainer; settings: SettingsStore } {
  const container = createKernelContainer(logger);
  const settings = new SettingsStore(options.configDir);
  const team = options.team ?? {};
  const metrics = team.metrics;
  container.register({
    settings: asValue(settings.view),
    tokens: asValue(new TokenStore(options.configDir)),
    audit: asValue(new AuditLog(options.configDir, team.auditStdout ? { mirror: (line) => process.stdout.write(line) } : {})),
    helm: asValue(new HelmRunner()),
    clusters: asFunction(() => {
      const kubeconfig = new KubeconfigStore({
        flagPaths: () => options.kubeconfigPaths,
        settingsFiles: () => settings.get().kubeconfig.files,
        inline: () => settings.get().kubeconfig.inline,
        ...(team.inCluster ? { inCluster: { id: `in-cluster:${team.inCluster.context}`, content: inClusterKubeconfig(team.inCluster) } } : {}),
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
        actForCaller: options.actForCaller ?? false,
        ...(timeout ? { requestTimeoutMs: timeout } : {}),
        ...(metrics ? { observeRequest: (request) => metrics.clusterRequest(request) } : {}),
      });
    })
      .singleton()
      .disposer((clusters) => clusters.close()),
    // The forwards port_forward_start opens: their listeners close with the server.
    portForwards: asFunction(() => new PortForwardRegistry({ logger: logger.child({ component: 'port-forwards' }) }))
      .singleton()
      .disposer((forwards) => forwards.close()),
  });
  return { container, settings };
}

/**
 * What the running application holds: the kernel (modules loaded and checked, nothing contacted)
 * and, by name, the few providers the app itself drives (the settings page shows the token, the
 * audit log and the contexts). Nothing above this file reaches into the container.
 */
export interface ComposedApp {
  kernel: Kernel;
  settings: SettingsStore;
  tokens: TokenStore;
  audit: AuditLog;
  /** The cluster provider, built on first use (it reads the kubeconfigs). */
  clusters: () => ClusterProvider;
  /** The open port forwards (the settings page lists them). */
  portForwards: () => PortForwardRegistry;
}

export async function composeKernel(options: RuntimeOptions, logger: Logger): Promise<ComposedApp> {
  const { container, settings } = composeContainer(options, logger);
  const kernel = await createKernel(container, {
    logger,
    toolDirs: [...settings.get().toolDirs, ...options.toolDirs],
    policy: () => effectivePolicy(settings.get().policy, options),
    recordMutation: (record) => container.cradle.audit.record(record),
    // Resolved on the first cluster tool call, not at start-up (it reads the kubeconfigs).
    targets: () => container.cradle.clusters,
    ...(options.team?.metrics ? { metrics: options.team.metrics } : {}),
    ...(options.team?.confirmationKey ? { confirmationKey: options.team.confirmationKey } : {}),
  });
  // A policy change on the settings page (the destructive class turned on) reaches open sessions.
  settings.onChange(() => kernel.toolCalls.policyChanged());
  // An open forward stands on the person's yes to port_forward_start on one context: when they take
  // that back (the tool or the class turned off, the context made read-only), the forward ends.
  settings.onChange(() => {
    if (!container.cache.has('portForwards')) return; // never built: no forward is open
    const policy = effectivePolicy(settings.get().policy, options);
    const toolAllowed = judgeCall({ name: 'port_forward_start', safety: 'destructive' }, policy).allow;
    for (const forward of container.cradle.portForwards.list()) {
      const why = !toolAllowed
        ? 'ended: port_forward_start was turned off in the settings'
        : policy.readOnlyContexts.includes(forward.context)
          ? `ended: context ${forward.context} was made read-only in the settings`
          : undefined;
      if (why) void container.cradle.portForwards.stop(forward.id, why);
    }
  });
  const { tokens, audit } = container.cradle;
  return { kernel, settings, tokens, audit, clusters: () => container.cradle.clusters, portForwards: () => container.cradle.portForwards };
}
