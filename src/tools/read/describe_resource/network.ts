/** describe_resource for Services (ready and not-ready endpoints) and Ingresses (each backend's health). */
import type { ClusterHandle } from '../../../providers/cluster/handle.js';
import { namespaceSegment, objectNameSegment } from '../../../providers/cluster/discovery.js';
import { fields, indent } from './format.js';
import { table } from '../../common/format.js';
import type { KObject } from '../../common/workloads.js';
import type { Lines } from './header.js';

interface Slice {
  addressType?: string;
  ports?: Array<{ name?: string; port?: number; protocol?: string }>;
  endpoints?: Array<{
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    targetRef?: { kind?: string; name?: string };
  }>;
}

export async function describeService(handle: ClusterHandle, svc: KObject, signal: AbortSignal): Promise<Lines> {
  const spec = svc.spec ?? {};
  const ns = svc.metadata.namespace ?? '';
  const ports = ((spec.ports ?? []) as Array<{ name?: string; port: number; targetPort?: number | string; nodePort?: number; protocol?: string }>).map(
    (p) => `${p.name ? `${p.name} ` : ''}${p.port}/${p.protocol ?? 'TCP'} → ${p.targetPort ?? p.port}${p.nodePort ? ` (node port ${p.nodePort})` : ''}`,
  );
  const ingress = ((svc.status?.loadBalancer?.ingress ?? []) as Array<{ ip?: string; hostname?: string }>).map((i) => i.ip ?? i.hostname).filter(Boolean);
  const selector = Object.entries(spec.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const lines: Lines = fields([
    ['Type', spec.type ?? 'ClusterIP'],
    ['Cluster IPs', (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).join(', ')],
    ['External name', spec.externalName],
    ['External IPs', (spec.externalIPs ?? []).join(', ')],
    ['Load balancer', spec.type === 'LoadBalancer' ? ingress.join(', ') || '<pending>' : undefined],
    ['Ports', ports.join(', ') || '<none>'],
    ['Selector', selector || '<none> (endpoints are managed by hand)'],
    ['Session affinity', spec.sessionAffinity && spec.sessionAffinity !== 'None' ? spec.sessionAffinity : undefined],
    ['Traffic policy', spec.externalTrafficPolicy ? `external ${spec.externalTrafficPolicy}, internal ${spec.internalTrafficPolicy ?? 'Cluster'}` : undefined],
  ]);
  if (spec.type === 'ExternalName') return lines;
  const endpoints = await serviceEndpoints(handle, ns, svc.metadata.name, signal);
  if ('error' in endpoints) {
    lines.push(`Endpoints: unknown (${endpoints.error})`);
    return lines;
  }
  const { ready, notReady } = endpoints;
  const cap = (list: string[]) => (list.length > 20 ? [...list.slice(0, 20), `… and ${list.length - 20} more`] : list);
  if (!ready.length && !notReady.length) {
    lines.push(
      `Endpoints: <none>${selector ? ` — no ready pod matches the selector ${selector} (check the pods' labels and readiness; list_resources pods with labelSelector "${selector}")` : ''}`,
    );
  } else {
    lines.push(`Endpoints: ${ready.length} ready, ${notReady.length} not ready`);
    if (ready.length) lines.push('  Ready:', ...cap(ready).map((t) => `    ${t}`));
    if (notReady.length) lines.push('  Not ready:', ...cap(notReady).map((t) => `    ${t}`));
  }
  return lines;
}

/** A Service's endpoint addresses (address:ports (pod/name)), ready and not, from its EndpointSlices. */
async function serviceEndpoints(
  handle: ClusterHandle,
  ns: string,
  service: string,
  signal: AbortSignal,
): Promise<{ ready: string[]; notReady: string[] } | { error: string }> {
  let slices: Slice[];
  try {
    const res = await handle.request(`/apis/discovery.k8s.io/v1/namespaces/${namespaceSegment(ns)}/endpointslices`, {
      query: { labelSelector: `kubernetes.io/service-name=${service}` },
      signal,
    });
    slices = res.json<{ items: Slice[] }>().items ?? [];
  } catch (err) {
    return { error: handle.describeError(err, { verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace: ns }).message };
  }
  const ready: string[] = [];
  const notReady: string[] = [];
  for (const s of slices) {
    const portText = (s.ports ?? []).map((p) => p.port).filter((p) => p !== undefined);
    for (const e of s.endpoints ?? []) {
      for (const a of e.addresses) {
        const text = `${a}${portText.length ? `:${portText.join(',')}` : ''}${e.targetRef?.name ? ` (${e.targetRef.kind?.toLowerCase() ?? 'pod'}/${e.targetRef.name})` : ''}`;
        (e.conditions?.ready === false ? notReady : ready).push(text);
      }
    }
  }
  return { ready, notReady };
}

// Ingresses: each rule's backend with whether its Service exists and has ready endpoints, the
// usual answer to "the ingress returns 503".

interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
  resource?: { kind?: string; name?: string };
}

export async function describeIngress(handle: ClusterHandle, ing: KObject, signal: AbortSignal): Promise<Lines> {
  const spec = ing.spec ?? {};
  const ns = ing.metadata.namespace ?? '';
  const address = ((ing.status?.loadBalancer?.ingress ?? []) as Array<{ ip?: string; hostname?: string }>).map((i) => i.ip ?? i.hostname).filter(Boolean);
  const health = new Map<string, Promise<string>>();
  const backendText = (backend: IngressBackend): Promise<string> => {
    if (!backend.service) return Promise.resolve(`${backend.resource?.kind ?? 'resource'}/${backend.resource?.name ?? '?'}`);
    const { name, port } = backend.service;
    const target = `${name}:${port?.number ?? port?.name ?? '?'}`;
    if (!health.has(name)) health.set(name, serviceHealth(handle, ns, name, signal));
    return health.get(name)!.then((h) => `${target} (${h})`);
  };
  const rules = (spec.rules ?? []) as Array<{ host?: string; http?: { paths?: Array<{ path?: string; pathType?: string; backend: IngressBackend }> } }>;
  const rows = await Promise.all(
    rules.flatMap((rule) => {
      const paths = rule.http?.paths ?? [];
      if (!paths.length) return [Promise.resolve([rule.host ?? '*', '', '(the default backend)'])];
      return paths.map(async (p) => [rule.host ?? '*', p.path ?? '/', await backendText(p.backend)]);
    }),
  );
  const lines: Lines = fields([
    ['Ingress class', spec.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'] ?? '<none>'],
    ['Address', address.join(', ') || '<pending>'],
    ['Default backend', spec.defaultBackend ? await backendText(spec.defaultBackend) : undefined],
  ]);
  const tls = (spec.tls ?? []) as Array<{ hosts?: string[]; secretName?: string }>;
  if (tls.length) lines.push('TLS:', ...tls.map((t) => `  ${t.secretName ?? '<no secret>'} terminates ${(t.hosts ?? []).join(', ') || '<all hosts>'}`));
  lines.push(...(rows.length ? ['Rules:', ...indent(table(['HOST', 'PATH', 'BACKEND'], rows))] : ['Rules: <none> (everything goes to the default backend)']));
  return lines;
}

/** "3 ready endpoints", "no ready endpoints", or why the Service cannot serve. */
async function serviceHealth(handle: ClusterHandle, ns: string, name: string, signal: AbortSignal): Promise<string> {
  try {
    await handle.request(`/api/v1/namespaces/${namespaceSegment(ns)}/services/${objectNameSegment(name)}`, { signal });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return `service "${name}" not found`;
    return handle.describeError(err, { verb: 'get', resource: 'services', name, namespace: ns }).message;
  }
  const endpoints = await serviceEndpoints(handle, ns, name, signal);
  if ('error' in endpoints) return `endpoints unknown: ${endpoints.error}`;
  return endpoints.ready.length ? `${endpoints.ready.length} ready endpoint${endpoints.ready.length === 1 ? '' : 's'}` : 'no ready endpoints';
}
