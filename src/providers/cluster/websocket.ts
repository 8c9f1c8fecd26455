/**
 * The WebSocket upgrade behind ClusterHandle.openWebSocket: a pod's exec and port-forward streams.
 * The handle judges the request, opens the tunnel and applies credentials; this opens the socket
 * within the caller's deadline and turns a refused upgrade into the API server's own answer.
 */
import type { ClientOptions, WebSocket } from 'ws';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClientNode } from './handle.js';
import { untilAborted } from './until-aborted.js';

/** How much of a refused upgrade's body is kept: a Status is a few hundred bytes. */
const MAX_REFUSAL_BYTES = 64 * 1024;

export async function upgradeToWebSocket(
  url: URL,
  protocols: readonly string[],
  opts: { kubeConfig: KubeConfig; userAgent: string; signal: AbortSignal; k8s: ClientNode; headers?: Record<string, string | string[]> },
): Promise<WebSocket> {
  const { signal, k8s } = opts;
  // The context's credentials and TLS (CA, client certificate, tls-server-name) as client-node
  // gives them to its own WebSocket streams; token and exec-plugin users get their header.
  const options: ClientOptions & { headers: Record<string, string | string[]> } = { headers: {} };
  await untilAborted(opts.kubeConfig.applyToHTTPSOptions(options as ClientOptions & { headers: Record<string, string> }), signal);
  options.headers['User-Agent'] = opts.userAgent;
  // An impersonating handle's Impersonate-User / Impersonate-Group (a list: one header line each).
  Object.assign(options.headers, opts.headers);
  options.perMessageDeflate = false;
  const target = new URL(url);
  target.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  // Loaded on the first stream, like client-node: most sessions never open one.
  const { WebSocket } = await import('ws');
  return new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(target, [...protocols], options);
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.terminate();
      reject(err);
    };
    const onAbort = () => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // Kept for the socket's life: an 'error' with no listener would throw out of the event loop
    // and stop the server; once open, the caller learns of a failure from 'close'.
    socket.on('error', fail);
    socket.once('unexpected-response', (_req, res) => {
      // The API server refused the upgrade with an ordinary answer (a Status body, a 403 or a
      // 404): keep it, so the refusal is explained like any other request's.
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_REFUSAL_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.once('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        fail(new k8s.ApiException(res.statusCode ?? 0, `HTTP ${res.statusCode}`, body, res.headers as Record<string, string>));
      });
      res.once('error', fail);
    });
    socket.once('open', () => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(socket);
    });
  });
}
