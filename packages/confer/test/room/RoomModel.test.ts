import { describe, expect, it } from 'vitest';
import type { ConferenceEvent } from '../../src/index.js';
import { RoomModel } from '../../src/room/RoomModel.js';
import type { ModelChange } from '../../src/room/RoomModel.js';
import { createFakeMediaStream } from '../fakes/media.js';
import { participant } from './roomHarness.js';

const model = () => new RoomModel('me', () => createFakeMediaStream([]));
const event = (fields: Partial<ConferenceEvent> & { type: string }) =>
  ({ id: 'e', conferenceId: 'c1', conferenceVersion: 0, organizationId: 'o', timestamp: '', ...fields }) as ConferenceEvent;
const summary = (changes: ModelChange[]) =>
  changes.map((c) => {
    switch (c.type) {
      case 'streamAdded':
      case 'streamRemoved':
        return `${c.type} ${c.stream.streamId}`;
      case 'streamMuteChanged':
        return `${c.type} ${c.stream.streamId} ${c.kind} ${c.muted}`;
      case 'metadataChanged':
        return `${c.type} ${c.change.target}`;
      case 'selfRemoved':
        return c.type;
      case 'statsUpdated':
        return `${c.type} ${c.stream.streamId}`;
      case 'activeSpeakersChanged':
        return `${c.type} ${c.speakers.map((p) => p.userEndpointId).join(',')}`;
      case 'onHoldChanged':
        return `${c.type} ${c.onHold}`;
      case 'recordingChanged':
        return `${c.type} ${c.recording.recording} ${c.recording.state}`;
      case 'ownStreamUnpublished':
        return `${c.type} ${c.streamId} v${c.version}`;
      default:
        return `${c.type} ${c.participant.userEndpointId}`;
    }
  });

describe('RoomModel', () => {
  it('reads an aggregate: others, their streams and the mute state from conference metadata', () => {
    const m = model();
    const changes = m.applyAggregate({
      participants: [participant('me', ['own']), participant('alice', ['a1', 'a2'])],
      metadata: { 'TRACK_MUTED/audio/a1': { value: 'true' } },
    });
    expect(summary(changes)).toEqual(['metadataChanged conference', 'participantJoined alice', 'streamAdded a1', 'streamAdded a2']);
    expect(m.streams.get('a1')?.audioMuted).toBe(true);
    expect(m.streams.get('a2')?.audioMuted).toBe(false);
    expect(m.streams.has('own')).toBe(false);
  });

  it('derives onHold and recording from ON_HOLD… and RECORDER… keys, reporting each change once', () => {
    const m = model();
    const changes = m.applyAggregate({ participants: [participant('me')], metadata: { ON_HOLD: { value: 'true' }, 'RECORDER/x': { value: '' } } });
    expect(summary(changes)).toEqual(['metadataChanged conference', 'onHoldChanged true', 'metadataChanged conference', 'recordingChanged true undefined']);
    expect(summary(m.applyEvent(event({ type: 'ConferenceMetadataUpdatedEvent', key: 'ON_HOLD/2', operation: 'SET', value: 'true' })))).toEqual(['metadataChanged conference']);
    expect(summary(m.applyEvent(event({ type: 'ConferenceMetadataUpdatedEvent', key: 'ON_HOLD', operation: 'REMOVE' })))).toEqual(['metadataChanged conference']);
    expect(summary(m.applyEvent(event({ type: 'ConferenceMetadataUpdatedEvent', key: 'ON_HOLD/2', operation: 'SET', value: 'false' })))).toEqual([
      'metadataChanged conference',
      'onHoldChanged false',
    ]);
    // ON_HOLD/2 (false) and RECORDER/x go: only the recorder's going changes a derived state.
    expect(summary(m.applyAggregate({ participants: [participant('me')], metadata: {} }))).toEqual([
      'metadataChanged conference',
      'recordingChanged false undefined',
      'metadataChanged conference',
    ]);
  });

  it('reports selfRemoved when the aggregate or an event says this endpoint is gone', () => {
    const m = model();
    expect(summary(m.applyAggregate({ participants: [participant('alice')] }))).toContain('selfRemoved');
    expect(summary(m.applyEvent(event({ type: 'ConferenceLeftEvent', userEndpointId: 'me' })))).toEqual(['selfRemoved']);
  });

  it('a re-read aggregate reports only differences', () => {
    const m = model();
    m.applyAggregate({ participants: [participant('me'), participant('alice', ['a1'], { name: 'A' }), participant('bob', ['b1'])] });
    const changes = m.applyAggregate({
      participants: [participant('me'), { ...participant('alice', ['a1'], { name: 'Alicia' }), state: 'SICK' }, participant('bob', ['b1'])],
    });
    expect(summary(changes)).toEqual(['metadataChanged participant', 'participantStateChanged alice']);
    expect(summary(m.applyAggregate({ participants: [participant('me'), participant('alice', ['a1'], { name: 'Alicia' }), participant('bob', ['b1'])] }))).toEqual([
      'participantStateChanged alice',
    ]);
  });

  it('removes a participant with its streams, streams first', () => {
    const m = model();
    m.applyAggregate({ participants: [participant('me'), participant('alice', ['a1', 'a2'])] });
    expect(summary(m.applyEvent(event({ type: 'ConferenceLeftEvent', userEndpointId: 'alice' })))).toEqual(['streamRemoved a1', 'streamRemoved a2', 'participantLeft alice']);
    expect(m.streams.size).toBe(0);
  });

  it('a stream published again under a known id is removed then added', () => {
    const m = model();
    m.applyAggregate({ participants: [participant('me'), participant('alice', ['a1'])] });
    const again = m.applyEvent(event({ type: 'ConferenceStreamPublishedEvent', userEndpointId: 'alice', streamId: 'a1', streamType: 'CAM', metadata: {} }));
    expect(summary(again)).toEqual(['streamRemoved a1', 'streamAdded a1']);
  });

  it('tracks mute keys set before and after the stream is known, and their removal', () => {
    const m = model();
    m.applyAggregate({ participants: [participant('me'), participant('alice')] });
    m.applyEvent(event({ type: 'ConferenceMetadataUpdatedEvent', key: 'TRACK_MUTED/video/a9', operation: 'SET', value: 'true' }));
    m.applyEvent(event({ type: 'ConferenceStreamPublishedEvent', userEndpointId: 'alice', streamId: 'a9', streamType: 'CAM', metadata: {} }));
    expect(m.streams.get('a9')?.videoMuted).toBe(true);
    const removed = m.applyEvent(event({ type: 'ConferenceMetadataUpdatedEvent', key: 'TRACK_MUTED/video/a9', operation: 'REMOVE' }));
    expect(summary(removed)).toEqual(['metadataChanged conference', 'streamMuteChanged a9 video false']);
    expect(m.metadata.size).toBe(0);
    // The older form of unmuting: "false" reads as unmuted too.
    m.applyEvent(event({ type: 'ConferenceMetadataUpdatedEvent', key: 'TRACK_MUTED/video/a9', operation: 'SET', value: 'true' }));
    const setFalse = m.applyEvent(event({ type: 'ConferenceMetadataUpdatedEvent', key: 'TRACK_MUTED/video/a9', operation: 'SET', value: 'false' }));
    expect(summary(setFalse)).toEqual(['metadataChanged conference', 'streamMuteChanged a9 video false']);
  });

  it('ignores custom events and events about unknown streams', () => {
    const m = model();
    m.applyAggregate({ participants: [participant('me')] });
    expect(m.applyEvent(event({ type: 'ParticipantKickedEvent' }))).toEqual([]);
    expect(m.applyEvent(event({ type: 'ConferenceStreamUnpublishedEvent', streamId: 'nope', streamType: 'CAM' }))).toEqual([]);
    expect(m.applyEvent(event({ type: 'ConferenceStreamMetadataUpdatedEvent', streamId: 'nope', newMetadata: {} }))).toEqual([]);
  });

  it('passes an unpublish of one of our own streams on, with its version, for its publisher to judge', () => {
    const m = model();
    m.applyAggregate({ participants: [participant('me')] });
    const changes = m.applyEvent(event({ type: 'ConferenceStreamUnpublishedEvent', userEndpointId: 'me', conferenceVersion: 7, streamId: 's1', streamType: 'CAM', reason: 'media lost' }));
    expect(summary(changes)).toEqual(['ownStreamUnpublished s1 v7']);
  });
});
