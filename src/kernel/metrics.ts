/**
 * Prometheus metrics (prom-client) for a server that runs in a cluster: tool calls, errors and
 * latency per tool, MCP sessions, and the latency of every request the server sends to an API
 * server. One registry per server (not prom-client's global one), so two servers in one process
 * (the tests) never mix their counts, and `collectDefaultMetrics` adds the process's own figures.
 *
 * Labels are bounded on purpose: tool names come from the registry, outcomes from the pipeline's
 * five, contexts from the kubeconfigs, verbs from HTTP and codes as classes (2xx, 4xx, …). Nothing
 * a model types becomes a label, so a model cannot grow the series without end, and no argument,
 * object name or token ever reaches /metrics.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The pipeline's outcomes (MutationRecord['outcome']); `ok` and `dry-run` are the successes. */
export type CallOutcome = 'ok' | 'error' | 'refused' | 'cancelled' | 'dry-run';

/** One request to an API server, as the cluster handle saw it end. */
export interface ClusterRequestObservation {
  context: string;
  /** GET, POST, PATCH, … */
  method: string;
  /** The HTTP status, or 0 when no answer came (timeout, refused connection, cancellation). */
  status: number;
  seconds: number;
}

/** Kubernetes calls last milliseconds to minutes (a drain, a helm install); tool calls too. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class Metrics {
  readonly registry = new Registry();
  readonly #calls: Counter<'tool' | 'outcome'>;
  readonly #errors: Counter<'tool'>;
  readonly #callSeconds: Histogram<'tool'>;
  readonly #initializations: Counter;
  readonly #clusterSeconds: Histogram<'context' | 'verb' | 'code'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kubezilla_' });
    this.#calls = new Counter({
      name: 'kubezilla_tool_calls_total',
      help: 'Tool calls by tool and outcome (ok, dry-run, error, refused, cancelled).',
      labelNames: ['tool', 'outcome'],
      registers: [this.registry],
    });
    this.#errors = new Counter({
      name: 'kubezilla_tool_call_errors_total',
      help: 'Tool calls that did not succeed (error, refused or cancelled), by tool.',
      labelNames: ['tool'],
      registers: [this.registry],
    });
    this.#callSeconds = new Histogram({
      name: 'kubezilla_tool_call_duration_seconds',
      help: 'Time from tools/call to its result, by tool.',
      labelNames: ['tool'],
      buckets: BUCKETS,
      registers: [this.registry],
    });
    this.#initializations = new Counter({
      name: 'kubezilla_mcp_initializations_total',
      help: 'MCP initialize requests served (in stateless mode the one way to count clients connecting).',
      registers: [this.registry],
    });
    this.#clusterSeconds = new Histogram({
      name: 'kubezilla_cluster_request_duration_seconds',
      help: 'Requests to API servers, by context, HTTP verb and status class (none = no answer).',
      labelNames: ['context', 'verb', 'code'],
      buckets: BUCKETS,
      registers: [this.registry],
    });
  }

  /** The open MCP sessions, read when Prometheus scrapes (the listener owns the count). */
  countSessions(open: () => number): void {
    new Gauge({
      name: 'kubezilla_mcp_sessions',
      help: 'MCP sessions open on this replica (always 0 in stateless mode).',
      registers: [this.registry],
      collect() {
        this.set(open());
      },
    });
  }

  toolCall(tool: string, outcome: CallOutcome, seconds: number): void {
    this.#calls.inc({ tool, outcome });
    if (outcome !== 'ok' && outcome !== 'dry-run') this.#errors.inc({ tool });
    this.#callSeconds.observe({ tool }, seconds);
  }

  initialized(): void {
    this.#initializations.inc();
  }

  clusterRequest({ context, method, status, seconds }: ClusterRequestObservation): void {
    const code = status > 0 ? `${Math.floor(status / 100)}xx` : 'none';
    this.#clusterSeconds.observe({ context, verb: method.toUpperCase(), code }, seconds);
  }

  /** The text exposition format Prometheus scrapes. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
