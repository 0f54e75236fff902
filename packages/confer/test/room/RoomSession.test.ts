import { Playback } from '../../src/media/Playback.js';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/index.js';
import type { ConferenceEvent } from '../../src/index.js';
import type { EventLoopStop } from '../../src/events/EventLoop.js';
import type { ModelChange } from '../../src/room/RoomModel.js';
import { resolveRoomOptions } from '../../src/room/RoomOptions.js';
import { RoomSession } from '../../src/room/RoomSession.js';
import { FakeApi, httpError, json } from '../fakes/FakeApi.js';
import { createFakeMediaStream, fakeMediaDevices, fakeStream } from '../fakes/media.js';
import { FakePeerConnectionFactory } from '../fakes/FakePeerConnection.js';
import { waitFor } from '../fakes/waitFor.js';
import { participant } from './roomHarness.js';

const describeChange = (change: ModelChange) =>
  'stream' in change ? `${change.type}:${change.stream.streamId}` : 'participant' in change ? `${change.type}:${change.participant.userEndpointId}` : change.type;

function setup({ create = false }: { create?: boolean } = {}) {
  const api = new FakeApi();
  api.conference = { id: 'c1', participants: [participant('alice', ['a1'])], metadata: {} };
  const pcs = new FakePeerConnectionFactory();
  const devices = fakeMediaDevices();
  const defaults = { createPeerConnection: pcs.create, createMediaStream: createFakeMediaStream, mediaDevices: devices, browser: 'test' };
  const config = resolveRoomOptions(
    { baseUrl: 'http://server.test', auth: { token: 't' }, userEndpointId: 'me', window: null, backoff: { initialMs: 1, maxMs: 4 } },
    defaults,
  );
  const reported: string[] = [];
  const stops: EventLoopStop[] = [];
  const events: ConferenceEvent[] = [];
  const session = new RoomSession({
    api: new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch }),
    config,
    conferenceId: 'c1',
    metadata: { name: 'Me' },
    create,
    onEvent: (event, changes) => {
      events.push(event);
      reported.push(...changes.map(describeChange));
    },
    onResync: (changes) => reported.push(...changes.map(describeChange)),
    onConnectionChange: (connected) => reported.push(`connected:${connected}`),
    onStop: (stop) => stops.push(stop),
    onViewerError: (error) => reported.push(`viewerError:${error.status}`),
    onPublisherStopped: (local, reason) => reported.push(`publisherStopped:${local.streamId}:${reason}`),
    onLocalConnectionStateChange: (local, state) => reported.push(`local:${local.streamId}:${state}`),
    onRemoteConnectionStateChange: (stream, state) => reported.push(`remote:${stream.streamId}:${state}`),
    onGone: (what) => reported.push(`gone:${what}`),
    playback: new Playback(() => undefined),
    onSample: (changes) => reported.push(...changes.map(describeChange)),
    onSpeakingWhileMuted: (local) => reported.push(`speakingWhileMuted:${local.streamId}:${local.speakingWhileMuted}`),
    onLocalStats: () => undefined,
  });
  return { api, pcs, session, reported, stops, events };
}

describe('RoomSession', () => {
  it('joins with its metadata, answers what the model gained, and follows the events from the join version', async () => {
    const { api, session, reported, events } = setup();
    api.conference.participants!.push(participant('me', ['stale-own']));
    expect(session.version).toBeUndefined();
    const changes = await session.join();
    expect(api.callsOf('join')[0]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', metadata: { name: 'Me' } });
    expect(changes.map(describeChange)).toEqual(['participantJoined:alice', 'streamAdded:a1']);
    expect(session.version).toBe(0);
    api.push({ type: 'ConferenceJoinedEvent', userEndpointId: 'bob', metadata: {} });
    await waitFor(() => session.version === 1, 'the event');
    expect(events.map((e) => e.type)).toEqual(['ConferenceJoinedEvent']);
    expect(reported).toEqual(['participantJoined:bob']);
    expect([...session.model.participants.keys()]).toEqual(['alice', 'bob']);
    session.close();
  });

  it('reads the state and its version from the simple view (one request) when the join answers no version', async () => {
    const { api, session } = setup();
    api.on('join', () => json({}));
    await session.join();
    expect(api.callsOf('simpleView')).toHaveLength(1);
    expect(session.version).toBe(0);
    expect([...session.model.streams.keys()]).toEqual(['a1']);
    session.close();
  });

  it('join() with create: joins first, creates only on 404, whatever the create answers for an id someone else just took', async () => {
    for (const createAnswer of [json({ id: 'c1' }), httpError(409, 'exists'), httpError(403, 'exists')]) {
      const { api, session } = setup({ create: true });
      api.on('join', () => httpError(404, 'no conference c1'), { once: true });
      api.on('create', () => createAnswer, { once: true });
      await session.join();
      expect(api.calls.map((c) => c.operation).filter((op) => op !== 'issueToken').slice(0, 3)).toEqual(['join', 'create', 'join']);
      session.close();
    }
  });

  it('join() with create sends no create when the conference exists, and reports the create failure when the second join finds nothing', async () => {
    const existing = setup({ create: true });
    await existing.session.join();
    expect(existing.api.callsOf('create')).toHaveLength(0);
    existing.session.close();
    const { api, session } = setup({ create: true });
    api.on('join', () => httpError(404, 'no conference c1'));
    api.on('create', () => httpError(403, 'not allowed'));
    await expect(session.join()).rejects.toMatchObject({ status: 403, operation: 'create' });
    const plain = setup();
    plain.api.on('join', () => httpError(404, 'no conference c1'));
    await expect(plain.session.join()).rejects.toMatchObject({ status: 404, operation: 'join' });
    expect(plain.api.callsOf('create')).toHaveLength(0);
  });

  it('rejoin() retries transient failures, then follows the events again and restarts every publisher and viewer', async () => {
    const { api, pcs, session } = setup();
    await session.join();
    await session.viewers.start(session.model.streams.get('a1')!);
    const mediaStream = fakeStream('audio');
    const local = await session.publishers.publish({ type: 'MIC', mediaStream, ownedTracks: [], videoBitrate: undefined, metadata: undefined });
    await waitFor(() => pcs.created.every((pc) => pc.remoteDescription !== null), 'the first negotiations');
    api.on('join', () => httpError(503), { once: true });
    api.conference.participants!.push(participant('carol'));
    const rejoined = session.rejoin();
    expect(session.rejoining).toBe(true);
    const changes = await rejoined;
    expect(session.rejoining).toBe(false);
    expect(api.callsOf('join')).toHaveLength(3);
    expect(api.callsOf('join')[2]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', metadata: { name: 'Me' } });
    expect(changes.map(describeChange)).toEqual(['participantJoined:carol']);
    await waitFor(() => api.callsOf('publishStream').length === 2 && api.callsOf('viewStream').length === 2, 'the restarts');
    expect(api.callsOf('publishStream')[1]?.body.streamId).toEqual({ id: local.streamId });
    session.close();
    expect(pcs.open).toEqual([]);
  });

  it('rejoin() gives up at once on failures retrying cannot fix', async () => {
    const gone = setup();
    await gone.session.join();
    gone.api.on('join', () => httpError(404, 'no such conference'));
    await expect(gone.session.rejoin()).rejects.toMatchObject({ status: 404 });
    expect(gone.api.callsOf('join')).toHaveLength(2);
    gone.session.close();

    const refused = setup();
    await refused.session.join();
    refused.api.on('join', () => httpError(403, 'banned'));
    await expect(refused.session.rejoin()).rejects.toMatchObject({ status: 403 });
    expect(refused.session.rejoining).toBe(false);
    refused.session.close();
  });

  it('rejoin() rejects as aborted when the session closes while it backs off', async () => {
    const { api, session } = setup();
    await session.join();
    api.on('join', () => httpError(503));
    const rejoined = session.rejoin();
    await waitFor(() => api.callsOf('join').length >= 3, 'two failed rejoins');
    session.close();
    await expect(rejoined).rejects.toMatchObject({ code: 'aborted' });
  });

  it('stopMedia() closes every publisher and viewer at once and tells the server', async () => {
    const { api, pcs, session } = setup();
    await session.join();
    for (const stream of session.model.streams.values()) void session.viewers.start(stream);
    const mediaStream = fakeStream('audio');
    await session.publishers.publish({ type: 'MIC', mediaStream, ownedTracks: [], videoBitrate: undefined, metadata: undefined });
    await waitFor(() => pcs.created.length === 2 && pcs.created.every((pc) => pc.remoteDescription !== null), 'both negotiations');
    const stopping = session.stopMedia(new AbortController().signal);
    expect(pcs.open).toEqual([]);
    await stopping;
    expect(api.callsOf('unpublishStream')).toHaveLength(1);
    expect(api.callsOf('stopViewStream')).toHaveLength(1);
    session.close();
  });

  it('close() aborts the poll and its signal, closes every peer connection, and keeps the model readable; idempotent', async () => {
    const { api, pcs, session, stops, reported } = setup();
    await session.join();
    for (const stream of session.model.streams.values()) void session.viewers.start(stream);
    await api.polling();
    const poll = api.callsOf('getEvents').at(-1)!;
    session.close();
    session.close();
    expect(session.closed).toBe(true);
    expect(session.signal.aborted).toBe(true);
    expect(poll.signal.aborted).toBe(true);
    expect(pcs.open).toEqual([]);
    expect([...session.model.participants.keys()]).toEqual(['alice']);
    expect(stops).toEqual([]);
    expect(reported).toEqual([]);
  });
});
