/** Measures a packet flow's bit rate over its last one to two windows, cheaply (two counters). */
export class RateMeter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private windowBytes = 0;
  private previousBytes = 0;

  /** `windowMs`: longer is steadier (a keyframe weighs less), shorter follows a change sooner. */
  constructor(private readonly windowMs = 500) {}

  /** Counts `bytes` sent or received at `now` (performance.now()). */
  add(bytes: number, now: number): void {
    if (now - this.windowStart >= this.windowMs) {
      // A whole window without packets leaves nothing to carry over.
      this.previousBytes = now - this.windowStart >= 2 * this.windowMs ? 0 : this.windowBytes;
      this.windowBytes = 0;
      this.windowStart = now;
    }
    this.windowBytes += bytes;
  }

  /** Bits per second over the last one to two windows; 0 when nothing was counted in them. */
  bitrate(now: number): number {
    const elapsed = now - this.windowStart;
    if (elapsed >= 2 * this.windowMs) return 0;
    return ((this.previousBytes + this.windowBytes) * 8 * 1_000) / (this.windowMs + Math.max(elapsed, 1));
  }
}
