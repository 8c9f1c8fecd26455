import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The provider tests against the real local control plane and its OpenSSH bastion:
//   npx vitest run -c tests/providers/vitest.integration.config.ts
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/providers/**/*.integration.test.ts'],
    globalSetup: ['tests/cluster/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
