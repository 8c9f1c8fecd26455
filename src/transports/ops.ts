/**
 * What a cluster asks of a running server besides MCP: `/healthz` (the process answers: the
 * kubelet's liveness probe), `/readyz` (it can take MCP requests now: the readiness probe, and
 * what a Service uses to pick replicas) and Prometheus's `/metrics`.
 *
 * /healthz and /readyz are served on the MCP listener itself, before the Host/Origin check and the
 * bearer token: the kubelet probes the pod's IP with no token, and both answers say nothing but
 * "ok" or which check failed (a file path or a state, never a credential). /metrics is served on
 * its own listener (`--metrics-port`), never on the MCP port: tool names, contexts and call
 * counts are an inventory a client of the MCP endpoint (or the Ingress in front of it) has no
 * business reading, and a separate port lets the chart's NetworkPolicy admit only the
 * monitoring namespace to it.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type Koa from 'koa';
import type { Logger } from '../kernel/logger.js';
import type { Metrics } from '../kernel/metrics.js';
import { bracketed } from './guards.js';
import { listenOn } from './http-listen.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const METRICS_PATH = '/metrics';

/** Why the server cannot take MCP requests now; empty when it can. */
export type ReadinessCheck = () => string[];

/** Koa middleware answering GET/HEAD /healthz and /readyz; every other request passes on. */
export function healthChecks(notReady: ReadinessCheck = () => []): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.path !== HEALTH_PATH && ctx.path !== READY_PATH) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, HEAD');
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    const problems = ctx.path === READY_PATH ? notReady() : [];
    ctx.status = problems.length ? 503 : 200;
    ctx.body = problems.length ? { status: 'not ready', problems } : { status: 'ok' };
  };
}

/** The /metrics listener: GET /metrics in Prometheus's text format, 404 for anything else. */
export class MetricsListener {
  #http: HttpServer | undefined;
  /** Where it listens, once started. */
  url: string | undefined;

  constructor(
    private readonly metrics: Pick<Metrics, 'text'>,
    private readonly log: Logger,
  ) {}

  async start(bind: string, port: number): Promise<string> {
    const http = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://metrics').pathname;
      if (path !== METRICS_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(path === METRICS_PATH ? 405 : 404, { 'content-type': 'text/plain' }).end(`Only GET ${METRICS_PATH} is served here.\n`);
        return;
      }
      this.metrics.text().then(
        ({ contentType, body }) =>
          res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
        (err: unknown) => {
          this.log.warn('metrics could not be collected', { error: err });
          res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics could not be collected; see the server log.\n');
        },
      );
    });
    const actual = await listenOn(http, bind, port, { name: 'metrics listener', portFlag: '--metrics-port' });
    this.#http = http;
    const url = `http://${bracketed(bind)}:${actual}${METRICS_PATH}`;
    this.url = url;
    this.log.info('metrics listening', { url });
    return url;
  }

  async stop(): Promise<void> {
    const http = this.#http;
    this.#http = undefined;
    this.url = undefined;
    if (!http) return;
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  }
}
