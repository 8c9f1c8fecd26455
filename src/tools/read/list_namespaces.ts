/**
 * list_namespaces: name, status and age of every namespace (the API server's Table rendering),
 * with a label selector and paging for clusters with very many namespaces.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, ToolError } from '../../kernel/contract.js';
import { ContextArg, LabelSelectorArg, pageArgs } from '../common/arguments.js';
import { isTable, renderTable, TABLE_ACCEPT } from '../common/tables.js';

const DEFAULT_LIMIT = 500;

export default defineTool({
  name: 'list_namespaces',
  title: 'List namespaces',
  description: 'Namespaces with status and age (kubectl get namespaces). Example: {"labelSelector":"team=pay"}',
  safety: 'read',
  needs: ['clusters'],
  input: Type.Object(
    {
      context: ContextArg,
      labelSelector: LabelSelectorArg,
      ...pageArgs(DEFAULT_LIMIT),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    let body: unknown;
    try {
      const res = await handle.request('/api/v1/namespaces', {
        accept: TABLE_ACCEPT,
        signal: ctx.signal,
        query: { limit: input.limit ?? DEFAULT_LIMIT, continue: input.continue, labelSelector: input.labelSelector, includeObject: 'None' },
      });
      body = res.json();
    } catch (err) {
      if ((err as { code?: number }).code === 403 && err instanceof ToolError) {
        throw new ToolError(
          err.message,
          `${err.hint ?? ''} This context's default namespace is "${handle.namespace}"; tools that take a namespace work there without listing namespaces.`.trim(),
        );
      }
      throw err;
    }
    if (!isTable(body)) throw new ToolError(`context "${handle.context}": the API server did not answer the namespace list with a table.`);
    const text = renderTable(body);
    if (!text) return `No namespaces found${input.labelSelector ? ` matching labels "${input.labelSelector}"` : ''} (context "${handle.context}").`;
    const next = body.metadata?.continue;
    if (!next) return text;
    const remaining = body.metadata?.remainingItemCount;
    return `${text}\n\nShowing ${body.rows?.length ?? 0} namespaces${remaining !== undefined ? `; ${remaining} more remain` : '; more remain'}. Next page: call list_namespaces with the same arguments plus "continue": "${next}".`;
  },
});
