// Bundles the compiled server (dist/) into one file, dist/kubezilla-mcp.bundle.js, which
// dist/kubezilla-mcp.js (the program `npm start` and the `kubezilla-mcp` bin run) loads.
//
// Why: unbundled, start-up is mostly Node resolving and loading the ~1,000 ES module files of the
// dependencies (TypeBox alone is 266); one file takes about half the time. The built-in tool and
// prompt modules are found here with the registry's own rule (every module file in its built-in
// directories) and imported statically, so adding a tool is still adding one file.
// @kubernetes/client-node, ssh2 and ws stay outside: they load on first use, and ssh2 has native parts.
//
// dist/kubezilla-mcp.js itself is a few-line launcher that turns on Node's compile cache (Node 22.1+:
// V8's compiled code for the bundle is kept on disk, by default under the OS temp dir, or where
// NODE_COMPILE_CACHE says) and then imports the bundle, dist/kubezilla-mcp.bundle.js. It has to be
// a separate file: the cache only covers modules loaded after it is enabled, and a bundle is
// compiled as a whole before any line of it runs. On Node 20 the launcher just imports the bundle.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const { builtInModuleDirs, loadRegistry, moduleFilesIn } = await import(pathToFileURL(join(dist, 'kernel', 'registry.js')).href);

// Every built-in module checked here, schemas compiled, exactly as an unbundled start checks them:
// the bundle compiles its built-ins' schemas on first use (see src/kernel/registry.ts), so a
// schema that does not compile must fail the build instead of the start.
await loadRegistry(() => true, []);

// The settings page's script and stylesheet are plain files tsc does not emit; copy them beside the
// compiled page module, where both the bundle and the unbundled build look for them.
const assets = join(dist, 'ui-web', 'assets');
mkdirSync(assets, { recursive: true });
const { PAGE_ASSETS } = await import(pathToFileURL(join(dist, 'ui-web', 'assets', 'files.js')).href);
for (const name of PAGE_ASSETS) copyFileSync(join(root, 'src', 'ui-web', 'assets', name), join(assets, name));

const files = builtInModuleDirs()
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => moduleFilesIn(dir, readdirSync(dir, { withFileTypes: true }), ['.js']));
const entry = join(dist, '.bundle-entry.js');
writeFileSync(
  entry,
  [
    "import { useBundledBuiltIns } from './kernel/registry.js';",
    ...files.map((file, i) => `import * as m${i} from './${relative(dist, file)}';`),
    `useBundledBuiltIns([${files.map((file, i) => `{ file: ${JSON.stringify(relative(root, file))}, exported: m${i}.default }`).join(', ')}]);`,
    "await import('./cli.js');",
    '',
  ].join('\n'),
);

try {
  await build({
    entryPoints: [entry],
    outfile: join(dist, 'kubezilla-mcp.bundle.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@kubernetes/client-node', 'ssh2', 'ws'],
    // CommonJS dependencies inside an ES module bundle still call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __kzCreateRequire } from 'node:module';\nconst require = __kzCreateRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    logLevel: 'warning',
  });
} finally {
  rmSync(entry, { force: true });
}

writeFileSync(
  join(dist, 'kubezilla-mcp.js'),
  [
    '#!/usr/bin/env node',
    '// The kubezilla-mcp program: enables the compile cache where Node has one, then loads the bundle (see scripts/bundle.mjs).',
    "import module from 'node:module';",
    "if (typeof module.enableCompileCache === 'function') module.enableCompileCache();",
    "await import('./kubezilla-mcp.bundle.js');",
    '',
  ].join('\n'),
  { mode: 0o755 },
);
