import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The provider tests that need no cluster (fake TLS API server, real sshd):
//   npx vitest run -c tests/providers/vitest.config.ts
// The ones against the real control plane: tests/providers/vitest.integration.config.ts
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/providers/**/*.test.ts'],
    exclude: ['tests/providers/**/*.integration.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
