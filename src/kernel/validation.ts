/**
 * AJV, configured once. Tool inputs are validated here before any handler runs, and the errors
 * are rewritten into sentences a model can act on: the field, the value's problem, what was
 * expected ("`replicas` must be integer (got "three")").
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';

// ajv-formats ships CommonJS with `exports.default`; under NodeNext the function is one level down.
const addFormats = addFormatsModule.default;

const OPTIONS = { allErrors: true, strict: true, useDefaults: true, coerceTypes: false } as const;

function configured<T extends Ajv>(instance: T): T {
  addFormats(instance as unknown as Ajv);
  // TypeBox puts its own `[Kind]` symbols on schemas; AJV ignores symbols but strict mode wants
  // to know the non-standard keywords TypeBox may emit.
  instance.addKeyword('x-kz-example');
  return instance;
}

// Both instances are built on first use: each costs start-up time, and a start that only lists
// tools compiles nothing (the bundle compiles a built-in tool's schema on its first call, and
// settings are checked without AJV unless they are invalid).
let ajv: Ajv | undefined;
// A schema that names the 2020-12 dialect in `$schema` (MCP's default dialect since 2025-11-25)
// is compiled by AJV's 2020-12 build; the draft-07 one would refuse the unknown meta-schema.
// None of the built-in tools needs it.
let ajv2020: Ajv2020 | undefined;

const DIALECT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/**
 * The longest string an argument takes when its schema declares no `maxLength`. Every name, kind,
 * context, selector and pattern a person types fits (Kubernetes names are at most 253
 * characters); the few arguments that carry documents (apply_yaml's `manifest`, Helm `values`)
 * declare their own bound. Without a default, one megabyte in `kind` reached the closest-name
 * search and stalled every session for seconds; the bound is applied when input schemas are
 * compiled, not written into each schema, so tools/list stays as small as it is.
 */
export const DEFAULT_MAX_STRING_LENGTH = 1024;

/**
 * Compiles a tool's input (or a prompt's arguments) schema: `compileSchema` of a copy in which
 * every string without its own `maxLength` gets DEFAULT_MAX_STRING_LENGTH. The published schema
 * is the module's own, unchanged.
 */
export function compileInputSchema<T>(schema: TSchema): ValidateFunction<T> {
  return compileSchema<T>(withStringBounds(schema, DEFAULT_MAX_STRING_LENGTH) as TSchema);
}

/**
 * The bound for an integer argument that declares no `maximum` (and its negative for `minimum`):
 * what Kubernetes' int32 fields and Node's timers take. Past it a count, a limit or a number of
 * seconds means nothing to the cluster, and 1e300 is still an integer to JSON Schema.
 */
export const DEFAULT_INTEGER_BOUND = 2 ** 31 - 1;

/** How deep an argument may nest: tool arguments are flat records, documents travel as text. */
export const MAX_ARGUMENT_DEPTH = 64;

/**
 * A white-space-only string is no value: a blank name would address a collection, or name
 * "undefined" in a message. Strings that must not be empty (minLength ≥ 1) must hold something.
 */
const NOT_BLANK = '\\S';

/** Keywords whose values are data, not subschemas: a `default` or `enum` is never rewritten. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'x-kz-example', 'required']);

/**
 * A copy of `schema` with the kernel's bounds: every string schema without `maxLength` gets
 * `maxLength: max`, one that must not be empty must not be blank either, and every integer
 * without bounds gets ±DEFAULT_INTEGER_BOUND.
 */
export function withStringBounds(schema: unknown, max: number): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withStringBounds(s, max));
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = DATA_KEYWORDS.has(key) ? value : withStringBounds(value, max);
  const type = copy.type;
  const is = (t: string) => type === t || (Array.isArray(type) && type.includes(t));
  if (is('string') && copy.maxLength === undefined) copy.maxLength = max;
  if (
    is('string') &&
    typeof copy.minLength === 'number' &&
    copy.minLength >= 1 &&
    copy.pattern === undefined &&
    copy.enum === undefined &&
    copy.const === undefined
  ) {
    copy.pattern = NOT_BLANK;
  }
  if (is('integer')) {
    if (copy.maximum === undefined && copy.exclusiveMaximum === undefined) copy.maximum = DEFAULT_INTEGER_BOUND;
    if (copy.minimum === undefined && copy.exclusiveMinimum === undefined) copy.minimum = -DEFAULT_INTEGER_BOUND;
  }
  return copy;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What no schema can say about arguments, checked before anything else touches them (copying
 * them for a confirmation token, validating them): nesting deeper than MAX_ARGUMENT_DEPTH (which
 * overflows every recursive walk, the structured clone and AJV included), and text that is not
 * valid Unicode, a lone UTF-16 surrogate, which no API path, label or YAML document can carry
 * (encodeURIComponent throws on it). Iterative, so the check itself has no depth limit. Returns
 * the first problem as a sentence naming the field, or undefined.
 */
export function argumentProblem(args: unknown): string | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: args, path: '', depth: 0 }];
  const field = (path: string) => `\`${path || '(arguments)'}\``;
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const at = value.search(LONE_SURROGATE);
      if (at !== -1) {
        return (
          `${field(path)} contains a lone UTF-16 surrogate (\\u${value.charCodeAt(at).toString(16).toUpperCase()} at character ${at}), ` +
          'which is not valid Unicode text; send the text as valid UTF-8/UTF-16 (every surrogate with its pair)'
        );
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_ARGUMENT_DEPTH) return `${field(path)} nests deeper than ${MAX_ARGUMENT_DEPTH} levels; tool arguments are flat values and short lists`;
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    for (const [key, child] of entries) {
      const childPath = path ? `${path}.${key}` : key;
      if (LONE_SURROGATE.test(key)) return `${field(childPath)} is an argument name with a lone UTF-16 surrogate, which is not valid Unicode text`;
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Compiles a schema or throws AJV's own message (the registry adds the module's file name). */
export function compileSchema<T>(schema: TSchema): ValidateFunction<T> {
  const dialect = (schema as { $schema?: unknown }).$schema;
  if (dialect === DIALECT_2020_12 || dialect === `${DIALECT_2020_12}#`) {
    ajv2020 ??= configured(new Ajv2020(OPTIONS));
    return ajv2020.compile<T>(schema);
  }
  ajv ??= configured(new Ajv(OPTIONS));
  return ajv.compile<T>(schema);
}

export function formatAjvErrors(errors: ErrorObject[] | null | undefined, data?: unknown): string {
  if (!errors?.length) return 'invalid value';
  return errors
    .filter((e) => e.keyword !== 'anyOf' || errors.length === 1)
    .map((e) => describe(e, data))
    .join('; ');
}

/** Each AJV error as the field it names (dotted path) and a sentence saying what is wrong with it. */
export function ajvProblems(errors: ErrorObject[] | null | undefined, data?: unknown): Array<{ field: string; reason: string }> {
  return (errors ?? []).filter((e) => e.keyword !== 'anyOf' || errors!.length === 1).map((e) => ({ field: fieldName(e), reason: describe(e, data) }));
}

function fieldName(e: ErrorObject): string {
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return path ? `${path}.${missing}` : missing;
  }
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return path ? `${path}.${extra}` : extra;
  }
  return path || '(arguments)';
}

function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const part of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function describe(e: ErrorObject, data: unknown): string {
  const field = `\`${fieldName(e)}\``;
  switch (e.keyword) {
    case 'required':
      return `${field} is required`;
    case 'additionalProperties':
      return `${field} is not a known argument`;
    case 'maxLength': {
      // No excerpt of the value: it may be a megabyte, or a manifest with a Secret in it.
      const value = valueAt(data, e.instancePath);
      const length = typeof value === 'string' ? ` is ${value.length} characters long;` : '';
      const limit = (e.params as { limit: number }).limit;
      return `${field}${length} it takes at most ${limit} characters${limit === DEFAULT_MAX_STRING_LENGTH ? ' (Kubernetes names are at most 253)' : ''}`;
    }
    case 'pattern':
      if ((e.params as { pattern: string }).pattern === NOT_BLANK) return `${field} is blank (only white space); give it a value`;
      return `${field} ${e.message}${data === undefined ? '' : ` (got ${JSON.stringify(valueAt(data, e.instancePath))?.slice(0, 60)})`}`;
    default: {
      const got = data === undefined ? '' : ` (got ${JSON.stringify(valueAt(data, e.instancePath))?.slice(0, 60)})`;
      const allowed = e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : '';
      return `${field} ${e.message}${allowed}${got}`;
    }
  }
}
