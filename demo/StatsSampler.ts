/** What a tile's overlay shows, derived from two consecutive `getStats()` reports. */
export interface TileStats {
  /** Audio plus video, bits per second. */
  bitrate?: number;
  framesPerSecond?: number;
  width?: number;
  height?: number;
  /** Lost packets over all packets in the last interval, 0..1. */
  packetLoss?: number;
  /** Seconds. */
  roundTripTime?: number;
}

interface Totals {
  at: number;
  bytes: number;
  frames: number;
  packets: number;
  lost: number;
}

type Stat = Record<string, unknown> & { type: string; id: string };

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * Turns successive `getStats()` reports of one stream into rates. Direction decides the fields:
 * a received stream reads `inbound-rtp` (loss counted locally), a sent one `outbound-rtp` and the
 * receiver's `remote-inbound-rtp` feedback. RTT comes from the selected ICE candidate pair, which
 * both directions have, with `remote-inbound-rtp.roundTripTime` as the sender's fallback.
 */
export class StatsSampler {
  private previous: Totals | undefined;

  constructor(private readonly direction: 'inbound' | 'outbound') {}

  /**
   * Folds in one report and returns what to show. Rates divide by the time between the reports'
   * own `timestamp`s, not by when `getStats()` resolved: on a busy page the promise can resolve
   * hundreds of milliseconds late, which made the overlay's bitrate jump. `now` is the fallback for
   * a report without RTP entries.
   */
  sample(report: RTCStatsReport, now: number = performance.now()): TileStats {
    const stats: Stat[] = [];
    report.forEach((value: Stat) => stats.push(value));
    const rtpType = this.direction === 'inbound' ? 'inbound-rtp' : 'outbound-rtp';
    const rtp = stats.filter((s) => s.type === rtpType);
    const video = rtp.find((s) => s.kind === 'video');

    const totals: Totals = { at: num(rtp[0]?.timestamp) ?? now, bytes: 0, frames: 0, packets: 0, lost: 0 };
    for (const s of rtp) {
      totals.bytes += num(this.direction === 'inbound' ? s.bytesReceived : s.bytesSent) ?? 0;
      totals.packets += num(this.direction === 'inbound' ? s.packetsReceived : s.packetsSent) ?? 0;
      if (this.direction === 'inbound') totals.lost += num(s.packetsLost) ?? 0;
    }
    if (video) totals.frames = num(this.direction === 'inbound' ? video.framesDecoded : video.framesEncoded) ?? 0;
    if (this.direction === 'outbound') {
      for (const s of stats) if (s.type === 'remote-inbound-rtp') totals.lost += num(s.packetsLost) ?? 0;
    }

    const result: TileStats = {
      width: num(video?.frameWidth),
      height: num(video?.frameHeight),
      roundTripTime: this.roundTripTime(stats),
    };
    const previous = this.previous;
    this.previous = totals;
    if (!previous || totals.at <= previous.at) return result;

    const seconds = (totals.at - previous.at) / 1000;
    const packets = totals.packets - previous.packets;
    const lost = Math.max(0, totals.lost - previous.lost);
    result.bitrate = Math.max(0, ((totals.bytes - previous.bytes) * 8) / seconds);
    if (video) result.framesPerSecond = num(video.framesPerSecond) ?? Math.max(0, (totals.frames - previous.frames) / seconds);
    result.packetLoss = packets + lost > 0 ? lost / (packets + lost) : 0;
    return result;
  }

  private roundTripTime(stats: Stat[]): number | undefined {
    const transport = stats.find((s) => s.type === 'transport');
    const pairId = transport?.selectedCandidatePairId;
    const pair = stats.find((s) => s.type === 'candidate-pair' && (s.id === pairId || (pairId === undefined && s.nominated === true)));
    const fromPair = num(pair?.currentRoundTripTime);
    if (fromPair !== undefined) return fromPair;
    return num(stats.find((s) => s.type === 'remote-inbound-rtp' && num(s.roundTripTime) !== undefined)?.roundTripTime);
  }
}

/** Formats stats for the overlay: "1.2 Mbps", "30 fps", "640×480", "0.0 %", "3 ms". */
export function formatTileStats(stats: TileStats): Array<[label: string, value: string]> {
  const rows: Array<[string, string]> = [];
  rows.push(['bitrate', stats.bitrate === undefined ? '…' : formatBitrate(stats.bitrate)]);
  if (stats.framesPerSecond !== undefined) rows.push(['fps', stats.framesPerSecond.toFixed(0)]);
  if (stats.width && stats.height) rows.push(['res', `${stats.width}×${stats.height}`]);
  rows.push(['loss', stats.packetLoss === undefined ? '…' : `${(stats.packetLoss * 100).toFixed(1)} %`]);
  rows.push(['rtt', stats.roundTripTime === undefined ? '…' : `${Math.round(stats.roundTripTime * 1000)} ms`]);
  return rows;
}

function formatBitrate(bps: number): string {
  if (bps >= 1_000_000) return `${(bps / 1_000_000).toFixed(1)} Mbps`;
  return `${Math.round(bps / 1000)} kbps`;
}
