import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaRouter, PublishRequest, ViewRequest } from '../../src/media/MediaRouter.js';
import { WeriftMediaRouter } from '../../src/media/WeriftMediaRouter.js';
import type { ConferenceServer } from '../../src/startServer.js';
import { ApiCaller, type UserCaller } from './support/ApiCaller.js';
import { KINDS, sdpOffer } from './support/sdpOffers.js';
import { startTestServer, waitFor } from './support/testServer.js';

let server: ConferenceServer;
let alice: UserCaller;
let bob: UserCaller;
let service: UserCaller;
let counter = 0;
let publishOffer: string;
let micOffer: string;
let viewOffer: string;

beforeAll(async () => {
  server = await startTestServer({ eventWaitMs: 100 });
  const api = new ApiCaller(server.url);
  [alice, bob, service] = await Promise.all([api.as('alice'), api.as('bob'), api.asClient()]);
  [publishOffer, micOffer, viewOffer] = await Promise.all([sdpOffer('sendonly'), sdpOffer('sendonly', KINDS.MIC), sdpOffer('recvonly')]);
});
afterAll(() => server.close());

/** A conference with alice (a1) and bob (b1) joined: events start at version 2. */
async function room(): Promise<string> {
  const conferenceId = `media-${++counter}`;
  await alice.post('create', { conferenceId });
  await alice.post('join', { conferenceId, userEndpointId: 'a1' });
  await bob.post('join', { conferenceId, userEndpointId: 'b1' });
  return conferenceId;
}

const publish = (caller: UserCaller, conferenceId: string, userEndpointId: string, extra: Record<string, unknown> = {}) =>
  caller.post('publishStream', { conferenceId, userEndpointId, conferenceStreamType: 'MIC_AND_CAM', sdpOffer: publishOffer, ...extra });

const view = (caller: UserCaller, conferenceId: string, userEndpointId: string, streamId: string, extra: Record<string, unknown> = {}) =>
  caller.post('viewStream', { conferenceId, userEndpointId, streamId: { id: streamId }, sdpOffer: viewOffer, ...extra });

const eventsFrom = async (conferenceId: string, v: number) => (await service.events(conferenceId, v)).body as Array<Record<string, unknown>>;

const settled = (expected: Partial<ReturnType<MediaRouter['counters']>>) =>
  waitFor(() => Object.entries(expected).every(([key, value]) => server.media.counters()[key as keyof typeof expected] === value), `media counters ${JSON.stringify(expected)}`);

describe('publishStream', () => {
  it('answers with server candidates on 127.0.0.1, records the stream and appends one event', async () => {
    const conferenceId = await room();
    const answer = await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' }, metadata: { label: 'camera' }, videoBitrate: 800_000 });
    expect(answer.status).toBe(200);
    expect(answer.body.streamId).toEqual({ id: 's1' });
    expect(answer.body.sdpAnswer).toMatch(/^v=0/);
    expect(answer.body.sdpAnswer).toMatch(/a=candidate:\S+ \d udp \d+ 127\.0\.0\.1 /i);
    expect(await eventsFrom(conferenceId, 2)).toEqual([
      expect.objectContaining({ type: 'ConferenceStreamPublishedEvent', conferenceVersion: 2, userId: 'alice', userEndpointId: 'a1', streamId: 's1', streamType: 'MIC_AND_CAM', metadata: { label: 'camera' } }),
    ]);
    const aggregate = (await bob.conference(conferenceId)).body;
    expect(aggregate.participants[0].streams).toEqual([{ id: { id: 's1' }, type: 'MIC_AND_CAM', metadata: { label: 'camera' }, videoBitrate: 800_000 }]);
    expect((await bob.get(`${conferenceId}/simpleView`)).body.participants[0].endpoints[0].streams).toEqual([{ id: 's1', type: 'MIC_AND_CAM', metadata: { label: 'camera' } }]);
    // A joiner learns what is already published from the join answer.
    const carol = await new ApiCaller(server.url).as('carol');
    const joined = await carol.post('join', { conferenceId, userEndpointId: 'c1' });
    expect(joined.body.participants[0].streams[0].id).toEqual({ id: 's1' });
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });

  it('generates the stream id when none is given', async () => {
    const conferenceId = await room();
    const answer = await alice.post('publishStream', { conferenceId, userEndpointId: 'a1', conferenceStreamType: 'MIC', sdpOffer: micOffer });
    expect(answer.status).toBe(200);
    expect(answer.body.streamId.id).toMatch(/^[0-9a-f-]{36}$/);
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });

  it("409 for a stream id another endpoint publishes (the same user's other endpoint too); nothing else changes", async () => {
    const conferenceId = await room();
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } });
    const before = (await service.conference(conferenceId)).body;
    const counters = server.media.counters();
    const taken = await publish(bob, conferenceId, 'b1', { streamId: { id: 's1' } });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ status: 409, error: 'Conflict', message: `streamId s1 is already published in conference ${conferenceId} by another endpoint than b1` });
    // alice's second endpoint is another endpoint too, though the same user.
    await alice.post('join', { conferenceId, userEndpointId: 'a2' });
    expect((await publish(alice, conferenceId, 'a2', { streamId: { id: 's1' } })).status).toBe(409);
    expect((await service.conference(conferenceId)).body).toEqual({ ...before, version: before.version + 1, participants: expect.any(Array) });
    expect(server.media.counters()).toEqual(counters);
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });

  it('a second publishStream of a stream by its own endpoint reconnects it: same answer shape, no event', async () => {
    const conferenceId = await room();
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' }, metadata: { label: 'camera' }, videoBitrate: 800_000 });
    await view(bob, conferenceId, 'b1', 's1', { viewerId: 'v1' });
    await settled({ publishers: 1, viewers: 1, peerConnections: 2 });
    const again = await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' }, metadata: { label: 'camera' }, videoBitrate: 800_000 });
    expect(again.status).toBe(200);
    expect(Object.keys(again.body).sort()).toEqual(['sdpAnswer', 'streamId']);
    expect(again.body.streamId).toEqual({ id: 's1' });
    expect(again.body.sdpAnswer).toMatch(/^v=0/);
    // The old connection is closed, the new one counted; the viewer is untouched.
    await settled({ publishers: 1, viewers: 1, peerConnections: 2 });
    // Without metadata or bitrate both are kept, again without an event.
    expect((await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } })).status).toBe(200);
    expect(await eventsFrom(conferenceId, 3)).toEqual([]);
    expect((await service.conference(conferenceId)).body.participants[0].streams).toEqual([{ id: { id: 's1' }, type: 'MIC_AND_CAM', metadata: { label: 'camera' }, videoBitrate: 800_000 }]);
    // The viewer record survived: the viewer can still be stopped under its id.
    expect((await bob.post('stopViewStream', { conferenceId, userEndpointId: 'b1', streamId: { id: 's1' }, viewerId: 'v1' })).status).toBe(204);
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
    await settled({ publishers: 0, viewers: 0, peerConnections: 0 });
  });

  it('a reconnection with changed metadata or bitrate appends just those update events', async () => {
    const conferenceId = await room();
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' }, metadata: { label: 'camera' } });
    expect((await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' }, metadata: { label: 'front camera' }, videoBitrate: 300_000 })).status).toBe(200);
    expect((await eventsFrom(conferenceId, 3)).map((e) => [e.type, e.streamId])).toEqual([
      ['ConferenceStreamMetadataUpdatedEvent', 's1'],
      ['ConferencePublishedStreamBitrateUpdatedEvent', 's1'],
    ]);
    expect((await service.conference(conferenceId)).body.participants[0].streams[0]).toMatchObject({ metadata: { label: 'front camera' }, videoBitrate: 300_000 });
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });

  it('409 for a reconnection that changes the stream type; 400 for one whose offer cannot carry the stream', async () => {
    const conferenceId = await room();
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } });
    const counters = server.media.counters();
    const retyped = await alice.post('publishStream', { conferenceId, userEndpointId: 'a1', conferenceStreamType: 'MIC', sdpOffer: micOffer, streamId: { id: 's1' } });
    expect(retyped.status).toBe(409);
    expect(retyped.body).toEqual({
      status: 409,
      error: 'Conflict',
      message: 'streamId s1 is published as MIC_AND_CAM; publishing it again as MIC is not a reconnection (unpublish it first)',
    });
    const garbage = await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' }, sdpOffer: 'garbage' });
    expect(garbage.status).toBe(400);
    expect(garbage.body.message).toMatch(/^media: sdpOffer is not SDP/);
    const noVideo = await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' }, sdpOffer: micOffer });
    expect(noVideo.status).toBe(400);
    expect(noVideo.body.message).toMatch(/^media: sdpOffer has 0 video m-line/);
    // A refused reconnection keeps the stream as it was.
    expect(server.media.counters()).toEqual(counters);
    expect((await eventsFrom(conferenceId, 3))).toEqual([]);
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });

  it.each([
    ['garbage', 'this is not sdp'],
    ['an offer without media sections', 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'],
  ])('400 for %s, leaving nothing behind', async (_name, sdp) => {
    const conferenceId = await room();
    const answer = await publish(alice, conferenceId, 'a1', { sdpOffer: sdp });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/^media: /);
    expect((await service.conference(conferenceId)).body.version).toBe(2);
    await settled({ publishers: 0 });
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });

  it("400 for the stream type UNKNOWN, 403 for another user's endpoint, 404 for unknown ids", async () => {
    const conferenceId = await room();
    expect((await publish(alice, conferenceId, 'a1', { conferenceStreamType: 'UNKNOWN' })).body.message).toBe('body.conferenceStreamType must be MIC, CAM, MIC_AND_CAM or SCREEN');
    expect((await publish(alice, conferenceId, 'b1')).status).toBe(403);
    expect((await publish(alice, conferenceId, 'zz')).status).toBe(404);
    expect((await publish(alice, 'no-such-room', 'a1')).status).toBe(404);
    expect((await service.conference(conferenceId)).body.version).toBe(2);
    expect(server.media.counters().publishers).toBe(0);
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });
});

describe('ICE candidates, viewing and stopping', () => {
  const candidate = { candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };

  it('addPublishStreamIceCandidates: 204 for the own stream, 403/404 otherwise', async () => {
    const conferenceId = await room();
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } });
    const add = (caller: UserCaller, userEndpointId: string, streamId: string) =>
      caller.post('addPublishStreamIceCandidates', { conferenceId, userEndpointId, streamId: { id: streamId }, iceCandidates: [candidate] });
    expect((await add(alice, 'a1', 's1')).status).toBe(204);
    const other = await add(bob, 'b1', 's1');
    expect(other.status).toBe(403);
    expect(other.body.message).toBe('streamId s1 is published by another endpoint than b1');
    expect((await add(bob, 'a1', 's1')).status).toBe(403);
    expect((await add(alice, 'a1', 'nope')).status).toBe(404);
    expect((await service.conference(conferenceId)).body.version).toBe(3);
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });

  it('viewStream, addViewStreamIceCandidates and stopViewStream keep viewer ownership', async () => {
    const conferenceId = await room();
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } });
    const generated = await view(bob, conferenceId, 'b1', 's1');
    expect(generated.status).toBe(200);
    expect(generated.body.viewerId).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.body.sdpAnswer).toMatch(/^v=0/);
    const chosen = await view(bob, conferenceId, 'b1', 's1', { viewerId: 'v1', metadata: { quality: 'high' } });
    expect(chosen.body.viewerId).toBe('v1');
    // The same viewer id from its own endpoint for the same stream: a reconnection (see below).
    expect((await view(bob, conferenceId, 'b1', 's1', { viewerId: 'v1' })).status).toBe(200);
    expect((await view(bob, conferenceId, 'b1', 'nope')).status).toBe(404);
    expect((await view(bob, conferenceId, 'a1', 's1')).status).toBe(403);
    await settled({ publishers: 1, viewers: 2 });

    const viewerCall = (op: string, caller: UserCaller, userEndpointId: string, viewerId: string, streamId = 's1') =>
      caller.post(op, { conferenceId, userEndpointId, streamId: { id: streamId }, viewerId, ...(op === 'stopViewStream' ? {} : { iceCandidates: [candidate] }) });
    expect((await viewerCall('addViewStreamIceCandidates', bob, 'b1', 'v1')).status).toBe(204);
    const foreign = await viewerCall('addViewStreamIceCandidates', alice, 'a1', 'v1');
    expect(foreign.status).toBe(403);
    expect(foreign.body.message).toBe('viewerId v1 belongs to another endpoint than a1');
    expect((await viewerCall('addViewStreamIceCandidates', bob, 'b1', 'nope')).status).toBe(404);
    expect((await viewerCall('addViewStreamIceCandidates', bob, 'b1', 'v1', 'other')).body.message).toBe('viewerId v1 does not view streamId other');
    expect((await viewerCall('stopViewStream', alice, 'a1', 'v1')).status).toBe(403);
    expect((await viewerCall('stopViewStream', bob, 'b1', 'v1')).status).toBe(204);
    expect((await viewerCall('stopViewStream', bob, 'b1', 'v1')).status).toBe(404);
    await settled({ publishers: 1, viewers: 1 });
    // Viewers are not part of the aggregate: none of this made an event.
    expect((await service.conference(conferenceId)).body.version).toBe(3);
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
    await settled({ publishers: 0, viewers: 0, peerConnections: 0 });
  });

  it('viewStream with the viewer id its endpoint uses for that stream reconnects it; 409 for another endpoint or stream', async () => {
    const conferenceId = await room();
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } });
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's2' } });
    await view(bob, conferenceId, 'b1', 's1', { viewerId: 'v1' });
    await settled({ publishers: 2, viewers: 1, peerConnections: 3 });
    const version = (await service.conference(conferenceId)).body.version;
    const again = await view(bob, conferenceId, 'b1', 's1', { viewerId: 'v1' });
    expect(again.status).toBe(200);
    expect(Object.keys(again.body).sort()).toEqual(['sdpAnswer', 'viewerId']);
    expect(again.body.viewerId).toBe('v1');
    // The old connection is closed: still one viewer.
    await settled({ publishers: 2, viewers: 1, peerConnections: 3 });
    const foreign = await view(alice, conferenceId, 'a1', 's1', { viewerId: 'v1' });
    expect(foreign.status).toBe(409);
    expect(foreign.body).toEqual({ status: 409, error: 'Conflict', message: `viewerId v1 is already in use in conference ${conferenceId} by another endpoint than a1` });
    const otherStream = await view(bob, conferenceId, 'b1', 's2', { viewerId: 'v1' });
    expect(otherStream.status).toBe(409);
    expect(otherStream.body.message).toBe('viewerId v1 already views streamId s1; a reconnection must name that stream');
    const garbage = await view(bob, conferenceId, 'b1', 's1', { viewerId: 'v1', sdpOffer: 'garbage' });
    expect(garbage.status).toBe(400);
    expect(server.media.counters()).toMatchObject({ publishers: 2, viewers: 1 });
    expect((await service.conference(conferenceId)).body.version).toBe(version);
    expect((await bob.post('stopViewStream', { conferenceId, userEndpointId: 'b1', streamId: { id: 's1' }, viewerId: 'v1' })).status).toBe(204);
    await settled({ publishers: 2, viewers: 0, peerConnections: 2 });
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
    await settled({ publishers: 0, viewers: 0, peerConnections: 0 });
  });

  it('unpublishStream closes the stream and its viewers, forgets the viewer records, one event', async () => {
    const conferenceId = await room();
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } });
    await view(bob, conferenceId, 'b1', 's1', { viewerId: 'v1' });
    expect((await bob.post('unpublishStream', { conferenceId, userEndpointId: 'b1', streamId: { id: 's1' } })).status).toBe(403);
    expect((await alice.post('unpublishStream', { conferenceId, userEndpointId: 'a1', streamId: { id: 's1' } })).status).toBe(204);
    expect(await eventsFrom(conferenceId, 3)).toEqual([
      expect.objectContaining({ type: 'ConferenceStreamUnpublishedEvent', userEndpointId: 'a1', streamId: 's1', streamType: 'MIC_AND_CAM', reason: 'unpublished' }),
    ]);
    expect((await service.conference(conferenceId)).body.participants[0].streams).toEqual([]);
    expect((await bob.post('stopViewStream', { conferenceId, userEndpointId: 'b1', streamId: { id: 's1' }, viewerId: 'v1' })).status).toBe(404);
    expect((await alice.post('unpublishStream', { conferenceId, userEndpointId: 'a1', streamId: { id: 's1' } })).status).toBe(404);
    await settled({ publishers: 0, viewers: 0, peerConnections: 0 });
    // The id is free again.
    expect((await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } })).status).toBe(200);
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });
});

describe('stream metadata and bitrate', () => {
  it('updateStreamMetadata: by id, or the only stream; 400 when the choice is ambiguous', async () => {
    const conferenceId = await room();
    const noStream = await alice.post('updateStreamMetadata', { conferenceId, userEndpointId: 'a1', newMetadata: { x: 1 } });
    expect(noStream.body.message).toBe('body.streamId is required: userEndpointId a1 publishes 0 streams');
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } });
    expect((await alice.post('updateStreamMetadata', { conferenceId, userEndpointId: 'a1', newMetadata: { label: 'only' } })).status).toBe(204);
    await alice.post('publishStream', { conferenceId, userEndpointId: 'a1', conferenceStreamType: 'MIC', sdpOffer: micOffer, streamId: { id: 's2' } });
    expect((await alice.post('updateStreamMetadata', { conferenceId, userEndpointId: 'a1', newMetadata: {} })).status).toBe(400);
    expect((await alice.post('updateStreamMetadata', { conferenceId, userEndpointId: 'a1', streamId: { id: 's2' }, newMetadata: { label: 'mic' } })).status).toBe(204);
    expect((await bob.post('updateStreamMetadata', { conferenceId, userEndpointId: 'b1', streamId: { id: 's2' }, newMetadata: {} })).status).toBe(403);
    expect((await alice.post('updateStreamMetadata', { conferenceId, userEndpointId: 'a1', streamId: { id: 'nope' } })).status).toBe(404);
    const streams = (await service.conference(conferenceId)).body.participants[0].streams;
    expect(streams.map((s: { metadata: unknown }) => s.metadata)).toEqual([{ label: 'only' }, { label: 'mic' }]);
    expect((await eventsFrom(conferenceId, 2)).map((e) => [e.type, e.streamId, e.newMetadata])).toEqual([
      ['ConferenceStreamPublishedEvent', 's1', undefined],
      ['ConferenceStreamMetadataUpdatedEvent', 's1', { label: 'only' }],
      ['ConferenceStreamPublishedEvent', 's2', undefined],
      ['ConferenceStreamMetadataUpdatedEvent', 's2', { label: 'mic' }],
    ]);
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });

  it('updatePublishedStreamBitrate: one stream, or all of the endpoint; one event per stream; without videoBitrate back to the default', async () => {
    const conferenceId = await room();
    const update = (body: Record<string, unknown>) => alice.post('updatePublishedStreamBitrate', { conferenceId, userEndpointId: 'a1', ...body });
    expect((await update({ videoBitrate: 500_000 })).body.message).toBe('userEndpointId a1 publishes no stream');
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } });
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's2' } });
    expect((await update({ streamId: { id: 's1' }, videoBitrate: 300_000 })).status).toBe(204);
    expect((await update({ videoBitrate: 900_000 })).status).toBe(204);
    expect((await update({ streamId: { id: 's1' }, videoBitrate: 100_000_001 })).body.message).toBe('body.videoBitrate must be <= 100000000');
    expect((await update({ streamId: { id: 's1' }, videoBitrate: 0 })).body.message).toMatch(/^media: videoBitrate must be a positive number/);
    expect((await bob.post('updatePublishedStreamBitrate', { conferenceId, userEndpointId: 'b1', streamId: { id: 's1' }, videoBitrate: 1 })).status).toBe(403);
    const streams = (await service.conference(conferenceId)).body.participants[0].streams;
    expect(streams.map((s: { videoBitrate: number }) => s.videoBitrate)).toEqual([900_000, 900_000]);
    expect((await update({ streamId: { id: 's1' } })).status).toBe(204);
    const reset = (await service.conference(conferenceId)).body.participants[0].streams;
    expect(reset.map((s: { videoBitrate: number }) => s.videoBitrate)).toEqual([1_500_000, 900_000]);
    expect((await eventsFrom(conferenceId, 4)).map((e) => [e.type, e.streamId, e.videoBitrate])).toEqual([
      ['ConferencePublishedStreamBitrateUpdatedEvent', 's1', 300_000],
      ['ConferencePublishedStreamBitrateUpdatedEvent', 's1', 900_000],
      ['ConferencePublishedStreamBitrateUpdatedEvent', 's2', 900_000],
      ['ConferencePublishedStreamBitrateUpdatedEvent', 's1', 1_500_000],
    ]);
    await alice.post('end', { conferenceId, userEndpointId: 'a1' });
  });
});

describe('leave and end close media', () => {
  it('leave unpublishes each stream (an event each, before ConferenceLeftEvent) and stops the endpoint viewers', async () => {
    const conferenceId = await room();
    await publish(alice, conferenceId, 'a1', { streamId: { id: 'a-cam' } });
    await alice.post('publishStream', { conferenceId, userEndpointId: 'a1', conferenceStreamType: 'MIC', sdpOffer: micOffer, streamId: { id: 'a-mic' } });
    await publish(bob, conferenceId, 'b1', { streamId: { id: 'b-cam' } });
    await view(bob, conferenceId, 'b1', 'a-cam', { viewerId: 'bob-sees-alice' });
    await view(alice, conferenceId, 'a1', 'b-cam', { viewerId: 'alice-sees-bob' });
    await settled({ publishers: 3, viewers: 2 });
    expect((await alice.post('leave', { conferenceId, userEndpointId: 'a1', reason: 'closed the tab' })).status).toBe(204);
    expect((await eventsFrom(conferenceId, 5)).map((e) => [e.type, e.userEndpointId, e.streamId, e.reason])).toEqual([
      ['ConferenceStreamUnpublishedEvent', 'a1', 'a-cam', 'closed the tab'],
      ['ConferenceStreamUnpublishedEvent', 'a1', 'a-mic', 'closed the tab'],
      ['ConferenceLeftEvent', 'a1', undefined, 'closed the tab'],
    ]);
    await settled({ publishers: 1, viewers: 0, peerConnections: 1 });
    expect((await bob.post('stopViewStream', { conferenceId, userEndpointId: 'b1', streamId: { id: 'a-cam' }, viewerId: 'bob-sees-alice' })).status).toBe(404);
    // bob's stream lives on, and a new viewer may take the id alice's viewer had.
    expect((await bob.post('viewStream', { conferenceId, userEndpointId: 'b1', streamId: { id: 'b-cam' }, sdpOffer: viewOffer, viewerId: 'alice-sees-bob' })).status).toBe(200);
    await bob.post('end', { conferenceId, userEndpointId: 'b1' });
    await settled({ publishers: 0, viewers: 0, peerConnections: 0 });
  });

  it('end closes every stream and viewer of the conference, with the one ConferenceEndedEvent', async () => {
    const conferenceId = await room();
    await publish(alice, conferenceId, 'a1', { streamId: { id: 's1' } });
    await publish(bob, conferenceId, 'b1', { streamId: { id: 's2' } });
    await view(bob, conferenceId, 'b1', 's1');
    await view(alice, conferenceId, 'a1', 's2');
    const poll = service.events(conferenceId, 4);
    expect((await alice.post('end', { conferenceId, userEndpointId: 'a1', reason: 'meeting over' })).status).toBe(204);
    expect((await poll).body).toEqual([expect.objectContaining({ type: 'ConferenceEndedEvent', conferenceVersion: 4, reason: 'meeting over' })]);
    await settled({ publishers: 0, viewers: 0, peerConnections: 0, udpSockets: 0 });
  });
});

describe('media operations racing leave', () => {
  let gated: ConferenceServer;
  const waiting: Array<() => void> = [];

  beforeAll(async () => {
    gated = await startTestServer({
      createMediaRouter: (callbacks) => {
        const router = new WeriftMediaRouter({ loopback: true, noMediaTimeoutMs: 600_000 }, callbacks);
        // The real router, except that publish and view wait until the test lets them go on.
        const gate = () => new Promise<void>((resolve) => waiting.push(resolve));
        return Object.assign(Object.create(router) as MediaRouter, {
          publish: async (request: PublishRequest) => (await gate(), router.publish(request)),
          view: async (request: ViewRequest) => (await gate(), router.view(request)),
        });
      },
    });
  });
  afterAll(() => gated.close());

  it('a publish whose endpoint left meanwhile answers 404 and leaves no stream behind', async () => {
    const api = new ApiCaller(gated.url);
    const [a, s] = await Promise.all([api.as('alice'), api.asClient()]);
    await a.post('create', { conferenceId: 'race' });
    await a.post('join', { conferenceId: 'race', userEndpointId: 'a1' });
    await a.post('join', { conferenceId: 'race', userEndpointId: 'a2' });
    const publishing = a.post('publishStream', { conferenceId: 'race', userEndpointId: 'a1', conferenceStreamType: 'MIC_AND_CAM', sdpOffer: publishOffer, streamId: { id: 's1' } });
    await waitFor(() => waiting.length === 1, 'the publish to reach the media router');
    const taken = await a.post('publishStream', { conferenceId: 'race', userEndpointId: 'a2', conferenceStreamType: 'MIC', sdpOffer: micOffer, streamId: { id: 's1' } });
    expect(taken.status).toBe(409);
    await a.post('leave', { conferenceId: 'race', userEndpointId: 'a1' });
    waiting.shift()!();
    const answer = await publishing;
    expect(answer.status).toBe(404);
    expect(answer.body.message).toBe('userEndpointId a1 left conference race while publishing');
    await waitFor(() => gated.media.counters().publishers === 0, 'the stream to be closed');
    expect((await s.conference('race')).body.participants).toEqual([expect.objectContaining({ id: 'a2', streams: [] })]);
    expect((await s.events('race', 0)).body.map((e: { type: string }) => e.type)).toEqual(['ConferenceJoinedEvent', 'ConferenceJoinedEvent', 'ConferenceLeftEvent']);
  });

  it('a reconnection while another publish of the id is in flight is 409; one whose stream was unpublished meanwhile is 404', async () => {
    const api = new ApiCaller(gated.url);
    const a = await api.as('alice');
    await a.post('create', { conferenceId: 'race-reconnect' });
    await a.post('join', { conferenceId: 'race-reconnect', userEndpointId: 'a1' });
    const body = { conferenceId: 'race-reconnect', userEndpointId: 'a1', conferenceStreamType: 'MIC_AND_CAM', sdpOffer: publishOffer, streamId: { id: 's1' } };
    const first = a.post('publishStream', body);
    await waitFor(() => waiting.length === 1, 'the publish to reach the media router');
    const early = await a.post('publishStream', body);
    expect(early.status).toBe(409);
    expect(early.body.message).toBe('streamId s1 is being published by another request in conference race-reconnect');
    waiting.shift()!();
    expect((await first).status).toBe(200);
    const reconnecting = a.post('publishStream', body);
    await waitFor(() => waiting.length === 1, 'the reconnection to reach the media router');
    expect((await a.post('publishStream', body)).status).toBe(409);
    await a.post('unpublishStream', { conferenceId: 'race-reconnect', userEndpointId: 'a1', streamId: { id: 's1' } });
    waiting.shift()!();
    const answer = await reconnecting;
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ status: 404, error: 'Not Found', message: expect.stringMatching(/s1/) });
    await waitFor(() => gated.media.counters().publishers === 0 && gated.media.counters().peerConnections === 0, 'nothing left open');
  });

  it('a view whose stream was unpublished meanwhile answers 404 and leaves no viewer behind', async () => {
    const api = new ApiCaller(gated.url);
    const [a, b] = await Promise.all([api.as('alice'), api.as('bob')]);
    await a.post('create', { conferenceId: 'race-view' });
    await a.post('join', { conferenceId: 'race-view', userEndpointId: 'a1' });
    await b.post('join', { conferenceId: 'race-view', userEndpointId: 'b1' });
    const publishing = a.post('publishStream', { conferenceId: 'race-view', userEndpointId: 'a1', conferenceStreamType: 'MIC_AND_CAM', sdpOffer: publishOffer, streamId: { id: 's1' } });
    await waitFor(() => waiting.length === 1, 'the publish to reach the media router');
    waiting.shift()!();
    expect((await publishing).status).toBe(200);
    const viewing = b.post('viewStream', { conferenceId: 'race-view', userEndpointId: 'b1', streamId: { id: 's1' }, sdpOffer: viewOffer, viewerId: 'v1' });
    await waitFor(() => waiting.length === 1, 'the view to reach the media router');
    await a.post('unpublishStream', { conferenceId: 'race-view', userEndpointId: 'a1', streamId: { id: 's1' } });
    waiting.shift()!();
    const answer = await viewing;
    expect(answer.status).toBe(404);
    await waitFor(() => gated.media.counters().viewers === 0 && gated.media.counters().publishers === 0, 'nothing left open');
    expect((await b.post('stopViewStream', { conferenceId: 'race-view', userEndpointId: 'b1', streamId: { id: 's1' }, viewerId: 'v1' })).status).toBe(404);
  });
});
