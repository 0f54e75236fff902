import { describe, expect, it } from 'vitest';
import { formatTileStats, StatsSampler } from '../../demo/StatsSampler.js';

type Stat = Record<string, unknown> & { id: string; type: string };

/** RTCStatsReport is a read-only Map of stats by id; a Map is all the sampler needs. */
const report = (...stats: Stat[]) => new Map(stats.map((stat) => [stat.id, stat])) as unknown as RTCStatsReport;

const pair = { id: 'CP1', type: 'candidate-pair', currentRoundTripTime: 0.012 };
const transport = { id: 'T1', type: 'transport', selectedCandidatePairId: 'CP1' };

describe('StatsSampler', () => {
  it('turns two inbound reports into bitrate, frame rate, loss and RTT', () => {
    const sampler = new StatsSampler('inbound');
    const inbound = (bytes: number, frames: number, packets: number, lost: number): Stat[] => [
      { id: 'V', type: 'inbound-rtp', kind: 'video', bytesReceived: bytes, framesDecoded: frames, packetsReceived: packets, packetsLost: lost, frameWidth: 640, frameHeight: 480 },
      { id: 'A', type: 'inbound-rtp', kind: 'audio', bytesReceived: bytes / 10, packetsReceived: packets / 2, packetsLost: 0 },
      transport,
      pair,
    ];
    const first = sampler.sample(report(...inbound(100_000, 100, 200, 0)), 1_000);
    expect(first).toEqual({ width: 640, height: 480, roundTripTime: 0.012 });

    const second = sampler.sample(report(...inbound(225_000, 130, 290, 10)), 2_000);
    // (125 000 video + 12 500 audio bytes) × 8 in one second.
    expect(second.bitrate).toBe(1_100_000);
    expect(second.framesPerSecond).toBe(30);
    // 10 lost of 90 + 45 received + 10 lost.
    expect(second.packetLoss).toBeCloseTo(10 / 145);
    expect(formatTileStats(second)).toEqual([
      ['bitrate', '1.1 Mbps'],
      ['fps', '30'],
      ['res', '640×480'],
      ['loss', '6.9 %'],
      ['rtt', '12 ms'],
    ]);
  });

  it('reads a sent stream from outbound-rtp and the receiver feedback', () => {
    const sampler = new StatsSampler('outbound');
    const outbound = (bytes: number, frames: number, lost: number): Stat[] => [
      { id: 'V', type: 'outbound-rtp', kind: 'video', bytesSent: bytes, framesEncoded: frames, packetsSent: 100, framesPerSecond: 15, frameWidth: 320, frameHeight: 240 },
      { id: 'R', type: 'remote-inbound-rtp', kind: 'video', packetsLost: lost, roundTripTime: 0.004 },
    ];
    sampler.sample(report(...outbound(0, 0, 0)), 0);
    const stats = sampler.sample(report(...outbound(50_000, 15, 0)), 2_000);
    expect(stats).toMatchObject({ bitrate: 200_000, framesPerSecond: 15, width: 320, height: 240, packetLoss: 0, roundTripTime: 0.004 });
  });

  it('divides by the reports’ own timestamps, not by when getStats resolved', () => {
    const sampler = new StatsSampler('inbound');
    const video = (bytes: number, timestamp: number): Stat => ({ id: 'V', type: 'inbound-rtp', kind: 'video', timestamp, bytesReceived: bytes, packetsReceived: 0, packetsLost: 0 });
    sampler.sample(report(video(0, 10_000)), 1_000);
    // The second promise resolved 1.5 s later on a busy page, but the report was taken 1 s after the first.
    const stats = sampler.sample(report(video(125_000, 11_000)), 2_500);
    expect(stats.bitrate).toBe(1_000_000);
  });

  it('shows placeholders until it has two reports', () => {
    const stats = new StatsSampler('inbound').sample(report(), 0);
    expect(formatTileStats(stats)).toEqual([
      ['bitrate', '…'],
      ['loss', '…'],
      ['rtt', '…'],
    ]);
  });
});
