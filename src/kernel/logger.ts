/**
 * The one logger. Lines are JSON on stderr (stdout stays free for CLI output). Every line passes
 * through a scrubber before it is written: registered secrets (the live token, and every token
 * ever loaded in this process) and anything shaped like a Bearer credential or a kz_ token are
 * replaced, so a careless `log.info({ headers })` cannot leak one. The test suite greps the whole
 * log for the token to hold us to that.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const secrets = new Set<string>();
/** Registers a value that must never be written; call it for every token the process learns. */
export function registerSecret(value: string): void {
  if (value.length >= 8) secrets.add(value);
}

const SHAPES: Array<[RegExp, string]> = [
  [/\bkz_[A-Za-z0-9_-]{20,}/g, 'kz_[redacted]'],
  [/(bearer\s+)[^\s",]+/gi, '$1[redacted]'],
];

/**
 * `text` with every occurrence of each value replaced by `marker`. Longest first, so a value that
 * contains another is cut whole rather than leaving its remainder. The one way anything here cuts
 * known values (tokens, Secret data, Helm values) out of a text.
 */
export function cutOut(text: string, values: Iterable<string>, marker: string): string {
  let out = text;
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    if (value && out.includes(value)) out = out.split(value).join(marker);
  }
  return out;
}

/** Removes every registered secret and credential-shaped substring from `text`. */
export function scrub(text: string): string {
  let out = cutOut(text, secrets, '[redacted]');
  for (const [shape, replacement] of SHAPES) out = out.replace(shape, replacement);
  return out;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, bound: Record<string, unknown> = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    const record = { time: new Date().toISOString(), level, msg, ...bound, ...fields };
    write(scrub(JSON.stringify(record, errorReplacer)));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}
