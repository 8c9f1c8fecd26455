/**
 * Deadlines and cancellation for cluster requests.
 *
 * untilAborted: `work`, or the signal's reason (or `abortError()`) if it fires first. The listener goes when either happens: a
 * signal from AbortSignal.any is kept alive by the runtime for as long as it has an abort listener,
 * so one left behind per request kept every request's signal, closure and request context (about
 * 3 KB each) for the life of the caller's signal.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, abortError: () => unknown = () => signal.reason): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface Deadline {
  signal: AbortSignal;
  timeoutMs: number;
  /** Stops the timer only, so the caller can still cancel while a body is read or streamed. */
  settle(): void;
  /** What a request failed of: the timeout when it ran out (whatever `err` the abort caused), else `err`. */
  cause(err: unknown): unknown;
}

/**
 * A signal that fires on the caller's abort or after `ms` (0: never). AbortSignal.any holds the
 * caller's signal weakly, so the many requests of one tool call add no listeners to it.
 */
export function deadline(signal: AbortSignal | undefined, ms: number): Deadline {
  const timeout = new AbortController();
  const timer = ms > 0 ? setTimeout(() => timeout.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms) : undefined;
  timer?.unref?.();
  const combined = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
  return {
    signal: combined,
    timeoutMs: ms,
    settle: () => {
      if (timer) clearTimeout(timer);
    },
    cause: (err) => {
      const reason = combined.aborted ? (combined.reason as { name?: string } | undefined) : undefined;
      return reason?.name === 'TimeoutError' ? reason : err;
    },
  };
}
