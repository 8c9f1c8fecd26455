/**
 * Long synchronous loops over model-influenced data (scanning 20,000 log lines per container with
 * a filter) pause for the event loop at least every SLICE_MS, so other sessions, cancellation and
 * the settings page keep being served. A stream's already-buffered chunks resolve as microtasks,
 * which never let I/O in: only a macrotask (setImmediate) does.
 */
const SLICE_MS = 20;

export interface TimeSlicer {
  /** True when the current slice has used its time; then `await pause()`. */
  due(): boolean;
  /** Lets the event loop run, then starts a new slice. */
  pause(): Promise<void>;
}

/** `now` is the clock slices are measured on (tests move their own). */
export function timeSlicer(sliceMs = SLICE_MS, now: () => number = () => performance.now()): TimeSlicer {
  let started = now();
  return {
    due: () => now() - started >= sliceMs,
    pause: async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      started = now();
    },
  };
}
