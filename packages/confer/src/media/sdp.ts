import * as sdpModule from 'sdp';
import type { MediaKind } from './mediaKinds.js';

// `sdp` is the parser webrtc-adapter already ships, so reading answers with it costs no bytes. It is
// CommonJS: bundlers expose its functions on the namespace, Node's ESM loader only as `default`.
const sdp = (sdpModule as typeof sdpModule & { default?: typeof sdpModule }).default ?? sdpModule;

/**
 * The media kinds an SDP answer accepts: m-sections with a non-zero port that are not `inactive`.
 * A rejected m-line (port 0, RFC 3264 §6) will never carry media, so its track is left out. @internal
 */
export function acceptedKinds(answer: string): Set<MediaKind> {
  const kinds = new Set<MediaKind>();
  const [session = '', ...sections] = sdp.splitSections(answer);
  for (const section of sections) {
    const kind = sdp.getKind(section);
    if ((kind === 'audio' || kind === 'video') && !sdp.isRejected(section) && sdp.getDirection(section, session) !== 'inactive') kinds.add(kind);
  }
  return kinds;
}

/** Whether an SDP answer receives simulcast on a video m-section (`a=simulcast:recv`, RFC 8853). @internal */
export function acceptsSimulcast(answer: string): boolean {
  return sdp.splitSections(answer).some((section) => sdp.getKind(section) === 'video' && /^a=simulcast:recv /m.test(section));
}
