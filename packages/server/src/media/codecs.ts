import { useH264, useOPUS, useVP8 } from 'werift';
import type { RTCRtpCodecParameters } from 'werift';
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

/** Human-readable description of a codec for error messages, e.g. `H264 (packetization-mode=1;profile-level-id=42e01f)`. */
export const describeCodec = (codec: OfferedCodec) => (codec.fmtp ? `${codecName(codec)} (${codec.fmtp})` : codecName(codec));

/**
 * werift's local capabilities. werift keeps the offer's own codec entries whose mime type appears
 * here, so this list only says which names may be negotiated; the offer is narrowed to one codec
 * beforehand (see SdpOffer).
 */
export function weriftCodecs(): { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] } {
  return { audio: [useOPUS()], video: [useVP8(), useH264()] };
}
