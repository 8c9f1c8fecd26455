/**
 * Argument schemas every cluster tool shares, so `context` and `namespace` read the same way in
 * all eighteen tools and the model learns them once. Shared code lives here in src/tools/,
 * outside read/ and mutate/, which the registry reserves for tool modules.
 */
import { Type } from '@sinclair/typebox';

export const ContextArg = Type.Optional(
  Type.String({
    minLength: 1,
    description: 'Kubeconfig context to use, as listed by list_contexts. Default: the current context.',
  }),
);

export const NamespaceArg = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 63,
    description: "Namespace. Default: the context's namespace, else \"default\".",
  }),
);

export const AllNamespacesArg = Type.Optional(
  Type.Boolean({ description: 'List across all namespaces (like kubectl -A); `namespace` is then ignored.' }),
);

export const LabelSelectorArg = Type.Optional(
  Type.String({ description: 'Label selector like kubectl -l, for example "app=web,tier!=db".' }),
);

export const FieldSelectorArg = Type.Optional(
  Type.String({ description: 'Field selector like kubectl --field-selector, for example "status.phase=Running".' }),
);
