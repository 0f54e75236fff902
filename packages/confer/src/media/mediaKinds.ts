import type { StreamType } from '../api/types.js';

/** The kind of a track: what `setMuted` and the TRACK_MUTED metadata talk about. */
export type MediaKind = 'audio' | 'video';

/** The track kinds a stream type carries. SCREEN may carry tab audio, UNKNOWN anything. @internal */
export function kindsOf(type: StreamType): MediaKind[] {
  switch (type) {
    case 'MIC':
      return ['audio'];
    case 'CAM':
      return ['video'];
    default:
      return ['audio', 'video'];
  }
}

const MUTE_KEY = /^TRACK_MUTED\/(audio|video)\/(.+)$/;

/** The conference metadata key that tells everyone a track is muted (the cloud clients' convention). @internal */
export function muteKey(kind: MediaKind, streamId: string): string {
  return `TRACK_MUTED/${kind}/${streamId}`;
}

/** Reads a TRACK_MUTED key back into kind and stream id. @internal */
export function parseMuteKey(key: string): { kind: MediaKind; streamId: string } | undefined {
  const match = MUTE_KEY.exec(key);
  return match ? { kind: match[1] as MediaKind, streamId: match[2]! } : undefined;
}
