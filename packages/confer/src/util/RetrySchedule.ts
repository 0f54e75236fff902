import type { BackoffOptions } from './backoff.js';
import { backoffDelay } from './backoff.js';

/** At most one pending retry, after a backoff that grows with each failure until a success resets it. @internal */
export class RetrySchedule {
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Runs `retry` after the next backoff delay, unless a retry is already pending. */
  schedule(retry: () => void): void {
    if (this.timer !== undefined) return;
    const delay = backoffDelay(this.failures++, this.options, this.random);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      retry();
    }, delay);
  }

  /** Forgets past failures: the next retry waits the shortest delay again. */
  succeeded(): void {
    this.failures = 0;
  }

  /** Drops the pending retry and forgets past failures. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.failures = 0;
  }
}
