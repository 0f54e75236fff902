import type { components } from '@confer/contract';

type Schemas = components['schemas'];

/** The conference aggregate answered by join and `GET /conferences/{id}`. */
export type Conference = Schemas['Conference'];
/** One endpoint of the aggregate, with the streams it publishes. */
export type ConferenceParticipant = Schemas['ConferenceParticipant'];
/** A stream type a publisher announces. */
export type StreamType = Schemas['ConferenceStreamType'];
/** An endpoint's media health. */
export type EndpointState = Schemas['EndpointState'];
/** One value of conference metadata, with who set it. */
export type ConferenceMetadataEntry = Schemas['Metadata'];
/** Free-form participant or stream metadata. */
export type Metadata = Schemas['AnyMetadata'];
/** One trickled ICE candidate, as the API carries it. */
export type IceCandidate = Schemas['IceCandidate'];
/** What every conference event carries; custom events (sendEvent) keep their own `type` and fields. */
export type ConferenceEvent = Schemas['ConferenceEvent'];
/** Every event the server itself emits, discriminated by `type`. */
export type KnownConferenceEvent = Schemas['KnownConferenceEvent'];
/** A participant joined. */
export type ConferenceJoinedEvent = Schemas['ConferenceJoinedEvent'];
/** A participant left (or was removed). */
export type ConferenceLeftEvent = Schemas['ConferenceLeftEvent'];
/** The conference ended. */
export type ConferenceEndedEvent = Schemas['ConferenceEndedEvent'];
/** A stream was published. */
export type ConferenceStreamPublishedEvent = Schemas['ConferenceStreamPublishedEvent'];
/** A stream was unpublished. */
export type ConferenceStreamUnpublishedEvent = Schemas['ConferenceStreamUnpublishedEvent'];
/** A conference metadata key was set or removed. */
export type ConferenceMetadataUpdatedEvent = Schemas['ConferenceMetadataUpdatedEvent'];
/** A participant replaced its metadata. */
export type ConferenceParticipantMetadataUpdatedEvent = Schemas['ConferenceParticipantMetadataUpdatedEvent'];
/** A stream's metadata was replaced. */
export type ConferenceStreamMetadataUpdatedEvent = Schemas['ConferenceStreamMetadataUpdatedEvent'];
/** A published stream's bitrate cap changed. */
export type ConferencePublishedStreamBitrateUpdatedEvent = Schemas['ConferencePublishedStreamBitrateUpdatedEvent'];
/** An endpoint became HEALTHY or SICK. */
export type ConferenceEndpointStateChangedEvent = Schemas['ConferenceEndpointStateChangedEvent'];
/** The event a SERVICE client sends with sendEvent. */
export type CustomEventInput = Schemas['CustomEventInput'];
