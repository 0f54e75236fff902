import type { VideoLayer } from '../media/simulcast.js';

/** What a stats overlay shows for one stream, computed from two `getStats()` reports of its connection. */
export interface StreamStats {
  /** The newer report's own `timestamp` (ms); rates are computed between the reports' timestamps. */
  timestamp: number;
  /** Bits per second received (remote streams; 0 for local ones). */
  bitrateIn: number;
  /** Bits per second sent (local streams; 0 for remote ones). */
  bitrateOut: number;
  /** Video frames per second decoded (remote) or sent (local); undefined without video. */
  frameRate: number | undefined;
  /** Video width in pixels, as decoded or sent. */
  width: number | undefined;
  /** Video height in pixels, as decoded or sent. */
  height: number | undefined;
  /** Packets lost over the interval, in percent: on the way to us (remote), or as the server's receiver reports say (local). */
  packetLoss: number;
  /** Round-trip time of the connection's selected candidate pair, in ms. */
  rtt: number | undefined;
  /** Interarrival jitter in ms, the largest of the stream's tracks. */
  jitter: number | undefined;
  /** 0..1 (linear, 1 = 0 dBov): the microphone's level (local, `media-source`) or the received level (remote, `inbound-rtp`). */
  audioLevel: number | undefined;
  /** Of the video frames that arrived (remote) or were captured (local), the share decoded (remote) or sent (local), 0..1. */
  frameDelivery: number | undefined;
  /** Video freezes that began during the interval (remote). */
  freezes: number;
  /** The simulcast layer the server forwards, as `RemoteStream.videoLayer` reports it when read (remote streams only). */
  videoLayer?: VideoLayer | undefined;
}

type Stat = { id: string; type: string; timestamp: number; kind?: string } & Record<string, number | string | boolean | undefined>;

/**
 * Turns two successive reports of one peer connection into one stream's figures. Every rate uses the
 * stat's own two `timestamp`s (when the browser took them), not when `getStats()` resolved, which can
 * lag by tens of ms on a busy page. Counters that went backwards (a reset) count as no change. @internal
 */
export function computeStreamStats(previous: RTCStatsReport, current: RTCStatsReport): StreamStats {
  const stats: StreamStats = {
    timestamp: 0,
    bitrateIn: 0,
    bitrateOut: 0,
    frameRate: undefined,
    width: undefined,
    height: undefined,
    packetLoss: 0,
    rtt: undefined,
    jitter: undefined,
    audioLevel: undefined,
    frameDelivery: undefined,
    freezes: 0,
  };
  let lost = 0;
  let packets = 0;
  let framesDone = 0;
  let framesIn = 0;
  current.forEach((stat: Stat) => {
    stats.timestamp = Math.max(stats.timestamp, stat.timestamp);
    const before = previous.get(stat.id) as Stat | undefined;
    const seconds = before ? (stat.timestamp - before.timestamp) / 1000 : 0;
    const delta = (key: string) => Math.max(0, before ? Number(stat[key] ?? 0) - Number(before[key] ?? 0) : 0);
    const perSecond = (key: string) => (seconds > 0 ? delta(key) / seconds : 0);
    const video = stat.kind === 'video';
    const jitter = () => {
      if (typeof stat.jitter === 'number') stats.jitter = Math.max(stats.jitter ?? 0, stat.jitter * 1000);
    };
    switch (stat.type) {
      case 'inbound-rtp':
        stats.bitrateIn += perSecond('bytesReceived') * 8;
        lost += delta('packetsLost');
        packets += delta('packetsLost') + delta('packetsReceived');
        jitter();
        if (video) {
          stats.frameRate = perSecond('framesDecoded');
          framesDone += delta('framesDecoded');
          framesIn += delta('framesReceived');
          stats.freezes += delta('freezeCount');
          size(stats, stat);
        } else if (typeof stat.audioLevel === 'number') stats.audioLevel = stat.audioLevel;
        break;
      case 'outbound-rtp':
        stats.bitrateOut += perSecond('bytesSent') * 8;
        packets += delta('packetsSent');
        if (video) {
          stats.frameRate = perSecond('framesSent');
          framesDone += delta('framesSent');
          size(stats, stat);
        }
        break;
      case 'remote-inbound-rtp':
        lost += delta('packetsLost');
        jitter();
        if (stats.rtt === undefined && typeof stat.roundTripTime === 'number') stats.rtt = stat.roundTripTime * 1000;
        break;
      case 'media-source':
        if (video) framesIn += delta('frames');
        else if (typeof stat.audioLevel === 'number') stats.audioLevel = stat.audioLevel;
        break;
      case 'candidate-pair':
        // Chromium marks the pair in use `nominated`, Firefox `selected`.
        if ((stat.selected || stat.nominated) && stat.state === 'succeeded' && typeof stat.currentRoundTripTime === 'number') stats.rtt = stat.currentRoundTripTime * 1000;
        break;
    }
  });
  stats.packetLoss = packets > 0 ? Math.min(100, (100 * lost) / packets) : 0;
  if (framesIn > 0) stats.frameDelivery = Math.min(1, framesDone / framesIn);
  return stats;
}

function size(stats: StreamStats, stat: Stat): void {
  if (typeof stat.frameWidth === 'number') stats.width = stat.frameWidth;
  if (typeof stat.frameHeight === 'number') stats.height = stat.frameHeight;
}
