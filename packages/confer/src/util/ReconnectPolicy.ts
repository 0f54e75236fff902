import type { Reachability } from '../api/Reachability.js';

/** Delays between retries: exponential from `initialMs`, capped at `maxMs`. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** A backoff and the reachability watch that shortens it while the server is out of reach and ends it when the server is back. @internal */
export interface RetryOptions extends BackoffOptions {
  reachability?: Reachability | undefined;
}

/** Defaults for every retry loop of the library. @internal */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000 };

/**
 * The one reconnect policy of the library, shared by the event poll, the rejoin and every publisher and
 * viewer: each failure waits twice as long as the one before, from `initialMs` up to `maxMs`, with
 * "equal jitter" (half fixed, half random) so many clients cut off by the same outage do not come back
 * in lockstep; a success resets it. With a reachability watch, no wait is longer than its dark cap
 * while the server is out of reach, a pending wait ends as soon as the server answers again, and the
 * first failure after that (a request the recovery gave up) is retried at once. Loops await
 * `policy.wait(signal)`; owners that retry from a callback use `schedule`, which keeps at most one
 * retry pending. @internal
 */
export class ReconnectPolicy {
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribe: (() => void) | undefined;
  /** The reachability's recovery count this policy has acted on. */
  private seenRecoveries: number;

  constructor(
    private readonly options: RetryOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    this.seenRecoveries = options.reachability?.recoveries ?? 0;
  }

  /** The wait before the next attempt; each call counts one more failure. */
  next(): number {
    const reachability = this.options.reachability;
    if (reachability && reachability.recoveries !== this.seenRecoveries) {
      this.seenRecoveries = reachability.recoveries;
      this.failures = 0;
      return 0;
    }
    const ceiling = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.failures++, 30));
    const delay = ceiling / 2 + this.random() * (ceiling / 2);
    return reachability ? reachability.delayFor(delay) : delay;
  }

  /** An attempt succeeded: the next failure waits the shortest delay again. */
  reset(): void {
    this.failures = 0;
    this.seenRecoveries = this.options.reachability?.recoveries ?? 0;
  }

  /** Runs `retry` after the next delay (or when the server answers again), unless a retry is already pending. */
  schedule(retry: () => void): void {
    if (this.timer !== undefined) return;
    const fire = () => {
      this.clearPending();
      retry();
    };
    this.timer = setTimeout(fire, this.next());
    this.unsubscribe = this.onRecovery(fire);
  }

  /** Waits the next delay, or until the server answers again; false at once when `signal` aborts. */
  wait(signal: AbortSignal): Promise<boolean> {
    const delay = this.next();
    const woken = new AbortController();
    const unsubscribe = this.onRecovery(() => woken.abort());
    const onAbort = () => woken.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    return sleep(delay, woken.signal).then(() => {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
      return !signal.aborted;
    });
  }

  /** Drops the pending retry and resets. */
  cancel(): void {
    this.clearPending();
    this.failures = 0;
  }

  private clearPending(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Calls `wake` once when the server answers again; the recovery is then used up (the retry it starts goes now). */
  private onRecovery(wake: () => void): () => void {
    const reachability = this.options.reachability;
    if (!reachability) return () => undefined;
    return reachability.subscribe((reachable) => {
      if (!reachable) return;
      this.seenRecoveries = reachability.recoveries;
      this.failures = 0;
      wake();
    });
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
