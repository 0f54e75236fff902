import { describe, expect, it } from 'vitest';
import { DownlinkEstimate } from '../../src/media/DownlinkEstimate.js';
import { LayerForwarder } from '../../src/media/LayerForwarder.js';
import { chooseLayer, NO_PREFERENCE, parseVideoPreference } from '../../src/media/LayerSelector.js';
import { PublisherLayer } from '../../src/media/PublisherLayer.js';
import { readVp8Numbering, vp8KeyframeSize } from '../../src/media/vp8Descriptor.js';

// Pure logic, no network: layer switching, rewriting, choice and the downlink's hysteresis.

/** A VP8 payload: descriptor with a 15-bit PictureID, TL0PICIDX and TID, then a frame (a keyframe with its size). */
function vp8(pictureId: number, tl0: number, keyframe: boolean, size = { width: 640, height: 360 }): Buffer {
  const descriptor = [0x90, 0xe0, 0x80 | (pictureId >> 8), pictureId & 0xff, tl0, 0x00];
  if (!keyframe) return Buffer.from([...descriptor, 0x01, 0, 0]);
  return Buffer.from([...descriptor, 0x00, 0, 0, 0x9d, 0x01, 0x2a, size.width & 0xff, size.width >> 8, size.height & 0xff, size.height >> 8]);
}

function layers(sizes: Array<[number, number]> = [[320, 180], [640, 360], [1280, 720]]) {
  const now = 1_000;
  return sizes.map(([width, height], i) => {
    const layer = new PublisherLayer('video', ['q', 'h', 'f'][i], i, [150_000, 500_000, 1_700_000][i]!);
    // Two seconds of packets at the layer's nominal rate, so it is flowing and measured.
    for (let t = 0; t < 2_000; t += 100) layer.received(1000 + i, vp8(1, 1, t === 0, { width, height }), layer.nominalBitrate / 80, t === 0, 'VP8', now - 2_000 + t);
    return layer;
  });
}

describe('LayerForwarder', () => {
  function forwarder() {
    let now = 0;
    const switches: Array<string | undefined> = [];
    const f = new LayerForwarder({ clockRate: 90_000, needsKeyframe: true, vp8: true, onSwitch: (l) => switches.push(l?.rid), now: () => now });
    return { f, switches, advance: (ms: number) => (now += ms) };
  }

  it('forwards only its layer, switches at the target keyframe, and continues sequence numbers, timestamps and picture numbers', () => {
    const [q, , full] = layers();
    const { f, switches, advance } = forwarder();
    f.setTarget(q!);
    expect(f.forward(100, 9_000, vp8(10, 5, false), q!, false)).toBeUndefined(); // waits for a keyframe
    expect(f.forward(101, 12_000, vp8(11, 6, true), q!, true)).toMatchObject({ sequenceNumber: 101, timestamp: 12_000 });
    expect(f.forward(7_000, 500, vp8(900, 40, true), full!, true)).toBeUndefined(); // not its layer
    f.setTarget(full!);
    expect(f.awaitingKeyframe).toBe(true);
    expect(f.forward(102, 15_000, vp8(12, 6, false), q!, false)).toMatchObject({ sequenceNumber: 102 }); // the old layer until the switch
    expect(f.forward(7_001, 3_500, vp8(901, 40, false), full!, false)).toBeUndefined(); // not a keyframe
    advance(40);
    const first = f.forward(7_002, 6_500, vp8(902, 41, true), full!, true)!;
    expect(first).toMatchObject({ sequenceNumber: 103, timestamp: 15_000 + 3_600 });
    expect(readVp8Numbering(first.payload)).toMatchObject({ pictureId: 13, tl0PicIdx: 7 });
    expect(vp8KeyframeSize(first.payload)).toEqual({ width: 640, height: 360 });
    const next = f.forward(7_003, 9_500, vp8(903, 41, false), full!, false)!;
    expect(next).toMatchObject({ sequenceNumber: 104, timestamp: 18_600 + 3_000 });
    expect(readVp8Numbering(next.payload)).toMatchObject({ pictureId: 14, tl0PicIdx: 7 });
    // The old layer's late packets no longer reach the viewer.
    expect(f.forward(103, 18_000, vp8(13, 6, false), q!, false)).toBeUndefined();
    expect(switches).toEqual(['q', 'f']);
    expect(f.stats).toEqual({ switches: 2, heldForKeyframe: 2 });
  });

  it('stops at once when paused and resumes at a keyframe with the numbering continued', () => {
    const [q] = layers();
    const { f, switches, advance } = forwarder();
    f.setTarget(q!);
    f.forward(10, 1_000, vp8(1, 1, true), q!, true);
    f.setTarget(undefined);
    expect(f.forward(11, 4_000, vp8(2, 1, false), q!, false)).toBeUndefined();
    advance(2_000);
    f.setTarget(q!);
    expect(f.forward(60, 181_000, vp8(50, 9, true), q!, true)).toMatchObject({ sequenceNumber: 11, timestamp: 1_000 + 180_000 });
    expect(switches).toEqual(['q', undefined, 'q']);
  });

  it('closes the gap of a packet dropped upstream on its layer only', () => {
    const [q, h] = layers();
    const { f } = forwarder();
    f.setTarget(q!);
    f.forward(10, 1_000, vp8(1, 1, true), q!, true);
    f.drop(h!, 11);
    f.drop(q!, 11);
    expect(f.forward(12, 1_000, vp8(1, 1, false), q!, false)).toMatchObject({ sequenceNumber: 11 });
  });

  it('joins audio at the next packet of a new source (a publisher reconnection)', () => {
    const a = new PublisherLayer('audio', undefined, 0, 0);
    const b = new PublisherLayer('audio', undefined, 0, 0);
    let now = 0;
    const f = new LayerForwarder({ clockRate: 48_000, needsKeyframe: false, vp8: false, onSwitch: () => undefined, now: () => now });
    f.setTarget(a);
    expect(f.forward(500, 960, Buffer.from([1]), a, false)).toMatchObject({ sequenceNumber: 500, timestamp: 960 });
    f.setTarget(b);
    now += 20;
    expect(f.forward(9, 77, Buffer.from([1]), b, false)).toMatchObject({ sequenceNumber: 501, timestamp: 960 + 960 });
  });
});

describe('chooseLayer', () => {
  const open = { budget: Number.POSITIVE_INFINITY, congested: false };
  const now = 1_000;

  it('takes the highest layer that fits the preference (10% slack), the lowest when none fits', () => {
    const all = layers();
    expect(chooseLayer(all, NO_PREFERENCE, open, undefined, now)?.rid).toBe('f');
    expect(chooseLayer(all, { maxWidth: 320, maxHeight: 180, paused: false }, open, undefined, now)?.rid).toBe('q');
    expect(chooseLayer(all, { maxWidth: null, maxHeight: 340, paused: false }, open, undefined, now)?.rid).toBe('h');
    expect(chooseLayer(all, { maxWidth: 100, maxHeight: 50, paused: false }, open, undefined, now)?.rid).toBe('q');
    expect(chooseLayer(all, { maxWidth: null, maxHeight: null, paused: true }, open, undefined, now)).toBeUndefined();
  });

  it('keeps under the downlink budget, except the current layer while the link is not congested', () => {
    const all = layers();
    const [q, h, f] = all;
    expect(chooseLayer(all, NO_PREFERENCE, { budget: 600_000, congested: false }, q, now)).toBe(h);
    expect(chooseLayer(all, NO_PREFERENCE, { budget: 600_000, congested: false }, f, now)).toBe(f);
    expect(chooseLayer(all, NO_PREFERENCE, { budget: 600_000, congested: true }, f, now)).toBe(h);
    expect(chooseLayer(all, NO_PREFERENCE, { budget: 10_000, congested: true }, f, now)).toBe(q);
  });

  it('offers only layers that flow, or that dynacast paused after they flowed', () => {
    const all = layers();
    const later = now + 5_000;
    all[0]!.received(1, vp8(1, 1, false), 100, false, 'VP8', later);
    expect(chooseLayer(all, NO_PREFERENCE, open, undefined, later)?.rid).toBe('q');
    all[2]!.pausedByDynacast = true;
    expect(chooseLayer(all, NO_PREFERENCE, open, undefined, later)?.rid).toBe('f');
    const fresh = new PublisherLayer('video', 'x', 3, 1);
    fresh.pausedByDynacast = true;
    expect(chooseLayer([...all, fresh], NO_PREFERENCE, open, undefined, later)?.rid).toBe('f');
  });

  it('reads videoPreference messages and ignores anything else', () => {
    expect(parseVideoPreference('{"type":"videoPreference","maxWidth":320,"maxHeight":null,"paused":false}')).toEqual({ maxWidth: 320, maxHeight: null, paused: false });
    expect(parseVideoPreference('{"type":"videoPreference","paused":true}')).toEqual({ maxWidth: null, maxHeight: null, paused: true });
    expect(parseVideoPreference('{"type":"videoPreference","maxWidth":-5}')).toMatchObject({ maxWidth: null });
    expect(parseVideoPreference('{"type":"other"}')).toBeUndefined();
    expect(parseVideoPreference('not json')).toBeUndefined();
  });
});

describe('DownlinkEstimate', () => {
  it('says nothing without feedback, and nothing against a REMB that keeps up with what is sent', () => {
    const estimate = new DownlinkEstimate();
    expect(estimate.limit(1_000_000, 5_000, 0)).toEqual({ budget: Number.POSITIVE_INFINITY, congested: false });
    estimate.onRemb(1_400_000, 0);
    expect(estimate.limit(1_000_000, 5_000, 100)).toEqual({ budget: Number.POSITIVE_INFINITY, congested: false });
  });

  it('reports congestion after it lasted 600 ms (at once when severe), then caps higher layers for a back-off that doubles', () => {
    const estimate = new DownlinkEstimate();
    estimate.onRemb(700_000, 0);
    // A REMB is judged against the one a second before it (is it still climbing?): not yet at 0.
    expect(estimate.limit(1_000_000, 5_000, 0).congested).toBe(false);
    estimate.onRemb(700_000, 1_000);
    expect(estimate.limit(1_000_000, 5_000, 1_000).congested).toBe(false); // one low REMB is not yet a trend
    estimate.onRemb(700_000, 1_500);
    expect(estimate.limit(1_000_000, 5_000, 1_500).congested).toBe(false);
    estimate.onRemb(700_000, 1_700);
    expect(estimate.limit(1_000_000, 5_000, 1_700)).toEqual({ budget: 700_000, congested: true });
    // After the switch down: settled on the lower layer, not congested, the ceiling holds 4 s.
    estimate.onRemb(700_000, 2_000);
    expect(estimate.limit(500_000, 2_000, 4_000)).toEqual({ budget: 700_000, congested: false });
    expect(estimate.limit(500_000, 2_000, 5_800)).toEqual({ budget: Number.POSITIVE_INFINITY, congested: false });
    // A second congestion soon after: severe (REMB under half of what is needed) counts at once; 8 s of ceiling.
    estimate.onRemb(700_000, 6_000);
    estimate.onRemb(300_000, 7_000);
    expect(estimate.limit(1_000_000, 5_000, 7_000)).toEqual({ budget: 300_000, congested: true });
    expect(estimate.limit(250_000, 1_500, 8_000).congested).toBe(false);
    expect(estimate.limit(250_000, 1_500, 14_500).budget).toBe(300_000);
    expect(estimate.limit(250_000, 1_500, 15_500).budget).toBe(Number.POSITIVE_INFINITY);
    expect(estimate.stats.congestions).toBe(2);
  });

  it('takes a REMB that climbs after a move up for lag, not congestion, and a first REMB near the rate as fine', () => {
    const estimate = new DownlinkEstimate();
    // libwebrtc's AIMD adds ~8% a second; the layer needs 1.5 Mbps.
    for (let t = 0, remb = 1_000_000; t <= 3_000; t += 200, remb *= 1.016) {
      estimate.onRemb(remb, t);
      expect(estimate.limit(1_500_000, 2_000 + t, t).congested).toBe(false);
    }
    const first = new DownlinkEstimate();
    first.onRemb(1_100_000, 0);
    first.limit(1_300_000, 5_000, 0);
    expect(first.limit(1_300_000, 5_000, 1_000).congested).toBe(false);
  });

  it('does not judge right after a switch, and counts loss above 10% as congestion', () => {
    const estimate = new DownlinkEstimate();
    estimate.onRemb(200_000, 0);
    expect(estimate.limit(1_000_000, 500, 0).congested).toBe(false);
    const lossy = new DownlinkEstimate();
    lossy.onLoss(0.3, 0);
    lossy.limit(1_000_000, 5_000, 0);
    expect(lossy.limit(1_000_000, 5_000, 700)).toEqual({ budget: 500_000, congested: true });
  });
});
