// The whole suite: `npm test`. The global setup brings the local Kubernetes control plane up (or
// reuses a running one, or uses KUBEZILLA_TEST_KUBECONFIG); see tests/cluster/README.md.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/cluster/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    // Two cores: files that start servers and clusters' clients would starve each other.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
