import { RTCRtpCodecParameters, RTCRtpReceiver, RTCRtpSender, useH264, useOPUS, useVP8 } from 'werift';
import type { VideoCodecName } from './MediaRouterOptions.js';

/** A media kind the router forwards. */
export type MediaKind = 'audio' | 'video';

/** One codec of an SDP m-section, as offered by a client. */
export interface OfferedCodec {
  payloadType: number;
  /** e.g. `video/VP8`, `audio/opus`. */
  mimeType: string;
  clockRate: number;
  channels?: number;
  /** The a=fmtp parameters, verbatim. */
  fmtp?: string;
  /** Opus: the payload type of `audio/red` (RFC 2198) kept beside it, when RED is negotiated too. */
  redPayloadType?: number;
}

/** The codec name part of a mime type, upper-cased (`VP8`, `H264`, `OPUS`). */
export const codecName = (codec: Pick<OfferedCodec, 'mimeType'>) => codec.mimeType.split('/')[1]?.toUpperCase() ?? '';

/** Parses `a=fmtp` parameters (`key=value;key=value`) into a map with lower-cased keys. */
export function fmtpParameters(fmtp: string | undefined): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const part of (fmtp ?? '').split(';')) {
    const [key, value] = part.split('=');
    if (key?.trim()) parameters.set(key.trim().toLowerCase(), (value ?? '').trim());
  }
  return parameters;
}

/** H.264 packetization-mode (RFC 6184: 0 when absent). */
const packetizationMode = (codec: OfferedCodec) => fmtpParameters(codec.fmtp).get('packetization-mode') ?? '0';

/** profile_idc and profile-iop (the first four hex digits of profile-level-id; level excluded, it may differ). */
const h264Profile = (codec: OfferedCodec) => (fmtpParameters(codec.fmtp).get('profile-level-id') ?? '42000a').slice(0, 4).toLowerCase();

/**
 * Ranks H.264 variants: packetization-mode 1 first (what browsers send by default), then
 * constrained baseline (profile-level-id 42e0xx), the one profile every WebRTC endpoint decodes.
 */
const h264Rank = (codec: OfferedCodec) => (packetizationMode(codec) === '1' ? 0 : 2) + (h264Profile(codec) === '42e0' ? 0 : 1);

/**
 * Picks the codec the router receives from a publisher for one m-section.
 * Audio: opus only. Video: the first name of `videoPreference` the offer contains (default VP8 then
 * H.264, because VP8 is the codec every browser both encodes and decodes); among H.264 variants,
 * packetization-mode 1 and constrained baseline first, then the offer's order.
 */
export function choosePublishCodec(kind: MediaKind, offered: readonly OfferedCodec[], videoPreference: readonly VideoCodecName[]): OfferedCodec | undefined {
  if (kind === 'audio') return offered.find((c) => codecName(c) === 'OPUS' && c.clockRate === 48000);
  for (const name of videoPreference) {
    const candidates = offered.filter((c) => codecName(c) === name && c.clockRate === 90000);
    if (name === 'H264') candidates.sort((a, b) => h264Rank(a) - h264Rank(b));
    if (candidates[0]) return candidates[0];
  }
  return undefined;
}

/**
 * Finds the viewer's codec that can carry the publisher's RTP unchanged: same name and, for H.264,
 * same packetization mode and profile (a mismatch would be forwarded under the wrong label and
 * decode nothing).
 */
export function matchViewerCodec(published: OfferedCodec, offered: readonly OfferedCodec[]): OfferedCodec | undefined {
  const name = codecName(published);
  return offered.find((c) => {
    if (codecName(c) !== name || c.clockRate !== published.clockRate) return false;
    if (name !== 'H264') return true;
    return packetizationMode(c) === packetizationMode(published) && h264Profile(c) === h264Profile(published);
  });
}

/**
 * Whether this werift has the repository's `passThroughRed` patch (src/media/README.md). Without it
 * (a registry install of `@confer/server` gets werift unpatched) werift would unpack RED and wrap it
 * again under the wrong payload type, so RED is not negotiated. Read from the classes' source: the
 * flag is an instance field, and no connection has to be made to find it.
 */
export const WERIFT_PASSES_RED_THROUGH = [RTCRtpReceiver, RTCRtpSender].every((c) => c.toString().includes('passThroughRed'));

/**
 * The opus codec with the payload type of the offer's `audio/red` that carries it (RFC 2198: a red
 * fmtp lists the redundant blocks' payload types, here all opus's, e.g. `111/111`; one without fmtp
 * names none and is taken too, its blocks are checked per packet). Without one, the codec as it is.
 */
export function withRed(opus: OfferedCodec, offered: readonly OfferedCodec[]): OfferedCodec {
  const { redPayloadType: _, ...plain } = opus;
  if (!WERIFT_PASSES_RED_THROUGH) return plain;
  const red = offered.find(
    (c) => codecName(c) === 'RED' && c.clockRate === opus.clockRate && (c.fmtp ?? '').split('/').every((pt) => pt.trim() === '' || Number(pt) === opus.payloadType),
  );
  return red ? { ...plain, redPayloadType: red.payloadType } : plain;
}

/** Human-readable description of a codec for error messages, e.g. `H264 (packetization-mode=1;profile-level-id=42e01f)`. */
export const describeCodec = (codec: OfferedCodec) => (codec.fmtp ? `${codecName(codec)} (${codec.fmtp})` : codecName(codec));

/**
 * werift's local capabilities. werift keeps the offer's own codec entries whose mime type appears
 * here, so this list only says which names may be negotiated; the offer is narrowed to one codec
 * beforehand (see SdpOffer).
 */
export function weriftCodecs(): { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] } {
  return { audio: [useOPUS(), new RTCRtpCodecParameters({ mimeType: 'audio/red', clockRate: 48000, channels: 2 })], video: [useVP8(), useH264()] };
}

/**
 * The opus fmtp with `useinbandfec=1` (RFC 7587 §6.1): said by the router as the receiver of a
 * publisher's audio, it makes the publisher's encoder add in-band FEC, so a viewer's decoder can
 * rebuild a lost 20 ms frame from the next packet. Other parameters are kept in their order.
 */
export function withInbandFec(fmtp: string | undefined): string {
  const parts = (fmtp ?? '')
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '' && p.split('=')[0]!.trim().toLowerCase() !== 'useinbandfec');
  return [...parts, 'useinbandfec=1'].join(';');
}

/** Whether an opus fmtp asks for in-band FEC. */
export const hasInbandFec = (fmtp: string | undefined) => fmtpParameters(fmtp).get('useinbandfec') === '1';

/**
 * Whether an RTP payload starts a keyframe, read from the payload format alone (no decoding):
 * VP8 (RFC 7741) a first partition with the P bit clear; H.264 (RFC 6184) an IDR or SPS NAL unit,
 * alone, in a STAP-A or at the start of an FU-A. Other codecs are not forwarded, so never keyframes.
 */
export function isKeyframeStart(codec: Pick<OfferedCodec, 'mimeType'>, payload: Uint8Array): boolean {
  switch (codecName(codec)) {
    case 'VP8':
      return isVp8KeyframeStart(payload);
    case 'H264':
      return isH264KeyframeStart(payload);
    default:
      return false;
  }
}

function isVp8KeyframeStart(payload: Uint8Array): boolean {
  const first = payload[0];
  if (first === undefined) return false;
  // S=1 and PID=0: the packet starts the frame's first partition, which begins with the payload header.
  if ((first & 0x10) === 0 || (first & 0x07) !== 0) return false;
  let at = 1;
  if (first & 0x80) {
    const x = payload[at++] ?? 0;
    if (x & 0x80) at += (payload[at] ?? 0) & 0x80 ? 2 : 1; // I: PictureID, 7 or 15 bits
    if (x & 0x40) at += 1; // L: TL0PICIDX
    if (x & 0x30) at += 1; // T or K: TID/Y/KEYIDX
  }
  const header = payload[at];
  return header !== undefined && (header & 0x01) === 0;
}

const H264_IDR = 5;
const H264_SPS = 7;
const isH264KeyNal = (type: number) => type === H264_IDR || type === H264_SPS;

function isH264KeyframeStart(payload: Uint8Array): boolean {
  const first = payload[0];
  if (first === undefined) return false;
  const type = first & 0x1f;
  if (type === 24) {
    // STAP-A: 16-bit size, then the NAL unit, repeated.
    for (let at = 1; at + 2 < payload.length; ) {
      const size = (payload[at]! << 8) | payload[at + 1]!;
      if (isH264KeyNal(payload[at + 2]! & 0x1f)) return true;
      at += 2 + size;
    }
    return false;
  }
  if (type === 28) {
    const fu = payload[1] ?? 0;
    return (fu & 0x80) !== 0 && isH264KeyNal(fu & 0x1f);
  }
  return isH264KeyNal(type);
}
