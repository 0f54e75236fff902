import * as sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { choosePublishCodec, matchViewerCodec, withInbandFec } from '../../src/media/codecs.js';
import type { OfferedCodec } from '../../src/media/codecs.js';
import { MediaRouterError } from '../../src/media/MediaRouter.js';
import { SdpOffer } from '../../src/media/SdpOffer.js';

/** A Chromium-shaped offer (trimmed): opus, then VP8, VP9, several H.264 variants with RTX, RED and ULPFEC. */
function chromiumOffer({ direction = 'sendonly', videoCodecs = ['VP8', 'VP9', 'H264'], setup = 'actpass', audio = true } = {}) {
  const video: Array<[number, string, string?]> = [];
  if (videoCodecs.includes('VP8')) video.push([96, 'VP8/90000'], [97, 'rtx/90000', 'apt=96']);
  if (videoCodecs.includes('VP9')) video.push([98, 'VP9/90000', 'profile-id=0'], [99, 'rtx/90000', 'apt=98']);
  if (videoCodecs.includes('H264')) {
    video.push(
      [102, 'H264/90000', 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f'],
      [103, 'rtx/90000', 'apt=102'],
      [104, 'H264/90000', 'level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f'],
      [106, 'H264/90000', 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f'],
      [112, 'H264/90000', 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f'],
    );
  }
  video.push([116, 'red/90000'], [117, 'ulpfec/90000']);
  const ssrcs = direction === 'recvonly' ? [] : ['a=ssrc-group:FID 1111 2222', 'a=ssrc:1111 cname:x', 'a=ssrc:1111 msid:s t', 'a=ssrc:2222 cname:x', 'a=ssrc:2222 msid:s t'];
  const common = (mid: string) => [
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0',
    'a=candidate:2 1 udp 2122260223 9f2e7c3a-0000-4000-8000-000000000000.local 50001 typ host generation 0',
    'a=candidate:3 1 udp 2122260223 192.0.2.7 50002 typ host generation 0',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
    `a=setup:${setup}`,
    `a=mid:${mid}`,
    `a=${direction}`,
    'a=rtcp-mux',
  ];
  const lines = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', `a=group:BUNDLE ${audio ? '0 1' : '1'}`, 'a=msid-semantic: WMS s'];
  if (audio) {
    lines.push(
      'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 0',
      ...common('0'),
      'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
      'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
      'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
      'a=rtpmap:111 opus/48000/2',
      'a=rtcp-fb:111 transport-cc',
      'a=fmtp:111 minptime=10;useinbandfec=1',
      'a=rtpmap:63 red/48000/2',
      'a=rtpmap:0 PCMU/8000',
      ...(direction === 'recvonly' ? [] : ['a=ssrc:3333 cname:x', 'a=ssrc:3333 msid:s a']),
    );
  }
  lines.push(`m=video 9 UDP/TLS/RTP/SAVPF ${video.map(([pt]) => pt).join(' ')}`, ...common('1'));
  lines.push('a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', 'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', 'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid');
  for (const [pt, codec, fmtp] of video) {
    lines.push(`a=rtpmap:${pt} ${codec}`);
    if (!codec.startsWith('rtx') && !codec.startsWith('red') && !codec.startsWith('ulpfec')) {
      lines.push(`a=rtcp-fb:${pt} goog-remb`, `a=rtcp-fb:${pt} transport-cc`, `a=rtcp-fb:${pt} ccm fir`, `a=rtcp-fb:${pt} nack`, `a=rtcp-fb:${pt} nack pli`);
    }
    if (fmtp) lines.push(`a=fmtp:${pt} ${fmtp}`);
  }
  lines.push(...ssrcs);
  return `${lines.join('\r\n')}\r\n`;
}

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MediaRouterError);
    expect((error as MediaRouterError).code).toBe('bad-request');
    return (error as MediaRouterError).message;
  }
  throw new Error('accepted');
};

describe('SdpOffer.forPublish', () => {
  it('keeps opus and, by default preference, VP8', () => {
    const offer = SdpOffer.forPublish(chromiumOffer(), 'MIC_AND_CAM', ['VP8', 'H264']);
    expect([...offer.codecs()].map(([kind, c]) => [kind, c.mimeType, c.payloadType])).toEqual([
      ['audio', 'audio/opus', 111],
      ['video', 'video/VP8', 96],
    ]);
  });

  it('prefers H.264 packetization-mode 1, constrained baseline, when H.264 is preferred or VP8 absent', () => {
    const h264 = (sdp: string, preference: Array<'VP8' | 'H264'>) => SdpOffer.forPublish(sdp, 'CAM', preference).codecs().get('video');
    expect(h264(chromiumOffer({ audio: false }), ['H264', 'VP8'])).toMatchObject({ payloadType: 106, mimeType: 'video/H264' });
    expect(h264(chromiumOffer({ audio: false, videoCodecs: ['VP9', 'H264'] }), ['VP8', 'H264'])).toMatchObject({ payloadType: 106 });
    expect(refusal(() => h264(chromiumOffer({ audio: false, videoCodecs: ['VP9', 'H264'] }), ['VP8']))).toMatch(/offered: VP9, RTX, H264, RED, ULPFEC; supported: VP8\)/);
  });

  it('narrows the offer to one codec per m-line (opus keeps RED beside it), without RTX, transport-cc or unusable candidates', () => {
    const offer = SdpOffer.forPublish(chromiumOffer(), 'MIC_AND_CAM', ['VP8', 'H264']);
    const narrowed = sdpTransform.parse(offer.narrowed((c) => c.address === '127.0.0.1'));
    const [audio, video] = narrowed.media;
    expect(audio!.rtp.map((r) => r.codec)).toEqual(['opus', 'red']);
    expect(String(audio!.payloads)).toBe('111 63');
    expect(video!.rtp.map((r) => r.codec)).toEqual(['VP8']);
    expect(String(video!.payloads)).toBe('96');
    expect(video!.rtcpFb!.map((fb) => `${fb.type} ${fb.subtype ?? ''}`.trim())).toEqual(['goog-remb', 'ccm fir', 'nack', 'nack pli']);
    expect(video!.ssrcGroups).toBeUndefined();
    expect(new Set(video!.ssrcs!.map((s) => s.id))).toEqual(new Set([1111]));
    expect(video!.candidates!.map((c) => c.ip)).toEqual(['127.0.0.1']);
  });

  it('refuses offers it cannot route, saying why', () => {
    expect(refusal(() => SdpOffer.forPublish(chromiumOffer({ direction: 'recvonly' }), 'MIC_AND_CAM', ['VP8']))).toMatch(/m-line 0 \(audio\) is recvonly/);
    expect(refusal(() => SdpOffer.forPublish(chromiumOffer({ setup: 'active' }), 'MIC_AND_CAM', ['VP8']))).toMatch(/is an answer \(a=setup:active\)/);
    expect(refusal(() => SdpOffer.forPublish(chromiumOffer(), 'MIC', ['VP8']))).toMatch(/1 video m-line\(s\), but a MIC stream carries one audio m-line/);
    expect(refusal(() => SdpOffer.forPublish(chromiumOffer().replace(/a=ssrc.*\r\n/g, ''), 'MIC_AND_CAM', ['VP8']))).toMatch(/no a=ssrc line/);
    expect(refusal(() => SdpOffer.forPublish(chromiumOffer().replace(/a=fingerprint.*\r\n/g, ''), 'MIC_AND_CAM', ['VP8']))).toMatch(/fingerprint/);
    expect(refusal(() => SdpOffer.forPublish(chromiumOffer().replace(/a=ice-pwd.*\r\n/g, ''), 'MIC_AND_CAM', ['VP8']))).toMatch(/ICE credentials/);
    expect(refusal(() => SdpOffer.forPublish(chromiumOffer().replace(/RTP\/SAVPF/g, 'RTP/AVP'), 'MIC_AND_CAM', ['VP8']))).toMatch(/UDP\/TLS\/RTP\/SAVPF/);
    expect(refusal(() => SdpOffer.forPublish(chromiumOffer().replace('a=rtpmap:111 opus/48000/2', 'a=rtpmap:111 G722/8000'), 'MIC_AND_CAM', ['VP8']))).toMatch(/m-line 0 \(audio\) offers no codec .*supported: opus/);
    expect(refusal(() => SdpOffer.forPublish(`${chromiumOffer()}a=simulcast:send q;h\r\n`, 'MIC_AND_CAM', ['VP8']))).toMatch(/simulcast/);
    expect(refusal(() => SdpOffer.forPublish(42, 'CAM', ['VP8']))).toMatch(/empty/);
  });

  it('accepts one audio and/or one video m-line for UNKNOWN', () => {
    expect([...SdpOffer.forPublish(chromiumOffer(), 'UNKNOWN', ['VP8']).codecs().keys()]).toEqual(['audio', 'video']);
    expect([...SdpOffer.forPublish(chromiumOffer({ audio: false }), 'UNKNOWN', ['VP8']).codecs().keys()]).toEqual(['video']);
  });
});

describe('SdpOffer.forPublish with simulcast and a data channel', () => {
  /** Chromium's simulcast offer: rids instead of a=ssrc, the rtp-stream-id extension, and a data channel section. */
  const simulcastOffer = (extra = '', rids = ['q', 'h', 'f']) =>
    chromiumOffer({ audio: false }).replace(/a=ssrc.*\r\n/g, '') +
    'a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n' +
    rids.map((rid) => `a=rid:${rid} send\r\n`).join('') +
    `a=simulcast:send ${rids.join(';')}\r\n${extra}` +
    ['m=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', 'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF', 'a=setup:actpass', 'a=mid:2', 'a=sctp-port:5000', ''].join('\r\n');

  it('keeps the rids lowest first, as a=simulcast lists them, and the data channel section', () => {
    const offer = SdpOffer.forPublish(simulcastOffer(), 'CAM', ['VP8']);
    expect(offer.rids('video')).toEqual(['q', 'h', 'f']);
    expect(offer.hasDataChannel).toBe(true);
    const narrowed = sdpTransform.parse(offer.narrowed(() => true));
    expect(narrowed.media.map((m) => m.type)).toEqual(['video', 'application']);
    expect(narrowed.media[0]!.simulcast).toMatchObject({ dir1: 'send', list1: 'q;h;f' });
    expect(SdpOffer.forPublish(simulcastOffer().replace('a=simulcast:send q;h;f', 'a=simulcast:send q;~h;f'), 'CAM', ['VP8']).rids('video')).toEqual(['q', 'h', 'f']);
  });

  it("drops the SSRCs Firefox lists next to its rids, so werift binds each layer's SSRC by rid alone", () => {
    const firefoxSsrcs = ['a=ssrc:11 cname:x', 'a=ssrc:12 cname:x', 'a=ssrc:21 cname:x', 'a=ssrc:22 cname:x', 'a=ssrc-group:FID 11 12', 'a=ssrc-group:FID 21 22', ''].join('\r\n');
    const offer = SdpOffer.forPublish(simulcastOffer(firefoxSsrcs, ['q', 'h']), 'CAM', ['VP8']);
    const video = sdpTransform.parse(offer.narrowed(() => true)).media[0]!;
    expect(video.ssrcs).toBeUndefined();
    expect(video.ssrcGroups).toBeUndefined();
    expect(video.rids?.map((r) => r.id)).toEqual(['q', 'h']);
  });

  it('leaves the data channel out for werift and puts it back rejected, for a router without data channels', () => {
    const offer = SdpOffer.forPublish(simulcastOffer(), 'CAM', ['VP8']);
    const narrowed = sdpTransform.parse(offer.narrowed(() => true, false));
    expect(narrowed.media.map((m) => m.type)).toEqual(['video']);
    expect(narrowed.groups?.map((g) => String(g.mids))).toEqual(['1']);
    const answer = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 1', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=mid:1', 'a=rtpmap:96 VP8/90000', ''].join('\r\n');
    const completed = sdpTransform.parse(offer.withRejectedDataChannel(answer));
    expect(completed.media.map((m) => [m.type, m.port, String(m.mid)])).toEqual([
      ['video', 9, '1'],
      ['application', 0, '2'],
    ]);
    expect(offer.candidateWithoutDataChannel({ candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '2', sdpMLineIndex: 1 })).toEqual({ candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '1' });
    expect(offer.candidateWithoutDataChannel({ candidate: 'c', sdpMid: '1', sdpMLineIndex: 0 })).toEqual({ candidate: 'c', sdpMid: '1', sdpMLineIndex: 0 });
  });

  it('refuses simulcast it could not route, saying why', () => {
    expect(refusal(() => SdpOffer.forPublish(simulcastOffer().replace(/a=extmap:10 .*\r\n/, ''), 'CAM', ['VP8']))).toMatch(/without the urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id header extension/);
    expect(refusal(() => SdpOffer.forPublish(simulcastOffer().replace('a=rid:h send', 'a=rid:h recv'), 'CAM', ['VP8']))).toMatch(/lists rid h in a=simulcast without an a=rid:h send line/);
    expect(refusal(() => SdpOffer.forPublish(simulcastOffer().replace('m=application 9 UDP/DTLS/SCTP', 'm=application 9 UDP/DTLS/RTP'), 'CAM', ['VP8']))).toMatch(/needs UDP\/DTLS\/SCTP/);
  });
});

describe('SdpOffer.forView', () => {
  const published = (video: OfferedCodec) => new Map([['video', video] as const]);

  it('keeps the viewer codec that carries the published one, whatever its payload type', () => {
    const offer = SdpOffer.forView(chromiumOffer({ direction: 'recvonly', audio: false }), published({ payloadType: 120, mimeType: 'video/VP8', clockRate: 90000 }));
    expect(offer.codecs().get('video')).toMatchObject({ payloadType: 96 });
  });

  it('matches H.264 by packetization mode and profile, not just by name', () => {
    const source = { payloadType: 127, mimeType: 'video/H264', clockRate: 90000, fmtp: 'packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1' };
    const offer = SdpOffer.forView(chromiumOffer({ direction: 'recvonly', audio: false }), published(source));
    expect(offer.codecs().get('video')).toMatchObject({ payloadType: 106 });
    const high = { ...source, fmtp: 'packetization-mode=1;profile-level-id=640c1f' };
    expect(refusal(() => SdpOffer.forView(chromiumOffer({ direction: 'recvonly', audio: false, videoCodecs: ['VP8'] }), published(high)))).toMatch(/no codec matching the stream's H264/);
  });
});

describe('codec choice', () => {
  const vp8: OfferedCodec = { payloadType: 96, mimeType: 'video/VP8', clockRate: 90000 };
  const h264 = (pt: number, fmtp: string): OfferedCodec => ({ payloadType: pt, mimeType: 'video/H264', clockRate: 90000, fmtp });

  it('follows the configured order and ranks H.264 variants', () => {
    const offered = [h264(1, 'packetization-mode=0;profile-level-id=42e01f'), h264(2, 'packetization-mode=1;profile-level-id=4d001f'), h264(3, 'packetization-mode=1;profile-level-id=42e01f'), vp8];
    expect(choosePublishCodec('video', offered, ['VP8', 'H264'])?.payloadType).toBe(96);
    expect(choosePublishCodec('video', offered, ['H264', 'VP8'])?.payloadType).toBe(3);
    expect(choosePublishCodec('video', offered.slice(0, 2), ['H264'])?.payloadType).toBe(2);
    expect(choosePublishCodec('audio', [{ payloadType: 0, mimeType: 'audio/PCMU', clockRate: 8000 }], ['VP8'])).toBeUndefined();
  });

  it('treats a missing packetization-mode as 0 (RFC 6184)', () => {
    const source = h264(5, 'profile-level-id=42e01f');
    expect(matchViewerCodec(source, [h264(6, 'packetization-mode=1;profile-level-id=42e01f')])).toBeUndefined();
    expect(matchViewerCodec(source, [h264(7, 'packetization-mode=0;profile-level-id=42e01f')])?.payloadType).toBe(7);
  });
});

describe('opus in-band FEC', () => {
  /** A minimal answer as werift writes it, with the opus fmtp of its choice. */
  const answer = (fmtp?: string) =>
    ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=rtpmap:111 opus/48000/2', ...(fmtp ? [`a=fmtp:111 ${fmtp}`] : []), ''].join('\r\n');
  const opusFmtp = (sdp: string) => /^a=fmtp:111 (.*)$/m.exec(sdp)?.[1]?.trim();

  it("puts useinbandfec=1 into the opus answer to a publisher, whatever its offer said", () => {
    const withoutFec = chromiumOffer({ videoCodecs: ['VP8'] }).replace('a=fmtp:111 minptime=10;useinbandfec=1', 'a=fmtp:111 minptime=10;useinbandfec=0');
    const offer = SdpOffer.forPublish(withoutFec, 'MIC_AND_CAM', ['VP8']);
    expect(opusFmtp(offer.completeAnswer(answer('minptime=10;useinbandfec=0')))).toBe('minptime=10;useinbandfec=1');
    expect(opusFmtp(offer.completeAnswer(answer()))).toBe('useinbandfec=1');
  });

  it("keeps it in a viewer's answer where the viewer offered it, and adds nothing otherwise", () => {
    const published = SdpOffer.forPublish(chromiumOffer({ videoCodecs: ['VP8'] }), 'MIC_AND_CAM', ['VP8']).codecs();
    const fec = SdpOffer.forView(chromiumOffer({ direction: 'recvonly', videoCodecs: ['VP8'] }), published);
    expect(opusFmtp(fec.completeAnswer(answer('minptime=10')))).toBe('minptime=10;useinbandfec=1');
    const noFec = SdpOffer.forView(chromiumOffer({ direction: 'recvonly', videoCodecs: ['VP8'] }).replace(';useinbandfec=1', ''), published);
    expect(opusFmtp(noFec.completeAnswer(answer('minptime=10')))).toBe('minptime=10');
  });

  it('withInbandFec replaces any useinbandfec value and keeps the rest', () => {
    expect(withInbandFec('minptime=10; useinbandfec=0;stereo=1')).toBe('minptime=10;stereo=1;useinbandfec=1');
    expect(withInbandFec(undefined)).toBe('useinbandfec=1');
  });
});

describe('SdpOffer.forPublish for a reconnection', () => {
  const published = SdpOffer.forPublish(chromiumOffer({ videoCodecs: ['VP8', 'H264'] }), 'MIC_AND_CAM', ['VP8', 'H264']).codecs();

  it("keeps the stream's codec even when the router would prefer another", () => {
    const offer = SdpOffer.forPublish(chromiumOffer({ videoCodecs: ['VP8', 'H264'] }), 'MIC_AND_CAM', ['H264', 'VP8'], published);
    expect(offer.codecs().get('video')?.mimeType).toBe('video/VP8');
  });

  it("refuses an offer without the stream's codec", () => {
    expect(() => SdpOffer.forPublish(chromiumOffer({ videoCodecs: ['H264'] }), 'MIC_AND_CAM', ['VP8', 'H264'], published)).toThrow(
      /m-line 1 \(video\) offers no codec matching the stream's VP8; a reconnection keeps the stream's codecs/,
    );
  });
});
