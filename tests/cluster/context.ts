// For test files: the typed ClusterInfo of the cluster the vitest global setup prepared.
//   import { testCluster } from './context.js';
//   const info = testCluster();   // info.kubeconfig, info.contexts.admin, info.tools.helm4, ...
import { inject } from 'vitest';
import { clusterInfo, type ClusterInfo } from './harness.js';

export function testCluster(): ClusterInfo {
  let path: string | undefined;
  try {
    path = inject('kubezillaClusterInfo');
  } catch {
    path = undefined;
  }
  return clusterInfo(path ?? process.env.KUBEZILLA_TEST_CLUSTER_INFO);
}

export type { ClusterInfo, SshInfo } from './harness.js';
export { helm, helmEnv, kubectl, runTool } from './harness.js';
