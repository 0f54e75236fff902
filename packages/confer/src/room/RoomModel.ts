import type { Conference, ConferenceEvent, KnownConferenceEvent, Metadata, StreamType } from '../api/types.js';
import type { MediaKind } from '../media/mediaKinds.js';
import { parseMuteKey } from '../media/mediaKinds.js';
import type { Playback } from '../media/Playback.js';
import { RemoteStream } from '../media/RemoteStream.js';
import { ActiveSpeakers } from '../stats/ActiveSpeakers.js';
import { worstQuality } from '../stats/connectionQuality.js';
import type { MetadataChange } from './events.js';
import { ON_HOLD_PREFIX, readOnHold, readRecording, RECORDER_PREFIX } from './nativeConventions.js';
import type { RecordingState } from './nativeConventions.js';
import { Participant } from './Participant.js';

/** What applying an event or an aggregate changed; the Room turns each into an emit or a viewer action. @internal */
export type ModelChange =
  | { type: 'participantJoined'; participant: Participant }
  | { type: 'participantLeft'; participant: Participant }
  | { type: 'participantStateChanged'; participant: Participant }
  | { type: 'streamAdded'; stream: RemoteStream }
  | { type: 'streamRemoved'; stream: RemoteStream }
  | { type: 'streamMuteChanged'; stream: RemoteStream; kind: MediaKind; muted: boolean }
  | { type: 'metadataChanged'; change: MetadataChange }
  | { type: 'selfRemoved' }
  | { type: 'ownStreamUnpublished'; streamId: string; version: number | undefined }
  | { type: 'statsUpdated'; stream: RemoteStream }
  | { type: 'connectionQualityChanged'; participant: Participant }
  | { type: 'activeSpeakersChanged'; speakers: Participant[] }
  | { type: 'onHoldChanged'; onHold: boolean }
  | { type: 'recordingChanged'; recording: RecordingState };

interface StreamInfo {
  id: string;
  type: StreamType;
  metadata: Metadata;
  videoBitrate?: number | undefined;
}

/**
 * The conference as the room sees it (other participants, their streams, conference metadata), kept
 * current from events and re-read aggregates. Pure bookkeeping: no network, no media. @internal
 */
export class RoomModel {
  readonly participants = new Map<string, Participant>();
  readonly streams = new Map<string, RemoteStream>();
  readonly metadata = new Map<string, string>();
  /** Who speaks, from the audio levels sampled by `applyAudioLevels`. */
  readonly speakers = new ActiveSpeakers<Participant>();
  /** Whether an `ON_HOLD…` conference metadata key puts the call on hold (the native clients' convention). */
  onHold = false;
  /** Whether a `RECORDER…` conference metadata key says a recorder runs (the native clients' convention). */
  recording: RecordingState = { recording: false, state: undefined };

  constructor(
    private readonly selfId: string,
    private readonly createMediaStream: () => MediaStream,
    private readonly playback?: Playback,
  ) {}

  /** Samples every participant's audio level (muted streams count as silent); every 500 ms answers a new speaker list if it changed. */
  applyAudioLevels(now: number): ModelChange[] {
    this.speakers.add(new Map([...this.participants.values()].map((participant) => [participant, participant.audioLevel])));
    const speakers = this.speakers.update(now);
    return speakers ? [{ type: 'activeSpeakersChanged', speakers }] : [];
  }

  /** A viewed stream was sampled (or its connection changed state): its stats, and its participant's quality if that changed. */
  applyStreamStats(stream: RemoteStream, sampled: boolean): ModelChange[] {
    const changes: ModelChange[] = sampled ? [{ type: 'statsUpdated', stream }] : [];
    const participant = this.participants.get(stream.userEndpointId);
    const quality = participant && worstQuality(participant.streams.map((s) => s.connectionQuality));
    if (participant && quality !== participant.connectionQuality) {
      participant.connectionQuality = quality!;
      changes.push({ type: 'connectionQualityChanged', participant });
    }
    return changes;
  }

  /** Applies one event (already ordered and deduplicated by the event loop). */
  applyEvent(event: ConferenceEvent): ModelChange[] {
    const changes: ModelChange[] = [];
    const known = event as KnownConferenceEvent;
    const endpointId = event.userEndpointId;
    switch (known.type) {
      case 'ConferenceJoinedEvent':
        if (endpointId && endpointId !== this.selfId) this.upsertParticipant(endpointId, event.userId, known.metadata ?? {}, undefined, changes);
        break;
      case 'ConferenceLeftEvent':
        if (endpointId === this.selfId) changes.push({ type: 'selfRemoved' });
        else if (endpointId) this.removeParticipant(endpointId, changes);
        break;
      case 'ConferenceStreamPublishedEvent':
        if (endpointId && endpointId !== this.selfId) {
          const participant = this.upsertParticipant(endpointId, event.userId, undefined, undefined, changes);
          const existing = this.streams.get(known.streamId);
          if (existing) this.removeStream(existing, changes);
          this.addStream(participant, { id: known.streamId, type: known.streamType, metadata: known.metadata ?? {} }, changes);
        }
        break;
      case 'ConferenceStreamUnpublishedEvent': {
        // Our own streams are not in the model: their publishers decide whether this was asked for.
        if (endpointId === this.selfId) changes.push({ type: 'ownStreamUnpublished', streamId: known.streamId, version: event.conferenceVersion });
        const stream = this.streams.get(known.streamId);
        if (stream) this.removeStream(stream, changes);
        break;
      }
      case 'ConferenceMetadataUpdatedEvent':
        this.setConferenceMetadata(known.key, known.operation === 'SET' ? (known.value ?? '') : undefined, changes);
        break;
      case 'ConferenceParticipantMetadataUpdatedEvent': {
        const participant = endpointId ? this.participants.get(endpointId) : undefined;
        if (participant) {
          participant.metadata = known.newMetadata ?? {};
          changes.push({ type: 'metadataChanged', change: { target: 'participant', participant } });
        }
        break;
      }
      case 'ConferenceStreamMetadataUpdatedEvent': {
        const stream = this.streams.get(known.streamId);
        if (stream) {
          stream.metadata = known.newMetadata ?? {};
          changes.push({ type: 'metadataChanged', change: { target: 'stream', stream } });
        }
        break;
      }
      case 'ConferencePublishedStreamBitrateUpdatedEvent': {
        const stream = this.streams.get(known.streamId);
        if (stream) stream.videoBitrate = known.videoBitrate;
        break;
      }
      case 'ConferenceEndpointStateChangedEvent': {
        const participant = endpointId ? this.participants.get(endpointId) : undefined;
        if (participant && participant.state !== known.state) {
          participant.state = known.state;
          changes.push({ type: 'participantStateChanged', participant });
        }
        break;
      }
    }
    return changes;
  }

  /** Replaces the model with an aggregate (at join, or to resync after a gap) and reports the difference. */
  applyAggregate(conference: Conference): ModelChange[] {
    const changes: ModelChange[] = [];
    let selfPresent = false;
    const newMetadata = new Map(Object.entries(conference.metadata ?? {}).map(([key, entry]) => [key, entry.value ?? '']));
    // Metadata first, so streams added below start with their TRACK_MUTED state.
    for (const key of this.metadata.keys()) if (!newMetadata.has(key)) this.setConferenceMetadata(key, undefined, changes);
    for (const [key, value] of newMetadata) if (this.metadata.get(key) !== value) this.setConferenceMetadata(key, value, changes);

    const present = new Set((conference.participants ?? []).map((endpoint) => endpoint.id));
    // Departures first, so a UI removes tiles before it adds new ones.
    for (const id of [...this.participants.keys()]) if (!present.has(id)) this.removeParticipant(id, changes);
    for (const endpoint of conference.participants ?? []) {
      if (!endpoint.id) continue;
      if (endpoint.id === this.selfId) {
        selfPresent = true;
        continue;
      }
      const participant = this.upsertParticipant(endpoint.id, endpoint.userId, endpoint.metadata ?? {}, endpoint.state, changes);
      const streams: StreamInfo[] = (endpoint.streams ?? [])
        .filter((s) => s.id?.id)
        .map((s) => ({ id: s.id!.id, type: s.type ?? 'UNKNOWN', metadata: s.metadata ?? {}, videoBitrate: s.videoBitrate }));
      const streamIds = new Set(streams.map((s) => s.id));
      for (const stream of participant.streams) if (!streamIds.has(stream.streamId)) this.removeStream(stream, changes);
      for (const info of streams) {
        const stream = this.streams.get(info.id);
        if (!stream) this.addStream(participant, info, changes);
        else if (!sameJson(stream.metadata, info.metadata)) {
          stream.metadata = info.metadata;
          changes.push({ type: 'metadataChanged', change: { target: 'stream', stream } });
        }
      }
    }
    if (!selfPresent) changes.push({ type: 'selfRemoved' });
    return changes;
  }

  /** Removes every participant and stream (the room closed) and reports each removal. */
  clear(): ModelChange[] {
    const changes: ModelChange[] = [];
    for (const id of [...this.participants.keys()]) this.removeParticipant(id, changes);
    return changes;
  }

  private upsertParticipant(
    id: string,
    userId: string | undefined,
    metadata: Metadata | undefined,
    state: Participant['state'] | undefined,
    changes: ModelChange[],
  ): Participant {
    let participant = this.participants.get(id);
    if (!participant) {
      participant = new Participant(id, userId, metadata ?? {}, state ?? 'HEALTHY');
      this.participants.set(id, participant);
      changes.push({ type: 'participantJoined', participant });
      return participant;
    }
    if (metadata && !sameJson(participant.metadata, metadata)) {
      participant.metadata = metadata;
      changes.push({ type: 'metadataChanged', change: { target: 'participant', participant } });
    }
    if (state && participant.state !== state) {
      participant.state = state;
      changes.push({ type: 'participantStateChanged', participant });
    }
    return participant;
  }

  private removeParticipant(id: string, changes: ModelChange[]): void {
    const participant = this.participants.get(id);
    if (!participant) return;
    for (const stream of participant.streams) this.removeStream(stream, changes);
    this.participants.delete(id);
    changes.push({ type: 'participantLeft', participant });
    const speakers = this.speakers.forget(participant);
    if (speakers) changes.push({ type: 'activeSpeakersChanged', speakers });
  }

  private addStream(participant: Participant, info: StreamInfo, changes: ModelChange[]): void {
    const stream = new RemoteStream(info.id, participant.userEndpointId, participant.userId, info.type, info.metadata, this.createMediaStream());
    stream.videoBitrate = info.videoBitrate;
    stream.playback = this.playback;
    for (const kind of ['audio', 'video'] as const) stream.muted[kind] = this.metadata.get(`TRACK_MUTED/${kind}/${info.id}`) === 'true';
    participant.streamMap.set(info.id, stream);
    this.streams.set(info.id, stream);
    changes.push({ type: 'streamAdded', stream });
  }

  private removeStream(stream: RemoteStream, changes: ModelChange[]): void {
    this.streams.delete(stream.streamId);
    this.participants.get(stream.userEndpointId)?.streamMap.delete(stream.streamId);
    changes.push({ type: 'streamRemoved', stream });
  }

  private setConferenceMetadata(key: string, value: string | undefined, changes: ModelChange[]): void {
    if (value === undefined) this.metadata.delete(key);
    else this.metadata.set(key, value);
    changes.push({ type: 'metadataChanged', change: { target: 'conference', key, value } });
    const onHold = key.startsWith(ON_HOLD_PREFIX) ? readOnHold(this.metadata) : this.onHold;
    if (onHold !== this.onHold) changes.push({ type: 'onHoldChanged', onHold: (this.onHold = onHold) });
    const recording = key.startsWith(RECORDER_PREFIX) ? readRecording(this.metadata) : this.recording;
    if (!sameJson(recording, this.recording)) changes.push({ type: 'recordingChanged', recording: (this.recording = recording) });
    const mute = parseMuteKey(key);
    const stream = mute && this.streams.get(mute.streamId);
    if (mute && stream) {
      const muted = value === 'true';
      if (stream.muted[mute.kind] !== muted) {
        stream.muted[mute.kind] = muted;
        changes.push({ type: 'streamMuteChanged', stream, kind: mute.kind, muted });
      }
    }
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
