/**
 * get_resource_yaml: one object as YAML, like `kubectl get -o yaml`, without managedFields and the
 * last-applied annotation (unless asked) and with Secret values redacted unless the settings
 * allow revealing them.
 */
import { Type } from '@sinclair/typebox';
import { stringify } from 'yaml';
import { defineTool, ToolError } from '../../kernel/contract.js';
import { ContextArg, NamespaceArg } from '../arguments.js';
import { nearNames, qualifiedResource, resourcePath } from '../kube-paths.js';
import { cleanObject, type KubeObject } from '../redact.js';

export default defineTool({
  name: 'get_resource_yaml',
  title: 'Get a resource as YAML',
  description:
    'One object as YAML (kubectl get -o yaml) without managedFields and the last-applied annotation; Secret values redacted. ' +
    'For a diagnosis with events use describe_resource. Example: {"kind": "deploy", "name": "web", "namespace": "shop"}.',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      kind: Type.String({ minLength: 1, description: 'As typed to kubectl: deploy, configmaps, widgets.example.com.' }),
      name: Type.String({ minLength: 1, description: 'Object name.' }),
      context: ContextArg,
      namespace: NamespaceArg,
      includeManagedFields: Type.Optional(Type.Boolean({ description: 'Keep metadata.managedFields.' })),
      includeLastApplied: Type.Optional(Type.Boolean({ description: 'Keep the last-applied annotation.' })),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const kind = await handle.resolveKind(input.kind, ctx.signal);
    const namespace = kind.namespaced ? (input.namespace ?? handle.namespace) : undefined;
    let obj: KubeObject;
    try {
      obj = (await handle.request(resourcePath(kind, namespace, input.name), { signal: ctx.signal })).json<KubeObject>();
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      const near = await nearNames(handle, kind, namespace, input.name, ctx.signal);
      throw new ToolError(
        `${kind.kind} "${input.name}" not found${namespace ? ` in namespace "${namespace}"` : ''} (context "${handle.context}").${near.length ? ` Similar names: ${near.join(', ')}.` : ''}`,
        `List what exists with list_resources {"kind": "${qualifiedResource(kind)}"${namespace ? `, "namespace": "${namespace}"` : ''}}${kind.namespaced ? ', or try another namespace' : ''}.`,
      );
    }
    const { revealSecrets } = ctx.settings.get().policy;
    const cleaned = cleanObject(obj, {
      keepManagedFields: Boolean(input.includeManagedFields),
      keepLastApplied: Boolean(input.includeLastApplied),
      revealSecrets,
    });
    const notes: string[] = [];
    if (cleaned.redacted) notes.push('# Secret values redacted (keys and decoded sizes shown); the server setting policy.revealSecrets allows showing them.');
    if (cleaned.removed.length) {
      const what = cleaned.removed.map((r) => (r === 'managedFields' ? 'managedFields' : 'the last-applied annotation'));
      const how = cleaned.removed.map((r) => (r === 'managedFields' ? 'includeManagedFields' : 'includeLastApplied'));
      notes.push(`# Omitted ${what.join(' and ')} (pass ${how.join('/')}: true to include).`);
    }
    return `${notes.join('\n')}${notes.length ? '\n' : ''}${stringify(cleaned.object, { lineWidth: 0 })}`;
  },
});
