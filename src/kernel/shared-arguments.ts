/**
 * Arguments that several tools share (`context`, `namespace`, `confirm`, the Helm flags, …) are
 * explained once, in the server instructions, instead of once per tool in tools/list.
 *
 * Why: a model reads the whole tools/list on every turn, and the same sentence about `context`
 * repeated in seventeen schemas was a tenth of ours. The instructions arrive once, at initialize,
 * and clients put them beside the tool list, so the model still reads every sentence, just once.
 *
 * Tool authors do not opt in: a module describes every argument as usual (the registry-wide tests
 * insist on it), and an argument whose name *and* description recur in two or more tools is
 * hoisted automatically. A tool that gives the same name its own meaning keeps its own text in its
 * schema, where it overrides the shared one. A name with two different recurring texts is not
 * hoisted at all, because one line in the instructions could not say which applies where.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

type Property = { description?: string } & Record<string, unknown>;

export class SharedArguments {
  /** Argument name → the description it has in every tool that shares it. */
  readonly descriptions: ReadonlyMap<string, string>;
  /** The paragraph for the server instructions, one line per shared argument; '' when none. */
  readonly guide: string;

  /** Computed from every registered tool, not only the enabled ones, so the text never changes at run time. */
  constructor(tools: readonly Tool[]) {
    const uses = new Map<string, Map<string, number>>();
    for (const tool of tools) {
      for (const [name, property] of Object.entries(propertiesOf(tool))) {
        if (!property.description) continue;
        const texts = uses.get(name) ?? new Map<string, number>();
        texts.set(property.description, (texts.get(property.description) ?? 0) + 1);
        uses.set(name, texts);
      }
    }
    const hoisted: Array<{ name: string; description: string; count: number }> = [];
    for (const [name, texts] of uses) {
      const recurring = [...texts].filter(([, count]) => count > 1);
      if (recurring.length === 1) hoisted.push({ name, description: recurring[0]![0], count: recurring[0]![1] });
    }
    // The most shared first (`context`, `namespace`), so the guide reads from the general to the particular.
    // Argument names are ASCII identifiers: code-point order is theirs, and unlike localeCompare it
    // does not start ICU's collator (5 ms of every start).
    hoisted.sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.descriptions = new Map(hoisted.map(({ name, description }) => [name, description]));
    this.guide = hoisted.length
      ? ['Arguments several tools share mean the same in each:', ...hoisted.map(({ name, description }) => `- \`${name}\`: ${description}`)].join('\n')
      : '';
  }

  /** The tools/list entry without the descriptions the instructions already give. */
  strip(tool: Tool): Tool {
    const properties = propertiesOf(tool);
    if (!Object.entries(properties).some(([name, property]) => this.#isShared(name, property))) return tool;
    const stripped = Object.fromEntries(
      Object.entries(properties).map(([name, property]) => {
        if (!this.#isShared(name, property)) return [name, property];
        const { description: _shared, ...rest } = property;
        return [name, rest];
      }),
    );
    return { ...tool, inputSchema: { ...tool.inputSchema, properties: stripped } };
  }

  #isShared(name: string, property: Property): boolean {
    return property.description !== undefined && this.descriptions.get(name) === property.description;
  }
}

function propertiesOf(tool: Tool): Record<string, Property> {
  return (tool.inputSchema.properties ?? {}) as Record<string, Property>;
}
