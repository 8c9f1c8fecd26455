/**
 * The built-in tools by name, as the registry loads them (every provider taken as present), for
 * tests that follow the registry rather than a list of their own: the settings page's destructive
 * tools, tools/list with a class off. tests/tools/registry-wide.test.ts holds the lists by name.
 */
import type { SafetyClass } from '../../src/kernel/contract.js';
import { loadRegistry } from '../../src/kernel/registry.js';

const modules = [...(await loadRegistry(() => true, [])).tools.values()].map(({ module }) => module);

/** The names of the built-in tools whose safety class `matches`, sorted. */
export function builtInToolNames(matches: (safety: SafetyClass) => boolean): string[] {
  return modules
    .filter((m) => matches(m.safety))
    .map((m) => m.name)
    .sort();
}
