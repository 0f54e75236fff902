import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpError } from '../fakes/FakeApi.js';
import { waitFor } from '../fakes/waitFor.js';
import { participant, roomHarness } from './roomHarness.js';

describe('Room: coming back after faults', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports reconnecting within 4.5 s of the server going silent, and joined as soon as it answers again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { api, room, logOf } = roomHarness();
    // The server is out of reach after the join: every request hangs (a dropped TCP path) until it is back.
    let reachable = true;
    // A request sent while the path is down waits; when it is back, the ones still waiting get their answers.
    const waiting: (() => void)[] = [];
    const hang = () => (reachable ? undefined : new Promise<undefined>((resolve) => waiting.push(() => resolve(undefined))));
    api.on('getEvents', hang).on('getConference', hang);
    const joining = room.join('c1');
    await vi.advanceTimersByTimeAsync(10);
    await joining;
    reachable = false;
    // The poll (sent at the join) is still within the server's wait; 3 s of silence send a probe, unanswered 1.5 s later.
    await vi.advanceTimersByTimeAsync(4400);
    expect(room.state).toBe('joined');
    await vi.advanceTimersByTimeAsync(200);
    expect(room.state).toBe('reconnecting');
    // Meanwhile probes ask, one at a time for the first 5 s, then one waits 15 s, a second from 9 s into the
    // silence; the first answer after the restore brings the room back.
    await vi.advanceTimersByTimeAsync(10_000);
    // Only probes went out (the one at the join, the one that found the silence, those in it); no poll.
    expect(api.callsOf('getConference').length).toBeGreaterThanOrEqual(6);
    expect(api.callsOf('getEvents')).toHaveLength(1);
    reachable = true;
    api.push({ type: 'ConferenceJoinedEvent', userEndpointId: 'bob', metadata: {} });
    for (const answer of waiting.splice(0)) answer();
    await vi.advanceTimersByTimeAsync(100);
    expect(room.state).toBe('joined');
    // The poll sent into the dark was given up and sent again at once, not left to its timeout.
    expect(room.participants.map((p) => p.userEndpointId)).toEqual(['bob']);
    expect(logOf('stateChanged')).toEqual(['stateChanged:joining', 'stateChanged:joined', 'stateChanged:reconnecting', 'stateChanged:joined']);
    const leaving = room.leave();
    await vi.advanceTimersByTimeAsync(10);
    await leaving;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps the room joined when one poll is lost while the server answers the probe', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { api, room, logOf } = roomHarness({ pollTimeoutMs: 1000 });
    // The fake server never answers an idle poll: each one outlives its timeout (1 s + 3 s), but the probe is answered.
    const joining = room.join('c1');
    await vi.advanceTimersByTimeAsync(10);
    await joining;
    await vi.advanceTimersByTimeAsync(9000);
    expect(api.callsOf('getEvents').length).toBeGreaterThanOrEqual(3);
    expect(api.callsOf('getConference').length).toBeGreaterThanOrEqual(2);
    expect(logOf('stateChanged')).toEqual(['stateChanged:joining', 'stateChanged:joined']);
    const leaving = room.leave();
    await vi.advanceTimersByTimeAsync(10);
    await leaving;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejoins and republishes (same stream id) when a reconnecting publisher learns with a 404 that we were dropped', async () => {
    const { api, room, pcs, logOf } = roomHarness();
    await room.join('c1', { metadata: { name: 'Me' } });
    const local = await room.publish({ type: 'MIC' });
    pcs.created[0]!.setConnectionState('connected');
    // The server dropped this endpoint (e.g. a long outage): it answers 404 for our publish, the aggregate lacks us.
    api.conference = { ...api.conference, participants: [] };
    api.on('publishStream', () => httpError(404, 'userEndpointId me has not joined conference c1'), { once: true });
    pcs.created[0]!.setConnectionState('failed');
    await waitFor(() => api.callsOf('join').length === 2 && api.callsOf('publishStream').length === 3 && room.state === 'joined', 'the rejoin');
    expect(api.callsOf('getConference')).toHaveLength(1);
    expect(api.callsOf('join')[1]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', metadata: { name: 'Me' } });
    expect(api.callsOf('publishStream').map((c) => c.body.streamId)).toEqual([{ id: local.streamId }, { id: local.streamId }, { id: local.streamId }]);
    await waitFor(() => pcs.created.at(-1)?.remoteDescription !== null, 'the new answer');
    pcs.created.at(-1)!.setConnectionState('connected');
    expect(logOf('localStreamRemoved')).toEqual([]);
    expect(logOf('error')).toEqual([]);
    expect(room.localStreams).toEqual([local]);
    expect(local.published).toBe(true);
    expect(local.connectionState).toBe('connected');
    expect(logOf('localStreamConnectionStateChanged')).toEqual([
      `localStreamConnectionStateChanged:${local.streamId}:connected`,
      `localStreamConnectionStateChanged:${local.streamId}:reconnecting`,
      `localStreamConnectionStateChanged:${local.streamId}:connected`,
    ]);
    expect(logOf('stateChanged').slice(-2)).toEqual(['stateChanged:reconnecting', 'stateChanged:joined']);
    await room.leave();
  });

  it('publishes a stream the server unpublished (its media node died) again at once, same id and metadata, the LocalStream kept', async () => {
    const { api, room, pcs, logOf } = roomHarness();
    await room.join('c1');
    const local = await room.publish({ type: 'MIC' });
    pcs.created[0]!.setConnectionState('connected');
    await api.polling();
    api.push({ type: 'ConferenceStreamUnpublishedEvent', userEndpointId: 'me', streamId: local.streamId, streamType: 'MIC', reason: 'media-node-lost' });
    await waitFor(() => api.callsOf('publishStream').length === 2 && pcs.created.at(-1)?.remoteDescription !== null, 'the new publish');
    const [first, again] = api.callsOf('publishStream');
    expect(again?.body.streamId).toEqual({ id: local.streamId });
    expect(again?.body.metadata).toEqual(first?.body.metadata);
    expect((again?.body.metadata as Record<string, unknown>).correlationId).toBeTypeOf('string');
    expect(pcs.created[0]!.closed).toBe(true);
    pcs.created.at(-1)!.setConnectionState('connected');
    expect(room.localStreams).toEqual([local]);
    expect(local.published).toBe(true);
    expect(logOf('localStreamRemoved')).toEqual([]);
    expect(logOf('error')).toEqual([]);
    expect(logOf('localStreamConnectionStateChanged')).toEqual([
      `localStreamConnectionStateChanged:${local.streamId}:connected`,
      `localStreamConnectionStateChanged:${local.streamId}:reconnecting`,
      `localStreamConnectionStateChanged:${local.streamId}:connected`,
    ]);
    // Its published event, and nothing more.
    api.push({ type: 'ConferenceStreamPublishedEvent', userEndpointId: 'me', streamId: local.streamId, streamType: 'MIC', metadata: {} });
    await api.polling();
    expect(api.callsOf('publishStream')).toHaveLength(2);
    await room.leave();
  });

  it('does not publish again after its own unpublish, whose event follows', async () => {
    const { api, room, logOf } = roomHarness();
    await room.join('c1');
    const local = await room.publish({ type: 'MIC' });
    const other = await room.publish({ type: 'CAM' });
    await local.unpublish();
    await api.polling();
    api.push({ type: 'ConferenceStreamUnpublishedEvent', userEndpointId: 'me', streamId: local.streamId, streamType: 'MIC', reason: 'unpublished' });
    await api.polling();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(api.callsOf('publishStream')).toHaveLength(2);
    expect(room.localStreams).toEqual([other]);
    expect(logOf('localStreamRemoved')).toEqual([]);
    await room.leave();
  });

  it('rejoins and views again when a viewer is answered 403 because we were dropped', async () => {
    const { api, room, pcs, logOf } = roomHarness();
    api.conference.participants = [participant('alice', ['a1'])];
    await room.join('c1');
    await waitFor(() => pcs.created[0]?.remoteDescription !== null, 'the view');
    const stream = room.remoteStreams[0]!;
    const mediaStream = stream.mediaStream;
    pcs.created[0]!.setConnectionState('connected');
    api.on('getConference', () => httpError(403, 'user me has no endpoint in conference c1 (join it first)'), { once: true });
    api.on('viewStream', () => httpError(403, 'user me has no endpoint in conference c1'), { once: true });
    pcs.created[0]!.setConnectionState('disconnected');
    pcs.created[0]!.setConnectionState('failed');
    await waitFor(() => api.callsOf('join').length === 2 && api.callsOf('viewStream').length === 3 && room.state === 'joined', 'the rejoin');
    await waitFor(() => pcs.created.at(-1)?.remoteDescription !== null, 'the new view');
    pcs.created.at(-1)!.setConnectionState('connected');
    expect(room.remoteStreams).toEqual([stream]);
    expect(stream.mediaStream).toBe(mediaStream);
    expect(stream.connectionState).toBe('connected');
    expect(logOf('remoteStreamConnectionStateChanged')).toEqual([
      'remoteStreamConnectionStateChanged:a1:connected',
      'remoteStreamConnectionStateChanged:a1:reconnecting',
      'remoteStreamConnectionStateChanged:a1:connected',
    ]);
    expect(logOf('error')).toEqual([]);
    expect(logOf('streamRemoved')).toEqual([]);
    await room.leave();
  });

  it('creates a conference the server forgot (404) again when joined with create, rejoins and republishes', async () => {
    const { api, room, logOf } = roomHarness();
    api.conference.participants = [participant('alice', ['a1'])];
    await room.join('c1', { create: true });
    const local = await room.publish({ type: 'MIC' });
    await api.polling();
    // The server restarted and forgot everything: the poll and the first join answer 404.
    api.conference = { id: 'c1', participants: [], metadata: {} };
    api.on('join', () => httpError(404, 'conference c1 not found'), { once: true });
    api.events.length = 0;
    api.on('getEvents', () => httpError(404, 'conference c1 not found'), { once: true });
    api.push({ type: 'ConferenceMetadataUpdatedEvent', key: 'wake', operation: 'SET', value: 'x' });
    await waitFor(() => room.state === 'joined' && api.callsOf('publishStream').length === 2, 'the recreation');
    expect(api.calls.map((c) => c.operation).filter((o) => o === 'create' || o === 'join')).toEqual(['join', 'join', 'create', 'join']);
    expect(api.callsOf('publishStream')[1]?.body.streamId).toEqual({ id: local.streamId });
    expect(logOf('ended')).toEqual([]);
    expect(logOf('localStreamRemoved')).toEqual([]);
    // Alice is not in the new conference (yet): her stream and she are removed, and come back when she rejoins.
    expect(logOf('streamRemoved')).toEqual(['streamRemoved:a1']);
    expect(logOf('participantLeft')).toEqual(['participantLeft:alice']);
    expect(room.localStreams).toEqual([local]);
    await room.leave();
  });

  it('ends with cause not-found when the conference is gone and the room may not create it, listing nobody', async () => {
    const { api, room, logOf } = roomHarness();
    api.conference.participants = [participant('alice', ['a1'])];
    await room.join('c1');
    await api.polling();
    api.on('getEvents', () => httpError(404, 'conference c1 not found'));
    api.push({ type: 'ConferenceMetadataUpdatedEvent', key: 'wake', operation: 'SET', value: 'x' });
    await waitFor(() => room.state === 'ended', 'the end');
    expect(logOf('ended')).toEqual(['ended:not-found:not-found']);
    expect(logOf('streamRemoved')).toEqual(['streamRemoved:a1']);
    expect(logOf('participantLeft')).toEqual(['participantLeft:alice']);
    expect(room.participants).toEqual([]);
    expect(room.remoteStreams).toEqual([]);
    expect(api.callsOf('create')).toEqual([]);
  });

  it('sends the pagehide leave with the cached token, without asking for a new one first', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { api, room, window } = roomHarness();
    await room.join('c1');
    // The fake server's tokens live an hour: 55 minutes later the client would renew before any other request.
    vi.setSystemTime(Date.now() + 55 * 60_000);
    window.dispatchEvent(new Event('pagehide'));
    await waitFor(() => api.callsOf('leave').length === 1, 'the keepalive leave');
    expect(api.callsOf('issueToken')).toHaveLength(1);
    expect(api.callsOf('leave')[0]).toMatchObject({ authorization: 'Bearer token-1', keepalive: true });
  });
});
