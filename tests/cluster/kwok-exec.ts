// KWOK's exec emulation for the test cluster: `kubectl exec` into any fake pod runs the command on this
// machine, in the directory execRoot(stateDir) (created with the cluster). So exec_in_pod runs real
// processes (exit codes, stderr, signals on cancellation), and the PVC tools' tar and stat run against real
// files: a test pod that mounts a claim at an absolute path under execRoot stands for a pod whose volume
// holds those files, and a pod whose workingDir is relative reads execRoot itself.
import { join } from 'node:path';

const API = 'kwok.x-k8s.io/v1alpha1';

/** Where every emulated exec runs: the fake containers' shared working directory. */
export const execRoot = (stateDir: string) => join(stateDir, 'exec-root');

export function execConfig(stateDir: string): object[] {
  return [
    {
      apiVersion: API,
      kind: 'ClusterExec',
      metadata: { name: 'kz-exec-local' },
      // No selector: every pod KWOK plays, every container.
      spec: { execs: [{ local: { workDir: execRoot(stateDir), envs: [{ name: 'KZ_FAKE_CONTAINER', value: '1' }] } }] },
    },
  ];
}
