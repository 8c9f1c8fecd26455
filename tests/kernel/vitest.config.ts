import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The kernel's tests need no cluster: `npx vitest run -c tests/kernel/vitest.config.ts`.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/kernel/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
