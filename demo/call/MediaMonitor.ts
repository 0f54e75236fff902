import { formatTileStats, StatsSampler, type TileStats } from '../StatsSampler.js';

/** One stream the monitor reads: where its stats come from and which tile shows them. */
export interface MonitoredStream {
  streamId: string;
  /** The tile (person or screen) this stream belongs to. */
  tileKey: string;
  direction: 'inbound' | 'outbound';
  getStats(): Promise<RTCStatsReport | undefined>;
}

/** What one round of readings found. */
export interface MonitorRound {
  /** Stats rows per tile, for the tiles' stats panels. */
  rows: Map<string, Array<[string, string]>>;
  /** Signal bars (0–3) per tile, from loss and round-trip time. */
  quality: Map<string, number>;
  /** The loudest tile above the speech threshold, if any. */
  speaker: string | undefined;
}

const INTERVAL_MS = 1000;
/** An RTP audioLevel (0..1, linear) above this is speech rather than room noise (about -36 dBov). */
const SPEECH_LEVEL = 0.015;

/**
 * Reads every stream's `getStats()` once a second and turns it into the tiles' stats rows, signal
 * bars and the active speaker. SEAM: the library is gaining per-stream stats from one sampler,
 * `Participant.connectionQuality` and `room.activeSpeakers`; as they land, the room's values replace
 * this class and demo/StatsSampler.ts.
 */
export class MediaMonitor {
  private readonly streams = new Map<string, { stream: MonitoredStream; sampler: StatsSampler }>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly onRound: (round: MonitorRound) => void) {}

  add(stream: MonitoredStream): void {
    this.streams.set(stream.streamId, { stream, sampler: new StatsSampler(stream.direction) });
    this.timer ??= setInterval(() => void this.read(), INTERVAL_MS);
  }

  remove(streamId: string): void {
    this.streams.delete(streamId);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.streams.clear();
  }

  private async read(): Promise<void> {
    const round: MonitorRound = { rows: new Map(), quality: new Map(), speaker: undefined };
    let loudest = SPEECH_LEVEL;
    await Promise.all(
      [...this.streams.values()].map(async ({ stream, sampler }) => {
        let report: RTCStatsReport | undefined;
        try {
          report = await stream.getStats();
        } catch {
          // The connection closed while it was read: the next round reads the new one.
        }
        if (!report) return;
        const stats = sampler.sample(report);
        // A person's tile may carry two streams (camera, microphone): the one with video speaks for it.
        if (!round.rows.has(stream.tileKey) || stats.width !== undefined) {
          round.rows.set(stream.tileKey, formatTileStats(stats));
          round.quality.set(stream.tileKey, qualityBars(stats));
        }
        const level = audioLevel(report, stream.direction);
        if (level > loudest) {
          loudest = level;
          round.speaker = stream.tileKey;
        }
      }),
    );
    if (this.streams.size > 0) this.onRound(round);
  }
}

/** Signal bars from loss and RTT: 3 good, 2 fair, 1 poor; unknown counts as good. */
export function qualityBars(stats: TileStats): number {
  const loss = stats.packetLoss ?? 0;
  const rtt = stats.roundTripTime ?? 0;
  if (loss > 0.1 || rtt > 0.5) return 1;
  if (loss > 0.03 || rtt > 0.25) return 2;
  return 3;
}

/** The audio level (0..1) of a report: what we receive (inbound-rtp), or what our microphone captures (media-source). */
function audioLevel(report: RTCStatsReport, direction: 'inbound' | 'outbound'): number {
  let level = 0;
  report.forEach((stat: Record<string, unknown>) => {
    const type = direction === 'inbound' ? 'inbound-rtp' : 'media-source';
    if (stat.type === type && stat.kind === 'audio' && typeof stat.audioLevel === 'number') level = Math.max(level, stat.audioLevel);
  });
  return level;
}
