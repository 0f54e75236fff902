import type { ConferenceEvent } from '../api/types.js';
import type { ConferenceError } from '../api/ConferenceError.js';
import type { LocalStream } from '../media/LocalStream.js';
import type { MediaKind } from '../media/mediaKinds.js';
import type { RemoteStream } from '../media/RemoteStream.js';
import type { Participant } from './Participant.js';
import type { RoomState } from './RoomState.js';

/** What changed in `metadataChanged`: a conference key, a participant's metadata, or a stream's. */
export type MetadataChange =
  | { target: 'conference'; key: string; value: string | undefined }
  | { target: 'participant'; participant: Participant }
  | { target: 'stream'; stream: RemoteStream };

/** Every event of a Room, by name: `room.on(name, listener)` returns the function that unbinds it. */
export interface RoomEvents {
  /** The room moved from `previous` to `state`. */
  stateChanged: (state: RoomState, previous: RoomState) => void;
  /** Another endpoint joined (also fired at join for those already there). */
  participantJoined: (participant: Participant) => void;
  /** Another endpoint left or was removed. */
  participantLeft: (participant: Participant) => void;
  /** A participant became HEALTHY or SICK. */
  participantStateChanged: (participant: Participant) => void;
  /** A remote stream appeared (also fired at join for those already published). */
  streamAdded: (stream: RemoteStream) => void;
  /** A remote stream went away. */
  streamRemoved: (stream: RemoteStream) => void;
  /** A remote publisher muted or unmuted a track (TRACK_MUTED metadata). */
  streamMuteChanged: (stream: RemoteStream, kind: MediaKind, muted: boolean) => void;
  /** One of our streams stopped without `unpublish()`: screen sharing stopped in the browser, or republishing gave up. */
  localStreamRemoved: (stream: LocalStream) => void;
  /** Conference, participant or stream metadata changed. */
  metadataChanged: (change: MetadataChange) => void;
  /** The conference ended (someone called end(), or it is gone); the room is closed. */
  ended: (reason: string | undefined) => void;
  /** Every conference event, in order, once, including custom events sent with sendEvent. */
  event: (event: ConferenceEvent) => void;
  /** A failure that did not come back through a promise (e.g. a stream that could not be viewed). */
  error: (error: ConferenceError) => void;
}
