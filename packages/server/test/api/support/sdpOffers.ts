import { RTCPeerConnection } from 'werift';

/** @internal The media kinds an offer carries. */
export type OfferKinds = { audio: boolean; video: boolean };

/** @internal Which kinds a stream type publishes. */
export const KINDS = {
  MIC: { audio: true, video: false },
  CAM: { audio: false, video: true },
  SCREEN: { audio: false, video: true },
  MIC_AND_CAM: { audio: true, video: true },
} as const satisfies Record<string, OfferKinds>;

/**
 * @internal A real SDP offer from werift's RTCPeerConnection (createOffer touches no network): sendonly
 * for a publisher, recvonly for a viewer. The peer is closed at once; only the SDP is needed.
 */
export async function sdpOffer(direction: 'sendonly' | 'recvonly', kinds: OfferKinds = KINDS.MIC_AND_CAM): Promise<string> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  try {
    if (kinds.audio) pc.addTransceiver('audio', { direction });
    if (kinds.video) pc.addTransceiver('video', { direction });
    const offer = await pc.createOffer();
    return offer.sdp;
  } finally {
    await pc.close();
  }
}
