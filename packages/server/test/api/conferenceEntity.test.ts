import { afterEach, describe, expect, it, vi } from 'vitest';
import { Conference } from '../../src/conference/Conference.js';
import { ConferenceDomainError } from '../../src/conference/ConferenceDomainError.js';
import { EndpointLiveness } from '../../src/conference/EndpointLiveness.js';
import type { ConferenceEvent } from '../../src/conference/EventLog.js';

const open: Conference[] = [];
afterEach(() => {
  for (const conference of open.splice(0)) conference.close();
});

function conference(options: { eventRetention?: number } = {}) {
  const events: ConferenceEvent[] = [];
  const created = new Conference({
    id: 'c',
    organizationId: 'org',
    creator: 'alice',
    eventRetention: options.eventRetention ?? 100,
    onEvent: (event) => events.push(event),
  });
  open.push(created);
  const types = () => events.map((e) => e.type);
  return { conference: created, events, types };
}

function liveness(): EndpointLiveness {
  return new EndpointLiveness({ sickAfterMs: 60_000, removeAfterMs: 60_000, hungUpSickAfterMs: 60_000, hungUpRemoveAfterMs: 60_000 }, { onStateChange: () => {}, onGhost: () => {}, isPolling: () => false });
}

function join(target: Conference, endpointId: string, userId: string) {
  return target.join(endpointId, userId, {}, liveness);
}

function publish(target: Conference, streamId: string, userEndpointId: string) {
  target.publish({ id: streamId, userEndpointId, type: 'CAM', metadata: {} });
}

const domainError = (code: string, message?: string) =>
  expect.objectContaining({ name: 'ConferenceDomainError', code, ...(message === undefined ? {} : { message }) });

describe('Conference entity', () => {
  it('removing a stream drops its viewers (only its own) and appends its one event, caused by its publisher', () => {
    const { conference: c, events, types } = conference();
    join(c, 'a1', 'alice');
    join(c, 'b1', 'bob');
    publish(c, 's1', 'a1');
    publish(c, 's2', 'a1');
    c.addViewer({ id: 'v1', userEndpointId: 'b1', streamId: 's1' });
    c.addViewer({ id: 'v2', userEndpointId: 'b1', streamId: 's2' });
    events.length = 0;

    c.unpublish('s1', 'unpublished');

    expect(c.stream('s1')).toBeUndefined();
    expect(c.viewer('v1')).toBeUndefined();
    expect(c.viewer('v2')).toMatchObject({ id: 'v2', userEndpointId: 'b1', streamId: 's2' });
    expect(types()).toEqual(['ConferenceStreamUnpublishedEvent']);
    expect(events[0]).toMatchObject({ userId: 'alice', userEndpointId: 'a1', streamId: 's1', streamType: 'CAM', reason: 'unpublished' });
  });

  it('an endpoint leaves with its streams, their viewers and the viewers it owns; one event per stream, then its left event', () => {
    const { conference: c, events, types } = conference();
    join(c, 'a1', 'alice');
    const bob = join(c, 'b1', 'bob');
    publish(c, 'sa', 'a1');
    publish(c, 'sb1', 'b1');
    publish(c, 'sb2', 'b1');
    c.addViewer({ id: 'alice-views-bob', userEndpointId: 'a1', streamId: 'sb1' });
    c.addViewer({ id: 'bob-views-alice', userEndpointId: 'b1', streamId: 'sa' });
    c.addViewer({ id: 'bob-views-himself', userEndpointId: 'b1', streamId: 'sb2' });
    const closeLiveness = vi.spyOn(bob.liveness, 'close');
    events.length = 0;

    c.leave('b1', 'left');

    expect(c.endpoint('b1')).toBeUndefined();
    expect(c.allStreams().map((s) => s.id)).toEqual(['sa']);
    expect(c.viewersOwnedBy('a1')).toEqual([]);
    expect(c.viewersOwnedBy('b1')).toEqual([]);
    expect(closeLiveness).toHaveBeenCalledOnce();
    expect(types()).toEqual(['ConferenceStreamUnpublishedEvent', 'ConferenceStreamUnpublishedEvent', 'ConferenceLeftEvent']);
    expect(events.map((e) => e['streamId'])).toEqual(['sb1', 'sb2', undefined]);
    expect(events.every((e) => e.userId === 'bob' && e.userEndpointId === 'b1' && e['reason'] === 'left')).toBe(true);
  });

  it('joins once: a second join with the id is a conflict and creates no liveness timer', () => {
    const { conference: c, events } = conference();
    join(c, 'a1', 'alice');
    expect(events).toMatchObject([{ type: 'ConferenceJoinedEvent', userId: 'alice', userEndpointId: 'a1', metadata: {} }]);
    const createLiveness = vi.fn(liveness);
    expect(() => c.join('a1', 'alice', {}, createLiveness)).toThrow(domainError('conflict'));
    expect(createLiveness).not.toHaveBeenCalled();
    expect(c.endpointCount).toBe(1);
  });

  it('holds a stream id while the media plane works, and refuses to publish for an endpoint that is not joined', () => {
    const { conference: c, types } = conference();
    join(c, 'a1', 'alice');
    c.reserveStreamId('s1');
    expect(() => c.reserveStreamId('s1')).toThrow(domainError('conflict', 'streamId s1 is being published by another request in conference c'));
    expect(() => c.reserveStreamId('s1', true)).toThrow(domainError('conflict'));
    c.releaseStreamId('s1');
    expect(() => c.reserveStreamId('s1', true)).toThrow(domainError('not-found', 'streamId s1 is not published in conference c'));
    publish(c, 's1', 'a1');
    expect(() => c.reserveStreamId('s1')).toThrow(domainError('conflict', 'streamId s1 is already published in conference c'));
    // A reconnection holds the published id, once.
    c.reserveStreamId('s1', true);
    expect(() => c.reserveStreamId('s1', true)).toThrow(domainError('conflict'));
    c.releaseStreamId('s1');
    expect(() => publish(c, 's2', 'ghost')).toThrow(domainError('not-found', 'userEndpointId ghost has not joined conference c'));
    expect(types()).toEqual(['ConferenceJoinedEvent', 'ConferenceStreamPublishedEvent']);
  });

  it('keeps its own copy of a record: changing what was passed in changes nothing', () => {
    const { conference: c } = conference();
    join(c, 'a1', 'alice');
    const record = { id: 's1', userEndpointId: 'a1', type: 'CAM' as const, metadata: {} };
    c.publish(record);
    record.userEndpointId = 'elsewhere';
    expect(c.streamsOf('a1').map((s) => s.id)).toEqual(['s1']);
  });

  it('only views a published stream, and a viewer id once', () => {
    const { conference: c } = conference();
    join(c, 'a1', 'alice');
    expect(() => c.addViewer({ id: 'v1', userEndpointId: 'a1', streamId: 'nope' })).toThrow(domainError('not-found'));
    publish(c, 's1', 'a1');
    c.reserveViewerId('v1');
    expect(() => c.reserveViewerId('v1')).toThrow(domainError('conflict', 'viewerId v1 is being used by another viewStream in conference c'));
    c.releaseViewerId('v1');
    expect(() => c.reserveViewerId('v1', true)).toThrow(domainError('not-found'));
    c.addViewer({ id: 'v1', userEndpointId: 'a1', streamId: 's1' });
    expect(() => c.reserveViewerId('v1')).toThrow(domainError('conflict', 'viewerId v1 is already in use in conference c'));
    c.reserveViewerId('v1', true);
    expect(() => c.reserveViewerId('v1', true)).toThrow(domainError('conflict'));
    c.releaseViewerId('v1');
    c.removeViewer('v1');
    expect(c.viewer('v1')).toBeUndefined();
  });

  it('appends a state change only when the state changes', () => {
    const { conference: c, types } = conference();
    join(c, 'a1', 'alice');
    c.setEndpointState('a1', 'SICK');
    c.setEndpointState('a1', 'SICK');
    c.setEndpointState('a1', 'HEALTHY');
    expect(types()).toEqual(['ConferenceJoinedEvent', 'ConferenceEndpointStateChangedEvent', 'ConferenceEndpointStateChangedEvent']);
    expect(c.endpoint('a1')?.state).toBe('HEALTHY');
  });

  it('sets and removes metadata with one event each; removing an unknown key is not-found and appends nothing', () => {
    const { conference: c, events, types } = conference();
    join(c, 'a1', 'alice');
    c.setMetadata('a1', 'topic', 'x');
    expect(c.metadataEntries()['topic']).toMatchObject({ value: 'x', userId: 'alice', userEndpointId: 'a1' });
    c.removeMetadata('a1', 'topic');
    expect(() => c.removeMetadata('a1', 'topic')).toThrow(domainError('not-found', 'metadata key topic not found in conference c'));
    expect(types()).toEqual(['ConferenceJoinedEvent', 'ConferenceMetadataUpdatedEvent', 'ConferenceMetadataUpdatedEvent']);
    expect(events[2]).not.toHaveProperty('value');
  });

  it('numbers its events from 0 and stamps them; a custom event keeps its own fields but not the stamped ones', () => {
    const { conference: c, events } = conference();
    join(c, 'a1', 'alice');
    c.sendEvent({ type: 'ParticipantKickedEvent', timestamp: '2020-01-01T00:00:00.000Z', conferenceVersion: 99, id: 'mine', whom: 'a1' }, { userId: 'svc' }, []);
    expect(events.map((e) => e.conferenceVersion)).toEqual([0, 1]);
    expect(events[1]).toMatchObject({ type: 'ParticipantKickedEvent', timestamp: '2020-01-01T00:00:00.000Z', userId: 'svc', whom: 'a1', conferenceId: 'c', organizationId: 'org' });
    expect(events[1]?.id).not.toBe('mine');
    expect(Object.keys(events[0]!).slice(0, 6)).toEqual(['id', 'conferenceId', 'conferenceVersion', 'organizationId', 'type', 'timestamp']);
    expect(c.version).toBe(2);
  });

  it('wakes every poll waiting at the same version with one batch, serialized once', async () => {
    const { conference: c } = conference();
    join(c, 'a1', 'alice');
    const polls = Array.from({ length: 3 }, () => c.waitForEvents(c.version, 60_000));
    join(c, 'b1', 'bob');
    const [first, ...others] = await Promise.all(polls);
    for (const other of others) expect(other).toBe(first);
    expect(first!.events.map((e) => e.userEndpointId)).toEqual(['b1']);
    expect(JSON.parse(first!.json.toString())).toEqual(first!.events);
  });

  it('keeps only the newest events, as many as its retention', async () => {
    const { conference: c } = conference({ eventRetention: 2 });
    for (const id of ['a1', 'a2', 'a3']) join(c, id, 'alice');
    expect(c.oldestVersion).toBe(1);
    expect((await c.waitForEvents(0, 0)).events.map((e) => e.conferenceVersion)).toEqual([1, 2]);
  });

  it('ends once: drops every stream and viewer, appends its event, answers waiting polls, and refuses every change afterwards', async () => {
    const { conference: c, events, types } = conference();
    join(c, 'a1', 'alice');
    publish(c, 's1', 'a1');
    c.addViewer({ id: 'v1', userEndpointId: 'a1', streamId: 's1' });
    const poll = c.waitForEvents(c.version + 1, 60_000);

    c.end({ userId: 'alice', userEndpointId: 'a1' }, 'done');

    expect(c.live).toBe(false);
    expect(c.allStreams()).toEqual([]);
    expect(c.viewer('v1')).toBeUndefined();
    expect(types().at(-1)).toBe('ConferenceEndedEvent');
    expect(events.at(-1)).toMatchObject({ userId: 'alice', userEndpointId: 'a1', reason: 'done' });
    expect((await poll).events).toEqual([]);
    const ended = domainError('not-found', 'conference c has ended');
    expect(() => c.end({ userId: 'alice' })).toThrow(ended);
    expect(() => join(c, 'a2', 'alice')).toThrow(ended);
    expect(() => c.setParticipantMetadata('a1', {})).toThrow(ended);
    expect(() => c.sendEvent({ type: 'LateEvent', timestamp: '2020-01-01T00:00:00.000Z' }, {}, [])).toThrow(ended);
    expect(types().at(-1)).toBe('ConferenceEndedEvent');
  });

  it('throws only ConferenceDomainError for what a caller gets wrong', () => {
    const { conference: c } = conference();
    expect(() => c.unpublish('nope', 'x')).toThrow(ConferenceDomainError);
    expect(() => c.setStreamBitrate('nope', 1)).toThrow(ConferenceDomainError);
    expect(() => c.leave('nope', 'x')).toThrow(ConferenceDomainError);
  });
});
