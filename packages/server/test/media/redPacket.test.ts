import { createRequire } from 'node:module';
import * as sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import * as weriftEsm from 'werift';
import { WERIFT_PASSES_RED_THROUGH, withRed } from '../../src/media/codecs.js';
import type { OfferedCodec } from '../../src/media/codecs.js';
import { mapRedPayloadTypes, parseRedBlocks, redPrimaryBlock, translateAudioPayload } from '../../src/media/RedPacket.js';
import { SdpOffer } from '../../src/media/SdpOffer.js';

/** A RED payload (RFC 2198) with redundant blocks `[pt, timestampOffset, data]` and the primary `[pt, data]`. */
function red(redundant: Array<[number, number, number[]]>, primary: [number, number[]]): Buffer {
  const headers = redundant.flatMap(([pt, offset, data]) => [0x80 | pt, offset >> 6, ((offset & 0x3f) << 2) | (data.length >> 8), data.length & 0xff]);
  return Buffer.from([...headers, primary[0], ...redundant.flatMap(([, , data]) => data), ...primary[1]]);
}

describe('RED payloads (RFC 2198)', () => {
  it('reads the block headers: redundant blocks with offset and length, the primary block to the end', () => {
    const payload = red([[111, 1920, [1, 2, 3]], [111, 960, [4, 5]]], [111, [6, 7, 8, 9]]);
    expect(parseRedBlocks(payload)).toEqual([
      { payloadType: 111, timestampOffset: 1920, start: 9, end: 12 },
      { payloadType: 111, timestampOffset: 960, start: 12, end: 14 },
      { payloadType: 111, timestampOffset: 0, start: 14, end: 18 },
    ]);
    expect(redPrimaryBlock(payload)).toEqual({ payloadType: 111, payload: Buffer.from([6, 7, 8, 9]) });
  });

  it('takes a packet with the primary block alone, and an empty primary block', () => {
    expect(redPrimaryBlock(red([], [111, [0xfc, 1]]))).toEqual({ payloadType: 111, payload: Buffer.from([0xfc, 1]) });
    expect(redPrimaryBlock(red([[111, 960, [1]]], [111, []]))).toEqual({ payloadType: 111, payload: Buffer.alloc(0) });
  });

  it('refuses malformed payloads instead of reading past them', () => {
    expect(parseRedBlocks(Buffer.alloc(0))).toBeUndefined();
    // Only F=1 headers: no primary header before the end.
    expect(parseRedBlocks(Buffer.from([0x80 | 111, 0, 0, 1]))).toBeUndefined();
    // A redundant header cut short.
    expect(parseRedBlocks(Buffer.from([0x80 | 111, 0, 0]))).toBeUndefined();
    // A block longer than what follows.
    const overrun = red([[111, 960, [1, 2, 3]]], [111, [4]]).subarray(0, 7);
    expect(parseRedBlocks(overrun)).toBeUndefined();
    expect(redPrimaryBlock(overrun)).toBeUndefined();
    expect(mapRedPayloadTypes(overrun, () => 109)).toBeUndefined();
  });

  it('maps the blocks payload types, copying only when one changes', () => {
    const payload = red([[111, 960, [1, 2]]], [111, [3]]);
    expect(mapRedPayloadTypes(payload, (pt) => pt)).toBe(payload);
    const mapped = mapRedPayloadTypes(payload, () => 109)!;
    expect(parseRedBlocks(mapped)!.map((b) => b.payloadType)).toEqual([109, 109]);
    expect(mapped.subarray(5)).toEqual(payload.subarray(5));
    expect(payload[0]).toBe(0x80 | 111);
    expect(mapRedPayloadTypes(payload, () => undefined)).toBeUndefined();
  });

  it('translates each packet for a viewer with RED, without RED, and refuses what it cannot label', () => {
    const publisher = { opus: 111, red: 63 };
    const payload = red([[111, 960, [1, 2]]], [111, [3, 4]]);
    const withRedViewer = translateAudioPayload(63, payload, publisher, { opus: 109, red: 120 })!;
    expect(withRedViewer.payloadType).toBe(120);
    expect(parseRedBlocks(withRedViewer.payload)!.map((b) => b.payloadType)).toEqual([109, 109]);
    expect(translateAudioPayload(63, payload, publisher, { opus: 109 })).toEqual({ payloadType: 109, payload: Buffer.from([3, 4]) });
    expect(translateAudioPayload(111, Buffer.from([5]), publisher, { opus: 109, red: 120 })).toEqual({ payloadType: 109, payload: Buffer.from([5]) });
    // A primary block that is not opus (e.g. a comfort noise PT) cannot be labelled as the viewer's opus.
    expect(translateAudioPayload(63, red([], [13, [1]]), publisher, { opus: 109 })).toBeUndefined();
    expect(translateAudioPayload(63, Buffer.from([0x80 | 111]), publisher, { opus: 109 })).toBeUndefined();
    expect(translateAudioPayload(0, Buffer.from([1]), publisher, { opus: 109 })).toBeUndefined();
    // A publisher without RED: a packet under the (viewer's) RED number is not one of its own.
    expect(translateAudioPayload(63, payload, { opus: 111 }, { opus: 111, red: 63 })).toBeUndefined();
  });
});

/** A browser-shaped audio offer: opus, RED carrying opus, PCMU. */
function audioOffer({ direction = 'sendonly', opus = 111, redPt = 63, redFmtp = `${opus}/${opus}` as string | undefined, withRedCodec = true } = {}) {
  const payloads = [opus, ...(withRedCodec ? [redPt] : []), 0];
  return [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    `m=audio 9 UDP/TLS/RTP/SAVPF ${payloads.join(' ')}`,
    'c=IN IP4 0.0.0.0',
    'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
    'a=setup:actpass',
    'a=mid:0',
    `a=${direction}`,
    'a=rtcp-mux',
    `a=rtpmap:${opus} opus/48000/2`,
    `a=rtcp-fb:${opus} transport-cc`,
    `a=fmtp:${opus} minptime=10;useinbandfec=1`,
    ...(withRedCodec ? [`a=rtpmap:${redPt} red/48000/2`, ...(redFmtp === undefined ? [] : [`a=fmtp:${redPt} ${redFmtp}`])] : []),
    'a=rtpmap:0 PCMU/8000',
    ...(direction === 'sendonly' ? ['a=ssrc:3333 cname:x'] : []),
    '',
  ].join('\r\n');
}

describe('SdpOffer with RED', () => {
  const audioOf = (sdp: string) => sdpTransform.parse(sdp).media[0]!;

  it('keeps RED beside opus in a publisher offer, and lists it first in the answer so libwebrtc sends it', () => {
    const offer = SdpOffer.forPublish(audioOffer(), 'MIC', ['VP8']);
    expect(offer.codecs().get('audio')).toMatchObject({ payloadType: 111, redPayloadType: 63 });
    const narrowed = audioOf(offer.narrowed(() => true));
    expect(narrowed.rtp.map((r) => r.codec)).toEqual(['opus', 'red']);
    expect(String(narrowed.payloads)).toBe('111 63');
    expect(narrowed.fmtp.map((f) => f.config)).toEqual(['minptime=10;useinbandfec=1', '111/111']);
    // werift answers with the offer's order; the router puts RED first and keeps in-band FEC on.
    const answer = audioOf(offer.completeAnswer(offer.narrowed(() => true).replace('a=sendonly', 'a=recvonly').replace('a=setup:actpass', 'a=setup:active')));
    expect(String(answer.payloads)).toBe('63 111');
    expect(answer.fmtp.find((f) => f.payload === 111)!.config).toMatch(/useinbandfec=1/);
  });

  it('leaves RED out when it carries something else than the kept opus, and changes nothing without RED', () => {
    expect(SdpOffer.forPublish(audioOffer({ redFmtp: '111/0' }), 'MIC', ['VP8']).codecs().get('audio')!.redPayloadType).toBeUndefined();
    const plain = SdpOffer.forPublish(audioOffer({ withRedCodec: false }), 'MIC', ['VP8']);
    expect(plain.codecs().get('audio')!.redPayloadType).toBeUndefined();
    expect(String(audioOf(plain.narrowed(() => true)).payloads)).toBe('111');
    const answer = plain.narrowed(() => true).replace('a=sendonly', 'a=recvonly');
    expect(String(audioOf(plain.completeAnswer(answer)).payloads)).toBe('111');
  });

  it('negotiates RED with a viewer only when the publisher has it, under the viewer own payload types', () => {
    const source = (codec: OfferedCodec) => new Map([['audio', codec] as const]);
    const publisherOpus: OfferedCodec = { payloadType: 111, mimeType: 'audio/opus', clockRate: 48000, channels: 2, redPayloadType: 63 };
    const viewer = SdpOffer.forView(audioOffer({ direction: 'recvonly', opus: 109, redPt: 120 }), source(publisherOpus));
    expect(viewer.codecs().get('audio')).toMatchObject({ payloadType: 109, redPayloadType: 120 });
    expect(String(audioOf(viewer.narrowed(() => true)).payloads)).toBe('109 120');
    const withoutRed = SdpOffer.forView(audioOffer({ direction: 'recvonly', withRedCodec: false }), source(publisherOpus));
    expect(withoutRed.codecs().get('audio')!.redPayloadType).toBeUndefined();
    const { redPayloadType: _, ...plainSource } = publisherOpus;
    const publisherWithoutRed = SdpOffer.forView(audioOffer({ direction: 'recvonly' }), source(plainSource));
    expect(String(audioOf(publisherWithoutRed.narrowed(() => true)).payloads)).toBe('111');
  });

  it('finds the passThroughRed patch in this werift, off by default, in both builds: without it RED would not be negotiated at all', () => {
    expect(WERIFT_PASSES_RED_THROUGH).toBe(true);
    // `import` loads lib/index.mjs (the server), `require` lib/webrtc/src/index.js; patches/werift+0.24.4.patch changes both.
    const weriftCjs = createRequire(import.meta.url)('werift') as Pick<typeof weriftEsm, 'RTCRtpSender' | 'RTCRtpReceiver'>;
    for (const werift of [weriftEsm, weriftCjs]) {
      expect(new werift.RTCRtpSender('audio').passThroughRed).toBe(false);
      expect(werift.RTCRtpReceiver.toString()).toContain('passThroughRed');
    }
  });

  it('takes a RED codec without fmtp, whose blocks are checked per packet', () => {
    const opus: OfferedCodec = { payloadType: 111, mimeType: 'audio/opus', clockRate: 48000 };
    expect(withRed(opus, [opus, { payloadType: 63, mimeType: 'audio/red', clockRate: 48000 }])).toMatchObject({ redPayloadType: 63 });
    expect(withRed({ ...opus, redPayloadType: 63 }, [opus])).toEqual(opus);
  });
});
