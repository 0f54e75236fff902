import { describe, expect, it } from 'vitest';
import { isKeyframeStart } from '../../src/media/codecs.js';
import { RtpContinuity } from '../../src/media/RtpContinuity.js';

// Pure logic, no network: how a publisher's reconnection looks to viewers.

const VP8 = { mimeType: 'video/VP8' };
const H264 = { mimeType: 'video/H264' };

describe('RtpContinuity', () => {
  function video() {
    let now = 1_000;
    const continuity = new RtpContinuity(90_000, true, () => now);
    const packet = (sequenceNumber: number, timestamp: number, keyframe = false) => continuity.map({ sequenceNumber, timestamp, startsKeyframe: () => keyframe });
    return { continuity, packet, advance: (ms: number) => (now += ms) };
  }

  it('passes the first source through unchanged, padding gaps closed', () => {
    const { continuity, packet } = video();
    expect(packet(65_534, 100)).toEqual({ sequenceNumber: 65_534, timestamp: 100 });
    continuity.drop(65_535);
    expect(packet(0, 3_100)).toEqual({ sequenceNumber: 65_535, timestamp: 3_100 });
  });

  it('joins a new source at its first keyframe, right after the last packet, its timestamp advanced by the pause', () => {
    const { continuity, packet, advance } = video();
    packet(1_000, 50_000);
    packet(1_001, 53_000);
    continuity.newSource();
    advance(2_000);
    expect(packet(40_000, 7, false)).toBeUndefined();
    expect(continuity.awaitingKeyframe).toBe(true);
    expect(packet(40_001, 3_007, true)).toEqual({ sequenceNumber: 1_002, timestamp: 53_000 + 180_000 });
    expect(packet(40_002, 3_007)).toEqual({ sequenceNumber: 1_003, timestamp: 233_000 });
    // A reordered packet from before the join would reuse a number the old source had: not forwarded.
    expect(packet(40_000, 7)).toBeUndefined();
    expect(continuity.stats).toEqual({ sources: 2, heldBeforeKeyframe: 1 });
  });

  it('joins audio at once, and wraps 16-bit sequence numbers and 32-bit timestamps', () => {
    let now = 0;
    const audio = new RtpContinuity(48_000, false, () => now);
    const packet = (sequenceNumber: number, timestamp: number) => audio.map({ sequenceNumber, timestamp, startsKeyframe: () => false });
    packet(65_535, 0xffff_ff00);
    audio.newSource();
    now += 20;
    expect(packet(123, 5)).toEqual({ sequenceNumber: 0, timestamp: (0xffff_ff00 + 960) >>> 0 });
    expect(packet(124, 965)).toEqual({ sequenceNumber: 1, timestamp: (0xffff_ff00 + 1_920) >>> 0 });
  });
});

describe('isKeyframeStart', () => {
  it('reads VP8 payload descriptors (RFC 7741)', () => {
    expect(isKeyframeStart(VP8, Uint8Array.of(0x10, 0x00))).toBe(true); // S=1, PID=0, P=0
    expect(isKeyframeStart(VP8, Uint8Array.of(0x10, 0x01))).toBe(false); // P=1: interframe
    expect(isKeyframeStart(VP8, Uint8Array.of(0x00, 0x00))).toBe(false); // not the start of a partition
    expect(isKeyframeStart(VP8, Uint8Array.of(0x90, 0x80, 0x81, 0x23, 0x00))).toBe(true); // X, I with a 15-bit picture id
    expect(isKeyframeStart(VP8, Uint8Array.of(0x90, 0xe0, 0x12, 0x05, 0x40, 0x01))).toBe(false); // I, L, T; then P=1
  });

  it('reads H.264 NAL units, STAP-A and FU-A (RFC 6184)', () => {
    expect(isKeyframeStart(H264, Uint8Array.of(0x65))).toBe(true); // IDR
    expect(isKeyframeStart(H264, Uint8Array.of(0x41))).toBe(false); // non-IDR slice
    expect(isKeyframeStart(H264, Uint8Array.of(0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x01, 0x68))).toBe(true); // STAP-A: SPS, PPS
    expect(isKeyframeStart(H264, Uint8Array.of(0x7c, 0x85))).toBe(true); // FU-A start of an IDR
    expect(isKeyframeStart(H264, Uint8Array.of(0x7c, 0x05))).toBe(false); // FU-A continuation
    expect(isKeyframeStart({ mimeType: 'audio/opus' }, Uint8Array.of(0x00))).toBe(false);
  });
});
