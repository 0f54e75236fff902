import type { StreamStats } from './streamStats.js';

/** How well a stream (or a participant's streams) gets through; `unknown` until two stats samples exist. */
export type ConnectionQuality = 'excellent' | 'good' | 'poor' | 'lost' | 'unknown';

/**
 * The limits of each grade: a sample past any `good` limit is at most `good`, past any `poor` limit
 * `poor`. Packet loss in percent, RTT and jitter in ms, frame delivery as a share (0..1).
 */
export const CONNECTION_QUALITY_THRESHOLDS = {
  good: { packetLoss: 2, rtt: 200, jitter: 30, frameDelivery: 0.9 },
  poor: { packetLoss: 10, rtt: 400, jitter: 100, frameDelivery: 0.5 },
} as const;

/** The cloud service's grade for each quality (its OPTIMAL/SUBOPTIMAL/BAD), for dashboards that speak both. */
export const CLOUD_QUALITY_GRADES = {
  excellent: 'OPTIMAL',
  good: 'SUBOPTIMAL',
  poor: 'BAD',
  lost: 'BAD',
  unknown: undefined,
} as const satisfies Record<ConnectionQuality, string | undefined>;

const RANK: Record<ConnectionQuality, number> = { unknown: 0, excellent: 1, good: 2, poor: 3, lost: 4 };

/**
 * The quality of one stats sample: `lost` when no byte moved in the interval (`receiving`: bytes in,
 * else bytes out), `poor` past any poor limit, `good` past any good limit or after a freeze, else
 * `excellent`. @internal
 */
export function qualityOf(stats: StreamStats | undefined, receiving: boolean): ConnectionQuality {
  if (!stats) return 'unknown';
  if ((receiving ? stats.bitrateIn : stats.bitrateOut) === 0) return 'lost';
  const { packetLoss, rtt = 0, jitter = 0, frameDelivery = 1 } = stats;
  const past = (limit: (typeof CONNECTION_QUALITY_THRESHOLDS)['good' | 'poor']) =>
    packetLoss >= limit.packetLoss || rtt >= limit.rtt || jitter >= limit.jitter || frameDelivery < limit.frameDelivery;
  if (past(CONNECTION_QUALITY_THRESHOLDS.poor)) return 'poor';
  return past(CONNECTION_QUALITY_THRESHOLDS.good) || stats.freezes > 0 ? 'good' : 'excellent';
}

/** The worse of the known qualities (`unknown` only when every one is unknown). @internal */
export function worstQuality(qualities: Iterable<ConnectionQuality>): ConnectionQuality {
  let worst: ConnectionQuality = 'unknown';
  for (const quality of qualities) if (RANK[quality] > RANK[worst]) worst = quality;
  return worst;
}

/** One stream's quality across samples: the worse of the last two, so a single good sample does not flip a poor stream back and forth. @internal */
export class QualityTracker {
  private last: ConnectionQuality = 'unknown';
  private current: ConnectionQuality = 'unknown';

  get quality(): ConnectionQuality {
    return this.current;
  }

  /** Takes a sample (undefined: the connection is gone or new); answers whether the quality changed. */
  update(stats: StreamStats | undefined, receiving: boolean): boolean {
    const now = qualityOf(stats, receiving);
    const next = stats ? worstQuality([now, this.last]) : 'unknown';
    this.last = now;
    if (next === this.current) return false;
    this.current = next;
    return true;
  }
}
