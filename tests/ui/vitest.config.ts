import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The settings page: its JSON API and guards over HTTP, and the page itself in Debian's Chromium
// (bash tests/ui/install-deps.sh first). Screenshots land in test-artifacts/ui/.
//   npx vitest run -c tests/ui/vitest.config.ts
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/ui/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
