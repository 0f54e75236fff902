import type { ResourceTracker, TrackedTimer } from './ResourceTracker.js';

/**
 * Lets at most one keyframe request per interval through to a publisher. Chromium viewers repeat
 * PLI until a keyframe arrives, and every keyframe is large: unthrottled, 4 viewers caused 20 PLIs
 * and 9 keyframes. A request inside the interval is not dropped but deferred to its end, so a viewer
 * that joined just after the last keyframe still gets one.
 */
export class KeyframeThrottle {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private deferred: TrackedTimer | undefined;
  private closed = false;
  /** Requests received / forwarded, for tests and benchmarks. */
  readonly stats = { requested: 0, sent: 0 };

  constructor(
    private readonly intervalMs: number,
    private readonly send: () => void,
    private readonly tracker: ResourceTracker,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Asks for a keyframe; forwarded now, or once at the end of the current interval. */
  request(): void {
    if (this.closed) return;
    this.stats.requested++;
    if (this.deferred) return;
    const wait = this.lastSentAt + this.intervalMs - this.now();
    if (wait <= 0) {
      this.fire();
      return;
    }
    this.deferred = this.tracker.setTimeout(() => {
      this.deferred = undefined;
      this.fire();
    }, wait);
  }

  /** Drops a deferred request. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deferred?.clear();
    this.deferred = undefined;
  }

  private fire(): void {
    if (this.closed) return;
    this.lastSentAt = this.now();
    this.stats.sent++;
    this.send();
  }
}
