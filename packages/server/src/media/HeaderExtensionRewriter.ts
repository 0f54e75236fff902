import { RTP_EXTENSION_URI } from 'werift';
import type { Extension, RTCRtpHeaderExtensionParameters } from 'werift';

/**
 * Extensions whose value describes the media itself and is copied to viewers. The others are per
 * hop (mid, abs-send-time, transport-cc): werift's sender writes its own values for the viewer's
 * connection, and a publisher's copy would clash with them, since werift merges extensions by id.
 */
const FORWARDED_URIS: ReadonlySet<string> = new Set([RTP_EXTENSION_URI.audioLevelIndication, RTP_EXTENSION_URI.videoOrientation]);

/**
 * Maps the RTP header extensions of a publisher's packets to a viewer's negotiated ids. The two
 * connections negotiate ids independently, so the same id may mean different things on each.
 */
export class HeaderExtensionRewriter {
  /** publisher id -> viewer id, only for forwarded URIs both sides negotiated. */
  private readonly idMap = new Map<number, number>();

  constructor(publisher: readonly RTCRtpHeaderExtensionParameters[], viewer: readonly RTCRtpHeaderExtensionParameters[]) {
    for (const { id, uri } of publisher) {
      if (!FORWARDED_URIS.has(uri)) continue;
      const target = viewer.find((v) => v.uri === uri);
      if (target) this.idMap.set(id, target.id);
    }
  }

  /** The extensions to send to the viewer: forwarded ones renumbered, everything else dropped. */
  rewrite(extensions: readonly Extension[]): Extension[] {
    const out: Extension[] = [];
    for (const { id, payload } of extensions) {
      const target = this.idMap.get(id);
      if (target !== undefined) out.push({ id: target, payload });
    }
    return out;
  }
}
