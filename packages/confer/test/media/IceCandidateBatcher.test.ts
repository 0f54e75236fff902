import { describe, expect, it } from 'vitest';
import type { IceCandidate } from '../../src/index.js';
import { IceCandidateBatcher } from '../../src/media/IceCandidateBatcher.js';
import { waitFor } from '../fakes/waitFor.js';

const candidate = (n: number) => ({ candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 }) as RTCIceCandidate;

function setup(burstMs = 5) {
  const batches: IceCandidate[][] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const batcher = new IceCandidateBatcher(
    async (candidates) => {
      batches.push(candidates);
      if (hold) await new Promise<void>((resolve) => (release = resolve));
    },
    (error) => {
      throw error;
    },
    burstMs,
  );
  return { batcher, batches, holdNext: () => (hold = true), release: () => ((hold = false), release?.()) };
}

describe('IceCandidateBatcher', () => {
  it('sends nothing before start(), then everything gathered so far in one request', async () => {
    const { batcher, batches } = setup();
    batcher.add(candidate(1));
    batcher.add(candidate(2));
    batcher.add(null);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([]);
    batcher.start();
    await waitFor(() => batches.length === 1, 'the first batch');
    expect(batches[0]?.map((c) => c.candidate)).toEqual([candidate(1).candidate, candidate(2).candidate]);
    expect(batches[0]?.[0]).toEqual({ candidate: candidate(1).candidate, sdpMid: '0', sdpMLineIndex: 0 });
  });

  it('sends one request per burst after start()', async () => {
    const { batcher, batches } = setup(10);
    batcher.start();
    for (let n = 0; n < 5; n++) batcher.add(candidate(n));
    await waitFor(() => batches.length === 1, 'one batch');
    expect(batches[0]).toHaveLength(5);
    batcher.add(candidate(9));
    batcher.add(null);
    await waitFor(() => batches.length === 2, 'a second batch');
    expect(batches[1]).toHaveLength(1);
    batcher.close();
  });

  it('keeps one request in flight and sends what arrived meanwhile afterwards, in order', async () => {
    const { batcher, batches, holdNext, release } = setup(1);
    batcher.start();
    holdNext();
    batcher.add(candidate(1));
    await waitFor(() => batches.length === 1, 'the held batch');
    batcher.add(candidate(2));
    batcher.add(candidate(3));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(batches).toHaveLength(1);
    release();
    await waitFor(() => batches.length === 2, 'the batch queued behind it');
    expect(batches[1]?.map((c) => c.candidate)).toEqual([candidate(2).candidate, candidate(3).candidate]);
  });

  it('ignores the end-of-candidates marker and drops everything on close()', async () => {
    const { batcher, batches } = setup();
    batcher.add({ candidate: '', sdpMid: '0', sdpMLineIndex: 0 } as RTCIceCandidate);
    batcher.add(candidate(1));
    batcher.close();
    batcher.start();
    batcher.add(candidate(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([]);
  });
});
