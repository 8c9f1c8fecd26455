/**
 * Reaching the files of a PersistentVolumeClaim, for pvc_browse, pvc_download and pvc_upload: the
 * way `kubectl cp` does it, commands (find, stat, tar) run by exec in a container that mounts it.
 *
 * `planClaimAccess` only reads: it finds a running pod that already mounts the claim (read-write
 * when the tool writes, never through a subPath, which would show only part of it), or plans a
 * short-lived helper pod, so the person's question can say which. A helper mounts the claim as its
 * working directory (commands then use relative paths), is pinned to the node of a pod already
 * using a ReadWriteOnce claim (another node could never attach it, and the helper would hang
 * Pending), ends itself after ACTIVE_DEADLINE_S if it were ever left behind, and `withClaimAccess`
 * removes it afterwards whatever happened, cancellation included. A ReadWriteOncePod claim in use
 * cannot be mounted by anything else: that is explained instead.
 */
import { posix } from 'node:path';
import { ToolError, type Providers, type ToolContext } from '../../kernel/contract.js';
import type { ClusterHandle } from '../../providers/cluster/handle.js';
import { resourcePath } from '../../providers/cluster/discovery.js';
import { getObject } from './objects.js';
import { execInContainer, OutputBuffer, type ExecEnd } from './pod-exec.js';
import { isRunning, podStatus } from './pods.js';
import { listObjects, POD_KIND, PVC_KIND, type KObject } from './workloads.js';

const HELPER_MOUNT = '/pvc';
/** A helper left behind (the server killed mid-call) stops itself after this long. */
const ACTIVE_DEADLINE_S = 900;
const HELPER_START_MS = 60_000;
/** Removal runs after the call may have been cancelled, so it has a deadline of its own. */
const REMOVE_TIMEOUT_MS = 15_000;
export const HELPER_LABEL = 'kubezilla.dev/pvc-helper';

interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
}
interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  subPathExpr?: string;
}

export interface ClaimPlan {
  namespace: string;
  claim: string;
  /** In every answer: "PersistentVolumeClaim data (namespace shop, context prod)". */
  what: string;
  /** In the question: "pod web-0 (container app, where it is mounted at /data)" or the helper. */
  via: string;
  existing?: { pod: string; container: string; mountPath: string };
  helper?: { image: string; node?: string; readOnly: boolean };
}

export interface ClaimAccess {
  pod: string;
  container: string;
  /** The claim's root as commands see it: its mount path, or `.` in the helper (its working directory). */
  root: string;
}

export async function planClaimAccess(
  handle: ClusterHandle,
  o: { namespace: string; claim: string; write: boolean; image: string; signal: AbortSignal },
): Promise<ClaimPlan> {
  const pvc = await getObject<KObject>(handle, PVC_KIND, o.namespace, o.claim, o.signal);
  const where = `namespace ${o.namespace}, context ${handle.context}`;
  const what = `PersistentVolumeClaim ${o.claim} (${where})`;
  const pods = await listObjects(handle, resourcePath(POD_KIND, { namespace: o.namespace }), '', o.signal, { resource: 'pods', namespace: o.namespace });
  const users = pods.filter((p) => {
    const volumes = (p.spec?.volumes ?? []) as Volume[];
    return volumes.some((v) => v.persistentVolumeClaim?.claimName === o.claim) && !['Succeeded', 'Failed'].includes(p.status?.phase ?? '');
  });
  for (const pod of users) {
    if (!isRunning(pod)) continue;
    const volumes = ((pod.spec?.volumes ?? []) as Volume[]).filter((v) => v.persistentVolumeClaim?.claimName === o.claim);
    const running = new Set(
      ((pod.status?.containerStatuses ?? []) as Array<{ name: string; state?: { running?: object } }>).filter((st) => st.state?.running).map((st) => st.name),
    );
    for (const c of (pod.spec?.containers ?? []) as Array<{ name: string; volumeMounts?: Mount[] }>) {
      if (!running.has(c.name)) continue;
      const mount = c.volumeMounts?.find((m) => {
        const volume = volumes.find((v) => v.name === m.name);
        return volume && !m.subPath && !m.subPathExpr && (!o.write || (!m.readOnly && !volume.persistentVolumeClaim!.readOnly));
      });
      if (mount) {
        const name = pod.metadata.name;
        return {
          namespace: o.namespace,
          claim: o.claim,
          what,
          via: `pod ${name} (container ${c.name}, where it is mounted at ${mount.mountPath})`,
          existing: { pod: name, container: c.name, mountPath: mount.mountPath },
        };
      }
    }
  }
  const modes = (pvc.spec?.accessModes ?? []) as string[];
  const names = users.map((p) => `${p.metadata.name} (${podStatus(p)}${p.spec?.nodeName ? ` on node ${p.spec.nodeName}` : ''})`);
  if (modes.includes('ReadWriteOncePod') && users.length) {
    throw new ToolError(
      `PersistentVolumeClaim ${o.claim} (${where}) is ReadWriteOncePod and in use by ${names.join(', ')}: no other pod can mount it, and that one has no running container that mounts it${o.write ? ' read-write' : ''}.`,
      'Wait until that pod runs (then this goes through it), or stop it first if the person agrees.',
    );
  }
  // A ReadWriteOnce volume attaches to one node at a time: a helper elsewhere would wait forever.
  const node = modes.includes('ReadWriteOnce') ? users.find((p) => p.spec?.nodeName)?.spec?.nodeName : undefined;
  const readOnly = !o.write;
  return {
    namespace: o.namespace,
    claim: o.claim,
    what,
    via: `a helper pod (image ${o.image}, mounting it ${readOnly ? 'read-only' : 'read-write'}${node ? ` on node ${node}, where ${names.join(', ')} already has it` : ''}; removed afterwards)`,
    helper: { image: o.image, readOnly, ...(node ? { node } : {}) },
  };
}

/**
 * How each PVC tool starts: the context's handle, the write guard judged before anything is looked
 * up (a read-only context or a protected namespace is refused at once), then the plan.
 */
export async function planClaimForTool(
  ctx: ToolContext & Pick<Providers, 'clusters' | 'settings'>,
  input: { claim: string; namespace?: string; context?: string },
  write: boolean,
): Promise<{ handle: ClusterHandle; plan: ClaimPlan }> {
  const handle = await ctx.clusters.get(input.context);
  const namespace = input.namespace ?? handle.namespace;
  await ctx.guardWrites(handle.context, [namespace]);
  const image = ctx.settings.get().pvc.helperImage;
  return { handle, plan: await planClaimAccess(handle, { namespace, claim: input.claim, write, image, signal: ctx.signal }) };
}

/** Runs `work` with the planned access, then removes a helper pod whatever happened. */
export async function withClaimAccess<T>(handle: ClusterHandle, plan: ClaimPlan, signal: AbortSignal, work: (access: ClaimAccess) => Promise<T>): Promise<T> {
  if (plan.existing) return work({ pod: plan.existing.pod, container: plan.existing.container, root: plan.existing.mountPath });
  const helper = plan.helper!;
  const podsPath = resourcePath(POD_KIND, { namespace: plan.namespace });
  const created = await handle
    .request(podsPath, { method: 'POST', body: helperPod(plan.claim, helper), signal })
    .then((r) => r.json<KObject>())
    .catch((err: unknown) => {
      throw handle.describeError(err, { verb: 'create', resource: 'pods', namespace: plan.namespace });
    });
  const name = created.metadata.name;
  try {
    await waitRunning(handle, plan, name, signal);
    return await work({ pod: name, container: 'pvc', root: '.' });
  } finally {
    await handle
      .request(resourcePath(POD_KIND, { namespace: plan.namespace, name }), {
        method: 'DELETE',
        body: { gracePeriodSeconds: 0 },
        signal: AbortSignal.timeout(REMOVE_TIMEOUT_MS),
      })
      .catch(() => undefined);
  }
}

function helperPod(claim: string, h: NonNullable<ClaimPlan['helper']>): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'kz-pvc-',
      labels: { 'app.kubernetes.io/managed-by': 'kubezilla-mcp', [HELPER_LABEL]: 'true' },
      annotations: { 'kubezilla.dev/claim': claim },
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: ACTIVE_DEADLINE_S,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      ...(h.node ? { nodeName: h.node } : {}),
      containers: [
        {
          name: 'pvc',
          image: h.image,
          command: ['sleep', String(ACTIVE_DEADLINE_S)],
          workingDir: HELPER_MOUNT,
          volumeMounts: [{ name: 'claim', mountPath: HELPER_MOUNT, readOnly: h.readOnly }],
          securityContext: { allowPrivilegeEscalation: false },
        },
      ],
      volumes: [{ name: 'claim', persistentVolumeClaim: { claimName: claim, readOnly: h.readOnly } }],
    },
  };
}

async function waitRunning(handle: ClusterHandle, plan: ClaimPlan, name: string, signal: AbortSignal): Promise<void> {
  const until = Date.now() + HELPER_START_MS;
  let pod: KObject | undefined;
  while (Date.now() < until) {
    signal.throwIfAborted();
    pod = await getObject<KObject>(handle, POD_KIND, plan.namespace, name, signal);
    const phase = pod.status?.phase;
    if (phase === 'Running') return;
    if (phase === 'Failed' || phase === 'Succeeded') break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const conditions = (pod?.status?.conditions ?? []) as Array<{ type: string; status: string; message?: string }>;
  const unscheduled = conditions.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message;
  throw new ToolError(
    `The helper pod ${name} for PersistentVolumeClaim ${plan.claim} (namespace ${plan.namespace}) did not start within ${HELPER_START_MS / 1000}s: ${pod ? podStatus(pod) : 'unknown'}${unscheduled ? ` (${unscheduled})` : ''}. It has been removed.`,
    'Check the claim is bound and its volume can attach (describe_resource pvc/<name>, get_events), and that the helper image (settings: pvc.helperImage) can be pulled.',
  );
}

/**
 * A path inside the claim, as the person wrote it (`/logs/app.log`, `logs`), made relative to its
 * root: `..` and NUL are refused, so no command can leave the volume.
 */
export function claimPath(path: string | undefined, field = 'path'): string {
  const raw = path ?? '';
  if (raw.includes('\0')) throw new ToolError(`${field}: contains a NUL byte.`, 'Pass a path inside the claim, e.g. "/logs/app.log".');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw new ToolError(`${field}: "${raw}" goes outside the claim with "..".`, 'Pass a path from the claim\'s root, e.g. "/logs/app.log".');
  return parts.join('/');
}

/** The path a command gets: the claim's root joined with a relative path from claimPath. */
export function onClaim(access: ClaimAccess, relative: string): string {
  if (!relative) return access.root;
  return access.root === '.' ? `./${relative}` : posix.join(access.root, relative);
}

export interface FileStat {
  type: string;
  size: number;
  mtime: number;
  mode: string;
  name: string;
}

const STAT_FORMAT = '%F|%s|%Y|%a|%n';

function parseStat(line: string): FileStat | undefined {
  const m = /^([^|]+)\|(\d+)\|(\d+)\|([0-7]+)\|(.*)$/s.exec(line);
  return m ? { type: m[1]!, size: Number(m[2]), mtime: Number(m[3]), mode: m[4]!, name: m[5]! } : undefined;
}

/** Runs one command in the access's container; a failure to run is a ToolError naming the command. */
export async function runOnClaim(
  handle: ClusterHandle,
  plan: ClaimPlan,
  access: ClaimAccess,
  command: string[],
  o: { signal: AbortSignal; stdout?: OutputBuffer; stdin?: Uint8Array; timeoutMs?: number },
): Promise<{ end: ExecEnd; stdout: OutputBuffer; stderr: OutputBuffer }> {
  const stdout = o.stdout ?? new OutputBuffer(256 * 1024, 'head');
  const stderr = new OutputBuffer(4096, 'tail');
  const end = await execInContainer(handle, {
    namespace: plan.namespace,
    pod: access.pod,
    container: access.container,
    command,
    ...(o.stdin ? { stdin: o.stdin } : {}),
    signal: o.signal,
    timeoutMs: o.timeoutMs ?? 60_000,
    stdout,
    stderr,
    stopOnOverflow: stdout.keep === 'head',
  });
  if (end.how === 'exited' || end.how === 'overflow') return { end, stdout, stderr };
  const why = end.how === 'failed' ? end.message : end.how === 'closed' ? end.detail : end.how === 'timeout' ? 'it timed out' : 'the call was cancelled';
  throw new ToolError(
    `Could not run ${command[0]} in ${plan.via}: ${why}.`,
    'The container needs sh, find, stat and tar; without them set pvc.helperImage and stop the pod that mounts the claim, or retry.',
  );
}

/** `stat` of one path on the claim; undefined when it does not exist. */
export async function statOnClaim(
  handle: ClusterHandle,
  plan: ClaimPlan,
  access: ClaimAccess,
  path: string,
  signal: AbortSignal,
): Promise<FileStat | undefined> {
  const { end, stdout, stderr } = await runOnClaim(handle, plan, access, ['stat', '-c', STAT_FORMAT, path], { signal });
  if (end.how === 'exited' && end.exitCode === 0) return parseStat(stdout.bytes().toString('utf8').replace(/\n$/, ''));
  const err = stderr.bytes().toString('utf8');
  if (/no such file|can't stat|cannot stat/i.test(err)) return undefined;
  throw new ToolError(`stat ${path} failed in ${plan.via}: ${err.trim() || `exit code ${end.how === 'exited' ? end.exitCode : '?'}`}.`);
}

/** The entries of a directory on the claim (not recursive), or what was left out when there are too many. */
export async function listOnClaim(
  handle: ClusterHandle,
  plan: ClaimPlan,
  access: ClaimAccess,
  dir: string,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ entries: FileStat[]; cut: boolean; errors: string }> {
  const stdout = new OutputBuffer(maxBytes, 'head');
  const { end, stderr } = await runOnClaim(
    handle,
    plan,
    access,
    ['find', dir, '-mindepth', '1', '-maxdepth', '1', '-exec', 'stat', '-c', STAT_FORMAT, '{}', '+'],
    {
      signal,
      stdout,
    },
  );
  const lines = stdout.bytes().toString('utf8').split('\n');
  // A cut output ends mid-line; a name with a newline in it splits into lines that do not parse: both are left out.
  if (end.how === 'overflow') lines.pop();
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const entries = lines
    .map(parseStat)
    .filter((s): s is FileStat => !!s)
    .map((s) => ({ ...s, name: s.name.startsWith(prefix) ? s.name.slice(prefix.length) : s.name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { entries, cut: end.how === 'overflow', errors: stderr.bytes().toString('utf8').trim() };
}
