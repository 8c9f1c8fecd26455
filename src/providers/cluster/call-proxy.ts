/**
 * The loopback API proxy a subprocess (helm) reaches the cluster through during a tool call.
 *
 * helm talks to the API server itself, so the cluster client's request guard would never see its
 * writes. Instead the kubeconfig a tool call gets for a subprocess points here: a plain-HTTP
 * listener on 127.0.0.1 whose server URL carries a random path prefix only this call knows (a
 * bearer token would not do: client-go does not send one over plain HTTP), and that forwards every
 * request through the context's ClusterHandle inside the call's scope. So every write helm sends
 * is judged exactly like a tool's own (read-only contexts, protected namespaces, previews), and
 * every Secret it reads (a chart template's `lookup`) is known to the call, which keeps those
 * values out of the answer and the audit log. TLS to the real API server, the credentials and the
 * SSH tunnel all stay in this process; the proxy lives as long as the call.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CallRefused } from '../../kernel/contract.js';
import type { CallScope } from '../../kernel/call-scope.js';
import { mayHoldSecrets, rememberSecrets } from './secret-values.js';

let tempRoot: string | undefined;
/** The process's private directory (mode 0700) for the kubeconfigs handed to subprocesses; removed at exit. */
export function privateTempDir(): string {
  if (!tempRoot) {
    tempRoot = mkdtempSync(join(tmpdir(), 'kubezilla-kubeconfig-'));
    const dir = tempRoot;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return tempRoot;
}

/** What the proxy needs of a ClusterHandle: one request, as sent, whatever the status. */
export interface ForwardingTarget {
  forward(
    method: string,
    path: string,
    opts: { accept?: string; contentType?: string; body?: Uint8Array; signal: AbortSignal },
  ): Promise<{ status: number; headers: Record<string, string>; body: ReadableStream<Uint8Array> | undefined }>;
}

/** Larger than any object the API server accepts (etcd's 1.5 MiB limit, with room for YAML). */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export interface CallProxy {
  /** `http://127.0.0.1:<port>/<random prefix>`: the server URL for the subprocess's kubeconfig. */
  server: string;
  close(): Promise<void>;
}

export async function startCallProxy(target: ForwardingTarget, scope: CallScope, callSignal: AbortSignal | undefined): Promise<CallProxy> {
  const prefix = `/${randomBytes(32).toString('base64url')}`;
  const expected = Buffer.from(prefix);
  const authorized = (url: string) => {
    const given = Buffer.from(url.slice(0, prefix.length));
    return given.length === expected.length && timingSafeEqual(given, expected) && (url.length === prefix.length || '/?'.includes(url[prefix.length]!));
  };
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!authorized(url)) {
      sendStatus(res, 401, 'Unauthorized', 'this proxy serves one Kubezilla tool call only');
      return;
    }
    void forwardOne(target, scope, callSignal, url.slice(prefix.length) || '/', req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server: `http://127.0.0.1:${port}${prefix}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts the call's proxy for `target` and writes a 0600 kubeconfig (in `dir`) whose only server
 * it is, under the context's own name; both go when the call ends.
 */
export async function proxyKubeconfig(
  target: ForwardingTarget,
  call: CallScope,
  where: { context: string; namespace: string; dir: string; signal: AbortSignal | undefined },
): Promise<string> {
  const proxy = await startCallProxy(target, call, where.signal);
  const path = join(where.dir, `call-${randomBytes(12).toString('hex')}.yaml`);
  call.defer(async () => {
    rmSync(path, { force: true });
    await proxy.close();
  });
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kubezilla-call', cluster: { server: proxy.server } }],
    users: [{ name: 'kubezilla-call', user: {} }],
    contexts: [{ name: where.context, context: { cluster: 'kubezilla-call', user: 'kubezilla-call', namespace: where.namespace } }],
    'current-context': where.context,
  };
  writeFileSync(path, stringify(config), { mode: 0o600, flag: 'wx' });
  return path;
}

async function forwardOne(
  target: ForwardingTarget,
  scope: CallScope,
  callSignal: AbortSignal | undefined,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
) {
  // The subprocess hanging up (helm killed on cancellation) ends the upstream request too.
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  const signal = callSignal ? AbortSignal.any([gone.signal, callSignal]) : gone.signal;
  try {
    // Bodies pass as bytes: client-go sends typed objects (helm's release records) as protobuf.
    const body = await readBody(req);
    const pathname = path.split('?')[0]!;
    const watching = /[?&]watch=(true|1)/.test(path);
    const secrets = !watching && mayHoldSecrets(pathname);
    // Secrets are asked for as JSON (client-go decodes either), so the call can read their values.
    const accept = secrets ? 'application/json' : req.headers.accept;
    const upstream = await scope.run(() =>
      target.forward(req.method ?? 'GET', path, {
        ...(accept ? { accept } : {}),
        ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
        ...(body.length ? { body } : {}),
        signal,
      }),
    );
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'warning', 'audit-id']) if (upstream.headers[name]) headers[name] = upstream.headers[name]!;
    if (!upstream.body) {
      res.writeHead(upstream.status, headers).end();
    } else if (secrets) {
      // Read whole, so the call learns the values before the subprocess can print them.
      const text = await new Response(upstream.body).text();
      await scope.run(async () => rememberSecrets(pathname, text));
      res.writeHead(upstream.status, headers).end(text);
    } else {
      res.writeHead(upstream.status, headers);
      for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) {
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    }
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof CallRefused) sendStatus(res, 403, 'Forbidden', `refused by Kubezilla: ${err.message}`);
    else if (err instanceof RangeError) sendStatus(res, 413, 'RequestEntityTooLarge', err.message);
    else sendStatus(res, 502, 'ServiceUnavailable', `Kubezilla could not reach the API server: ${(err as Error)?.message ?? String(err)}`);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new RangeError(`request body larger than ${MAX_REQUEST_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A Kubernetes Status object, so helm reports the reason as it would the API server's own. */
function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  res
    .writeHead(code, { 'content-type': 'application/json' })
    .end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}
