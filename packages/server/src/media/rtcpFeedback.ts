import {
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
} from 'werift';
import type { RtcpPacket } from 'werift';

/** REMB's bitrate is an 18-bit mantissa times a power of two (draft-alvestrand-rmcat-remb §2.2). */
const MAX_MANTISSA = 0x3ffff;

/** Builds a REMB telling a publisher the most it may send, in bits per second, for the given SSRCs. */
export function createRemb(senderSsrc: number, mediaSsrcs: number[], bitrate: number): RtcpPayloadSpecificFeedback {
  let mantissa = Math.max(0, Math.floor(bitrate));
  let exponent = 0;
  while (mantissa > MAX_MANTISSA) {
    mantissa >>= 1;
    exponent++;
  }
  const feedback = new ReceiverEstimatedMaxBitrate({
    senderSsrc,
    mediaSsrc: 0,
    brExp: exponent,
    brMantissa: mantissa,
    bitrate: BigInt(mantissa) << BigInt(exponent),
    ssrcNum: mediaSsrcs.length,
    ssrcFeedbacks: mediaSsrcs,
  });
  return new RtcpPayloadSpecificFeedback({ feedback });
}

/** Builds a PLI asking a publisher's encoder for a keyframe on `mediaSsrc`. */
export const createPli = (senderSsrc: number, mediaSsrc: number) =>
  new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc, mediaSsrc }) });

/**
 * True when a viewer's RTCP asks for a keyframe of `mediaSsrc`: a PLI, or a FIR whose entry names
 * it. werift routes FIR by the packet's media SSRC, which RFC 5104 sets to 0, so it never reaches
 * the sender object; the router reads the transport's RTCP itself.
 */
export function isKeyframeRequest(packet: RtcpPacket, mediaSsrc: number): boolean {
  if (packet.type !== RtcpPayloadSpecificFeedback.type) return false;
  const { feedback } = packet as RtcpPayloadSpecificFeedback;
  // Compared by FMT rather than instanceof, which a second copy of werift (CJS next to ESM) would defeat.
  if (feedback?.count === PictureLossIndication.count) return (feedback as PictureLossIndication).mediaSsrc === mediaSsrc;
  // FIR (FMT 4); werift does not export its class, so it is recognised by its entries.
  if (feedback?.count === 4 && 'fir' in feedback) return feedback.fir.some((entry) => entry.ssrc === mediaSsrc);
  return false;
}
