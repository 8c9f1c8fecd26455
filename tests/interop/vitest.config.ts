import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The interop tests alone, without the root config's Kubernetes cluster setup (they need no cluster):
//   npm run build && npx vitest run -c tests/interop/vitest.config.ts
// They also run in the main suite: npx vitest run tests/interop
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
