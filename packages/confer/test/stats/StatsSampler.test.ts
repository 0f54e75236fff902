import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatsClock, StatsSampler, STATS_EVERY_TICKS } from '../../src/stats/StatsSampler.js';
import type { StreamStats } from '../../src/stats/streamStats.js';

const report = (timestamp: number, bytesSent: number) =>
  new Map([['o', { id: 'o', type: 'outbound-rtp', kind: 'audio', timestamp, bytesSent }]]) as unknown as RTCStatsReport;

afterEach(() => vi.useRealTimers());

describe('StatsSampler', () => {
  it('reports from the second read on, between the two reports', async () => {
    const reports = [report(0, 0), report(1000, 4000)];
    const samples: StreamStats[] = [];
    const sampler = new StatsSampler(async () => reports.shift()!, (stats) => samples.push(stats));
    await sampler.sample();
    expect(samples).toEqual([]);
    await sampler.sample();
    expect(samples.map((s) => s.bitrateOut)).toEqual([32_000]);
  });

  it('swallows a refused read (Firefox < 151 rejects getStats() of a closed connection) and reads again next time', async () => {
    const reads = [Promise.reject(new DOMException('closed', 'InvalidStateError')), Promise.resolve(report(0, 0)), Promise.resolve(report(1000, 8000))];
    const samples: StreamStats[] = [];
    const sampler = new StatsSampler(() => reads.shift()!, (stats) => samples.push(stats));
    await expect(sampler.sample()).resolves.toBeUndefined();
    await sampler.sample();
    await sampler.sample();
    expect(samples.map((s) => s.bitrateOut)).toEqual([64_000]);
  });

  it('drops a read that resolves after close() and never reads twice at once', async () => {
    let resolve: (report: RTCStatsReport) => void = () => undefined;
    const getStats = vi.fn(() => new Promise<RTCStatsReport>((r) => (resolve = r)));
    const samples: StreamStats[] = [];
    const sampler = new StatsSampler(getStats, (stats) => samples.push(stats));
    const first = sampler.sample();
    void sampler.sample();
    expect(getStats).toHaveBeenCalledTimes(1);
    sampler.close();
    resolve(report(0, 0));
    await first;
    await sampler.sample();
    expect(getStats).toHaveBeenCalledTimes(1);
    expect(samples).toEqual([]);
  });
});

describe('StatsClock', () => {
  it('ticks only while running, asks for stats on the first tick and every STATS_EVERY_TICKS-th, and stops for good on close', () => {
    vi.useFakeTimers();
    const ticks: boolean[] = [];
    const clock = new StatsClock((withStats) => ticks.push(withStats), 100);
    vi.advanceTimersByTime(1000);
    expect(ticks).toEqual([]);
    clock.running = true;
    vi.advanceTimersByTime(100 * (STATS_EVERY_TICKS + 1));
    expect(ticks.filter(Boolean)).toHaveLength(2);
    expect(ticks[0]).toBe(true);
    clock.running = false;
    vi.advanceTimersByTime(1000);
    expect(ticks).toHaveLength(STATS_EVERY_TICKS + 1);
    clock.close();
    clock.running = true;
    expect(vi.getTimerCount()).toBe(0);
  });
});
