/**
 * delete_resource: `kubectl delete` of one object (`kind/name`) or of the objects of one kind that
 * match a label selector (at most 50, each named in the question). Every object is first deleted
 * as a server-side dry run, so a refusal (RBAC, admission) comes before the person is asked; then
 * the person confirms exactly what goes (for a Namespace, how many objects of which kinds; for a
 * CRD, how many custom resources), and each object is deleted with its uid as a precondition, so
 * only what was confirmed goes. Afterwards it says what is gone and what is left Terminating, with
 * the finalizers holding it. `all`, several kinds at once and wildcards are refused.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation, ToolError } from '../../../kernel/contract.js';
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import type { ResolvedKind } from '../../../providers/cluster/discovery.js';
import { ContextArg, DryRunArg, GracePeriodArg, KindArg, LabelSelectorArg, NamespaceArg, ObjectNameArg } from '../../common/arguments.js';
import { getObject, qualifiedResource } from '../../common/objects.js';
import { parseObjectRef, refText, resolveObjectRef } from '../../common/refs.js';
import { METADATA_ACCEPT } from '../../common/tables.js';
import { customResources, describeContents, namespaceContents, type Contents } from './contents.js';

/** The most objects one selector delete may take; more is refused, not cut. */
export const MAX_SELECTED = 50;
/** How long to watch the deleted objects disappear before reporting what is still there. */
const SETTLE_MS = 5000;

interface Meta {
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; finalizers?: string[]; deletionTimestamp?: string };
  spec?: { finalizers?: string[] };
}

const PROPAGATIONS = ['Background', 'Foreground', 'Orphan'] as const;
type Propagation = (typeof PROPAGATIONS)[number];

const PROPAGATION_NOTE: Record<Propagation, string> = {
  Background: '',
  Foreground: ' (Foreground: it stays until the objects it owns are deleted)',
  Orphan: ' (Orphan: the objects it owns are kept)',
};

export default defineTool({
  name: 'delete_resource',
  title: 'Delete resources',
  description: `kubectl delete: one object, or up to ${MAX_SELECTED} of a kind by labelSelector; the person confirms what goes. Example: {"name":"deploy/web"}`,
  safety: 'destructive',
  needs: ['clusters'],
  input: Type.Object(
    {
      kind: Type.Optional(KindArg),
      name: Type.Optional(ObjectNameArg),
      labelSelector: LabelSelectorArg,
      namespace: NamespaceArg,
      context: ContextArg,
      propagationPolicy: Type.Optional(
        Type.String({
          enum: [...PROPAGATIONS],
          description: 'Owned objects: deleted after (Background, default), before (Foreground) or kept (Orphan).',
        }),
      ),
      gracePeriodSeconds: GracePeriodArg,
      dryRun: DryRunArg,
    },
    { additionalProperties: false },
  ),
  auditTarget: (input) => input.name ?? `${input.kind ?? '?'} -l ${input.labelSelector ?? ''}`,
  async run(input, ctx) {
    const { kindText, name } = target(input);
    const handle = await ctx.clusters.get(input.context);
    const kind =
      name !== undefined
        ? (await resolveObjectRef(handle, { field: 'name', ref: input.name!, kind: input.kind, kindArgument: true, example: 'deploy/web' }, ctx.signal)).kind
        : await handle.resolveKind(kindText, ctx.signal);
    if (!kind.verbs.includes('delete')) {
      throw new ToolError(
        `${kind.kind} objects cannot be deleted through the API (the server offers no delete for ${qualifiedResource(kind)}).`,
        'Nothing to delete here.',
      );
    }
    const namespace = kind.namespaced ? (input.namespace ?? handle.namespace) : undefined;
    const propagation = (input.propagationPolicy ?? 'Background') as Propagation;
    const where = `${namespace ? `namespace ${namespace}, ` : ''}context ${handle.context}`;
    const ref = (n: string) => refText(kind, n);

    let objects: Meta[];
    if (name !== undefined) {
      objects = [await getObject<Meta>(handle, kind, namespace, name, ctx.signal)];
    } else {
      if (isNamespace(kind) || isCrd(kind)) {
        throw new ToolError(
          `A selector delete of ${qualifiedResource(kind)} is refused: each one takes everything in it with it.`,
          `Delete them one at a time by name, e.g. {"name": "${ref('<name>')}"}, so the person sees what each one holds.`,
        );
      }
      objects = await select(handle, kind, namespace, input.labelSelector!, ctx.signal);
      if (!objects.length) return `No ${qualifiedResource(kind)} match "${input.labelSelector}" (${where}); nothing deleted.`;
    }
    const names = objects.map((o) => ref(o.metadata.name));

    // What goes with it, for the question and the dry run alike.
    let contents: Contents | undefined;
    if (isNamespace(kind)) contents = await namespaceContents(handle, objects[0]!.metadata.name, ctx.signal);
    else if (isCrd(kind)) contents = await customResources(handle, await getObject(handle, kind, undefined, objects[0]!.metadata.name, ctx.signal), ctx.signal);
    const along = contents
      ? isNamespace(kind)
        ? ` and everything in it: ${describeContents(contents)}`
        : ` and all its custom resources: ${describeContents(contents)}`
      : '';

    const send = (obj: Meta, dryRun: boolean) =>
      deleteOne(handle, kind, obj, { namespace, propagation, gracePeriodSeconds: input.gracePeriodSeconds, dryRun, signal: ctx.signal });
    // A server-side dry run of every delete first: RBAC and admission refuse here, before anyone is asked.
    for (const obj of objects) await send(obj, true);
    const what = name !== undefined ? names[0]! : `${objects.length} ${qualifiedResource(kind)} matching "${input.labelSelector}" (${names.join(', ')})`;
    if (input.dryRun) {
      return `Dry run: would delete ${what}${along} (${where})${PROPAGATION_NOTE[propagation]}. The API server accepted it; nothing changed.`;
    }

    await ctx.guardWrites(handle.context, [namespace ?? (isNamespace(kind) ? objects[0]!.metadata.name : undefined)]);
    await requireConfirmation(ctx.confirm, `Delete ${what}${along} (${where})${PROPAGATION_NOTE[propagation]}? This cannot be undone.`);
    const done: string[] = [];
    for (const obj of objects) {
      ctx.signal.throwIfAborted();
      if (await send(obj, false)) done.push(obj.metadata.name);
      await ctx.progress(done.length, objects.length, `deleted ${ref(obj.metadata.name)}`);
    }
    const left = await settle(
      handle,
      kind,
      namespace,
      objects.filter((o) => done.includes(o.metadata.name)),
      ctx.signal,
    );
    const gone = done.filter((n) => !left.some((l) => l.metadata.name === n));
    const lines = [
      `Deleted ${name !== undefined ? names[0] : `${done.length} of ${objects.length} ${qualifiedResource(kind)} matching "${input.labelSelector}"`} (${where}).`,
    ];
    if (gone.length && name === undefined) lines.push(`Gone: ${gone.map(ref).join(', ')}.`);
    const vanished = objects.filter((o) => !done.includes(o.metadata.name));
    if (vanished.length) lines.push(`Already gone before the delete: ${vanished.map((o) => ref(o.metadata.name)).join(', ')}.`);
    for (const obj of left)
      lines.push(stillThere(ref(obj.metadata.name), obj, obj.metadata.uid !== objects.find((o) => o.metadata.name === obj.metadata.name)?.metadata.uid));
    if (contents && isNamespace(kind) && !left.length) lines.push(`Its contents went with it: ${describeContents(contents)}.`);
    return lines.join('\n');
  },
});

/** The kind and the name (none for a selector delete), refusing what kubectl would take as "everything". */
function target(input: { kind?: string | undefined; name?: string | undefined; labelSelector?: string | undefined }): { kindText: string; name?: string } {
  const selector = input.labelSelector?.trim();
  if (input.name !== undefined && input.labelSelector !== undefined) {
    throw new ToolError(
      'Pass either name (one object) or labelSelector (several of one kind), not both.',
      'e.g. {"name": "deploy/web"} or {"kind": "pods", "labelSelector": "app=web"}.',
    );
  }
  if (input.name === undefined && input.labelSelector === undefined) {
    throw new ToolError(
      'Say what to delete: name (kind/name, or with kind) or kind with labelSelector.',
      'e.g. {"name": "deploy/web"} or {"kind": "pods", "labelSelector": "app=web"}.',
    );
  }
  if (input.labelSelector !== undefined && (!selector || /^[*.]$/.test(selector))) {
    throw new ToolError(
      `labelSelector "${input.labelSelector}" would match every object; deleting everything of a kind is refused.`,
      'Give a selector that names what to delete, e.g. "app=web".',
    );
  }
  const written =
    input.name !== undefined
      ? parseObjectRef({ field: 'name', ref: input.name, kind: input.kind, kindArgument: true, example: 'deploy/web' })
      : { kindText: input.kind ?? '' };
  if (!written.kindText)
    throw new ToolError('kind: missing; a selector delete needs the kind of the objects.', 'e.g. {"kind": "pods", "labelSelector": "app=web"}.');
  const kindText = written.kindText.trim();
  if (kindText.toLowerCase() === 'all' || kindText.includes(',') || kindText.includes('*')) {
    throw new ToolError(
      `kind "${kindText}" names several kinds at once; delete_resource deletes objects of one kind.`,
      'Name one kind, e.g. "deploy" or "pods"; list_resources shows what exists.',
    );
  }
  if ('name' in written && written.name !== undefined && /[*?]/.test(written.name)) {
    throw new ToolError(
      `name "${written.name}" is a wildcard; delete_resource deletes objects by their exact name or by labelSelector.`,
      'Name the object, or select objects by label.',
    );
  }
  return 'name' in written ? { kindText, name: written.name } : { kindText };
}

const isNamespace = (kind: ResolvedKind) => kind.group === '' && kind.kind === 'Namespace';
const isCrd = (kind: ResolvedKind) => kind.group === 'apiextensions.k8s.io' && kind.kind === 'CustomResourceDefinition';

/** The objects the selector matches, refused above MAX_SELECTED. */
async function select(handle: ClusterHandle, kind: ResolvedKind, namespace: string | undefined, selector: string, signal: AbortSignal): Promise<Meta[]> {
  let list: { items?: Meta[]; metadata?: { remainingItemCount?: number; continue?: string } };
  try {
    list = (
      await handle.request(handle.pathFor(kind, namespace ? { namespace } : {}), {
        accept: METADATA_ACCEPT,
        query: { labelSelector: selector, limit: MAX_SELECTED + 1 },
        signal,
      })
    ).json();
  } catch (err) {
    throw handle.describeError(err, { verb: 'list', resource: qualifiedResource(kind), ...(namespace ? { namespace } : {}) });
  }
  const items = list.items ?? [];
  if (items.length > MAX_SELECTED) {
    const total = items.length + (list.metadata?.remainingItemCount ?? 0);
    throw new ToolError(
      `labelSelector "${selector}" matches ${list.metadata?.remainingItemCount !== undefined ? total : `more than ${MAX_SELECTED}`} ${qualifiedResource(kind)}${namespace ? ` in namespace ${namespace}` : ''} (context ${handle.context}); one delete_resource call takes at most ${MAX_SELECTED}. Nothing deleted.`,
      'Narrow the selector (add a label, e.g. "app=web,tier=cache"), or delete in smaller groups.',
    );
  }
  return items;
}

/** Sends one DELETE; true when it was accepted, false when the object was already gone (404). */
async function deleteOne(
  handle: ClusterHandle,
  kind: ResolvedKind,
  obj: Meta,
  opts: { namespace: string | undefined; propagation: Propagation; gracePeriodSeconds: number | undefined; dryRun: boolean; signal: AbortSignal },
): Promise<boolean> {
  const name = obj.metadata.name;
  const body = {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    propagationPolicy: opts.propagation,
    ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
    ...(obj.metadata.uid ? { preconditions: { uid: obj.metadata.uid } } : {}),
    // In the body: the API server takes a DELETE's options from its body and ignores the query then.
    ...(opts.dryRun ? { dryRun: ['All'] } : {}),
  };
  try {
    await handle.request(handle.pathFor(kind, { ...(opts.namespace ? { namespace: opts.namespace } : {}), name }), {
      method: 'DELETE',
      body,
      signal: opts.signal,
      ...(opts.dryRun ? { query: { dryRun: 'All' } } : {}),
    });
    return true;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === 404) return false;
    if (code === 409) {
      throw new ToolError(
        `${kind.kind.toLowerCase()}/${name} was replaced by another object of the same name since it was read (its uid changed); it was not deleted.`,
        'Look at it again (get_resource_yaml), then call delete_resource again if it should still go.',
      );
    }
    throw handle.describeError(err, { verb: 'delete', resource: qualifiedResource(kind), name, ...(opts.namespace ? { namespace: opts.namespace } : {}) });
  }
}

/** Waits a few seconds for the deleted objects to go; returns those still there (as read last). */
async function settle(handle: ClusterHandle, kind: ResolvedKind, namespace: string | undefined, objects: Meta[], signal: AbortSignal): Promise<Meta[]> {
  const deadline = Date.now() + SETTLE_MS;
  let left = objects;
  for (;;) {
    const still: Meta[] = [];
    for (const obj of left) {
      try {
        const res = await handle.request(handle.pathFor(kind, { ...(namespace ? { namespace } : {}), name: obj.metadata.name }), { signal });
        still.push(res.json<Meta>());
      } catch (err) {
        if (signal.aborted) throw err;
        if ((err as { code?: number }).code !== 404) still.push(obj);
      }
    }
    left = still;
    if (!left.length || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** One line about an object still present after its delete. */
function stillThere(ref: string, obj: Meta, recreated: boolean): string {
  if (recreated || !obj.metadata.deletionTimestamp) return `${ref} is there again: its controller recreated it (a new object with the same name).`;
  const finalizers = [...(obj.metadata.finalizers ?? []), ...(obj.spec?.finalizers ?? [])];
  if (!finalizers.length) return `${ref} is still Terminating (its grace period is running); it goes on its own.`;
  return `${ref} is Terminating, held by finalizer${finalizers.length === 1 ? '' : 's'} ${finalizers.join(', ')}: it goes when ${finalizers.length === 1 ? 'that controller removes it' : 'their controllers remove them'}. If none will, the finalizers have to be removed by hand.`;
}
