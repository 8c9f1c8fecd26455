// The layers of docs/architecture.md, checked on every import in src/ (type-only imports too):
// a lower layer never imports a higher one, and a tool never imports another tool.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** The layer a file under src/ belongs to, lowest first. */
function layerOf(file: string): string {
  const rel = relative(SRC, file).split('\\').join('/');
  if (!rel.includes('/')) return 'app'; // cli.ts, server.ts, compose.ts
  const [top, second] = rel.split('/');
  if (top === 'tools') return second === 'common' ? 'tools/common' : 'tools';
  if (top === 'prompts') return 'tools';
  return top!;
}

/** Which layers each layer may import (besides itself). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  kernel: [],
  providers: ['kernel'],
  'tools/common': ['kernel', 'providers'],
  tools: ['kernel', 'providers', 'tools/common'],
  transports: ['kernel', 'providers'],
  'ui-web': ['kernel', 'providers', 'transports'],
  app: ['kernel', 'providers', 'tools/common', 'tools', 'transports', 'ui-web'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|js)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'|import\('(\.[^']+)'\)/gm)].map(
    (m) => m[1] ?? m[2] ?? m[3]!,
  );
  return specs.map((spec) => resolve(dirname(file), spec));
}

/** A tool module (a file, or a folder with index) under src/tools/<class>/ or src/prompts/. */
function toolUnit(file: string): string | undefined {
  const rel = relative(SRC, file).split('\\').join('/').split('/');
  if (rel[0] === 'prompts') return rel.slice(0, 2).join('/');
  if (rel[0] === 'tools' && rel[1] !== 'common')
    return rel
      .slice(0, 3)
      .join('/')
      .replace(/\.(ts|js)$/, '');
  return undefined;
}

describe('the source layout', () => {
  const files = sourceFiles(SRC);

  it('has the layers it is checked against', () => {
    const layers = new Set(files.map(layerOf));
    expect([...layers].sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it('imports only downwards, and no tool imports another tool', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const target of relativeImports(file)) {
        if (!target.startsWith(SRC)) continue;
        const to = layerOf(target);
        const where = `${relative(SRC, file)} → ${relative(SRC, target)}`;
        if (to !== from && !MAY_IMPORT[from]!.includes(to)) wrong.push(`${where} (${from} may not import ${to})`);
        if (from === 'tools' && to === 'tools' && toolUnit(file) !== toolUnit(target)) wrong.push(`${where} (a tool imports another tool)`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps every source file under 500 lines', () => {
    const long = files.map((f) => ({ file: relative(SRC, f), lines: readFileSync(f, 'utf8').split('\n').length })).filter((f) => f.lines > 500);
    expect(long).toEqual([]);
  });
});
