import { SAMPLE_INTERVAL_MS } from './StatsSampler.js';

/**
 * When a participant counts as speaking, after LiveKit's server defaults: a level of at least 30 dBov
 * (0.0316 linear, the scale of `audioLevel`) in at least 40 % of the samples of the last 500 ms,
 * re-evaluated every 500 ms; a speaker stays listed until it has been below that for `releaseMs`.
 */
export const ACTIVE_SPEAKER_THRESHOLDS = {
  /** dBov (0 is the loudest); `level` is the same as a linear `audioLevel`. */
  levelDbov: -30,
  level: 10 ** (-30 / 20),
  percentile: 40,
  windowMs: 500,
  updateMs: 500,
  releaseMs: 1000,
} as const;

/**
 * Decides who speaks from level samples, with hysteresis: joining the list takes one window loud
 * enough, leaving it `releaseMs` quiet. Ordered loudest first (the mean level of the window). Pure:
 * the caller passes the time. @internal
 */
export class ActiveSpeakers<P> {
  private readonly samples = new Map<P, number[]>();
  private readonly quietSince = new Map<P, number>();
  private current: P[] = [];
  private lastUpdate = -Infinity;

  constructor(private readonly thresholds = ACTIVE_SPEAKER_THRESHOLDS) {}

  /** Who is speaking, loudest first. */
  get speakers(): P[] {
    return [...this.current];
  }

  /** Records one level (0..1) per candidate for this tick; candidates not given have left. */
  add(levels: Map<P, number>): void {
    const keep = Math.max(1, Math.round(this.thresholds.windowMs / SAMPLE_INTERVAL_MS));
    for (const candidate of this.samples.keys()) if (!levels.has(candidate)) this.samples.delete(candidate);
    for (const [candidate, level] of levels) {
      const window = this.samples.get(candidate) ?? [];
      window.push(level);
      if (window.length > keep) window.shift();
      this.samples.set(candidate, window);
    }
  }

  /** Drops a candidate that left; answers the new list when it was listed. */
  forget(candidate: P): P[] | undefined {
    this.samples.delete(candidate);
    this.quietSince.delete(candidate);
    if (!this.current.includes(candidate)) return undefined;
    this.current = this.current.filter((listed) => listed !== candidate);
    return this.speakers;
  }

  /** Re-evaluates once per `updateMs`; answers the new list when it changed (members or order). */
  update(now: number): P[] | undefined {
    const { level, percentile, updateMs, releaseMs } = this.thresholds;
    if (now - this.lastUpdate < updateMs) return undefined;
    this.lastUpdate = now;
    const loudness = new Map<P, number>();
    for (const [candidate, window] of this.samples) {
      const loud = window.filter((sample) => sample >= level).length;
      const mean = window.reduce((sum, sample) => sum + sample, 0) / window.length;
      if ((100 * loud) / window.length >= percentile) {
        this.quietSince.delete(candidate);
        loudness.set(candidate, mean);
      } else if (this.current.includes(candidate)) {
        const since = this.quietSince.get(candidate) ?? now;
        this.quietSince.set(candidate, since);
        if (now - since < releaseMs) loudness.set(candidate, mean);
      }
    }
    for (const candidate of this.quietSince.keys()) if (!loudness.has(candidate)) this.quietSince.delete(candidate);
    const next = [...loudness.keys()].sort((a, b) => loudness.get(b)! - loudness.get(a)!);
    if (next.length === this.current.length && next.every((candidate, i) => candidate === this.current[i])) return undefined;
    this.current = next;
    return this.speakers;
  }
}
