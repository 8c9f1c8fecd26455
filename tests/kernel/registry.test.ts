import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, loadRegistry } from '../../src/kernel/registry.js';
import { KubezillaError } from '../../src/kernel/errors.js';
import { FIXTURE_MODULES } from '../helpers/server.js';

const BAD = fileURLToPath(new URL('../fixtures/modules/bad', import.meta.url));
const known = (name: string) => ['settings', 'tokens'].includes(name);

async function loadFailure(dir: string): Promise<KubezillaError> {
  const error = await new Registry(known).loadDirectory(join(BAD, dir)).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(KubezillaError);
  return error as KubezillaError;
}

describe('registry', () => {
  it('loads a directory of tool, prompt and resource modules (single and array exports)', async () => {
    const registry = new Registry(known);
    await registry.loadDirectory(FIXTURE_MODULES);
    expect([...registry.tools.keys()].sort()).toEqual(['fixture_echo', 'fixture_note', 'fixture_slow', 'fixture_wipe']);
    expect([...registry.prompts.keys()]).toEqual(['fixture_greeting']);
    expect([...registry.resources.keys()].sort()).toEqual(['fixture://colours/{name}', 'fixture://readme']);
    expect(registry.tools.get('fixture_echo')!.file).toBe(join(FIXTURE_MODULES, 'echo.mjs'));
  });

  it.each([
    ['duplicate', 'MODULE_DUPLICATE', /tool "twin" is defined twice: in .*a\.mjs and in .*b\.mjs/],
    ['bad-name', 'MODULE_INVALID', /bad-name\/tool\.mjs: name "has space" must match/],
    ['bad-schema', 'MODULE_INVALID', /bad-schema\/tool\.mjs: tool bad_schema input schema does not compile/],
    ['bad-safety', 'MODULE_INVALID', /bad-safety\/tool\.mjs: tool bad_safety has safety "dangerous"; expected one of read, safe-mutation, destructive/],
    ['missing-provider', 'MODULE_INVALID', /missing-provider\/tool\.mjs: tool needy needs provider "warp_drive", which is not registered/],
    [
      'prompt-missing-provider',
      'MODULE_INVALID',
      /prompt-missing-provider\/prompt\.mjs: prompt needy_prompt needs provider "warp_drive", which is not registered/,
    ],
    ['not-a-module', 'MODULE_INVALID', /not-a-module\/tool\.mjs: the default export is not a module object/],
    ['import-error', 'MODULE_LOAD_FAILED', /import-error\/tool\.mjs: import failed/],
  ])('refuses the %s case, naming the file and the fault', async (dir, code, message) => {
    const error = await loadFailure(dir);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('reports a tool directory that does not exist', async () => {
    await expect(new Registry(known).loadDirectory('/nonexistent/kz-tools')).rejects.toThrow(/cannot read tool directory \/nonexistent\/kz-tools: ENOENT/);
  });

  it('loads the built-in tools plus extra directories', async () => {
    const registry = await loadRegistry(() => true, [FIXTURE_MODULES]);
    expect(registry.tools.has('fixture_echo')).toBe(true);
    for (const { file } of registry.tools.values()) expect(file).toMatch(/\/(src\/tools\/(read|mutate|destructive)|tests\/fixtures)\//);
  });

  it("compiles the bundled built-ins' schemas on first use, with the same validator and errors", async () => {
    const echo = (await import(join(FIXTURE_MODULES, 'echo.mjs'))).default;
    const badSchema = (await import(join(BAD, 'bad-schema', 'tool.mjs'))).default;
    const registry = new Registry(known);
    // The build has compiled these already (scripts/bundle.mjs), so adding them compiles nothing:
    // even a schema that does not compile is only reported when its validator is first read.
    registry.addBundled([
      { file: 'echo.js', exported: echo },
      { file: 'bad.js', exported: badSchema },
    ]);
    const entry = registry.tools.get('fixture_echo')!;
    expect(entry.validate({ text: 'hi' })).toBe(true);
    expect(entry.validate({ text: 1 })).toBe(false);
    expect(entry.validate.errors?.[0]?.instancePath).toBe('/text');
    expect(entry.validate).toBe(entry.validate);
    expect(() => registry.tools.get('bad_schema')!.validate).toThrow(/bad\.js: tool bad_schema input schema does not compile/);
    // Modules added the ordinary way are still checked at once.
    expect(() => new Registry(known).add(badSchema, 'later.js')).toThrow(/later\.js: tool bad_schema input schema does not compile/);
  });
});
