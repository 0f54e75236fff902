import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConferenceError } from '../../src/index.js';
import { httpError, json } from '../fakes/FakeApi.js';
import type { FakeTrack } from '../fakes/media.js';
import { waitFor } from '../fakes/waitFor.js';
import { participant, roomHarness } from './roomHarness.js';

describe('Room: joining', () => {
  it('joins an existing room with create: true without a create, and shows who and what is already there', async () => {
    const { api, room, log, pcs } = roomHarness();
    api.conference.participants = [participant('alice', ['a1'], { name: 'Alice' }), participant('me', ['stale-own'])];
    await room.join('c1', { metadata: { name: 'Me' }, create: true });
    expect(api.calls.map((c) => c.operation).slice(0, 2)).toEqual(['issueToken', 'join']);
    expect(api.callsOf('create')).toHaveLength(0);
    expect(api.callsOf('join')[0]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', metadata: { name: 'Me' } });
    expect(room.state).toBe('joined');
    expect(room.conferenceId).toBe('c1');
    expect(room.version).toBe(0);
    expect(room.participants.map((p) => [p.userEndpointId, p.userId, p.metadata])).toEqual([['alice', 'alice-user', { name: 'Alice' }]]);
    expect(room.remoteStreams.map((s) => s.streamId)).toEqual(['a1']);
    expect(log).toEqual(['stateChanged:joining', 'stateChanged:joined', 'participantJoined:alice', 'streamAdded:a1']);
    // streamAdded listeners can attach mediaStream at once: the viewer's tracks are already in it.
    expect(room.remoteStreams[0]?.mediaStream.getTracks()).toHaveLength(2);
    await waitFor(() => pcs.created[0]?.remoteDescription !== null, 'the view of a1');
    expect(api.callsOf('viewStream').map((c) => c.body.streamId)).toEqual([{ id: 'a1' }]);
    await room.leave();
  });

  it('reads the state and its version from the simple view (one request) when the join answers no version (the cloud service answers {})', async () => {
    const { api, room } = roomHarness();
    api.on('join', () => json({}));
    api.conference.participants = [participant('bob')];
    await room.join('c1');
    expect(api.callsOf('simpleView')).toHaveLength(1);
    expect(api.callsOf('getConference')).toHaveLength(0);
    expect(room.participants.map((p) => p.userId)).toEqual(['bob-user']);
    expect(room.participants.map((p) => p.userEndpointId)).toEqual(['bob']);
    await room.leave();
  });

  it('goes back to idle when the join fails, and can join again', async () => {
    const { api, room, window } = roomHarness();
    api.on('join', () => httpError(404, 'conference c1 not found'), { once: true });
    const error = await room.join('c1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConferenceError);
    expect(error).toMatchObject({ code: 'api', status: 404, operation: 'join' });
    expect(room.state).toBe('idle');
    window.dispatchEvent(new Event('pagehide'));
    expect(api.callsOf('leave')).toHaveLength(0);
    await room.join('c1');
    expect(room.state).toBe('joined');
    await room.leave();
  });

  it('refuses methods in the wrong state', async () => {
    const { room } = roomHarness();
    await expect(room.publish({ type: 'MIC' })).rejects.toMatchObject({ code: 'invalid-state' });
    await expect(room.view('x')).rejects.toMatchObject({ code: 'invalid-state' });
    await expect(room.end()).rejects.toMatchObject({ code: 'invalid-state' });
    await room.join('c1');
    await expect(room.join('c1')).rejects.toMatchObject({ code: 'invalid-state' });
    await room.leave();
    await expect(room.join('c1')).rejects.toMatchObject({ code: 'invalid-state' });
  });
});

describe('Room: events', () => {
  it('turns conference events into participant, stream, metadata and mute events', async () => {
    const { api, room, log, pcs } = roomHarness();
    await room.join('c1');
    log.length = 0;
    api.push({ type: 'ConferenceJoinedEvent', userEndpointId: 'bob', userId: 'bob-user', metadata: { name: 'Bob' } });
    api.push({ type: 'ConferenceStreamPublishedEvent', userEndpointId: 'bob', streamId: 'b1', streamType: 'CAM', metadata: { label: 'cam' } });
    api.push({ type: 'ConferenceMetadataUpdatedEvent', userEndpointId: 'bob', key: 'TRACK_MUTED/video/b1', operation: 'SET', value: 'true' });
    api.push({ type: 'ConferenceParticipantMetadataUpdatedEvent', userEndpointId: 'bob', newMetadata: { name: 'Robert' } });
    api.push({ type: 'ConferenceEndpointStateChangedEvent', userEndpointId: 'bob', state: 'SICK' });
    api.push({ type: 'ParticipantKickedEvent', userEndpointId: 'svc', kicked: 'x' });
    await waitFor(() => room.version === 6, 'six events');
    const bob = room.participants[0]!;
    expect(bob.metadata).toEqual({ name: 'Robert' });
    expect(bob.state).toBe('SICK');
    const b1 = room.remoteStreams[0]!;
    expect([b1.streamId, b1.userEndpointId, b1.userId, b1.type, b1.metadata, b1.videoMuted]).toEqual(['b1', 'bob', 'bob-user', 'CAM', { label: 'cam' }, true]);
    expect(bob.streams).toEqual([b1]);
    expect(room.metadata).toEqual({ 'TRACK_MUTED/video/b1': 'true' });
    expect(log).toEqual([
      'participantJoined:bob',
      'event:ConferenceJoinedEvent',
      'streamAdded:b1',
      'event:ConferenceStreamPublishedEvent',
      'metadataChanged:conference:TRACK_MUTED/video/b1=true',
      'streamMuteChanged:b1:video:true',
      'event:ConferenceMetadataUpdatedEvent',
      'metadataChanged:participant',
      'event:ConferenceParticipantMetadataUpdatedEvent',
      'participantStateChanged:bob',
      'event:ConferenceEndpointStateChangedEvent',
      'event:ParticipantKickedEvent',
    ]);
    await waitFor(() => pcs.created[0]?.remoteDescription !== null, 'the view of b1');
    log.length = 0;
    api.push({ type: 'ConferenceStreamUnpublishedEvent', userEndpointId: 'bob', streamId: 'b1', streamType: 'CAM' });
    api.push({ type: 'ConferenceLeftEvent', userEndpointId: 'bob' });
    await waitFor(() => room.participants.length === 0, 'bob to leave');
    expect(log).toEqual(['streamRemoved:b1', 'event:ConferenceStreamUnpublishedEvent', 'participantLeft:bob', 'event:ConferenceLeftEvent']);
    expect(pcs.created[0]?.closed).toBe(true);
    // The view went with the stream on the server: asking to stop it could only fail with a 404.
    await room.leave();
    expect(api.callsOf('stopViewStream')).toEqual([]);
  });

  it('does not view its own streams', async () => {
    const { api, room } = roomHarness();
    await room.join('c1');
    api.push({ type: 'ConferenceStreamPublishedEvent', userEndpointId: 'me', streamId: 'mine', streamType: 'MIC', metadata: {} });
    await waitFor(() => room.version === 1, 'the event');
    expect(room.remoteStreams).toEqual([]);
    expect(api.callsOf('viewStream')).toEqual([]);
    await room.leave();
  });

  it('views 20 streams that appear at once, negotiating them concurrently', async () => {
    const { api, room, pcs } = roomHarness();
    let pending = 0;
    let releaseAll: () => void = () => undefined;
    const allAsked = new Promise<void>((resolve) => (releaseAll = resolve));
    // Answer no viewStream until all 20 are in flight: only concurrent viewers get past this.
    api.on('viewStream', async () => {
      if (++pending === 20) releaseAll();
      await allAsked;
      return undefined;
    });
    await room.join('c1');
    for (let i = 0; i < 20; i++) api.push({ type: 'ConferenceStreamPublishedEvent', userEndpointId: `p${i}`, streamId: `s${i}`, streamType: 'MIC_AND_CAM', metadata: {} });
    await waitFor(() => pcs.created.length === 20 && pcs.created.every((pc) => pc.remoteDescription !== null), '20 viewed streams');
    expect(new Set(api.callsOf('viewStream').map((c) => (c.body.streamId as { id: string }).id)).size).toBe(20);
    await room.leave();
    expect(pcs.open).toEqual([]);
  });

  it('with autoView false views only on view() and stops on stopView()', async () => {
    const { api, room, pcs } = roomHarness({ autoView: false });
    api.conference.participants = [participant('alice', ['a1'])];
    await room.join('c1');
    expect(api.callsOf('viewStream')).toEqual([]);
    expect(room.remoteStreams[0]?.mediaStream.getTracks()).toEqual([]);
    const stream = await room.view('a1');
    expect(stream.mediaStream.getTracks()).toHaveLength(2);
    expect(api.callsOf('viewStream')).toHaveLength(1);
    await room.view('a1');
    expect(api.callsOf('viewStream')).toHaveLength(1);
    await room.stopView('a1');
    expect(pcs.created[0]?.closed).toBe(true);
    expect(api.callsOf('stopViewStream')).toHaveLength(1);
    await expect(room.view('nope')).rejects.toMatchObject({ code: 'invalid-state' });
    await room.leave();
  });

  it('a throwing listener breaks neither the other listeners nor the event loop', async () => {
    const { api, room } = roomHarness();
    const seen: string[] = [];
    room.on('participantJoined', () => {
      throw new Error('user bug');
    });
    room.on('participantJoined', (p) => seen.push(p.userEndpointId));
    await room.join('c1');
    api.push({ type: 'ConferenceJoinedEvent', userEndpointId: 'bob', metadata: {} });
    api.push({ type: 'ConferenceJoinedEvent', userEndpointId: 'carol', metadata: {} });
    await waitFor(() => seen.length === 2, 'both joins');
    expect(seen).toEqual(['bob', 'carol']);
    expect(room.state).toBe('joined');
    await room.leave();
  });

  it('resyncs from the aggregate after a gap, reporting only the difference', async () => {
    const { api, room, log } = roomHarness();
    api.conference.participants = [participant('alice', ['a1']), participant('bob', ['b1'])];
    let release: () => void = () => undefined;
    const changed = new Promise<void>((resolve) => (release = resolve));
    // The first poll skips versions 0-4, once the conference below has changed.
    api.on('getEvents', async () => {
      await changed;
      return json([{ id: 'x', type: 'ConferenceLeftEvent', conferenceId: 'c1', conferenceVersion: 5, organizationId: 'o', timestamp: '' }]);
    }, { once: true });
    api.on('getConference', () => json({ ...api.conference, version: 7 }), { once: true });
    await room.join('c1');
    log.length = 0;
    api.conference = { ...api.conference, participants: [participant('me'), participant('alice', ['a1', 'a2']), participant('carol')] };
    release();
    await waitFor(() => room.version === 7, 'the resync');
    expect(log.filter((l) => !l.startsWith('metadata'))).toEqual(['streamRemoved:b1', 'participantLeft:bob', 'streamAdded:a2', 'participantJoined:carol']);
    await room.leave();
  });

  it('reports reconnecting while polling fails and joined once it works again', async () => {
    const { api, room, log } = roomHarness();
    // The first two polls after the join fail.
    api.on('getEvents', () => httpError(503), { once: true });
    api.on('getEvents', () => httpError(502), { once: true });
    await room.join('c1');
    await api.polling();
    api.push({ type: 'ConferenceJoinedEvent', userEndpointId: 'bob', metadata: {} });
    await waitFor(() => room.participants.length === 1, 'the event after the outage');
    expect(log.filter((l) => l.startsWith('stateChanged'))).toEqual(['stateChanged:joining', 'stateChanged:joined', 'stateChanged:reconnecting', 'stateChanged:joined']);
    await room.leave();
  });

  it('ends on ConferenceEndedEvent and on 404, closing everything', async () => {
    const { api, room, log, pcs } = roomHarness();
    api.conference.participants = [participant('alice', ['a1'])];
    await room.join('c1');
    const local = await room.publish({ type: 'MIC_AND_CAM' });
    api.push({ type: 'ConferenceEndedEvent', userEndpointId: 'alice', reason: 'done' });
    await waitFor(() => room.state === 'ended', 'the end');
    expect(log.slice(-5)).toEqual(['event:ConferenceEndedEvent', 'stateChanged:ended', 'streamRemoved:a1', 'participantLeft:alice', 'ended:done:ended']);
    expect(room.participants).toEqual([]);
    expect(room.remoteStreams).toEqual([]);
    expect(pcs.open).toEqual([]);
    expect((local.mediaStream.getTracks() as unknown as FakeTrack[]).every((t) => t.readyState === 'ended')).toBe(true);
    expect(room.localStreams).toEqual([]);

    const gone = roomHarness();
    gone.api.on('getEvents', () => httpError(404));
    await gone.room.join('c1');
    await waitFor(() => gone.room.state === 'ended', 'the 404');
    expect(gone.logOf('ended')).toEqual(['ended:not-found:not-found']);
  });

  it('joins again under the same endpoint id when the server removed it, and publishes again', async () => {
    const { api, room, log } = roomHarness();
    await room.join('c1', { metadata: { name: 'Me' } });
    const local = await room.publish({ type: 'MIC' });
    api.push({ type: 'ConferenceLeftEvent', userEndpointId: 'me', reason: 'ghost' });
    await waitFor(() => api.callsOf('join').length === 2 && api.callsOf('publishStream').length === 2, 'the rejoin');
    expect(api.callsOf('join')[1]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', metadata: { name: 'Me' } });
    expect(api.callsOf('publishStream')[1]?.body.streamId).toEqual({ id: local.streamId });
    expect(log.filter((l) => l.startsWith('stateChanged')).slice(-2)).toEqual(['stateChanged:reconnecting', 'stateChanged:joined']);
    expect(room.state).toBe('joined');
    await room.leave();
  });
});

describe('Room: metadata', () => {
  it('sets participant metadata and conference metadata keys', async () => {
    const { api, room } = roomHarness();
    await room.join('c1', { metadata: { name: 'Me' } });
    await room.setMetadata({ name: 'Me Too' });
    await room.setConferenceMetadata('topic', 'planning');
    await room.setConferenceMetadata('topic', undefined);
    expect(api.callsOf('updateParticipantMetadata')[0]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', newMetadata: { name: 'Me Too' } });
    expect(api.callsOf('updateMetadata').map((c) => c.body)).toEqual([
      { conferenceId: 'c1', userEndpointId: 'me', key: 'topic', operation: 'SET', value: 'planning' },
      { conferenceId: 'c1', userEndpointId: 'me', key: 'topic', operation: 'REMOVE' },
    ]);
    await room.leave();
  });
});

describe('Room: the native clients’ conventions', () => {
  it('joins with name and avatarUrl as participant metadata and reads them from others', async () => {
    const { api, room } = roomHarness();
    api.conference.participants = [participant('bob', [], { name: 'Bob', avatarUrl: 'https://x.test/b.png' }), participant('carol', [], { name: 7 })];
    await room.join('c1', { name: 'Me', avatarUrl: 'https://x.test/me.png', metadata: { team: 'blue' } });
    expect(api.callsOf('join')[0]?.body).toMatchObject({ metadata: { name: 'Me', avatarUrl: 'https://x.test/me.png', team: 'blue' } });
    expect(room.participants.map((p) => [p.name, p.avatarUrl])).toEqual([
      ['Bob', 'https://x.test/b.png'],
      [undefined, undefined],
    ]);
    await room.leave();
  });

  it('publishes correlationId, primary, portraitMode and participantName; a reconnection keeps the correlationId', async () => {
    const { api, room, pcs } = roomHarness();
    await room.join('c1', { name: 'Me' });
    const camera = await room.publish({ type: 'MIC_AND_CAM', metadata: { label: 'main' } });
    const screen = await room.publish({ type: 'SCREEN' });
    const [cameraBody, screenBody] = api.callsOf('publishStream').map((c) => c.body as { metadata: Record<string, unknown> });
    expect(cameraBody!.metadata).toEqual({ correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/), primary: true, portraitMode: false, participantName: 'Me', label: 'main' });
    expect(screenBody!.metadata).toMatchObject({ primary: false, portraitMode: false, participantName: 'Me' });
    expect(screenBody!.metadata.correlationId).not.toBe(cameraBody!.metadata.correlationId);
    pcs.created[0]!.setConnectionState('failed');
    await waitFor(() => api.callsOf('publishStream').length === 3, 'the camera published again');
    expect(api.callsOf('publishStream')[2]?.body).toMatchObject({ streamId: { id: camera.streamId }, metadata: { correlationId: cameraBody!.metadata.correlationId } });
    await screen.unpublish();
    await room.leave();
  });

  it('reads ON_HOLD… and RECORDER… conference metadata into onHold and recording, with events', async () => {
    const { api, room } = roomHarness();
    api.conference.metadata = { RECORDER: { value: '{"state":"RECORDING"}' } };
    const seen: string[] = [];
    room.on('onHoldChanged', (onHold) => seen.push(`onHold:${onHold}`));
    room.on('recordingChanged', (recording, state) => seen.push(`recording:${recording}:${state}`));
    await room.join('c1');
    expect([room.onHold, room.recording]).toEqual([false, true]);
    api.push({ type: 'ConferenceMetadataUpdatedEvent', userEndpointId: 'ios', key: 'ON_HOLD', operation: 'SET', value: 'true' });
    api.push({ type: 'ConferenceMetadataUpdatedEvent', userEndpointId: 'ios', key: 'RECORDER', operation: 'SET', value: '{"state":"STOPPED"}' });
    api.push({ type: 'ConferenceMetadataUpdatedEvent', userEndpointId: 'ios', key: 'ON_HOLD', operation: 'REMOVE' });
    await waitFor(() => room.version === 3, 'three events');
    expect(seen).toEqual(['recording:true:RECORDING', 'onHold:true', 'recording:false:STOPPED', 'onHold:false']);
    expect([room.onHold, room.recording]).toEqual([false, false]);
    await room.leave();
  });
});

describe('Room: polls refused with 403', () => {
  it('joins again: the server refuses the polls of an endpoint it removed', async () => {
    const { api, room, logOf } = roomHarness();
    api.on('getEvents', () => httpError(403, 'user me has no endpoint'), { once: true });
    await room.join('c1');
    await waitFor(() => api.callsOf('join').length === 2 && room.state === 'joined', 'the rejoin');
    expect(logOf('stateChanged').slice(-2)).toEqual(['stateChanged:reconnecting', 'stateChanged:joined']);
    expect(logOf('error')).toEqual([]);
    await room.leave();
  });

  it('backs off between rejoins while every poll is refused (growing delays), and stays joined once polls are answered', async () => {
    const { api, room } = roomHarness({ backoff: { initialMs: 40, maxMs: 160 } });
    let refused = true;
    api.on('getEvents', () => (refused ? httpError(403, 'not yet') : undefined));
    const joinedAt: number[] = [];
    api.on('join', () => void joinedAt.push(performance.now()));
    await room.join('c1');
    await waitFor(() => joinedAt.length === 4, 'three rejoins');
    const gaps = joinedAt.slice(1).map((t, i) => t - joinedAt[i]!);
    // Equal jitter: 20..40, 40..80, 80..160 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
    refused = false;
    await api.polling();
    expect(room.state).toBe('joined');
    await room.leave();
  });

  it('gives up with an error when joining again is refused too', async () => {
    const { api, room, logOf } = roomHarness();
    api.on('getEvents', () => httpError(403, 'banned'));
    api.on('join', () => (api.callsOf('join').length > 1 ? httpError(403, 'banned') : undefined));
    await room.join('c1');
    await waitFor(() => room.state === 'left', 'the room to close');
    expect(logOf('error')).toEqual(['error:api:403']);
  });
});

describe('Room: publishing', () => {
  it('captures what the type needs and publishes it', async () => {
    const { api, room, devices } = roomHarness();
    await room.join('c1');
    const local = await room.publish({ type: 'MIC_AND_CAM', videoBitrate: 800_000, metadata: { label: 'main' } });
    expect(devices.calls).toEqual([{ method: 'getUserMedia', constraints: { audio: true, video: true } }]);
    expect(local.streamId).toMatch(/^[0-9a-f-]{36}$/);
    expect([local.type, local.videoBitrate, local.published, local.audioMuted]).toEqual(['MIC_AND_CAM', 800_000, true, false]);
    expect(api.callsOf('publishStream')[0]?.body).toMatchObject({ streamId: { id: local.streamId }, conferenceStreamType: 'MIC_AND_CAM', metadata: { label: 'main' } });
    expect(room.localStreams).toEqual([local]);
    await local.setMuted('audio', true);
    expect(local.audioMuted).toBe(true);
    await local.unpublish();
    expect(local.published).toBe(false);
    expect(room.localStreams).toEqual([]);
    await room.leave();
  });

  it('a screen share stopped from the browser unpublishes and says so', async () => {
    const { api, room, devices, logOf } = roomHarness();
    await room.join('c1');
    const screen = await room.publish({ type: 'SCREEN' });
    expect(devices.calls[0]).toEqual({ method: 'getDisplayMedia', constraints: { video: true, audio: false } });
    expect((screen.mediaStream.getVideoTracks()[0] as unknown as FakeTrack).contentHint).toBe('detail');
    (screen.mediaStream.getVideoTracks()[0] as unknown as FakeTrack).endFromBrowser();
    await waitFor(() => api.callsOf('unpublishStream').length === 1, 'the unpublish');
    expect(logOf('localStreamRemoved')).toEqual([`localStreamRemoved:${screen.streamId}`]);
    expect(room.localStreams).toEqual([]);
    await room.leave();
  });

  it('switchDevice captures the chosen device and replaces the track', async () => {
    const { room, devices, pcs } = roomHarness();
    await room.join('c1');
    const local = await room.publish({ type: 'CAM' });
    const before = local.mediaStream.getVideoTracks()[0] as unknown as FakeTrack;
    await local.switchDevice('video', 'cam-2');
    expect(devices.calls[1]).toEqual({ method: 'getUserMedia', constraints: { video: { deviceId: { exact: 'cam-2' } } } });
    expect(before.readyState).toBe('ended');
    expect(pcs.created[0]?.getSenders()[0]?.track).toBe(local.mediaStream.getVideoTracks()[0]);
    await room.leave();
    expect((local.mediaStream.getVideoTracks()[0] as unknown as FakeTrack).readyState).toBe('ended');
  });

  it('reports capture failures as media errors', async () => {
    const { room, devices } = roomHarness();
    devices.getUserMedia = async () => {
      throw Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' });
    };
    await room.join('c1');
    const error = (await room.publish({ type: 'MIC' }).catch((e: unknown) => e)) as ConferenceError;
    expect(error.code).toBe('media');
    expect((error.cause as Error).name).toBe('NotAllowedError');
    await room.leave();
  });
});

describe('Room: leaving', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('leave() unpublishes, stops views, leaves, and keeps nothing open', async () => {
    const { api, room, pcs, window, log } = roomHarness();
    api.conference.participants = [participant('alice', ['a1'])];
    await room.join('c1');
    const local = await room.publish({ type: 'MIC_AND_CAM' });
    const tracks = local.mediaStream.getTracks() as unknown as FakeTrack[];
    await waitFor(() => pcs.created.every((pc) => pc.remoteDescription !== null), 'negotiation');
    const poll = api.callsOf('getEvents').at(-1)!;
    await room.leave('bye');
    expect(room.state).toBe('left');
    expect(pcs.open).toEqual([]);
    expect(tracks.every((t) => t.readyState === 'ended')).toBe(true);
    expect(poll.signal.aborted).toBe(true);
    const tail = api.calls.map((c) => c.operation).slice(-3);
    expect(tail.slice(0, 2).sort()).toEqual(['stopViewStream', 'unpublishStream']);
    expect(tail[2]).toBe('leave');
    expect(api.callsOf('leave')[0]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', reason: 'bye' });
    const count = api.calls.length;
    window.dispatchEvent(new Event('pagehide'));
    await room.leave();
    expect(api.calls.length).toBe(count);
    expect(room.localStreams).toEqual([]);
    // Nobody is listed after leaving, and each removal was announced.
    expect(room.participants).toEqual([]);
    expect(room.remoteStreams).toEqual([]);
    expect(log.filter((l) => l.startsWith('streamRemoved') || l.startsWith('participantLeft'))).toEqual(['streamRemoved:a1', 'participantLeft:alice']);
  });

  it('after leave() no peer connection, track, timer or listener remains', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const settle = () => vi.advanceTimersByTimeAsync(100);
    const { api, room, pcs, window } = roomHarness({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
    api.conference.participants = [participant('alice', ['a1']), participant('bob', ['b1'])];
    const joining = room.join('c1');
    await settle();
    await joining;
    expect(window.listenerCount).toBe(1);
    const publishing = room.publish({ type: 'MIC_AND_CAM', videoBitrate: 100_000 });
    await settle();
    const local = await publishing;
    for (const pc of pcs.created) pc.emitCandidate('candidate:1 1 udp 1 127.0.0.1 5000 typ host');
    // A viewer failing now leaves a retry timer pending, the hardest case for cleanup.
    pcs.created[0]!.setConnectionState('failed');
    await settle();
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    const leaving = room.leave();
    await settle();
    await leaving;
    expect(pcs.open).toEqual([]);
    expect((local.mediaStream.getTracks() as unknown as FakeTrack[]).map((t) => t.readyState)).toEqual(['ended', 'ended']);
    expect(window.listenerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leave() during join cancels it', async () => {
    const { api, room } = roomHarness();
    let answerJoin: () => void = () => undefined;
    api.on('join', () => new Promise((resolve) => (answerJoin = () => resolve(undefined))));
    const joining = room.join('c1');
    await waitFor(() => api.callsOf('join').length === 1, 'the join request');
    const leaving = room.leave();
    answerJoin();
    await expect(joining).rejects.toMatchObject({ code: 'aborted' });
    await leaving;
    expect(room.state).toBe('left');
    expect(api.callsOf('leave')).toHaveLength(1);
  });

  it('pagehide sends the leave with keepalive and closes the room', async () => {
    const { api, room, pcs, window } = roomHarness();
    api.conference.participants = [participant('alice', ['a1'])];
    await room.join('c1');
    await waitFor(() => pcs.created[0]?.remoteDescription !== null, 'the view');
    window.dispatchEvent(new Event('pagehide'));
    expect(room.state).toBe('left');
    expect(pcs.open).toEqual([]);
    await waitFor(() => api.callsOf('leave').length === 1, 'the keepalive leave');
    expect(api.callsOf('leave')[0]?.keepalive).toBe(true);
    expect(api.callsOf('leave')[0]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', reason: 'pagehide' });
  });

  it('end() ends the conference and closes the room', async () => {
    const { api, room, logOf } = roomHarness();
    await room.join('c1');
    await room.end('meeting over');
    expect(api.callsOf('end')[0]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', reason: 'meeting over' });
    expect(room.state).toBe('ended');
    expect(logOf('ended')).toEqual(['ended:meeting over:ended']);
  });
});
