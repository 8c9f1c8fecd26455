/**
 * The registry discovers module files, checks each one, and refuses to start on the first fault,
 * naming the file. Failing loudly at start-up is the point: a tool that silently vanishes from
 * tools/list (or two tools answering to one name) is far harder to debug in front of a model
 * than a process that will not start.
 *
 * Built-in modules live in src/tools/read, src/tools/mutate and src/tools/destructive (a file each,
 * or a folder with an index file for a tool with private helpers); module authors add directories
 * with `--tools-dir` or the settings' `toolDirs`. A file default-exports one module, or an array
 * of modules for a pack.
 *
 * One exception to "checked at start-up": the single-file build's built-ins. Compiling their ~30
 * schemas with AJV was a third of the CPU the program spent from start to its first tools/list,
 * and every one was already compiled when the bundle was built (scripts/bundle.mjs loads the
 * registry over the same modules and fails the build on a schema that does not compile). So the
 * bundle compiles each built-in's input schema on first use; everything else about them, and
 * every schema of a `--tools-dir` module, is still checked before the server starts.
 */
import { existsSync, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { SAFETY_CLASSES, type KernelModule, type PromptModule, type ResourceModule, type ToolModule } from './contract.js';
import { KubezillaError } from './errors.js';
import { compileInputSchema, compileSchema } from './validation.js';

export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export interface RegisteredTool {
  module: ToolModule;
  file: string;
  validate: ValidateFunction;
}

export interface RegisteredPrompt {
  module: PromptModule;
  file: string;
  validate: ValidateFunction;
}

export interface RegisteredResource {
  module: ResourceModule;
  file: string;
}

export class Registry {
  readonly tools = new Map<string, RegisteredTool>();
  readonly prompts = new Map<string, RegisteredPrompt>();
  readonly resources = new Map<string, RegisteredResource>();

  /** True while the bundle's built-ins are added (see the file comment): their schemas compile on first use. */
  #compileOnUse = false;

  /** @param hasProvider tells whether the container can supply a provider a module `needs`. */
  constructor(private readonly hasProvider: (name: string) => boolean) {}

  /** The single-file build's built-ins, whose schemas the build has compiled already. */
  addBundled(modules: readonly BundledModule[]): void {
    this.#compileOnUse = true;
    try {
      for (const { file, exported } of modules) this.addExport(exported, file);
    } finally {
      this.#compileOnUse = false;
    }
  }

  /** Checks one module and adds it; throws a KubezillaError naming `file` on any fault. */
  add(candidate: unknown, file: string): void {
    const fail = (why: string): never => {
      throw new KubezillaError('MODULE_INVALID', `${file}: ${why}`, 'Fix the module or remove it from the tool directories.');
    };
    if (!candidate || typeof candidate !== 'object') fail('the default export is not a module object');
    const module = candidate as KernelModule;
    switch (module.kind) {
      case 'tool':
        this.#addTool(module, file, fail);
        return;
      case 'prompt':
        this.#addPrompt(module, file, fail);
        return;
      case 'resource':
        this.#addResource(module, file, fail);
        return;
      default:
        fail(`unknown module kind ${JSON.stringify((module as { kind?: unknown }).kind)}; use defineTool, definePrompt or defineResource`);
    }
  }

  #addTool(module: ToolModule, file: string, fail: (why: string) => never): void {
    checkName(module.name, fail);
    const previous = this.tools.get(module.name);
    if (previous) duplicate('tool', module.name, previous.file, file);
    if (typeof module.title !== 'string' || !module.title) fail(`tool ${module.name} has no title`);
    if (typeof module.description !== 'string' || module.description.length < 20) {
      fail(`tool ${module.name} needs a description written for the model (at least a sentence)`);
    }
    if (!SAFETY_CLASSES.includes(module.safety)) {
      fail(`tool ${module.name} has safety ${JSON.stringify(module.safety)}; expected one of ${SAFETY_CLASSES.join(', ')}`);
    }
    if (typeof module.run !== 'function') fail(`tool ${module.name} has no run(input, ctx) function`);
    if (module.input?.type !== 'object') fail(`tool ${module.name}: input must be an object schema (Type.Object)`);
    const validate = this.#validator(() => compile(module.input, `tool ${module.name} input`, fail, compileInputSchema));
    if (module.output && !this.#compileOnUse) compile(module.output, `tool ${module.name} output`, fail);
    for (const need of module.needs ?? []) {
      if (!this.hasProvider(need)) fail(`tool ${module.name} needs provider "${need}", which is not registered`);
    }
    this.tools.set(module.name, Object.defineProperties({ module, file } as RegisteredTool, validate));
  }

  #addPrompt(module: PromptModule, file: string, fail: (why: string) => never): void {
    checkName(module.name, fail);
    const previous = this.prompts.get(module.name);
    if (previous) duplicate('prompt', module.name, previous.file, file);
    if (typeof module.render !== 'function') fail(`prompt ${module.name} has no render(args) function`);
    if (module.arguments?.type !== 'object') fail(`prompt ${module.name}: arguments must be an object schema`);
    const validate = this.#validator(() => compile(module.arguments, `prompt ${module.name} arguments`, fail, compileInputSchema));
    for (const need of module.needs ?? []) {
      if (!this.hasProvider(need)) fail(`prompt ${module.name} needs provider "${need}", which is not registered`);
    }
    this.prompts.set(module.name, Object.defineProperties({ module, file } as RegisteredPrompt, validate));
  }

  /**
   * An entry's `validate` property: compiled now (so a fault stops the start-up here), or, for the
   * bundled built-ins, a getter that compiles on first read and keeps the result. Callers see a
   * plain ValidateFunction either way.
   */
  #validator(make: () => ValidateFunction): { validate: PropertyDescriptor } {
    if (!this.#compileOnUse) return { validate: { value: make(), enumerable: true, writable: true } };
    let compiled: ValidateFunction | undefined;
    return {
      validate: {
        enumerable: true,
        get: () => {
          compiled ??= make();
          return compiled;
        },
      },
    };
  }

  #addResource(module: ResourceModule, file: string, fail: (why: string) => never): void {
    if (typeof module.uri !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(module.uri)) {
      fail(`resource ${JSON.stringify(module.name)} needs a uri with a scheme, such as kz://contexts`);
    }
    const previous = this.resources.get(module.uri);
    if (previous) duplicate('resource', module.uri, previous.file, file);
    if (typeof module.read !== 'function') fail(`resource ${module.uri} has no read(uri, params) function`);
    this.resources.set(module.uri, { module, file });
  }

  /** Imports every module file in `dir` (not recursive) and adds its export(s). */
  async loadDirectory(dir: string, extensions: readonly string[] = MODULE_EXTENSIONS): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new KubezillaError(
        'MODULE_LOAD_FAILED',
        `cannot read tool directory ${dir}: ${(err as NodeJS.ErrnoException).code}`,
        'Check the --tools-dir path or the toolDirs setting.',
      );
    }
    for (const file of moduleFilesIn(dir, entries, extensions)) {
      let exported: unknown;
      try {
        exported = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
      } catch (err) {
        throw new KubezillaError(
          'MODULE_LOAD_FAILED',
          `${file}: import failed: ${(err as Error).message}`,
          'Make sure the file is valid ESM JavaScript with a default export.',
        );
      }
      this.addExport(exported, file);
    }
  }

  /** A module file's default export: one module, or an array of them (a pack). */
  addExport(exported: unknown, file: string): void {
    for (const candidate of Array.isArray(exported) ? exported : [exported]) this.add(candidate, file);
  }
}

/** A built-in module file and what it default-exports, when the bundle imported it already. */
export interface BundledModule {
  file: string;
  exported: unknown;
}

let bundledBuiltIns: readonly BundledModule[] | undefined;

/**
 * Called by the single-file build (scripts/bundle.mjs) before the CLI starts: the built-in modules
 * are already inside the bundle, found at build time by the same directory rule, so the registry
 * takes them from here instead of importing the files again (which would load a second copy of
 * every library they use and undo what bundling saves at start-up).
 */
export function useBundledBuiltIns(modules: readonly BundledModule[]): void {
  bundledBuiltIns = modules;
}

/** Compiled builds load .js; vitest and tsx run the sources directly, so the kernel's own extension decides. */
const OWN_EXTENSION = extname(fileURLToPath(import.meta.url));
const MODULE_EXTENSIONS = ['.js', '.mjs'];

export function isModuleFile(entry: string, extensions: readonly string[] = MODULE_EXTENSIONS): boolean {
  if (entry.startsWith('.') || entry.startsWith('_') || entry.endsWith('.d.ts') || /\.(test|spec)\./.test(entry)) return false;
  return extensions.includes(extname(entry));
}

/**
 * The module files of a directory, sorted: every module file in it, and for each subdirectory its
 * `index` file, so a tool that needs private files (helpers, fixtures of its own) is a folder
 * whose other files the registry never loads as modules.
 */
export function moduleFilesIn(dir: string, entries: readonly Dirent[], extensions: readonly string[] = MODULE_EXTENSIONS): string[] {
  const files: string[] = [];
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory()) {
      if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
      const index = extensions.map((ext) => join(dir, entry.name, `index${ext}`)).find((file) => existsSync(file));
      if (index) files.push(index);
    } else if (isModuleFile(entry.name, extensions)) {
      files.push(join(dir, entry.name));
    }
  }
  return files;
}

/** The directories of the modules that ship with Kubezilla, next to this kernel: tools by class, then prompts. */
export function builtInModuleDirs(): string[] {
  const src = resolve(fileURLToPath(new URL('../', import.meta.url)));
  return [join(src, 'tools', 'read'), join(src, 'tools', 'mutate'), join(src, 'tools', 'destructive'), join(src, 'prompts')];
}

/** Loads the built-in modules and then every extra directory, in order. */
export async function loadRegistry(hasProvider: (name: string) => boolean, extraDirs: readonly string[]): Promise<Registry> {
  const registry = new Registry(hasProvider);
  if (bundledBuiltIns) {
    registry.addBundled(bundledBuiltIns);
  } else {
    for (const dir of builtInModuleDirs()) {
      if (existsSync(dir)) await registry.loadDirectory(dir, [OWN_EXTENSION]);
    }
  }
  for (const dir of extraDirs) await registry.loadDirectory(resolve(dir));
  return registry;
}

function checkName(name: unknown, fail: (why: string) => never): asserts name is string {
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
    fail(`name ${JSON.stringify(name)} must match [A-Za-z0-9_.-]{1,128}`);
  }
}

function duplicate(kind: string, name: string, first: string, second: string): never {
  throw new KubezillaError(
    'MODULE_DUPLICATE',
    `${kind} "${name}" is defined twice: in ${first} and in ${second}`,
    `Rename one of them (${basename(second)} was loaded last).`,
  );
}

/** Inputs get the default string bound (compileInputSchema); output schemas are compiled as written. */
function compile(schema: unknown, what: string, fail: (why: string) => never, compiler: (schema: never) => ValidateFunction = compileSchema): ValidateFunction {
  try {
    return compiler(schema as never);
  } catch (err) {
    return fail(`${what} schema does not compile: ${(err as Error).message}`);
  }
}
