/**
 * In-cluster configuration: the server running in a pod reaches its own cluster with the pod's
 * ServiceAccount, as `kubectl` does in a pod and client-node's `loadFromCluster()` does, but as
 * one more kubeconfig source, so everything downstream (clients, discovery, helm's temporary
 * kubeconfig, list_contexts) treats it like any other context.
 *
 * The context (named `in-cluster` unless told otherwise) points at
 * `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT` with the mounted CA and the mounted
 * token as a `token-file`, never the token itself: the kubelet rotates that projected token (every
 * hour or so), and the clusters provider rebuilds a context's client when its token file changes,
 * so a rotated token is used without a restart. The mounted `namespace` file is the context's
 * namespace.
 *
 * `KUBEZILLA_SERVICEACCOUNT_DIR` moves the directory the token, ca.crt and namespace are read from
 * (default the kubelet's /var/run/secrets/kubernetes.io/serviceaccount): the tests run the
 * server as the chart's pod would run, from a token minted for the chart's ServiceAccount.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KubezillaError } from '../../kernel/errors.js';

export const SERVICEACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const IN_CLUSTER_CONTEXT = 'in-cluster';

export interface InCluster {
  /** The context's name. */
  context: string;
  server: string;
  tokenFile: string;
  caFile: string;
  /** From the mounted namespace file; `default` when there is none. */
  namespace: string;
}

/** Reads the pod's environment; throws a KubezillaError naming what is missing and how to fix it. */
export function inClusterConfig(env: Record<string, string | undefined> = process.env, context = IN_CLUSTER_CONTEXT): InCluster {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  if (!host) {
    throw new KubezillaError(
      'IN_CLUSTER_UNAVAILABLE',
      '--in-cluster needs KUBERNETES_SERVICE_HOST, which the kubelet sets in every pod, and it is not set',
      'Run it in a pod (the Helm chart does), or set KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT to the API server.',
    );
  }
  if (!/^\d{1,5}$/.test(port)) throw new KubezillaError('IN_CLUSTER_UNAVAILABLE', `KUBERNETES_SERVICE_PORT must be a port number (got "${port}")`);
  const dir = env.KUBEZILLA_SERVICEACCOUNT_DIR || SERVICEACCOUNT_DIR;
  const tokenFile = join(dir, 'token');
  const caFile = join(dir, 'ca.crt');
  for (const file of [tokenFile, caFile]) {
    if (!existsSync(file)) {
      throw new KubezillaError(
        'IN_CLUSTER_UNAVAILABLE',
        `--in-cluster needs the ServiceAccount's ${file}, which does not exist`,
        'Mount the ServiceAccount token (automountServiceAccountToken: true, as the chart does), or point KUBEZILLA_SERVICEACCOUNT_DIR at a directory with token and ca.crt.',
      );
    }
  }
  let namespace = 'default';
  try {
    namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim() || 'default';
  } catch {
    /* no namespace file: default, as kubectl does */
  }
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { context, server: `https://${bracketed}:${port}`, tokenFile, caFile, namespace };
}

/** The kubeconfig text of the in-cluster context (paths only: no credential is copied). */
export function inClusterKubeconfig(c: InCluster): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: c.context, cluster: { server: c.server, 'certificate-authority': c.caFile } }],
    users: [{ name: c.context, user: { 'token-file': c.tokenFile } }],
    contexts: [{ name: c.context, context: { cluster: c.context, user: c.context, namespace: c.namespace } }],
    'current-context': c.context,
  });
}

/** Why the in-cluster credentials cannot be used now (for /readyz); empty when they can. */
export function inClusterProblems(c: InCluster): string[] {
  const problems: string[] = [];
  for (const file of [c.tokenFile, c.caFile]) {
    try {
      if (!readFileSync(file, 'utf8').trim()) problems.push(`${file} is empty`);
    } catch (err) {
      problems.push(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return problems;
}
