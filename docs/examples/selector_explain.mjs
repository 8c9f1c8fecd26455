// A worked example of a Kubezilla tool module (see docs/tool-modules.md).
// Load it with:  kubezilla-mcp serve --tools-dir docs/examples
//
// It explains a Kubernetes label selector in words, so a model can check a selector before it
// uses one in list_resources. It needs no cluster, so it declares openWorld: false.
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from 'kubezilla-mcp/contract';

const REQUIREMENT = /^\s*(!?)([A-Za-z0-9./_-]+)\s*(?:(==?|!=)\s*([A-Za-z0-9._-]*)|\s+(in|notin)\s+\(([^)]*)\))?\s*$/;

export default defineTool({
  name: 'selector_explain',
  title: 'Explain a label selector',
  description:
    'Explains a Kubernetes label selector (the `-l` argument of kubectl) requirement by requirement, ' +
    'or says exactly which part is malformed. Use it to check a selector before passing it to ' +
    'list_resources. Example: {"selector": "app=web,tier in (frontend,edge),!canary"}.',
  safety: 'read',
  openWorld: false,
  input: Type.Object(
    { selector: Type.String({ minLength: 1, description: 'A label selector, for example "app=web,tier!=db".' }) },
    { additionalProperties: false },
  ),
  async run({ selector }) {
    const lines = selector.split(/,(?![^(]*\))/).map((part, index) => {
      const m = REQUIREMENT.exec(part);
      if (!m) throw new ToolError(`requirement ${index + 1} ("${part.trim()}") is not valid selector syntax`,
        'Use key=value, key!=value, key in (a,b), key notin (a,b), key or !key.');
      const [, not, key, op, value, setOp, set] = m;
      if (setOp) return `${key} is ${setOp === 'in' ? 'one of' : 'none of'}: ${set.split(',').map((v) => v.trim()).join(', ')}`;
      if (op) return `${key} ${op === '!=' ? 'is not' : 'equals'} "${value}"`;
      return not ? `has no label ${key}` : `has a label ${key}`;
    });
    return `Matches objects whose labels satisfy all of:\n${lines.map((l) => `- ${l}`).join('\n')}`;
  },
});
