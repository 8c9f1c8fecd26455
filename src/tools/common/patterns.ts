/**
 * Regular expressions a model writes (get_pod_logs' `/regex/` filter, list_helm_releases'
 * `filter`) run on RE2 semantics (the re2js package), never on the JavaScript engine: a
 * backtracking pattern such as `(a+)+$` took one core for minutes on a long log line, and since
 * the match runs on the event loop, every session and the settings page stopped answering.
 * RE2 matches in time linear in the input; what it gives up is lookaround and backreferences.
 *
 * Linear is not free, so the cost is bounded on both sides: the compiled program's size (how much
 * work each input character costs) and the characters of one text a match looks at. Long scans
 * also pause for the event loop between slices of work (time-slices.ts).
 */
import { RE2JS } from 're2js';
import { ToolError } from '../../kernel/contract.js';

/** RE2's "program size" above which a pattern is refused as too costly to run per log line. */
export const MAX_PATTERN_PROGRAM_SIZE = 5000;
/** A match looks at most at this many characters of a text (64 Ki, far past what a log line shows). */
export const MAX_MATCHED_CHARS = 64 * 1024;

const FLAG_BITS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL };
/** JavaScript flags that change nothing for a yes/no test: global, sticky, unicode (RE2 is Unicode-aware), indices. */
const IGNORED_FLAGS = new Set(['g', 'y', 'u', 'd']);

export interface PatternOptions {
  /** The argument the pattern came in, for the error message. */
  field: string;
  /** JavaScript-style flags: i, m and s apply; g, y, u and d are accepted and change nothing. */
  flags?: string;
  /** What else the model can do, appended to the error's hint (e.g. match a plain substring). */
  alternative?: string;
}

/** A linear-time `test` for `source`, or a ToolError naming the argument and what RE2 does not accept. */
export function compilePattern(source: string, options: PatternOptions): (text: string) => boolean {
  const { field, flags = '' } = options;
  const rules =
    'Patterns use RE2 syntax, which always runs in linear time: no lookaround ((?=…), (?!…)) and no backreferences (\\1).' +
    (options.alternative ? ` ${options.alternative}` : '');
  let bits = 0;
  for (const flag of flags) {
    if (FLAG_BITS[flag] !== undefined) bits |= FLAG_BITS[flag];
    else if (!IGNORED_FLAGS.has(flag)) {
      throw new ToolError(
        `${field}: unknown regular expression flag "${flag}" in ${JSON.stringify(source)}.`,
        'Use i (ignore case), m (multi-line) or s (dot matches newlines).',
      );
    }
  }
  let pattern: RE2JS;
  try {
    pattern = RE2JS.compile(source, bits);
  } catch (err) {
    throw new ToolError(`${field}: ${JSON.stringify(source)} is not a valid regular expression (${(err as Error).message}).`, rules);
  }
  if (pattern.programSize() > MAX_PATTERN_PROGRAM_SIZE) {
    throw new ToolError(
      `${field}: ${JSON.stringify(source)} is too costly to run (program size ${pattern.programSize()}, at most ${MAX_PATTERN_PROGRAM_SIZE}).`,
      `Use smaller repetition counts or fewer alternatives. ${rules}`,
    );
  }
  return (text) => pattern.test(text.length > MAX_MATCHED_CHARS ? text.slice(0, MAX_MATCHED_CHARS) : text);
}
