/**
 * `work`, or the signal's reason (or `abortError()`) if it fires first. The listener goes when either happens: a
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
