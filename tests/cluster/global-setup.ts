// Vitest globalSetup: brings the local test cluster up (or reuses the running one) before any test runs,
// or, with KUBEZILLA_TEST_KUBECONFIG=<path>, uses a cluster you already have (kind, minikube, ...).
//
// Hands the cluster to the tests in two ways:
//   - inject('kubezillaKubeconfig') / inject('kubezillaClusterInfo')   (vitest provide/inject)
//   - env KUBEZILLA_TEST_KUBECONFIG_PATH and KUBEZILLA_TEST_CLUSTER_INFO  (for code outside vitest's API)
// In tests, prefer `testCluster()` from tests/cluster/context.ts, which returns the typed ClusterInfo.
//
// The local cluster is left running after the run (a warm start is then instant); stop it with
// `npm run cluster:down`, or set KUBEZILLA_TEST_CLUSTER_TEARDOWN=1 to stop it when the run ends.
import type { TestProject } from 'vitest/node';
import { defaultInfoPath, down, prepareExternal, up } from './harness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the test kubeconfig (contexts kz-admin, kz-restricted, kz-ssh). */
    kubezillaKubeconfig: string;
    /** Absolute path of the cluster-info.json describing the test cluster (see ClusterInfo). */
    kubezillaClusterInfo: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.KUBEZILLA_TEST_KUBECONFIG;
  let infoPath: string;
  let kubeconfig: string;
  let teardown: () => Promise<void>;
  if (external) {
    const ext = await prepareExternal(external);
    infoPath = ext.infoPath;
    kubeconfig = ext.info.kubeconfig;
    teardown = ext.close;
  } else {
    const info = await up();
    infoPath = defaultInfoPath();
    kubeconfig = info.kubeconfig;
    teardown = async () => {
      if (process.env.KUBEZILLA_TEST_CLUSTER_TEARDOWN === '1') await down();
    };
  }
  process.env.KUBEZILLA_TEST_KUBECONFIG_PATH = kubeconfig;
  process.env.KUBEZILLA_TEST_CLUSTER_INFO = infoPath;
  project.provide('kubezillaKubeconfig', kubeconfig);
  project.provide('kubezillaClusterInfo', infoPath);
  return teardown;
}
