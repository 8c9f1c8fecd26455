// kubectl's field paths (custom-columns, wait --for=jsonpath): what they select and what they refuse.
import { describe, expect, it } from 'vitest';
import { ToolError } from '../../src/kernel/contract.js';
import { parseFieldPath, valuesAt, valuesText } from '../../src/tools/common/field-paths.js';

const pod = {
  metadata: { name: 'web-0', labels: { 'app.kubernetes.io/name': 'web', tier: 'front' } },
  spec: {
    containers: [
      { name: 'app', image: 'nginx:1.27' },
      { name: 'side', image: 'busybox' },
    ],
  },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
};
const at = (path: string) => valuesText(valuesAt(pod, parseFieldPath(path, 'columns')));

describe('field paths', () => {
  it('select fields, indexes, every item, and keys with escaped dots', () => {
    expect(at('.metadata.name')).toBe('web-0');
    expect(at('{.spec.containers[1].image}')).toBe('busybox');
    expect(at('.spec.containers[*].image')).toBe('nginx:1.27,busybox');
    expect(at('.metadata.labels.app\\.kubernetes\\.io/name')).toBe('web');
    expect(at('.status.conditions[0]')).toBe('{"type":"Ready","status":"True"}');
    expect(at('.metadata.labels[*]')).toBe('web,front');
  });

  it('show <none> for what is not there, like kubectl', () => {
    expect(at('.spec.nodeName')).toBe('<none>');
    expect(at('.spec.containers[5].image')).toBe('<none>');
    expect(at('.metadata.name.deeper')).toBe('<none>');
  });

  it('refuse what is not a path, naming the argument', () => {
    for (const [bad, why] of [
      ['metadata.name', 'it must start with "."'],
      ['.spec..x', 'a "." with no field name after it'],
      ['.spec.containers[?(@.name=="app")]', 'is neither an index nor [*]'],
      ['.spec.containers[0', 'a "[" without "]"'],
      ['.a b', '"a b" is not a field name'],
    ] as const) {
      const err = (() => {
        try {
          parseFieldPath(bad, 'columns');
        } catch (e) {
          return e as ToolError;
        }
        throw new Error(`accepted ${bad}`);
      })();
      expect(err).toBeInstanceOf(ToolError);
      expect(err.message).toContain(`columns: "${bad}" is not a field path`);
      expect(err.message).toContain(why);
    }
    expect(() => parseFieldPath(`.${'a'.repeat(600)}`, 'for')).toThrow(/longer than 512 characters/);
  });
});
