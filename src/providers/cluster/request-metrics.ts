/**
 * Times every request a context's handle sends to its API server, for /metrics. The handle sends
 * all of them (API clients, raw requests, streams' first answers, helm's proxy) through one
 * IsomorphicFetchHttpLibrary, so the clusters provider gives that handle a client-node whose HTTP
 * library reports each request's end: the context, the verb, the status (0 when none came) and
 * the seconds from sending to the response headers. The handle itself stays as it is.
 */
import type { RequestContext } from '@kubernetes/client-node';
import type { ClusterRequestObservation } from '../../kernel/metrics.js';
import type { ClientNode } from './handle.js';

export type ObserveRequest = (request: ClusterRequestObservation) => void;

/** `k8s` with an HTTP library that tells `observe` about each request made for `context`. */
export function timedClientNode(k8s: ClientNode, context: string, observe: ObserveRequest): ClientNode {
  class TimedHttpLibrary extends k8s.IsomorphicFetchHttpLibrary {
    override send(rc: RequestContext) {
      const started = performance.now();
      const report = (status: number) => {
        try {
          observe({ context, method: rc.getHttpMethod(), status, seconds: (performance.now() - started) / 1000 });
        } catch {
          /* a metric must never fail a request */
        }
      };
      const answered = super
        .send(rc)
        .toPromise()
        .then(
          (res) => {
            report(res.httpStatusCode);
            return res;
          },
          (err: unknown) => {
            report(0);
            throw err;
          },
        );
      return new k8s.Observable(answered);
    }
  }
  return { ...k8s, IsomorphicFetchHttpLibrary: TimedHttpLibrary };
}
