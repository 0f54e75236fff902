import type { ConferenceEvent } from '../api/types.js';
import type { ConferenceError } from '../api/ConferenceError.js';
import type { LocalStream } from '../media/LocalStream.js';
import type { MediaKind } from '../media/mediaKinds.js';
import type { RemoteStream } from '../media/RemoteStream.js';
import type { StreamConnectionState } from '../media/StreamConnection.js';
import type { ConnectionQuality } from '../stats/connectionQuality.js';
import type { StreamStats } from '../stats/streamStats.js';
import type { Participant } from './Participant.js';
import type { RoomState } from './RoomState.js';

/** What changed in `metadataChanged`: a conference key, a participant's metadata, or a stream's. */
export type MetadataChange =
  | { target: 'conference'; key: string; value: string | undefined }
  | { target: 'participant'; participant: Participant }
  | { target: 'stream'; stream: RemoteStream };

/** Why the room ended: the conference was ended (`ConferenceEndedEvent`, `end()`), or it disappeared without an end (404) and the room could not create it again. */
export type EndedCause = 'ended' | 'not-found';

/** Every event of a Room, by name: `room.on(name, listener)` returns the function that unbinds it. */
export interface RoomEvents {
  /** The room moved from `previous` to `state`. */
  stateChanged: (state: RoomState, previous: RoomState) => void;
  /** Another endpoint joined (also fired at join for those already there). */
  participantJoined: (participant: Participant) => void;
  /** Another endpoint left or was removed (also fired for each when the room leaves or ends). */
  participantLeft: (participant: Participant) => void;
  /** A participant became HEALTHY or SICK. */
  participantStateChanged: (participant: Participant) => void;
  /** A remote stream appeared (also fired at join for those already published). */
  streamAdded: (stream: RemoteStream) => void;
  /** A remote stream went away (also fired for each when the room leaves or ends). */
  streamRemoved: (stream: RemoteStream) => void;
  /** The connection receiving a remote stream connected, is being re-established, or gave up. */
  remoteStreamConnectionStateChanged: (stream: RemoteStream, state: StreamConnectionState) => void;
  /** A remote publisher muted or unmuted a track (TRACK_MUTED metadata). */
  streamMuteChanged: (stream: RemoteStream, kind: MediaKind, muted: boolean) => void;
  /** One of our streams stopped without `unpublish()`: screen sharing stopped in the browser, or republishing gave up. */
  localStreamRemoved: (stream: LocalStream) => void;
  /** The connection sending one of our streams connected, is being re-established (same stream id), or gave up. */
  localStreamConnectionStateChanged: (stream: LocalStream, state: StreamConnectionState) => void;
  /** Conference, participant or stream metadata changed. */
  metadataChanged: (change: MetadataChange) => void;
  /** The conference ended (`reason` as given to end()), or (`cause` and `reason` `'not-found'`) it is gone; the room is closed. */
  ended: (reason: string | undefined, cause: EndedCause) => void;
  /** Every conference event, in order, once, including custom events sent with sendEvent. */
  event: (event: ConferenceEvent) => void;
  /** Who speaks changed: the participants speaking now, loudest first (as `room.activeSpeakers`); sampled while bound. */
  activeSpeakersChanged: (speakers: Participant[]) => void;
  /** A participant's connection quality (the worst of its viewed streams) changed; sampled while bound. */
  connectionQualityChanged: (participant: Participant, quality: ConnectionQuality) => void;
  /** The quality of our own streams (the worst of them) changed; sampled while bound. */
  localConnectionQualityChanged: (quality: ConnectionQuality) => void;
  /** One of our muted microphones started (`speaking` true) or stopped hearing speech, by the active-speaker rule; measured only while bound. */
  speakingWhileMutedChanged: (stream: LocalStream, speaking: boolean) => void;
  /** A stream's stats were sampled (once a second per stream while bound). */
  statsUpdated: (stream: LocalStream | RemoteStream, stats: StreamStats) => void;
  /** The browser refused to play an `attach()`ed element without a user gesture: call `room.startAudio()` from one. */
  audioPlaybackBlocked: (stream: RemoteStream, element: HTMLMediaElement) => void;
  /** The call went on or off hold (an `ON_HOLD…` conference metadata key, as the native clients set it); also `room.onHold`. */
  onHoldChanged: (onHold: boolean) => void;
  /** A recorder started or stopped, or its state changed (a `RECORDER…` conference metadata key); also `room.recording`. */
  recordingChanged: (recording: boolean, state: string | undefined) => void;
  /** A failure that did not come back through a promise (e.g. a stream that could not be viewed). */
  error: (error: ConferenceError) => void;
}
