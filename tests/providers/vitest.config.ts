import { defineConfig } from 'vitest/config';

// Runs the cluster-access provider tests on their own: npx vitest run -c tests/providers/vitest.config.ts
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/providers/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
