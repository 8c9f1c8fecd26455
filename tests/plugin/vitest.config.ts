import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The kz plugin tests alone, without the root config's Kubernetes cluster setup (they need no cluster):
//   npm run build && npx vitest run -c tests/plugin/vitest.config.ts
// They also run in the main suite: npx vitest run tests/plugin
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/plugin/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
