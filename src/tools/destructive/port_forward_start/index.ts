/**
 * port_forward_start: `kubectl port-forward`, held by the server. Listens on 127.0.0.1 (a given
 * local port, or a free one) and carries each connection to the pod's port over the API server's
 * port-forward stream, through the context's SSH tunnel when it has one. The target is a pod, or a
 * Service or workload resolved to a ready pod as kubectl does; when that pod goes away, the next
 * connection goes to a new ready pod. Destructive: it opens a path from this machine into a pod,
 * so the person confirms exactly what is forwarded. The forward stays until port_forward_stop, the
 * idle timeout, or the server's end.
 */
import { Type } from '@sinclair/typebox';
import { defineTool, requireConfirmation } from '../../../kernel/contract.js';
import { LOCAL_ADDRESS } from '../../../providers/cluster/port-forwards.js';
import { ContextArg, NamespaceArg } from '../../common/arguments.js';
import { parsePorts, resolveTarget } from './targets.js';

const DEFAULT_IDLE_S = 1800;

export default defineTool({
  name: 'port_forward_start',
  title: 'Start a port forward',
  description: 'kubectl port-forward on 127.0.0.1, kept by the server until port_forward_stop or idle. Example: {"target":"svc/web","ports":["8080:80"]}',
  safety: 'destructive',
  needs: ['clusters', 'portForwards'],
  input: Type.Object(
    {
      target: Type.String({ minLength: 1, description: 'svc/x, deploy/x, sts/x, pod/x or a pod name.' }),
      ports: Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        maxItems: 10,
        description: '[LOCAL:]REMOTE: "8080", "9000:80", ":80" (free local port), "8080:http"; a Service: its ports.',
      }),
      namespace: NamespaceArg,
      context: ContextArg,
      idleTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 86_400, default: DEFAULT_IDLE_S, description: 'Stop after this long idle.' })),
    },
    { additionalProperties: false },
  ),
  auditTarget: (input) => `${input.target} ${input.ports.join(',')}`,
  async run(input, ctx) {
    const specs = parsePorts(input.ports);
    const handle = await ctx.clusters.get(input.context);
    const namespace = input.namespace ?? handle.namespace;
    const where = `namespace ${namespace}, context ${handle.context}`;
    // A read-only context is refused, and a protected namespace confirmed, before anything else:
    // resolving the target is wasted on a context that may not be forwarded into.
    await ctx.guardWrites(handle.context, [namespace]);
    const resolved = await resolveTarget(handle, input.target, namespace, specs, ctx.signal);
    const idle = input.idleTimeoutSeconds ?? DEFAULT_IDLE_S;
    const pairs = resolved.ports.map((p, i) => {
      const local = p.local === 0 ? `${LOCAL_ADDRESS}:<a free port>` : `${LOCAL_ADDRESS}:${p.local}`;
      return `${local} → ${remoteText(p.remote, resolved.initial.podPorts[i]!)}`;
    });
    await requireConfirmation(
      ctx.confirm,
      `Forward ${pairs.join(', ')} of ${resolved.what} (${where})? Anything on this machine can connect to it until port_forward_stop, ${duration(idle)} without traffic, or the server stops.`,
    );
    const fw = await ctx.portForwards.start(
      {
        handle,
        namespace,
        target: input.target,
        ports: resolved.ports,
        initial: resolved.initial,
        ...(resolved.reresolve ? { reresolve: resolved.reresolve } : {}),
        idleTimeoutMs: idle * 1000,
      },
      ctx.signal,
    );
    return [
      `Forwarding ${fw.id}: ${resolved.what} (${where}).`,
      ...fw.ports.map((p) => `  ${p.url} → ${remoteText(p.remote, p.podPort)}`),
      `Open until port_forward_stop {"id":"${fw.id}"}, ${duration(idle)} without traffic, or the server stops; port_forward_list shows its traffic.`,
    ].join('\n');
  },
});

function remoteText(remote: string, podPort: number): string {
  return remote === String(podPort) ? `port ${podPort}` : `port ${remote} (pod port ${podPort})`;
}

function duration(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}
