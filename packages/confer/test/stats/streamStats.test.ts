import { describe, expect, it } from 'vitest';
import { computeStreamStats } from '../../src/stats/streamStats.js';

/** A fake RTCStatsReport: a Map of stats by id, as the browser's is. */
const report = (...stats: Record<string, unknown>[]) => new Map(stats.map((stat) => [stat.id as string, stat])) as unknown as RTCStatsReport;

describe('computeStreamStats', () => {
  it('computes receive rates from the stats’ own timestamps, loss, jitter, frame delivery, freezes, RTT and audio level', () => {
    const before = report(
      { id: 'v', type: 'inbound-rtp', kind: 'video', timestamp: 1000, bytesReceived: 0, packetsReceived: 0, packetsLost: 0, framesDecoded: 0, framesReceived: 0, freezeCount: 0 },
      { id: 'a', type: 'inbound-rtp', kind: 'audio', timestamp: 1000, bytesReceived: 0, packetsReceived: 0, packetsLost: 0 },
    );
    const after = report(
      // 500 ms apart by the stats' timestamps, whenever getStats() resolved.
      { id: 'v', type: 'inbound-rtp', kind: 'video', timestamp: 1500, bytesReceived: 50_000, packetsReceived: 90, packetsLost: 5, framesDecoded: 15, framesReceived: 20, freezeCount: 1, frameWidth: 640, frameHeight: 360, jitter: 0.012 },
      { id: 'a', type: 'inbound-rtp', kind: 'audio', timestamp: 1500, bytesReceived: 2_500, packetsReceived: 5, packetsLost: 0, jitter: 0.02, audioLevel: 0.25 },
      { id: 'p', type: 'candidate-pair', timestamp: 1500, nominated: true, state: 'succeeded', currentRoundTripTime: 0.042 },
    );
    const stats = computeStreamStats(before, after);
    expect(stats.timestamp).toBe(1500);
    expect(stats.bitrateIn).toBe(((50_000 + 2_500) * 8) / 0.5);
    expect(stats.bitrateOut).toBe(0);
    expect(stats.frameRate).toBe(30);
    expect([stats.width, stats.height]).toEqual([640, 360]);
    expect(stats.packetLoss).toBeCloseTo((100 * 5) / 100);
    expect(stats.jitter).toBeCloseTo(20);
    expect(stats.rtt).toBeCloseTo(42);
    expect(stats.audioLevel).toBe(0.25);
    expect(stats.frameDelivery).toBe(0.75);
    expect(stats.freezes).toBe(1);
  });

  it('computes send rates, the loss the receiver reports, frames sent of those captured and the microphone level', () => {
    const before = report(
      { id: 'o', type: 'outbound-rtp', kind: 'video', timestamp: 0, bytesSent: 0, packetsSent: 0, framesSent: 0 },
      { id: 'r', type: 'remote-inbound-rtp', kind: 'video', timestamp: 0, packetsLost: 0 },
      { id: 'm', type: 'media-source', kind: 'video', timestamp: 0, frames: 0 },
    );
    const after = report(
      { id: 'o', type: 'outbound-rtp', kind: 'video', timestamp: 2000, bytesSent: 250_000, packetsSent: 200, framesSent: 54, frameWidth: 320, frameHeight: 240 },
      { id: 'r', type: 'remote-inbound-rtp', kind: 'video', timestamp: 1800, packetsLost: 6, roundTripTime: 0.1, jitter: 0.005 },
      { id: 'm', type: 'media-source', kind: 'video', timestamp: 2000, frames: 60 },
      { id: 'mic', type: 'media-source', kind: 'audio', timestamp: 2000, audioLevel: 0.5 },
    );
    const stats = computeStreamStats(before, after);
    expect(stats.bitrateOut).toBe(1_000_000);
    expect(stats.frameRate).toBe(27);
    expect(stats.packetLoss).toBe(3);
    expect(stats.rtt).toBeCloseTo(100);
    expect(stats.jitter).toBeCloseTo(5);
    expect(stats.frameDelivery).toBeCloseTo(0.9);
    expect(stats.audioLevel).toBe(0.5);
  });

  it('counts a reset counter or a stat without a predecessor as no change', () => {
    const stats = computeStreamStats(
      report({ id: 'v', type: 'inbound-rtp', kind: 'audio', timestamp: 0, bytesReceived: 9_000 }),
      report({ id: 'v', type: 'inbound-rtp', kind: 'audio', timestamp: 1000, bytesReceived: 10 }, { id: 'new', type: 'outbound-rtp', kind: 'audio', timestamp: 1000, bytesSent: 5_000 }),
    );
    expect(stats.bitrateIn).toBe(0);
    expect(stats.bitrateOut).toBe(0);
    expect(stats.packetLoss).toBe(0);
    expect(stats.frameDelivery).toBeUndefined();
  });
});
