import * as sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { choosePublishCodec, codecName, describeCodec, hasInbandFec, matchViewerCodec, withInbandFec, withRed } from './codecs.js';
import type { MediaKind, OfferedCodec } from './codecs.js';
import { MediaRouterError } from './MediaRouter.js';
import type { IceCandidate, StreamType } from './MediaRouter.js';
import type { VideoCodecName } from './MediaRouterOptions.js';
import { parseCandidateLine } from './NetworkConfig.js';
import type { CandidateAddress } from './NetworkConfig.js';

/** The media kinds each stream type carries; UNKNOWN accepts one audio and/or one video m-line. */
export const STREAM_TYPE_KINDS: Record<Exclude<StreamType, 'UNKNOWN'>, readonly MediaKind[]> = {
  MIC: ['audio'],
  CAM: ['video'],
  SCREEN: ['video'],
  MIC_AND_CAM: ['audio', 'video'],
};

/** One checked m-section of an offer and the single codec the router keeps in it. */
export interface OfferedSection {
  index: number;
  kind: MediaKind;
  codec: OfferedCodec;
  /** The simulcast rids a publisher sends in this section, lowest layer first (the order of `a=simulcast:send`); empty without simulcast. */
  rids: readonly string[];
}

/** The header extension that tells simulcast layers apart (RFC 8852); werift routes rid packets by it. */
export const RTP_STREAM_ID_URI = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';

const bad = (message: string) => new MediaRouterError('bad-request', message);

const offeredCodecs = (media: MediaDescription): OfferedCodec[] =>
  media.rtp.map((rtp) => ({
    payloadType: rtp.payload,
    mimeType: `${media.type}/${rtp.codec}`,
    clockRate: rtp.rate ?? 0,
    ...(rtp.encoding === undefined ? {} : { channels: Number(rtp.encoding) }),
    ...(() => {
      const fmtp = media.fmtp.find((f) => f.payload === rtp.payload)?.config;
      return fmtp === undefined ? {} : { fmtp };
    })(),
  }));

const label = (media: MediaDescription, index: number) => `m-line ${index} (${media.type})`;

/**
 * A client's SDP offer, checked and narrowed before werift sees it: werift negotiates every codec of
 * the offer whose name it knows and routes RTP by SSRC only, so the router decides the codec itself
 * and refuses offers it could not route, with a message that says why.
 */
export class SdpOffer {
  private constructor(
    private readonly session: SessionDescription,
    /** The checked sections with the codec kept in each. */
    readonly sections: readonly OfferedSection[],
    /** A publisher's offer (the router receives) or a viewer's (the router sends). */
    private readonly role: 'publish' | 'view',
  ) {}

  /**
   * Checks a publisher's offer for a stream type and keeps, per m-section, the codec the router
   * prefers; for a reconnection of a stream (`published`), the codec of each kind must be the one the
   * stream already has, since its viewers negotiated that one.
   */
  static forPublish(sdp: unknown, streamType: StreamType, videoPreference: readonly VideoCodecName[], published?: ReadonlyMap<MediaKind, OfferedCodec>): SdpOffer {
    const session = parseOffer(sdp);
    const kinds = session.media.map((m) => m.type);
    for (const kind of ['audio', 'video'] as const) {
      const count = kinds.filter((k) => k === kind).length;
      if (streamType === 'UNKNOWN') {
        if (count > 1) throw bad(`sdpOffer has ${count} ${kind} m-lines; a stream carries at most one ${kind} track`);
        continue;
      }
      const expected = STREAM_TYPE_KINDS[streamType];
      if (count !== (expected.includes(kind) ? 1 : 0)) {
        const expectation = expected.map((k) => `one ${k}`).join(' and ');
        throw bad(`sdpOffer has ${count} ${kind} m-line(s), but a ${streamType} stream carries ${expectation} m-line`);
      }
    }
    const sections: OfferedSection[] = [];
    session.media.forEach((media, index) => {
      if (media.type === 'application') return;
      if (media.direction !== 'sendonly' && media.direction !== 'sendrecv') {
        throw bad(`sdpOffer ${label(media, index)} is ${media.direction ?? 'sendrecv-less'}: a publisher's offer must send (sendonly)`);
      }
      const rids = simulcastRids(media, index);
      if (rids.length === 0 && !(media.ssrcs ?? []).length) {
        throw bad(`sdpOffer ${label(media, index)} has no a=ssrc line and no simulcast rids; the server routes RTP by SSRC or rid`);
      }
      const kind = media.type as MediaKind;
      const offered = offeredCodecs(media);
      const current = published?.get(kind);
      if (published && !current) throw bad(`sdpOffer ${label(media, index)} carries ${kind}, which the published stream does not`);
      const chosen = current ? matchViewerCodec(current, offered) : choosePublishCodec(kind, offered, videoPreference);
      // RED (RFC 2198) is received beside opus when offered, and forwarded as it comes (see RedPacket).
      const codec = chosen && kind === 'audio' ? withRed(chosen, offered) : chosen;
      if (current && !codec) {
        throw bad(`sdpOffer ${label(media, index)} offers no codec matching the stream's ${describeCodec(current)}; a reconnection keeps the stream's codecs`);
      }
      if (!codec) {
        const supported = kind === 'audio' ? 'opus' : videoPreference.join(', ');
        const names = [...new Set(offered.map(codecName))].join(', ') || 'none';
        throw bad(`sdpOffer ${label(media, index)} offers no codec the server can route (offered: ${names}; supported: ${supported})`);
      }
      sections.push({ index, kind, codec, rids });
    });
    return new SdpOffer(session, sections, 'publish');
  }

  /**
   * Checks a viewer's offer against the codecs a publisher negotiated and keeps the matching codec.
   * An m-line of a kind the stream does not carry (a viewer of a SCREEN stream offers audio too, for
   * tab audio it cannot know about) is not routed: it gets no sendonly transceiver, so the answer
   * marks it inactive (RFC 3264 §6) and the viewer drops it. An offer with nothing routable is 400.
   */
  static forView(sdp: unknown, published: ReadonlyMap<MediaKind, OfferedCodec>): SdpOffer {
    const session = parseOffer(sdp);
    const seen = new Set<string>();
    const unrouted: string[] = [];
    const sections: OfferedSection[] = [];
    session.media.forEach((media, index) => {
      if (media.type === 'application') return;
      const kind = media.type as MediaKind;
      if (seen.has(kind)) throw bad(`sdpOffer has more than one ${kind} m-line; a stream has one ${kind} track`);
      seen.add(kind);
      if (media.direction !== 'recvonly' && media.direction !== 'sendrecv') {
        throw bad(`sdpOffer ${label(media, index)} is ${media.direction ?? 'sendrecv-less'}: a viewer's offer must receive (recvonly)`);
      }
      const source = published.get(kind);
      if (!source) {
        unrouted.push(`${label(media, index)} asks for ${kind}`);
        return;
      }
      const offered = offeredCodecs(media);
      const matched = matchViewerCodec(source, offered);
      if (!matched) {
        throw bad(`sdpOffer ${label(media, index)} offers no codec matching the stream's ${describeCodec(source)}`);
      }
      // RED is negotiated with a viewer only when the publisher's packets may be RED.
      const codec = source.redPayloadType === undefined ? matched : withRed(matched, offered);
      sections.push({ index, kind, codec, rids: [] });
    });
    if (sections.length === 0) {
      throw bad(`sdpOffer ${unrouted.join(', ')}, but the stream carries only ${[...published.keys()].join(' and ')}`);
    }
    return new SdpOffer(session, sections, 'view');
  }

  /**
   * werift's answer with the router's own parameters: the opus fmtp of a publisher's answer always
   * has `useinbandfec=1` (so its encoder adds in-band FEC, whatever its offer said), a viewer's when
   * its offer asked for it (werift echoes the offer's fmtp; this makes sure of it). A publisher's
   * answer lists RED before opus: libwebrtc sends RED only when the remote description puts it
   * first (`WebRtcVoiceSendChannel::SetSendCodecs`), and browsers offer opus first.
   */
  completeAnswer(answerSdp: string): string {
    const opus = this.sections.filter((s) => codecName(s.codec) === 'OPUS' && (this.role === 'publish' || hasInbandFec(s.codec.fmtp)));
    if (opus.length === 0) return answerSdp;
    const session = sdpTransform.parse(answerSdp);
    for (const section of opus) {
      const media = session.media[section.index];
      const pt = section.codec.payloadType;
      if (!media?.rtp.some((r) => r.payload === pt)) continue;
      const fmtp = media.fmtp.find((f) => f.payload === pt);
      if (fmtp) fmtp.config = withInbandFec(fmtp.config);
      else media.fmtp.push({ payload: pt, config: withInbandFec(undefined) });
      const red = section.codec.redPayloadType;
      if (this.role === 'publish' && red !== undefined && media.rtp.some((r) => r.payload === red)) {
        media.rtp.sort((a, b) => Number(b.payload === red) - Number(a.payload === red));
        media.payloads = media.rtp.map((r) => r.payload).join(' ');
      }
    }
    return sdpTransform.write(session);
  }

  /** The codec kept for each kind. */
  codecs(): Map<MediaKind, OfferedCodec> {
    return new Map(this.sections.map((s) => [s.kind, s.codec]));
  }

  /** The simulcast rids of a kind, lowest layer first; empty when that kind is sent as one stream. */
  rids(kind: MediaKind): readonly string[] {
    return this.sections.find((s) => s.kind === kind)?.rids ?? [];
  }

  /** Whether the offer opens a data channel (an `m=application` section), which werift answers. */
  get hasDataChannel(): boolean {
    return this.session.media.some((m) => m.type === 'application');
  }

  /**
   * The offer for werift: each m-section reduced to its kept codec, and RED beside opus when kept
   * (no RTX or FEC, so no second SSRC; a simulcast section keeps no SSRC at all, its layers are bound by rid), without
   * transport-cc feedback (bandwidth comes from REMB), and without the remote candidates
   * `acceptsCandidate` refuses. Without `keepDataChannel` the data channel section is
   * left out (see {@link withRejectedDataChannel}).
   */
  narrowed(acceptsCandidate: (candidate: CandidateAddress) => boolean, keepDataChannel = true): string {
    const session: SessionDescription = structuredClone(this.session);
    for (const section of this.sections) {
      const media = session.media[section.index]!;
      const kept = new Set([section.codec.payloadType, section.codec.redPayloadType]);
      media.rtp = media.rtp.filter((r) => kept.has(r.payload));
      media.fmtp = media.fmtp.filter((f) => kept.has(f.payload));
      media.rtcpFb = media.rtcpFb?.filter((fb) => kept.has(Number(fb.payload)) && fb.type !== 'transport-cc');
      media.payloads = media.rtp.map((r) => r.payload).join(' ');
      const groups = media.ssrcGroups ?? [];
      const secondary = new Set(groups.flatMap((g) => g.ssrcs.split(' ').slice(1).map(Number)));
      delete media.ssrcGroups;
      // Firefox lists its layers' SSRCs next to the rids; werift would bind the first one to a track
      // of its own (no rid), which gets that layer's packets once Firefox stops sending the rid
      // extension (after the first receiver report). Layers are bound by rid alone, as RFC 8852 and
      // Chromium's offers (no a=ssrc) have it; pion does the same (pion/webrtc#2003).
      if (section.rids.length > 0) delete media.ssrcs;
      else media.ssrcs = media.ssrcs?.filter((s) => !secondary.has(Number(s.id)));
    }
    // Candidates sit on the first m-line under BUNDLE, which may be one left unrouted: filter them all.
    for (const media of session.media) {
      media.candidates = media.candidates?.filter((c) => {
        const parsed = parseCandidateLine(`candidate:${c.foundation} ${c.component} ${c.transport} ${c.priority} ${c.ip} ${c.port} typ ${c.type}`);
        return parsed !== undefined && acceptsCandidate(parsed);
      });
    }
    const application = session.media.findIndex((m) => m.type === 'application');
    if (!keepDataChannel && application >= 0) {
      const [removed] = session.media.splice(application, 1);
      const mid = String(removed!.mid);
      for (const group of session.groups ?? []) group.mids = String(group.mids).split(' ').filter((m) => m !== mid).join(' ');
      // Under BUNDLE the candidates may sit on the removed section only.
      if (!session.media.some((m) => (m.candidates ?? []).length > 0)) session.media[0]!.candidates = removed!.candidates;
    }
    return sdpTransform.write(session);
  }

  /**
   * werift's answer to the offer narrowed without its data channel, with that section put back,
   * rejected: port 0 and outside BUNDLE (RFC 3264 §6, RFC 8843 §7.3.3). Rejecting it in werift's
   * own answer would not do: werift reports a connection `connected` only once SCTP is up.
   */
  withRejectedDataChannel(answerSdp: string): string {
    const index = this.session.media.findIndex((m) => m.type === 'application');
    if (index < 0) return answerSdp;
    const original = this.session.media[index]!;
    const session = sdpTransform.parse(answerSdp);
    const rejected = { type: 'application', port: 0, protocol: original.protocol, payloads: original.payloads, connection: { version: 4, ip: '0.0.0.0' }, mid: original.mid, rtp: [], fmtp: [] };
    session.media.splice(index, 0, rejected as unknown as (typeof session.media)[number]);
    return sdpTransform.write(session);
  }

  /**
   * A trickled candidate as werift must see it when the data channel section was left out: one that
   * names that section names the first kept one (under BUNDLE they share one transport), an index
   * past it moves down by one.
   */
  candidateWithoutDataChannel(candidate: IceCandidate): IceCandidate {
    const index = this.session.media.findIndex((m) => m.type === 'application');
    // Malformed input is left as it is, for addRemoteCandidates to refuse with its message.
    if (index < 0 || typeof candidate?.candidate !== 'string') return candidate;
    const mid = String(this.session.media[index]!.mid);
    const { sdpMid, sdpMLineIndex } = candidate;
    if ((sdpMid !== undefined && sdpMid !== null && String(sdpMid) === mid) || ((sdpMid === undefined || sdpMid === null) && sdpMLineIndex === index)) {
      return { candidate: candidate.candidate, sdpMid: String(this.session.media.find((m) => m.type !== 'application')!.mid) };
    }
    if ((sdpMid === undefined || sdpMid === null) && typeof sdpMLineIndex === 'number' && sdpMLineIndex > index) return { ...candidate, sdpMLineIndex: sdpMLineIndex - 1 };
    return candidate;
  }
}

/** Checks what every offer must be: SDP text, with audio/video m-sections, ICE and DTLS, an offer rather than an answer. */
function parseOffer(sdp: unknown): SessionDescription {
  if (typeof sdp !== 'string' || sdp.trim() === '') throw bad('sdpOffer is empty');
  const text = sdp.trim();
  if (!text.startsWith('v=0')) throw bad('sdpOffer is not SDP: it must start with "v=0"');
  // sdp-transform splits on \r?\n; an SDP pasted with bare \n is accepted the same way.
  const session = sdpTransform.parse(`${text}\r\n`);
  if (session.media.length === 0) throw bad('sdpOffer has no media sections (m= lines)');
  if (session.media.filter((m) => m.type === 'application').length > 1) throw bad('sdpOffer has more than one m=application section; one data channel section carries every channel');
  session.media.forEach((media, index) => {
    if (media.type === 'application') {
      if (!/SCTP/.test(media.protocol)) throw bad(`sdpOffer ${label(media, index)} uses ${media.protocol}; a data channel needs UDP/DTLS/SCTP`);
    } else if (media.type !== 'audio' && media.type !== 'video') {
      throw bad(`sdpOffer ${label(media, index)} is not audio, video or a data channel; nothing else is routed`);
    } else if (!/SAVPF/.test(media.protocol)) {
      throw bad(`sdpOffer ${label(media, index)} uses ${media.protocol}; WebRTC media needs UDP/TLS/RTP/SAVPF`);
    }
    if (media.port === 0 && !media.bundleOnly) throw bad(`sdpOffer ${label(media, index)} is disabled (port 0)`);
    const setup = media.setup ?? session.setup;
    if (setup === 'active' || setup === 'passive') {
      throw bad(`sdpOffer is an answer (a=setup:${setup}), not an offer: send the SDP of createOffer()`);
    }
    if (setup !== 'actpass') throw bad(`sdpOffer ${label(media, index)} has no a=setup:actpass`);
    if (!(media.iceUfrag ?? session.iceUfrag) || !(media.icePwd ?? session.icePwd)) {
      throw bad(`sdpOffer ${label(media, index)} has no ICE credentials (a=ice-ufrag, a=ice-pwd)`);
    }
    if (!(media.fingerprint ?? session.fingerprint)) throw bad(`sdpOffer ${label(media, index)} has no DTLS a=fingerprint`);
    if (media.mid === undefined || String(media.mid) === '') throw bad(`sdpOffer ${label(media, index)} has no a=mid`);
    if (media.type !== 'application' && media.rtp.length === 0) throw bad(`sdpOffer ${label(media, index)} lists no codec (a=rtpmap)`);
  });
  return session;
}

/**
 * The rids of a publisher's simulcast section, lowest first, as `a=simulcast:send` lists them (an
 * alternative list `a,b` keeps its first rid, a paused `~r` counts as sent); empty without simulcast.
 * Refused: simulcast on audio, the old draft syntax, and rids without the rtp-stream-id extension
 * (werift could not tell the layers apart).
 */
function simulcastRids(media: MediaDescription, index: number): string[] {
  if (media.simulcast_03) throw bad(`sdpOffer ${label(media, index)} uses the old simulcast draft (a=simulcast: rid=...); send a=simulcast:send with a=rid lines`);
  const sendRids = (media.rids ?? []).filter((r) => r.direction === 'send').map((r) => String(r.id));
  const { simulcast } = media;
  const list = simulcast?.dir1 === 'send' ? simulcast.list1 : simulcast?.dir2 === 'send' ? simulcast.list2 : undefined;
  const rids = list === undefined ? sendRids : list.split(';').map((alternatives) => alternatives.split(',')[0]!.replace(/^~/, '').trim());
  if (rids.length === 0) return [];
  if (media.type !== 'video') throw bad(`sdpOffer ${label(media, index)} uses simulcast on ${media.type}; only video layers are routed`);
  const missing = rids.find((rid) => !sendRids.includes(rid));
  if (missing !== undefined) throw bad(`sdpOffer ${label(media, index)} lists rid ${missing} in a=simulcast without an a=rid:${missing} send line`);
  if (new Set(rids).size !== rids.length) throw bad(`sdpOffer ${label(media, index)} lists a simulcast rid twice`);
  if (!(media.ext ?? []).some((e) => e.uri === RTP_STREAM_ID_URI)) {
    throw bad(`sdpOffer ${label(media, index)} uses simulcast without the ${RTP_STREAM_ID_URI} header extension, so its layers cannot be told apart`);
  }
  return rids;
}
