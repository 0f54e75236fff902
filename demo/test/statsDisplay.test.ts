import type { StreamStats } from 'confer';
import { describe, expect, it } from 'vitest';
import { formatStats, qualityBars } from '../../demo/tiles/statsDisplay.js';

const sample: StreamStats = {
  timestamp: 1_000,
  bitrateIn: 1_100_000,
  bitrateOut: 0,
  frameRate: 30,
  width: 640,
  height: 480,
  packetLoss: 6.9,
  rtt: 12.4,
  jitter: 3.2,
  audioLevel: 0.1,
  frameDelivery: 1,
  freezes: 0,
};

describe('formatStats', () => {
  it('formats a received stream', () => {
    expect(formatStats(sample)).toEqual([
      ['bitrate', '1.1 Mbps'],
      ['fps', '30'],
      ['res', '640×480'],
      ['loss', '6.9 %'],
      ['rtt', '12 ms'],
      ['jitter', '3 ms'],
    ]);
  });

  it('names the simulcast layer the server forwards, or paused', () => {
    expect(formatStats({ ...sample, videoLayer: { rid: 'q', width: 320, height: 180 } })).toContainEqual(['layer', 'q']);
    expect(formatStats({ ...sample, videoLayer: { rid: null, width: 0, height: 0 } })).toContainEqual(['layer', 'paused']);
  });

  it('shows what is sent for our own stream, and skips video rows for audio only', () => {
    const audio = { ...sample, bitrateIn: 0, bitrateOut: 32_000, frameRate: undefined, width: undefined, height: undefined, rtt: undefined, jitter: undefined };
    expect(formatStats(audio)).toEqual([
      ['bitrate', '32 kbps'],
      ['loss', '6.9 %'],
      ['rtt', '…'],
    ]);
  });
});

describe('qualityBars', () => {
  it('maps each grade to bars, and unknown to none', () => {
    expect(['excellent', 'good', 'poor', 'lost', 'unknown'].map((q) => qualityBars(q as never))).toEqual([3, 2, 1, 0, undefined]);
  });
});
