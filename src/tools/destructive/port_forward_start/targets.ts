/**
 * What `kubectl port-forward TARGET [LOCAL:]REMOTE…` reaches: the ports as typed, and the target
 * resolved to one ready pod. A pod (or bare pod name) is itself; a workload (`deploy/web`, `sts/db`,
 * …) is its oldest ready pod; a Service is the oldest ready pod its selector picks, and a remote
 * port names one of the Service's ports (by number or name) whose targetPort, when it is a name, is
 * looked up in that pod's container ports. A Service or workload can be resolved again later, when
 * its pod goes away.
 */
import { ToolError } from '../../../kernel/contract.js';
import { resourcePath, type ResolvedKind } from '../../../providers/cluster/discovery.js';
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import type { ForwardPort, ResolvedTarget } from '../../../providers/cluster/port-forwards.js';
import { getObject } from '../../common/objects.js';
import { isWorkload, kindId, refText, resolveObjectRef, WORKLOAD_REF_HELP } from '../../common/refs.js';
import { isRunning } from '../../common/pods.js';
import { listObjects, POD_KIND, podsOfWorkload, selectorString, type KObject } from '../../common/workloads.js';

/** `8080`, `9000:80`, `:80` / `0:80` (a free local port), `8080:http` (a named port). */
const PORT_SPEC = /^(?:([0-9]{0,5}):)?([0-9]{1,5}|[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?)$/;

export interface PortSpec {
  /** Undefined: the same number as the remote port (kubectl's `8080`); 0: a free one. */
  local: number | undefined;
  remote: string;
}

export function parsePorts(specs: readonly string[]): PortSpec[] {
  return specs.map((text) => {
    const m = PORT_SPEC.exec(text.trim());
    const local = m?.[1] === undefined ? undefined : m[1] === '' ? 0 : Number(m[1]);
    const remote = m?.[2];
    const remoteNumber = remote !== undefined && /^[0-9]+$/.test(remote) ? Number(remote) : undefined;
    if (!m || !remote || (local !== undefined && local > 65535) || (remoteNumber !== undefined && (remoteNumber < 1 || remoteNumber > 65535))) {
      throw new ToolError(
        `ports: "${text}" is not [LOCAL:]REMOTE.`,
        'Write each as kubectl does: "8080" (local 8080 to remote 8080), "9000:80", ":80" (a free local port), "8080:http" (a named port).',
      );
    }
    return { local, remote };
  });
}

export interface Resolved {
  /** `svc/web → pod web-7d9f-abcde` for messages. */
  what: string;
  initial: ResolvedTarget;
  ports: ForwardPort[];
  /** For a Service or workload: find a ready pod again. */
  reresolve?: (signal: AbortSignal) => Promise<ResolvedTarget>;
}

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
}

export async function resolveTarget(handle: ClusterHandle, ref: string, namespace: string, specs: PortSpec[], signal: AbortSignal): Promise<Resolved> {
  const { kind, name } = await resolveObjectRef(handle, { field: 'target', ref, bareKind: 'pod', example: 'svc/web' }, signal);
  const isService = kindId(kind) === '/Service';
  if (!isService && !isWorkload(kind, 'pods')) {
    throw new ToolError(`Cannot forward to a ${kind.kind} ("${ref}").`, `Name a Service (svc/web) or ${WORKLOAD_REF_HELP}.`);
  }
  const label = refText(kind, name);
  const find = (sig: AbortSignal) =>
    isService ? serviceTarget(handle, kind, namespace, name, specs, sig) : workloadTarget(handle, kind, namespace, name, specs, sig);
  const first = await find(signal);
  const ports = specs.map((s, i) => {
    // kubectl: a port given alone listens on the same number locally: the Service port for a
    // Service, the pod port for a pod (a named port: the number it names).
    const same = /^[0-9]+$/.test(s.remote) ? Number(s.remote) : first.podPorts[i]!;
    return { local: s.local ?? same, remote: s.remote };
  });
  return {
    what: kindId(kind) === '/Pod' ? `pod ${name}` : `${label} → pod ${first.pod}`,
    initial: first,
    ports,
    ...(kindId(kind) === '/Pod' ? {} : { reresolve: find }),
  };
}

async function workloadTarget(handle: ClusterHandle, kind: ResolvedKind, namespace: string, name: string, specs: PortSpec[], signal: AbortSignal) {
  const object = await getObject<KObject>(handle, kind, namespace, name, signal);
  const workload = await podsOfWorkload(handle, kind, object, signal);
  const label = refText(kind, name);
  const pod = kindId(kind) === '/Pod' ? object : readyPod(workload.pods, label);
  if (kindId(kind) === '/Pod' && !isRunning(pod)) {
    throw new ToolError(
      `pod ${name} is ${pod.metadata.deletionTimestamp ? 'being deleted' : (pod.status?.phase ?? 'not running')}, so there is nothing to forward to.`,
      'Forward to a running pod, or to its workload or Service.',
    );
  }
  return { pod: pod.metadata.name, podPorts: specs.map((s) => podPort(pod, s.remote, label)) };
}

async function serviceTarget(handle: ClusterHandle, kind: ResolvedKind, namespace: string, name: string, specs: PortSpec[], signal: AbortSignal) {
  const svc = await getObject<KObject>(handle, kind, namespace, name, signal);
  const selector = selectorString({ matchLabels: svc.spec?.selector ?? {} });
  if (!selector) {
    throw new ToolError(
      `service/${name} has no selector (its endpoints are kept by hand), so no pod can be picked for it.`,
      'Forward to one of its pods instead (target pod/<name>).',
    );
  }
  const pods = await listObjects(handle, resourcePath(POD_KIND, { namespace }), selector, signal, { resource: 'pods', namespace });
  const label = `service/${name} (selector ${selector})`;
  const pod = readyPod(pods, label);
  const servicePorts: ServicePort[] = svc.spec?.ports ?? [];
  const podPorts = specs.map((s) => {
    const sp = servicePorts.find((p) => (/^[0-9]+$/.test(s.remote) ? p.port === Number(s.remote) : p.name === s.remote));
    if (!sp) {
      const known = servicePorts.map((p) => (p.name ? `${p.port} (${p.name})` : String(p.port))).join(', ');
      throw new ToolError(
        `service/${name} has no port ${s.remote}; its ports: ${known || 'none'}.`,
        'Name one of the Service ports (by number or name), as kubectl port-forward svc/… does.',
      );
    }
    const target = sp.targetPort ?? sp.port;
    return typeof target === 'number'
      ? target
      : /^[0-9]+$/.test(target)
        ? Number(target)
        : podPort(pod, target, `pod ${pod.metadata.name} (targetPort of service/${name} port ${sp.port})`);
  });
  return { pod: pod.metadata.name, podPorts };
}

function isReady(pod: KObject): boolean {
  return isRunning(pod) && (pod.status?.conditions ?? []).some((c: { type?: string; status?: string }) => c.type === 'Ready' && c.status === 'True');
}

/** As kubectl picks: a ready pod, the one ready longest (the oldest), so repeated calls pick the same. */
function readyPod(pods: KObject[], label: string): KObject {
  const ready = pods
    .filter(isReady)
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  const pod = ready[0];
  if (!pod) {
    throw new ToolError(
      `${label} has no ready pod to forward to (${pods.length ? `${pods.length} pod${pods.length === 1 ? '' : 's'}, none Ready` : 'no pods'}).`,
      'Check its pods with list_resources and get_events, and try again once one is Ready.',
    );
  }
  return pod;
}

/** A pod port by number (taken as it is, as kubectl does) or by a container port's name. */
function podPort(pod: KObject, remote: string, label: string): number {
  if (/^[0-9]+$/.test(remote)) return Number(remote);
  const named: Array<{ name?: string; containerPort: number }> = (pod.spec?.containers ?? []).flatMap((c: { ports?: unknown[] }) => c.ports ?? []);
  const hit = named.find((p) => p.name === remote);
  if (!hit) {
    const known = named.filter((p) => p.name).map((p) => `${p.name} (${p.containerPort})`);
    throw new ToolError(
      `${label}: pod ${pod.metadata.name} has no container port named "${remote}"; named ports: ${known.join(', ') || 'none'}.`,
      'Use a port number, or one of the names listed.',
    );
  }
  return hit.containerPort;
}
