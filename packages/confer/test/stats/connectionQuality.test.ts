import { describe, expect, it } from 'vitest';
import { CLOUD_QUALITY_GRADES, QualityTracker, qualityOf, worstQuality } from '../../src/stats/connectionQuality.js';
import type { StreamStats } from '../../src/stats/streamStats.js';

const sample = (over: Partial<StreamStats> = {}): StreamStats => ({
  timestamp: 0,
  bitrateIn: 500_000,
  bitrateOut: 0,
  frameRate: 30,
  width: 640,
  height: 360,
  packetLoss: 0,
  rtt: 20,
  jitter: 5,
  audioLevel: 0,
  frameDelivery: 1,
  freezes: 0,
  ...over,
});

describe('connection quality', () => {
  it('grades one sample by the published limits', () => {
    expect(qualityOf(undefined, true)).toBe('unknown');
    expect(qualityOf(sample(), true)).toBe('excellent');
    expect(qualityOf(sample({ bitrateIn: 0 }), true)).toBe('lost');
    expect(qualityOf(sample({ bitrateOut: 0 }), false)).toBe('lost');
    expect(qualityOf(sample({ packetLoss: 2 }), true)).toBe('good');
    expect(qualityOf(sample({ rtt: 250 }), true)).toBe('good');
    expect(qualityOf(sample({ jitter: 30 }), true)).toBe('good');
    expect(qualityOf(sample({ frameDelivery: 0.8 }), true)).toBe('good');
    expect(qualityOf(sample({ freezes: 1 }), true)).toBe('good');
    expect(qualityOf(sample({ packetLoss: 10 }), true)).toBe('poor');
    expect(qualityOf(sample({ rtt: 400 }), true)).toBe('poor');
    expect(qualityOf(sample({ jitter: 100 }), true)).toBe('poor');
    expect(qualityOf(sample({ frameDelivery: 0.4 }), true)).toBe('poor');
  });

  it('maps to the cloud grades and takes the worst known quality', () => {
    expect(CLOUD_QUALITY_GRADES).toEqual({ excellent: 'OPTIMAL', good: 'SUBOPTIMAL', poor: 'BAD', lost: 'BAD', unknown: undefined });
    expect(worstQuality(['unknown', 'excellent', 'good'])).toBe('good');
    expect(worstQuality(['unknown'])).toBe('unknown');
    expect(worstQuality([])).toBe('unknown');
  });

  it('keeps the worse of the last two samples, so one good sample does not flip it back', () => {
    const tracker = new QualityTracker();
    expect(tracker.update(sample(), true)).toBe(true);
    expect(tracker.quality).toBe('excellent');
    tracker.update(sample({ packetLoss: 20 }), true);
    expect(tracker.quality).toBe('poor');
    expect(tracker.update(sample(), true)).toBe(false);
    expect(tracker.quality).toBe('poor');
    tracker.update(sample(), true);
    expect(tracker.quality).toBe('excellent');
    tracker.update(undefined, true);
    expect(tracker.quality).toBe('unknown');
  });
});
