/** Delays between retries: exponential from `initialMs`, capped at `maxMs`. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** Defaults for every retry loop of the library. @internal */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000 };

/**
 * The one reconnect policy of the library, shared by the event poll, the rejoin and every publisher and
 * viewer: each failure waits twice as long as the one before, from `initialMs` up to `maxMs`, with
 * "equal jitter" (half fixed, half random) so many clients cut off by the same outage do not come back
 * in lockstep; a success resets it. Loops await `sleep(policy.next(), signal)`; owners that retry from
 * a callback use `schedule`, which keeps at most one retry pending. @internal
 */
export class ReconnectPolicy {
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait before the next attempt; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.failures++, 30));
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  /** An attempt succeeded: the next failure waits the shortest delay again. */
  reset(): void {
    this.failures = 0;
  }

  /** Runs `retry` after the next delay, unless a retry is already pending. */
  schedule(retry: () => void): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      retry();
    }, this.next());
  }

  /** Drops the pending retry and resets. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.failures = 0;
  }
}

/** Resolves after `ms`, or at once (with false) when `signal` aborts; never leaves a timer behind. @internal */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const done = (completed: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
