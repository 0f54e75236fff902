import * as sdpModule from 'sdp';
import type { MediaKind } from './mediaKinds.js';

// `sdp` reads the answers: 3.8 KB of the Room bundle (min+gzip, all of it: CommonJS does not tree-shake),
// bought for a parser that knows SDP's corner cases. Bundlers expose its functions on the namespace,
// Node's ESM loader only as `default`.
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
