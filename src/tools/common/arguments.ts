/**
 * Argument schemas every cluster tool shares, so `context` and `namespace` read the same way in
 * every tool and the model learns them once: the kernel moves a description that recurs across
 * tools into the server instructions (src/kernel/shared-arguments.ts), so these texts are written
 * to stand alone there. Modules loaded with --tools-dir import them as `kubezilla-mcp/arguments`.
 */
import { Type } from '@sinclair/typebox';

export const ContextArg = Type.Optional(
  Type.String({
    minLength: 1,
    description: 'Kubeconfig context, as list_contexts names it; default: the current one.',
  }),
);

export const NamespaceArg = Type.Optional(
  Type.String({
    minLength: 1,
    description: "Namespace; default: the context's namespace, else default.",
  }),
);

/** A kind as a person types it to kubectl; resolved through discovery (src/providers/cluster/discovery.ts). */
export const KindArg = Type.String({ minLength: 1, description: 'Kind as typed to kubectl: pods, deploy, Deployment, widgets.example.com, …' });

/** One object's name; `deploy/web` carries its kind, so `kind` may be left out. */
export const ObjectNameArg = Type.String({ minLength: 1, description: 'Name, or kind/name (then omit `kind`).' });

export const ReleaseArg = Type.String({ minLength: 1, description: 'Helm release name.' });

/** apply_yaml and the Helm mutations: the API server checks everything and stores nothing. */
export const DryRunArg = Type.Optional(Type.Boolean({ description: 'Server-side dry run: check everything, change nothing.' }));

/** A year: far back enough for any log or event, and a number every timer and API field can hold. */
export const SinceSecondsArg = Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000, description: 'Only the last N seconds.' }));

export const AllNamespacesArg = Type.Optional(Type.Boolean({ description: 'Every namespace (kubectl -A).' }));

export const LabelSelectorArg = Type.Optional(Type.String({ description: 'Label selector as for kubectl -l, e.g. "app=web,tier!=db".' }));

export const FieldSelectorArg = Type.Optional(Type.String({ description: 'As for kubectl --field-selector, e.g. "status.phase=Running".' }));

/**
 * `limit` and `continue` for a paged list, as the API server pages it (kubectl --chunk-size). The
 * default goes in the `default` keyword, not the text, so the text is the same for every list.
 */
export function pageArgs(defaultLimit: number) {
  return {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: defaultLimit, description: 'Rows per page.' })),
    // The API server's token (base64 of a storage key, which a long CRD group and name can take
    // near the kernel's default bound for strings), so it declares a larger bound of its own.
    continue: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'The value a cut list ends with, to get its next page.' })),
  };
}

/** How long pods get to stop: drain_node's evictions, delete_resource's deletes (at most a day). */
export const GracePeriodArg = Type.Optional(
  Type.Integer({ minimum: 0, maximum: 86_400, description: "Seconds pods get to stop (0: at once); default: the pod's own." }),
);

/** The claim the PVC tools work in. */
export const ClaimArg = Type.String({ minLength: 1, maxLength: 253, description: 'PersistentVolumeClaim name.' });
