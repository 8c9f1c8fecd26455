// The fast tier: `npm run test:unit`, every test that needs no Kubernetes cluster (no global
// setup), in well under a minute. The whole suite (`npm test`) runs these too.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'tests/common/**/*.test.ts',
      'tests/kernel/**/*.test.ts',
      'tests/providers/**/*.test.ts',
      'tests/tools/registry-wide.test.ts',
      'tests/tools/apply-removals.test.ts',
      'tests/ui/settings-api.test.ts',
      'tests/ui/audit.test.ts',
      'tests/ui/settings-write-api.test.ts',
    ],
    exclude: ['tests/providers/**/*.integration.test.ts'],
    testTimeout: 60_000,
    maxWorkers: 2,
  },
});
