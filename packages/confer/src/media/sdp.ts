import { parse } from 'sdp-transform';
import type { MediaKind } from './mediaKinds.js';

/**
 * The media kinds an SDP answer accepts: m-lines with a non-zero port that are not `inactive`.
 * A rejected m-line (port 0, RFC 3264 §6) will never carry media, so its track is left out. @internal
 */
export function acceptedKinds(sdp: string): Set<MediaKind> {
  const kinds = new Set<MediaKind>();
  for (const media of parse(sdp).media) {
    if ((media.type === 'audio' || media.type === 'video') && media.port !== 0 && media.direction !== 'inactive') kinds.add(media.type);
  }
  return kinds;
}
