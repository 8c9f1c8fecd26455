/**
 * One command in a container, through the pod's `exec` subresource over WebSocket: the channel
 * protocol kubectl speaks. Each message is a channel byte and then data: 0 stdin, 1 stdout,
 * 2 stderr, 3 the Status that ends the command (its exit code). `v5.channel.k8s.io` adds 255,
 * "this channel is closed", which is how the end of stdin reaches the process; with v4 (API
 * servers before 1.30 that still take WebSocket exec) stdin cannot be ended, so it is refused there.
 *
 * The caller bounds everything: a deadline for the whole command, the call's cancellation, and
 * output buffers that keep either the end of the output (what a person reads) or its start up to
 * a cap (a file, where more is an error).
 *
 * Closing an exec stream does not end the process: container runtimes keep it running (kubectl
 * has the same problem). So the command runs under `sh`, which reports its PID on stderr and then
 * becomes the command (`exec "$@"`, so argv reaches it untouched and the PID stays the same); a
 * timeout or cancellation then sends it SIGTERM, and SIGKILL two seconds later, through a second
 * exec. A container without a shell runs the argv directly, and the answer says it could not be
 * signalled.
 */
import type { WebSocket } from 'ws';
import type { ClusterHandle } from '../../providers/cluster/handle.js';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
/** stdin goes out in pieces of this size, each sent before the next, so a big upload keeps memory flat. */
const STDIN_CHUNK = 64 * 1024;
/** After we close, how long the server gets to answer the close before the socket is dropped. */
const CLOSE_GRACE_MS = 2000;
/** The first line the shell wrapper writes to stderr: this, then its PID. */
const PID_MARK = 'kz-exec-pid ';
const WRAPPER = `printf '${PID_MARK}%s\\n' "$$" >&2; exec "$@"`;
/** What the signalling exec may take, after the call itself has ended. */
const SIGNAL_TIMEOUT_MS = 10_000;

/** What a command wrote to one stream: the last (`tail`) or first (`head`) `limit` bytes, and the total. */
export class OutputBuffer {
  total = 0;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(
    readonly limit: number,
    readonly keep: 'tail' | 'head',
  ) {}

  get overflowed(): boolean {
    return this.total > this.limit;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.keep === 'head') {
      if (this.#size >= this.limit) return;
      const part = chunk.subarray(0, this.limit - this.#size);
      this.#chunks.push(part);
      this.#size += part.length;
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    // Whole chunks are dropped from the front while the rest still covers the limit.
    while (this.#chunks.length > 1 && this.#size - this.#chunks[0]!.length >= this.limit) this.#size -= this.#chunks.shift()!.length;
  }

  bytes(): Buffer {
    const all = Buffer.concat(this.#chunks);
    return this.keep === 'tail' ? all.subarray(Math.max(0, all.length - this.limit)) : all;
  }
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: readonly string[];
  stdin?: Uint8Array;
  /** The tool call's cancellation. */
  signal: AbortSignal;
  /** For the whole command, from the upgrade to its status. */
  timeoutMs: number;
  stdout: OutputBuffer;
  stderr: OutputBuffer;
  /** A `head` buffer that passes its limit ends the command (a file bigger than allowed). */
  stopOnOverflow?: boolean;
}

export type ExecEnd = (
  | { how: 'exited'; exitCode: number }
  /** The command did not run, or its end carried no exit code: the API server's or runtime's message. */
  | { how: 'failed'; message: string }
  | { how: 'timeout' | 'cancelled' | 'overflow' }
  /** The stream closed with no status (the connection or the API server went away). */
  | { how: 'closed'; detail: string }
) & {
  /** After a timeout or cancellation: whether the command was sent SIGTERM (false: the container has no shell to find it with). */
  signalled?: boolean;
};

interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

/** The exit code in an exec's closing Status: a real kubelet's NonZeroExitCode cause, or KWOK's "…: exit status N" text. */
export function exitCodeOf(status: ExecStatus): number | undefined {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  if (status.reason === 'NonZeroExitCode' && cause !== undefined && /^\d+$/.test(cause)) return Number(cause);
  const text = /exit status (\d+)\s*$/.exec(status.message ?? '');
  return text ? Number(text[1]) : undefined;
}

export function execPath(req: Pick<ExecRequest, 'namespace' | 'pod' | 'container' | 'command' | 'stdin'>): string {
  const query = new URLSearchParams();
  for (const arg of req.command) query.append('command', arg);
  query.set('container', req.container);
  query.set('stdout', 'true');
  query.set('stderr', 'true');
  if (req.stdin) query.set('stdin', 'true');
  return `/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/${encodeURIComponent(req.pod)}/exec?${query}`;
}

/**
 * Runs the command and resolves with how it ended. A refused upgrade (403, no such pod or
 * container, a pod not running) throws the handle's explained ToolError before anything runs.
 */
export async function execInContainer(handle: ClusterHandle, req: ExecRequest): Promise<ExecEnd> {
  let pid: string | undefined;
  const end = await runOnce(handle, req, ['sh', '-c', WRAPPER, 'kz-exec', ...req.command], (p) => {
    pid = p;
  });
  if (pid === undefined && end.how === 'failed' && /\bsh\b/.test(end.message) && !req.signal.aborted) {
    // No shell in the image (distroless): the wrapper never started, so nothing ran; run the argv as it is.
    return { ...(await runOnce(handle, req, req.command)), ...(req.signal.aborted ? { signalled: false } : {}) };
  }
  if (end.how !== 'timeout' && end.how !== 'cancelled' && end.how !== 'overflow') return end;
  if (pid === undefined) return { ...end, signalled: false };
  const kill = `kill -TERM "$1" 2>/dev/null || exit 0; sleep 2; kill -KILL "$1" 2>/dev/null; exit 0`;
  const quiet = () => new OutputBuffer(1024, 'tail');
  const signalled = await runOnce(
    handle,
    {
      ...req,
      stdin: undefined,
      signal: AbortSignal.timeout(SIGNAL_TIMEOUT_MS),
      timeoutMs: SIGNAL_TIMEOUT_MS,
      stdout: quiet(),
      stderr: quiet(),
      stopOnOverflow: false,
    },
    ['sh', '-c', kill, 'kz-exec', pid],
  ).then(
    (e) => e.how === 'exited',
    () => false,
  );
  return { ...end, signalled };
}

/** One exec stream; `onPid` gets the wrapper's PID line, which is kept out of stderr. */
async function runOnce(handle: ClusterHandle, req: ExecRequest, command: readonly string[], onPid?: (pid: string) => void): Promise<ExecEnd> {
  const started = Date.now();
  const path = execPath({ ...req, command });
  // The upgrade has the context's request timeout, like any request (a hung API server is named as
  // such, not after the command's whole timeout); the command's own timeout counts from here.
  const socket = await handle.openWebSocket(path, { protocols: EXEC_PROTOCOLS, signal: req.signal });
  return new Promise<ExecEnd>((resolve) => {
    let end: ExecEnd | undefined;
    // Until the wrapper's first stderr line is complete, stderr is held here.
    let pidLine: Buffer | undefined = onPid ? Buffer.alloc(0) : undefined;
    const finish = (how: 'timeout' | 'cancelled' | 'overflow') => {
      if (end) return;
      end = { how };
      closeSocket(socket);
    };
    const onAbort = () => finish('cancelled');
    const timer = setTimeout(() => finish('timeout'), Math.max(0, req.timeoutMs - (Date.now() - started)));
    req.signal.addEventListener('abort', onAbort, { once: true });
    if (req.signal.aborted) onAbort();
    const stderr = (chunk: Buffer) => {
      if (!pidLine) return req.stderr.push(chunk);
      pidLine = Buffer.concat([pidLine, chunk]);
      const nl = pidLine.indexOf(0x0a);
      if (nl < 0 && pidLine.length < 64) return; // the rest of the line is still coming
      const held = pidLine;
      pidLine = undefined;
      const pid = nl < 0 ? undefined : new RegExp(`^${PID_MARK}(\\d+)$`).exec(held.subarray(0, nl).toString('latin1'))?.[1];
      if (pid === undefined) return req.stderr.push(held); // not the wrapper's line: the command's own stderr
      onPid!(pid);
      if (held.length > nl + 1) req.stderr.push(held.subarray(nl + 1));
    };

    // Binary frames arrive as one Buffer each (ws's default binaryType, fragments joined).
    socket.on('message', (frame: Buffer) => {
      if (end || frame.length < 1) return;
      const payload = frame.subarray(1);
      switch (frame[0]) {
        case STDOUT:
          req.stdout.push(payload);
          if (req.stopOnOverflow && req.stdout.overflowed) finish('overflow');
          break;
        case STDERR:
          stderr(payload);
          break;
        case STATUS: {
          let status: ExecStatus;
          try {
            status = JSON.parse(payload.toString('utf8')) as ExecStatus;
          } catch {
            status = { status: 'Failure', message: payload.toString('utf8').slice(0, 2000) };
          }
          const exitCode = exitCodeOf(status);
          end = exitCode === undefined ? { how: 'failed', message: status.message || status.reason || 'the command failed' } : { how: 'exited', exitCode };
          closeSocket(socket);
          break;
        }
      }
    });
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      req.signal.removeEventListener('abort', onAbort);
      if (pidLine?.length) req.stderr.push(pidLine);
      resolve(end ?? { how: 'closed', detail: `the stream closed without the command's status (WebSocket ${code}${reason.length ? `: ${reason}` : ''})` });
    });
    if (req.stdin && socket.protocol !== EXEC_PROTOCOLS[0]) {
      // v4 has no way to say stdin ended: a command reading it would wait until the timeout.
      end = {
        how: 'failed',
        message: `the API server speaks ${socket.protocol || 'an old exec protocol'}, which cannot end stdin (v5.channel.k8s.io, Kubernetes 1.30+, can)`,
      };
      closeSocket(socket);
    } else if (req.stdin) {
      sendStdin(socket, req.stdin).catch(() => {
        /* the stream closed first: its end says why */
      });
    }
  });
}

async function sendStdin(socket: WebSocket, data: Uint8Array): Promise<void> {
  const send = (bytes: Uint8Array) => new Promise<void>((resolve, reject) => socket.send(bytes, { binary: true }, (err) => (err ? reject(err) : resolve())));
  for (let at = 0; at < data.length; at += STDIN_CHUNK) {
    const piece = data.subarray(at, at + STDIN_CHUNK);
    const frame = Buffer.allocUnsafe(piece.length + 1);
    frame[0] = STDIN;
    frame.set(piece, 1);
    await send(frame);
  }
  await send(Buffer.from([CLOSE, STDIN]));
}

/** A clean close first (the server ends its side and the command), then dropped if it does not answer. */
function closeSocket(socket: WebSocket): void {
  if (socket.readyState === socket.CLOSED) return;
  socket.close(1000);
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}
