/**
 * The port forwards this server keeps open (`kubectl port-forward`, held by the server instead of
 * a terminal): local listeners on 127.0.0.1, each accepted connection carried to a pod's port over
 * its own WebSocket, with counters, an idle timeout, and re-resolution to a new ready pod when the
 * pod of a Service or workload goes away. Built on first use; close() (the server stopping) ends
 * every forward, so no listener outlives the process that owns it.
 *
 * The wire is the API server's WebSocket port-forward protocol (`v4.channel.k8s.io`, the one
 * @kubernetes/client-node speaks; the API server proxies it to the kubelet): one socket per
 * connection to `…/pods/<pod>/portforward?ports=<port>`, binary frames whose first byte is the
 * channel (0 data, 1 error for the one port asked), and the first frame on each channel starts
 * with the port number (2 bytes, little-endian), which is not payload.
 *
 * ```ts
 * const fw = await portForwards.start({ handle, namespace, target: 'svc/web', ports, initial, reresolve, idleTimeoutMs }, signal);
 * portForwards.list()  // → ForwardSnapshot[]
 * portForwards.stop('pf-1a2b3c') / portForwards.stopAll()
 * ```
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { currentCaller } from '../../kernel/caller.js';
import { ToolError } from '../../kernel/contract.js';
import type { Logger } from '../../kernel/logger.js';
import type { ClusterHandle } from './handle.js';

declare module '../../kernel/contract.js' {
  interface Providers {
    portForwards: PortForwardRegistry;
  }
}

export const PORT_FORWARD_PROTOCOLS = ['v4.channel.k8s.io'] as const;
const DATA = 0;
const ERROR = 1;
/** Pause the local socket while this much is waiting to go to the API server. */
const HIGH_WATER = 1024 * 1024;
/** A pod checked this recently is taken as still there (a browser opens several connections at once). */
const RECHECK_MS = 1000;
const MAX_NOTES = 8;
/** Ended forwards kept for the list, so a forward that ended on its own (idle) says why. */
const MAX_ENDED = 5;
export const LOCAL_ADDRESS = '127.0.0.1';

/**
 * Listeners and their connections run outside the tool call that started them: the call ended
 * long before a connection arrives, and its scope (its deadline, its answers) must not follow
 * them. Captured at load, when no call is running. The person's yes to the forward covers its
 * later connections, as kubectl's one command does.
 */
const outsideAnyCall = AsyncLocalStorage.snapshot();

/** One `[LOCAL:]REMOTE` pair as asked: local 0 means a free port. */
export interface ForwardPort {
  local: number;
  /** As asked: a number, or a port name (`http`). */
  remote: string;
}

/** A pod and, per requested port, the pod's port number it reaches. */
export interface ResolvedTarget {
  pod: string;
  podPorts: number[];
}

export interface ForwardRequest {
  handle: ClusterHandle;
  namespace: string;
  /** As the person named it: `svc/web`, `deploy/api`, `pod/db-0`. */
  target: string;
  ports: ForwardPort[];
  initial: ResolvedTarget;
  /** Finds a ready pod again; absent when a pod was named, so there is no other pod to go to. */
  reresolve?: (signal: AbortSignal) => Promise<ResolvedTarget>;
  idleTimeoutMs: number;
}

export interface ForwardSnapshot {
  id: string;
  context: string;
  namespace: string;
  target: string;
  pod: string;
  ports: Array<{ local: string; url: string; remote: string; podPort: number }>;
  connections: number;
  active: number;
  bytesIn: number;
  bytesOut: number;
  since: string;
  idleSeconds: number;
  idleTimeoutSeconds: number;
  reconnects: number;
  failures: number;
  notes: string[];
  /** Why and when it ended; only on the ones `ended()` returns. */
  ended?: string;
  /** Team mode: the person whose forward it is (it reaches the pod with their rights). */
  person?: string;
}

interface Forward {
  id: string;
  req: ForwardRequest;
  target: ResolvedTarget;
  servers: Server[];
  localPorts: number[];
  sockets: Set<Socket>;
  streams: Set<WebSocket>;
  abort: AbortController;
  since: number;
  lastActivity: number;
  connections: number;
  bytesIn: number;
  bytesOut: number;
  reconnects: number;
  failures: number;
  notes: string[];
  checkedAt: number;
  checking: Promise<ResolvedTarget> | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class PortForwardRegistry {
  readonly #forwards = new Map<string, Forward>();
  readonly #ended: ForwardSnapshot[] = [];
  #closed = false;
  readonly #log: Logger | undefined;
  readonly #now: () => number;

  constructor(opts: { logger?: Logger; clock?: () => number } = {}) {
    this.#log = opts.logger;
    this.#now = opts.clock ?? Date.now;
  }

  /**
   * Checks that the API server lets this user forward to the pod (one WebSocket opened and closed
   * within the caller's call, so a 403 is explained there), then listens on every local port. If
   * one port cannot be bound, none is kept.
   */
  async start(req: ForwardRequest, signal: AbortSignal): Promise<ForwardSnapshot> {
    const probe = await req.handle.openWebSocket(podPortPath(req.namespace, req.initial.pod, req.initial.podPorts[0]!), {
      protocols: PORT_FORWARD_PROTOCOLS,
      signal,
    });
    probe.close();
    let id: string;
    do id = `pf-${randomBytes(3).toString('hex')}`;
    while (this.#forwards.has(id));
    const fw: Forward = {
      id,
      req,
      target: req.initial,
      servers: [],
      localPorts: [],
      sockets: new Set(),
      streams: new Set(),
      abort: new AbortController(),
      since: this.#now(),
      lastActivity: this.#now(),
      connections: 0,
      bytesIn: 0,
      bytesOut: 0,
      reconnects: 0,
      failures: 0,
      notes: [],
      checkedAt: this.#now(),
      checking: undefined,
      timer: undefined,
    };
    try {
      for (const [index, port] of req.ports.entries()) {
        const server = await outsideAnyCall(() => this.#listen(fw, index, port.local));
        fw.servers.push(server);
        fw.localPorts.push((server.address() as { port: number }).port);
      }
      // The server began stopping while this call was listening: nothing may outlive it.
      if (this.#closed) throw new ToolError('The server is stopping; nothing was forwarded.');
    } catch (err) {
      for (const s of fw.servers) s.close();
      throw err;
    }
    this.#forwards.set(fw.id, fw);
    fw.timer = outsideAnyCall(() => setInterval(() => this.#checkIdle(fw), Math.min(30_000, Math.max(1000, req.idleTimeoutMs / 5))));
    fw.timer.unref();
    this.#log?.info('port forward started', { id: fw.id, context: req.handle.context, namespace: req.namespace, target: req.target, ports: fw.localPorts });
    return this.#snapshot(fw);
  }

  /**
   * In team mode a person sees and stops their own forwards only; the server itself (the settings
   * page, a policy change) sees them all.
   */
  #visible(person: string | undefined): boolean {
    const caller = currentCaller();
    return !caller || caller.name === person;
  }

  list(): ForwardSnapshot[] {
    return [...this.#forwards.values()].filter((fw) => this.#visible(fw.req.handle.person?.acting.user)).map((fw) => this.#snapshot(fw));
  }

  get(id: string): ForwardSnapshot | undefined {
    const fw = this.#forwards.get(id);
    return fw && this.#visible(fw.req.handle.person?.acting.user) ? this.#snapshot(fw) : undefined;
  }

  /** Forwards that ended lately (stopped, idle, the server's end), newest first, with why. */
  ended(): ForwardSnapshot[] {
    return this.#ended.filter((snapshot) => this.#visible(snapshot.person));
  }

  /** Closes the forward's listeners and connections; its ports are free once this resolves. */
  async stop(id: string, why = 'stopped'): Promise<ForwardSnapshot | undefined> {
    const fw = this.#forwards.get(id);
    if (!fw || !this.#visible(fw.req.handle.person?.acting.user)) return undefined;
    this.#forwards.delete(id);
    clearInterval(fw.timer);
    fw.abort.abort(new Error(`port forward ${id} ${why}`));
    for (const ws of fw.streams) ws.terminate();
    for (const s of fw.sockets) s.destroy();
    await Promise.all(fw.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.#log?.info('port forward stopped', { id, why });
    const last = { ...this.#snapshot(fw), ended: `${why} at ${new Date(this.#now()).toISOString().slice(11, 19)}` };
    this.#ended.unshift(last);
    this.#ended.splice(MAX_ENDED);
    return last;
  }

  async stopAll(why = 'stopped'): Promise<ForwardSnapshot[]> {
    const stopped = await Promise.all(this.list().map(({ id }) => this.stop(id, why)));
    return stopped.filter((s): s is ForwardSnapshot => Boolean(s));
  }

  /** The server is stopping: every listener goes with it. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.stopAll('ended: the server stopped');
  }

  #listen(fw: Forward, index: number, port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const server = createServer({ pauseOnConnect: true }, (socket) => void this.#connection(fw, index, socket));
      server.once('error', (err: NodeJS.ErrnoException) => {
        const address = `${LOCAL_ADDRESS}:${port}`;
        reject(
          err.code === 'EADDRINUSE'
            ? new ToolError(`Local port ${address} is already in use; nothing was forwarded.`, 'Pick another local port, or 0 (":80") for a free one.')
            : err.code === 'EACCES'
              ? new ToolError(
                  `Not allowed to listen on ${address} (ports below 1024 need privileges); nothing was forwarded.`,
                  'Pick a local port above 1023, or 0 for a free one.',
                )
              : new ToolError(`Cannot listen on ${address}: ${err.message}; nothing was forwarded.`, 'Pick another local port, or 0 for a free one.'),
        );
      });
      server.listen({ host: LOCAL_ADDRESS, port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.#note(fw, `listener ${LOCAL_ADDRESS}:${port}: ${err.message}`));
        resolve(server);
      });
    });
  }

  #note(fw: Forward, text: string): void {
    fw.notes.push(`${new Date(this.#now()).toISOString().slice(11, 19)} ${text}`);
    if (fw.notes.length > MAX_NOTES) fw.notes.splice(0, fw.notes.length - MAX_NOTES);
  }

  #checkIdle(fw: Forward): void {
    const idle = this.#now() - fw.lastActivity;
    if (idle >= fw.req.idleTimeoutMs && this.#forwards.get(fw.id) === fw) {
      void this.stop(fw.id, `ended after ${Math.round(idle / 1000)} s without traffic (idle timeout)`);
    }
  }

  /**
   * The pod to reach now. A pod that is gone (deleted, or no longer running) is replaced by a new
   * ready pod of the Service or workload, as a fresh `kubectl port-forward` would pick, and the
   * list says so; a pod named directly has no replacement.
   */
  #currentTarget(fw: Forward, signal: AbortSignal): Promise<ResolvedTarget> {
    if (this.#now() - fw.checkedAt < RECHECK_MS) return Promise.resolve(fw.target);
    fw.checking ??= (async () => {
      const gone = await podGone(fw.req.handle, fw.req.namespace, fw.target.pod, signal);
      if (!gone) return fw.target;
      const old = fw.target.pod;
      if (!fw.req.reresolve) {
        throw new ToolError(`pod ${old} ${gone}.`, 'Stop this forward and start one to another pod (or to its Service or workload, which follows new pods).');
      }
      const next = await fw.req.reresolve(signal);
      fw.target = next;
      fw.reconnects++;
      this.#note(fw, `pod ${old} ${gone}; now forwarding to pod ${next.pod}`);
      return next;
    })().finally(() => {
      fw.checking = undefined;
      fw.checkedAt = this.#now();
    });
    return fw.checking;
  }

  async #connection(fw: Forward, index: number, socket: Socket): Promise<void> {
    fw.connections++;
    fw.lastActivity = this.#now();
    fw.sockets.add(socket);
    const local = `${LOCAL_ADDRESS}:${fw.localPorts[index]}`;
    const ended = new AbortController();
    socket.once('close', () => {
      fw.sockets.delete(socket);
      fw.lastActivity = this.#now();
      ended.abort();
    });
    socket.on('error', () => socket.destroy());
    let ws: WebSocket;
    let podPort = 0;
    try {
      const signal = AbortSignal.any([fw.abort.signal, ended.signal]);
      const open = async () => {
        const target = await this.#currentTarget(fw, signal);
        podPort = target.podPorts[index]!;
        return fw.req.handle.openWebSocket(podPortPath(fw.req.namespace, target.pod, podPort), { protocols: PORT_FORWARD_PROTOCOLS, signal });
      };
      try {
        ws = await open();
      } catch (err) {
        // The pod may have gone since it was last checked: look again now. If it was replaced, this
        // connection goes to the new one; a pod named directly fails with "gone", not the stream's 404.
        const pod = fw.target.pod;
        fw.checkedAt = 0;
        if ((await this.#currentTarget(fw, signal)).pod === pod) throw err;
        ws = await open();
      }
    } catch (err) {
      if (!fw.abort.signal.aborted && !ended.signal.aborted) {
        fw.failures++;
        this.#note(fw, `connection to ${local} refused: ${describe(err)}`);
      }
      socket.destroy();
      return;
    }
    if (socket.destroyed) {
      ws.close();
      return;
    }
    fw.streams.add(ws);
    this.#pipe(fw, socket, ws, `${local} → pod port ${podPort}`);
  }

  /** Bytes both ways until either side closes; an error from the pod's side closes the connection and is noted. */
  #pipe(fw: Forward, socket: Socket, ws: WebSocket, what: string): void {
    const seen = [false, false];
    let failed = false;
    let draining = false;
    ws.on('message', (data: Buffer) => {
      const channel = data[0];
      if (channel !== DATA && channel !== ERROR) return;
      let payload = data.subarray(1);
      if (!seen[channel]) {
        seen[channel] = true;
        payload = payload.subarray(2);
      }
      if (!payload.length) return;
      fw.lastActivity = this.#now();
      if (channel === DATA) {
        fw.bytesIn += payload.length;
        // The local client reads slower than the pod sends: stop reading the stream until it catches up.
        if (!socket.write(payload) && !draining) {
          draining = true;
          ws.pause();
          socket.once('drain', () => {
            draining = false;
            ws.resume();
          });
        }
        return;
      }
      if (!failed) {
        failed = true;
        fw.failures++;
        this.#note(fw, `connection ${what} failed on the pod's side: ${payload.toString('utf8').slice(0, 300)}`);
      }
      // Closed as the pod's side would close it (a FIN, not a reset the client may race with its
      // own write); a client that keeps its half open is cut after a moment.
      socket.end();
      setTimeout(() => socket.destroy(), 2000).unref();
      ws.close();
    });
    ws.on('close', () => {
      fw.streams.delete(ws);
      socket.end();
    });
    ws.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      fw.bytesOut += chunk.length;
      fw.lastActivity = this.#now();
      ws.send(Buffer.concat([Buffer.of(DATA), chunk]), () => {
        if (socket.isPaused() && ws.bufferedAmount < HIGH_WATER / 2) socket.resume();
      });
      if (ws.bufferedAmount > HIGH_WATER) socket.pause();
    });
    // The v4 protocol has no half-close: once the local side is done, the stream is.
    socket.once('end', () => ws.close());
    socket.once('close', () => ws.close());
    socket.resume();
  }

  #snapshot(fw: Forward): ForwardSnapshot {
    const now = this.#now();
    return {
      id: fw.id,
      ...(fw.req.handle.person ? { person: fw.req.handle.person.acting.user } : {}),
      context: fw.req.handle.context,
      namespace: fw.req.namespace,
      target: fw.req.target,
      pod: fw.target.pod,
      ports: fw.req.ports.map((p, i) => {
        const local = `${LOCAL_ADDRESS}:${fw.localPorts[i] ?? p.local}`;
        return { local, url: `http://${local}`, remote: p.remote, podPort: fw.target.podPorts[i]! };
      }),
      connections: fw.connections,
      active: fw.sockets.size,
      bytesIn: fw.bytesIn,
      bytesOut: fw.bytesOut,
      since: new Date(fw.since).toISOString(),
      idleSeconds: Math.floor((now - fw.lastActivity) / 1000),
      idleTimeoutSeconds: Math.round(fw.req.idleTimeoutMs / 1000),
      reconnects: fw.reconnects,
      failures: fw.failures,
      notes: [...fw.notes],
    };
  }
}

export function podPortPath(namespace: string, pod: string, port: number): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward?ports=${port}`;
}

/** Why the pod can no longer be reached (deleted, being deleted, not running), or undefined if it can. */
async function podGone(handle: ClusterHandle, namespace: string, pod: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const res = await handle.request(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}`, { signal });
    const obj = res.json<{ metadata?: { deletionTimestamp?: string }; status?: { phase?: string } }>();
    if (obj.metadata?.deletionTimestamp) return 'is being deleted';
    if (obj.status?.phase !== 'Running') return `is ${obj.status?.phase ?? 'not running'}`;
    return undefined;
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return 'is gone';
    throw err;
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; hint?: string };
  return `${e.message ?? String(err)}${e.hint ? ` ${e.hint}` : ''}`.slice(0, 400);
}
