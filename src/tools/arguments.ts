/**
 * Argument schemas every cluster tool shares, so `context` and `namespace` read the same way in
 * all eighteen tools and the model learns them once. Shared code lives here in src/tools/,
 * outside read/ and mutate/, which the registry reserves for tool modules.
 */
import { Type } from '@sinclair/typebox';

export const ContextArg = Type.Optional(
  Type.String({
    minLength: 1,
    description: 'Kubeconfig context; default: the current one.',
  }),
);

export const NamespaceArg = Type.Optional(
  Type.String({
    minLength: 1,
    description: "Default: the context's namespace.",
  }),
);

export const AllNamespacesArg = Type.Optional(
  Type.Boolean({ description: 'All namespaces (kubectl -A).' }),
);

export const LabelSelectorArg = Type.Optional(
  Type.String({ description: 'Label selector (kubectl -l), e.g. "app=web,tier!=db".' }),
);

export const FieldSelectorArg = Type.Optional(
  Type.String({ description: 'Field selector, e.g. "status.phase=Running".' }),
);

/** `limit` and `continue` for a paged list, as the API server pages it (kubectl --chunk-size). */
export function pageArgs(defaultLimit: number) {
  return {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `Rows per page (default ${defaultLimit}).` })),
    continue: Type.Optional(Type.String({ minLength: 1, description: 'Token from the previous page.' })),
  };
}
