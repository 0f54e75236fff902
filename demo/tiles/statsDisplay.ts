import type { ConnectionQuality, StreamStats } from 'confer';

/**
 * The rows of a tile's stats panel from the library's `StreamStats`: "1.2 Mbps", "30", "640×480",
 * the simulcast layer, "0.0 %", "3 ms". A placeholder stands in for what the first sample cannot know yet.
 */
export function formatStats(stats: StreamStats): Array<[label: string, value: string]> {
  const rows: Array<[string, string]> = [];
  rows.push(['bitrate', formatBitrate(Math.max(stats.bitrateIn, stats.bitrateOut))]);
  if (stats.frameRate !== undefined) rows.push(['fps', stats.frameRate.toFixed(0)]);
  if (stats.width && stats.height) rows.push(['res', `${stats.width}×${stats.height}`]);
  // The simulcast layer the server forwards to this tile: q, h or f, or paused while it sends none.
  if (stats.videoLayer) rows.push(['layer', stats.videoLayer.rid ?? 'paused']);
  rows.push(['loss', `${stats.packetLoss.toFixed(1)} %`]);
  rows.push(['rtt', stats.rtt === undefined ? '…' : `${Math.round(stats.rtt)} ms`]);
  if (stats.jitter !== undefined) rows.push(['jitter', `${Math.round(stats.jitter)} ms`]);
  return rows;
}

/** Signal bars for the library's connection quality: 3 excellent, 2 good, 1 poor, 0 lost; none while unknown. */
export function qualityBars(quality: ConnectionQuality): number | undefined {
  switch (quality) {
    case 'excellent':
      return 3;
    case 'good':
      return 2;
    case 'poor':
      return 1;
    case 'lost':
      return 0;
    case 'unknown':
      return undefined;
  }
}

function formatBitrate(bps: number): string {
  if (bps >= 1_000_000) return `${(bps / 1_000_000).toFixed(1)} Mbps`;
  return `${Math.round(bps / 1000)} kbps`;
}
