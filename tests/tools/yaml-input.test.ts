/**
 * Model-supplied YAML is measured before it is expanded. Pure (no cluster); apply_yaml's tests
 * send an alias bomb through the real tool.
 */
import { describe, expect, it } from 'vitest';
import { ToolError } from '../../src/kernel/contract.js';
import { MAX_YAML_ALIASES, MAX_YAML_BYTES, MAX_YAML_EXPANDED_BYTES, parseYamlDocuments, yamlToJS } from '../../src/tools/common/yaml-input.js';

const firstAsJS = (text: string) => yamlToJS(parseYamlDocuments(text, { field: 'manifest' })[0]!, { field: 'manifest', what: 'document 1' });
const refusal = (text: string) => {
  try {
    firstAsJS(text);
    return 'accepted';
  } catch (err) {
    expect(err).toBeInstanceOf(ToolError);
    return (err as ToolError).message;
  }
};

describe('bounded YAML', () => {
  it('refuses many aliases of one large scalar before expanding them', () => {
    // About 1 MB of text that would be ~90 MB once every alias is written out.
    const bomb = `data:\n  a: &big ${'x'.repeat(900_000)}\n${Array.from({ length: 100 }, (_, i) => `  k${i}: *big`).join('\n')}\n`;
    expect(refusal(bomb)).toBe(
      `manifest, document 1: the YAML would expand to more than ${MAX_YAML_EXPANDED_BYTES} bytes through its aliases; nothing was used.`,
    );
  });

  it('refuses nested (exponential) aliases and too many aliases', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10)
          .fill(`*${'abcdefghij'[i - 1]}`)
          .join(', ')}]`,
      );
    expect(refusal(levels.join('\n'))).toMatch(/would expand to more than/);
    const many = `a: &a x\nb: [${Array(MAX_YAML_ALIASES + 1)
      .fill('*a')
      .join(', ')}]\n`;
    expect(refusal(many)).toBe(`manifest, document 1: more than ${MAX_YAML_ALIASES} YAML aliases in one document; nothing was used.`);
    expect(refusal('a: &a [1, *a]\n')).toMatch(/the alias \*a refers to a node that contains it/);
  });

  it('keeps ordinary anchors and merge keys working', () => {
    const text = 'base: &base {image: web, replicas: 2}\nweb:\n  <<: *base\n  replicas: 3\nother: *base\n';
    const base = { image: 'web', replicas: 2 };
    expect(firstAsJS(text)).toEqual({ base, web: { '<<': base, replicas: 3 }, other: base });
  });

  it('refuses text over the size limit, or gives no documents to a caller that must not fail', () => {
    const big = `a: ${'x'.repeat(MAX_YAML_BYTES)}`;
    expect(() => parseYamlDocuments(big, { field: 'values' })).toThrow(
      `values is ${MAX_YAML_BYTES + 3} bytes of YAML; at most ${MAX_YAML_BYTES} bytes (1 MiB) are accepted.`,
    );
    expect(parseYamlDocuments(big, { field: 'values', tooLarge: 'none' })).toEqual([]);
  });
});
