import { computeStreamStats } from './streamStats.js';
import type { StreamStats } from './streamStats.js';

/** How often the shared clock ticks: audio levels are read every tick (cheap, synchronous), `getStats()` every `STATS_EVERY_TICKS`. */
export const SAMPLE_INTERVAL_MS = 100;
/** `getStats()` runs once a second per peer connection while sampling. @internal */
export const STATS_EVERY_TICKS = 10;

/**
 * Reads one peer connection's `getStats()` when the room's clock says so, keeps the previous report
 * and hands on the figures computed between the two. At most one read in flight; a read that resolves
 * after `close()` is dropped. @internal
 */
export class StatsSampler {
  private previous: RTCStatsReport | undefined;
  private busy = false;
  private closed = false;

  constructor(
    private readonly getStats: () => Promise<RTCStatsReport>,
    private readonly onSample: (stats: StreamStats) => void,
  ) {}

  /** Reads the report; from the second one on, reports the figures since the one before. */
  async sample(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      const report = await this.getStats();
      if (this.closed) return;
      const previous = this.previous;
      this.previous = report;
      if (previous) this.onSample(computeStreamStats(previous, report));
    } catch {
      // A connection closing under us refuses getStats() (Firefox < 151 rejects it on a closed one); the next tick (or its successor) reads again.
    } finally {
      this.busy = false;
    }
  }

  close(): void {
    this.closed = true;
    this.previous = undefined;
  }
}

/**
 * The one timer behind every sampler of a room session: it runs only while `running` is set (someone
 * listens to a sampled event), and `close()` stops it for good. @internal
 */
export class StatsClock {
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticks = 0;
  private closed = false;

  constructor(
    /** Called every tick; `withStats` on the first tick and every `STATS_EVERY_TICKS`-th after. */
    private readonly onTick: (withStats: boolean) => void,
    private readonly intervalMs = SAMPLE_INTERVAL_MS,
  ) {}

  /** Starts or stops the timer. */
  set running(on: boolean) {
    if (on && !this.timer && !this.closed) {
      this.ticks = 0;
      this.timer = setInterval(() => this.onTick(this.ticks++ % STATS_EVERY_TICKS === 0), this.intervalMs);
    } else if (!on && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  close(): void {
    this.running = false;
    this.closed = true;
  }
}
