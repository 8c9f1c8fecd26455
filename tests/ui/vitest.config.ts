import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The settings page: its JSON API and guards over HTTP, and the page itself in Debian's Chromium
// (bash tests/ui/install-deps.sh first). Screenshots land in test-artifacts/ui/. The page against the
// real cluster (settings-page.cluster.test.ts) runs with the root config, which starts the cluster.
//   npx vitest run -c tests/ui/vitest.config.ts
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/ui/**/*.test.ts'],
    // Needs the local cluster (the root config's global setup): npx vitest run tests/ui/settings-page.cluster.test.ts
    exclude: ['tests/ui/**/*.cluster.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
