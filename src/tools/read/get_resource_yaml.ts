/**
 * get_resource_yaml: one object as YAML, like `kubectl get -o yaml`, without managedFields and the
 * last-applied annotation (unless asked) and with Secret values redacted unless the settings
 * allow revealing them.
 */
import { Type } from '@sinclair/typebox';
import { stringify } from 'yaml';
import { defineTool } from '../../kernel/contract.js';
import { ContextArg, KindArg, NamespaceArg, ObjectNameArg } from '../common/arguments.js';
import { getObject } from '../common/objects.js';
import { resolveObjectRef } from '../common/refs.js';
import { cleanObject, type KubeObject } from '../common/redact.js';

export default defineTool({
  name: 'get_resource_yaml',
  title: 'Resource as YAML',
  description: 'One object as YAML (kubectl get -o yaml) without managedFields; Secret values redacted. Example: {"name":"cm/app"}',
  safety: 'read',
  needs: ['clusters', 'settings'],
  input: Type.Object(
    {
      kind: Type.Optional(KindArg),
      name: ObjectNameArg,
      context: ContextArg,
      namespace: NamespaceArg,
      includeManagedFields: Type.Optional(Type.Boolean({ description: 'Keep metadata.managedFields.' })),
      includeLastApplied: Type.Optional(Type.Boolean({ description: 'Keep the last-applied annotation.' })),
    },
    { additionalProperties: false },
  ),
  async run(input, ctx) {
    const handle = await ctx.clusters.get(input.context);
    const { kind, name } = await resolveObjectRef(
      handle,
      { field: 'name', ref: input.name, kind: input.kind, kindArgument: true, example: 'cm/app' },
      ctx.signal,
    );
    const namespace = kind.namespaced ? (input.namespace ?? handle.namespace) : undefined;
    // getObject checks the name (path rules) and that the answer is that object, not a list.
    const obj = await getObject<KubeObject>(handle, kind, namespace, name, ctx.signal);
    const { revealSecrets } = ctx.settings.get().policy;
    const cleaned = cleanObject(obj, {
      keepManagedFields: Boolean(input.includeManagedFields),
      keepLastApplied: Boolean(input.includeLastApplied),
      revealSecrets,
      requestedSecret: kind.kind === 'Secret' && kind.group === '',
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
