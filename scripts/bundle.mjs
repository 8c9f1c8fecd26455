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
import { builtinModules, createRequire } from 'node:module';
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

// Two things the bundle leaves out of start-up, which evaluates every module it holds:
// - An ES module `import … from 'node:fs'` makes Node build an ES facade of the built-in, reading
//   every one of its exports (a few ms each for fs, process, http). ES imports of built-ins become
//   require(), as CommonJS dependencies already do, with the built-in's plain properties as named
//   exports; its lazy getters stay unread until something reads them through the default export.
//   A named import of another getter fails the build, naming it: add it to NAMED_GETTERS if
//   reading it at start-up is cheap.
// - fast-glob (14 ms) serves only awilix's loadModules, which the registry does not use (it reads
//   its directories itself); a stand-in throws if anything ever calls it.
const NAMED_GETTERS = new Set(['util.parseArgs']);
const builtins = new Set(builtinModules.filter((name) => !name.startsWith('_')));
const requireBuiltin = createRequire(import.meta.url);
const leaner = {
  name: 'leaner-start',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, ({ path, kind }) => {
      const name = path.replace(/^node:/, '');
      if (kind !== 'import-statement' || !builtins.has(name)) return undefined;
      return { path: `node:${name}`, namespace: 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path }) => {
      const named = Object.entries(Object.getOwnPropertyDescriptors(requireBuiltin(path)))
        .filter(([key, d]) => (!d.get || NAMED_GETTERS.has(`${path.slice(5)}.${key}`)) && key !== 'default' && /^[A-Za-z_$][\w$]*$/.test(key))
        .map(([key]) => `export const ${key} = m.${key};`);
      return { contents: [`const m = require(${JSON.stringify(path)});`, 'export default m;', ...named].join('\n'), loader: 'js' };
    });
    b.onResolve({ filter: /^fast-glob$/ }, () => ({ path: 'fast-glob', namespace: 'unused' }));
    b.onLoad({ filter: /.*/, namespace: 'unused' }, () => ({
      contents:
        "const unused = () => { throw new Error('fast-glob is left out of the bundle: nothing in Kubezilla MCP lists files by glob'); };\nexport default Object.assign(unused, { sync: unused });",
      loader: 'js',
    }));
  },
};

try {
  await build({
    plugins: [leaner],
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
    minifyWhitespace: true, // a third smaller: less to read, hash and look up in the compile cache at every start
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
