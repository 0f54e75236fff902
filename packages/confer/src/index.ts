/** The `confer` package: `Room` for multi-party calls over the Conference REST API, and the typed `ApiClient` beneath it. */
export { Room } from './room/Room.js';
export type { RoomOptions, JoinOptions, PublishOptions } from './room/RoomOptions.js';
export type { RoomEvents, MetadataChange, EndedCause } from './room/events.js';
export type { RoomState } from './room/RoomState.js';
export { Participant } from './room/Participant.js';
export { LocalStream } from './media/LocalStream.js';
export { RemoteStream } from './media/RemoteStream.js';
export { SIMULCAST_LAYERS } from './media/simulcast.js';
export type { VideoPreference, VideoLayer, LayerRid } from './media/simulcast.js';
export type { MediaKind } from './media/mediaKinds.js';
export type { StreamConnectionState } from './media/StreamConnection.js';
export type { PublishType, CaptureOptions } from './media/capture.js';
export type { CreatePeerConnection, CreateMediaStream, MediaDevicesLike, DeviceListLike } from './media/browser.js';
export type { StreamStats } from './stats/streamStats.js';
export type { ConnectionQuality } from './stats/connectionQuality.js';
export { CONNECTION_QUALITY_THRESHOLDS, CLOUD_QUALITY_GRADES } from './stats/connectionQuality.js';
export { ACTIVE_SPEAKER_THRESHOLDS } from './stats/ActiveSpeakers.js';
export { ApiClient } from './api/ApiClient.js';
export type { ApiClientOptions, RequestOptions } from './api/ApiClient.js';
export type { AuthOptions, ClientCredentialsAuth, StaticTokenAuth, TokenCallbackAuth } from './api/auth.js';
export { ConferenceError } from './api/ConferenceError.js';
export type { ConferenceErrorCode } from './api/ConferenceError.js';
export type {
  Conference,
  ConferenceParticipant,
  StreamType,
  EndpointState,
  Metadata,
  ConferenceMetadataEntry,
  IceCandidate,
  ConferenceEvent,
  KnownConferenceEvent,
  ConferenceJoinedEvent,
  ConferenceLeftEvent,
  ConferenceEndedEvent,
  ConferenceStreamPublishedEvent,
  ConferenceStreamUnpublishedEvent,
  ConferenceMetadataUpdatedEvent,
  ConferenceParticipantMetadataUpdatedEvent,
  ConferenceStreamMetadataUpdatedEvent,
  ConferencePublishedStreamBitrateUpdatedEvent,
  ConferenceEndpointStateChangedEvent,
  CustomEventInput,
} from './api/types.js';
export type { Logger } from './util/logger.js';
export type { BackoffOptions } from './util/ReconnectPolicy.js';
