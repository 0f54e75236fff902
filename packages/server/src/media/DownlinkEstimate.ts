/** Feedback older than this says nothing about the link any more. */
const FRESH_MS = 3_000;
/** After a switch the viewer's REMB still reflects the old rate; congestion is judged only after this. */
const SETTLE_MS = 1_200;
/** Congestion must last this long before it counts (one low REMB is not a trend)... */
const HOLD_MS = 600;
/** ...unless the REMB is below this share of what is sent: then the link is clearly overloaded. */
const SEVERE_SHARE = 0.5;
/**
 * A REMB below this share of the bit rate the viewer's layer needs means its link is congested
 * (libwebrtc's AIMD backs off to 0.85 × throughput on each overuse; its first estimate is the
 * throughput itself, so 0.8 leaves that one alone).
 */
const CONGESTED_SHARE = 0.8;
/**
 * A REMB that grew by this much over the last second is still climbing (libwebrtc's AIMD adds ~8%
 * a second after the viewer was moved up a layer): it lags, it does not say "congested".
 */
const RISING_SHARE = 1.02;
/** Loss (RTCP RR fraction lost) above this means congestion too. */
const CONGESTED_LOSS = 0.1;
/** How long a congestion's estimate caps the layers tried next; doubled on each repeat, back to the first after a calm period. */
const FIRST_BACKOFF_MS = 4_000;
const MAX_BACKOFF_MS = 32_000;
const CALM_MS = 30_000;

/** What the estimate allows now: a budget in bits per second, and whether the link is congested. */
export interface DownlinkLimit {
  /** Highest bit rate a layer may need; Infinity when nothing says otherwise. */
  budget: number;
  /** The link is congested now: the budget applies to the current layer too. */
  congested: boolean;
}

/**
 * One viewer's downlink as its connection's RTCP tells it: the REMB its libwebrtc sends (receive-side
 * estimate: REMB is negotiated, transport-cc is not) and the loss in its receiver reports. A REMB
 * only says "congested" reliably: while the link is fine it stays near 1.5 × what is sent, whatever
 * the headroom, and after a move up it climbs by ~8% a second, so a climbing REMB is never taken for
 * congestion. A higher layer is tried when nothing forbids it, and a congestion caps the next tries
 * at the estimate it showed, for a back-off that doubles with each repeat (4 s ... 32 s).
 */
export class DownlinkEstimate {
  private remb: { bitrate: number; at: number } | undefined;
  /** REMBs of the last 3 s, oldest first, to tell a climbing estimate from a low one. */
  private readonly recentRembs: Array<{ bitrate: number; at: number }> = [];
  private loss: { fraction: number; at: number } | undefined;
  private congestedSince: number | undefined;
  private ceiling: { bitrate: number; until: number } | undefined;
  private backoffMs = FIRST_BACKOFF_MS;
  private lastCongestionAt = Number.NEGATIVE_INFINITY;
  /** Whether the current congestion (since `congestedSince`) has been counted and has set the back-off. */
  private episodeCounted = false;
  /** Congestions detected, for tests and benchmarks. */
  readonly stats = { rembs: 0, congestions: 0 };

  /** A REMB from the viewer, in bits per second. */
  onRemb(bitrate: number, now: number): void {
    this.remb = { bitrate, at: now };
    this.recentRembs.push(this.remb);
    while (this.recentRembs.length > 0 && now - this.recentRembs[0]!.at > FRESH_MS) this.recentRembs.shift();
    this.stats.rembs++;
  }

  /**
   * Whether a low REMB may be taken for congestion: there is one from a second ago to compare with,
   * and it has not grown since (a growing one lags a move up, it does not report congestion).
   */
  private settledRemb(remb: number, now: number): boolean {
    const older = this.recentRembs.filter((r) => now - r.at >= 1_000);
    return older.length > 0 && remb < RISING_SHARE * older.at(-1)!.bitrate;
  }

  /** A receiver report's fraction lost (0..1) for what the viewer receives. */
  onLoss(fraction: number, now: number): void {
    this.loss = { fraction, at: now };
  }

  /** The latest REMB, if fresh. */
  latestRemb(now: number): number | undefined {
    return this.remb && now - this.remb.at < FRESH_MS ? this.remb.bitrate : undefined;
  }

  /**
   * The limit for a layer decision, given the bit rate the viewer's layer needs (its steady rate,
   * not the bursts of its keyframes) and the time since the forwarded layer last changed.
   */
  limit(sending: number, sinceSwitchMs: number, now: number): DownlinkLimit {
    const remb = this.latestRemb(now);
    const lossy = this.loss !== undefined && now - this.loss.at < FRESH_MS && this.loss.fraction > CONGESTED_LOSS;
    const settled = sinceSwitchMs >= SETTLE_MS;
    const lowRemb = remb !== undefined && sending > 0 && remb < CONGESTED_SHARE * sending && this.settledRemb(remb, now);
    if (settled && (lowRemb || lossy)) {
      this.congestedSince ??= now;
      const severe = remb !== undefined && remb < SEVERE_SHARE * sending;
      if (severe || now - this.congestedSince >= HOLD_MS) return { budget: this.congestion(remb ?? sending / 2, now), congested: true };
    } else {
      this.congestedSince = undefined;
      this.episodeCounted = false;
    }
    if (this.ceiling && now < this.ceiling.until) return { budget: this.ceiling.bitrate, congested: false };
    return { budget: Number.POSITIVE_INFINITY, congested: false };
  }

  private congestion(bitrate: number, now: number): number {
    if (!this.episodeCounted) {
      this.episodeCounted = true;
      this.stats.congestions++;
      this.backoffMs = now - this.lastCongestionAt > CALM_MS ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    }
    this.lastCongestionAt = now;
    this.ceiling = { bitrate, until: now + this.backoffMs };
    return bitrate;
  }
}
