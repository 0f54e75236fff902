import { describe, expect, it } from 'vitest';
import { ACTIVE_SPEAKER_THRESHOLDS, ActiveSpeakers } from '../../src/stats/ActiveSpeakers.js';

const LOUD = 0.5;
const QUIET = 0.01;

/** Feeds `ticks` samples 100 ms apart and answers every list reported. */
function feed(speakers: ActiveSpeakers<string>, start: number, ticks: number, levels: Record<string, number | ((tick: number) => number)>): string[][] {
  const reported: string[][] = [];
  for (let tick = 0; tick < ticks; tick++) {
    speakers.add(new Map(Object.entries(levels).map(([who, level]) => [who, typeof level === 'function' ? level(tick) : level])));
    const next = speakers.update(start + tick * 100);
    if (next) reported.push(next);
  }
  return reported;
}

describe('ActiveSpeakers', () => {
  it('publishes LiveKit’s server defaults', () => {
    expect(ACTIVE_SPEAKER_THRESHOLDS).toMatchObject({ levelDbov: -30, percentile: 40, windowMs: 500, updateMs: 500 });
    expect(ACTIVE_SPEAKER_THRESHOLDS.level).toBeCloseTo(0.0316, 4);
  });

  it('lists who is loud in at least 40 % of the window, loudest first, and reports only changes', () => {
    const speakers = new ActiveSpeakers<string>();
    // b is loud in 2 of every 5 samples (40 %), a all the time, c never.
    const reported = feed(speakers, 0, 11, { a: LOUD, b: (tick) => (tick % 5 >= 3 ? 0.9 : QUIET), c: QUIET });
    expect(reported).toEqual([['a'], ['a', 'b']]);
    expect(speakers.speakers).toEqual(['a', 'b']);
  });

  it('keeps a speaker through a pause shorter than releaseMs, and drops it after', () => {
    const speakers = new ActiveSpeakers<string>();
    feed(speakers, 0, 6, { a: LOUD });
    expect(speakers.speakers).toEqual(['a']);
    // 500 ms quiet: still listed.
    expect(feed(speakers, 600, 6, { a: QUIET })).toEqual([]);
    // Quiet on past releaseMs: dropped once.
    expect(feed(speakers, 1200, 10, { a: QUIET })).toEqual([[]]);
  });

  it('forgets a participant that left at once', () => {
    const speakers = new ActiveSpeakers<string>();
    feed(speakers, 0, 6, { a: LOUD, b: LOUD });
    expect(speakers.forget('a')).toEqual(['b']);
    expect(speakers.forget('a')).toBeUndefined();
  });
});
