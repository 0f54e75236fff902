import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConferenceServer } from '../../src/startServer.js';
import { startServer } from '../../src/startServer.js';
import { DecodingViewer, SyntheticPublisher, waitFor } from './helpers/wrtcPeer.js';

// Media through the real HTTP API: token, create, join, publishStream, viewStream, unpublish, leave.
// Node peers (libwebrtc) over 127.0.0.1; run inside `unshare -n`.

const ZERO = { publishers: 0, viewers: 0, peerConnections: 0, udpSockets: 0, timers: 0 };

/** Calls the API as one user of the demo client. */
class User {
  private constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static async login(baseUrl: string, userId: string): Promise<User> {
    const response = await fetch(`${baseUrl}/security/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', user_id: userId }).toString(),
    });
    const body = (await response.json()) as { access_token: string };
    return new User(baseUrl, body.access_token);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads whatever the server answered
  async post(operation: string, body: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.baseUrl}/rtc-api/conferences/${operation}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  async events(conferenceId: string, v: number): Promise<any[]> {
    const response = await fetch(`${this.baseUrl}/rtc-api/conferences/${conferenceId}/events?v=${v}`, { headers: { authorization: `Bearer ${this.token}` } });
    return (await response.json()) as unknown[];
  }
}

describe('media through the HTTP API', () => {
  let server: ConferenceServer;
  const peers: Array<{ close(): void }> = [];

  beforeAll(async () => {
    server = await startServer({ port: 0, logLevel: 'silent', announce: () => undefined, media: { loopback: true } });
  });
  afterAll(async () => {
    for (const peer of peers) peer.close();
    await server?.close();
  });

  async function conferenceWith(...users: string[]) {
    const callers = await Promise.all(users.map((u) => User.login(server.url, u)));
    const { body } = await callers[0]!.post('create', {});
    const conferenceId = body.id as string;
    for (const [i, caller] of callers.entries()) expect((await caller.post('join', { conferenceId, userEndpointId: `${users[i]}-1` })).status).toBe(200);
    return { conferenceId, callers };
  }

  it('publishes, is viewed by two endpoints, and unpublishing closes everything', async () => {
    const { conferenceId, callers } = await conferenceWith('alice', 'bob', 'carol');
    const [alice, bob, carol] = callers as [User, User, User];
    const pub = new SyntheticPublisher({ audio: true, video: true });
    peers.push(pub);
    const published = await alice.post('publishStream', { conferenceId, userEndpointId: 'alice-1', conferenceStreamType: 'MIC_AND_CAM', sdpOffer: await pub.createOffer(), videoBitrate: 800_000 });
    expect(published.status).toBe(200);
    const streamId = published.body.streamId.id as string;
    await pub.setAnswer(published.body.sdpAnswer);
    await waitFor(() => pub.pc.iceGatheringState === 'complete', 'publisher gathering');
    expect((await alice.post('addPublishStreamIceCandidates', { conferenceId, userEndpointId: 'alice-1', streamId: { id: streamId }, iceCandidates: pub.candidates })).status).toBe(204);
    expect((await bob.post('addPublishStreamIceCandidates', { conferenceId, userEndpointId: 'bob-1', streamId: { id: streamId }, iceCandidates: [] })).status).toBe(403);

    const viewers: DecodingViewer[] = [];
    for (const [user, name] of [[bob, 'bob'], [carol, 'carol']] as const) {
      const v = new DecodingViewer({ audio: true, video: true });
      peers.push(v);
      viewers.push(v);
      const viewed = await user.post('viewStream', { conferenceId, userEndpointId: `${name}-1`, streamId: { id: streamId }, sdpOffer: await v.createOffer() });
      expect(viewed.status).toBe(200);
      expect(viewed.body.viewerId).toEqual(expect.any(String));
      await v.setAnswer(viewed.body.sdpAnswer);
      await waitFor(() => v.pc.iceGatheringState === 'complete', 'viewer gathering');
      const trickled = await user.post('addViewStreamIceCandidates', { conferenceId, userEndpointId: `${name}-1`, streamId: { id: streamId }, viewerId: viewed.body.viewerId, iceCandidates: v.candidates });
      expect(trickled.status).toBe(204);
    }
    for (const v of viewers) await waitFor(() => v.framesDecoded >= 20 && v.audioChunks >= 20, 'media at a viewer', 15_000);
    expect(server.media.counters()).toMatchObject({ publishers: 1, viewers: 2, peerConnections: 3 });

    expect((await alice.post('unpublishStream', { conferenceId, userEndpointId: 'alice-1', streamId: { id: streamId } })).status).toBe(204);
    await waitFor(() => server.media.counters().peerConnections === 0, 'media released');
    expect(server.media.counters()).toEqual(ZERO);
    const types = (await bob.events(conferenceId, 0)).map((e: { type: string }) => e.type);
    expect(types).toContain('ConferenceStreamUnpublishedEvent');
  });

  it('a publisher and a viewer reconnect under their ids: the other viewer decodes on, and no event tells anyone', async () => {
    const { conferenceId, callers } = await conferenceWith('gina', 'hank', 'ivy');
    const [gina, hank, ivy] = callers as [User, User, User];
    const streamId = { id: 'gina-cam' };
    const publishFrom = async (pub: SyntheticPublisher) => {
      const published = await gina.post('publishStream', { conferenceId, userEndpointId: 'gina-1', conferenceStreamType: 'MIC_AND_CAM', streamId, sdpOffer: await pub.createFullOffer(), metadata: { label: 'cam' } });
      expect(published.status).toBe(200);
      expect(published.body.streamId).toEqual(streamId);
      await pub.setAnswer(published.body.sdpAnswer);
    };
    const viewAs = async (user: User, name: string, v: DecodingViewer) => {
      const viewed = await user.post('viewStream', { conferenceId, userEndpointId: `${name}-1`, streamId, viewerId: `${name}-sees-gina`, sdpOffer: await v.createFullOffer() });
      expect(viewed.status).toBe(200);
      expect(viewed.body.viewerId).toBe(`${name}-sees-gina`);
      await v.setAnswer(viewed.body.sdpAnswer);
    };
    const first = new SyntheticPublisher({ audio: true, video: true });
    const [hankView, ivyView] = [new DecodingViewer({ audio: true, video: true }), new DecodingViewer({ audio: true, video: true })];
    peers.push(first, hankView, ivyView);
    await publishFrom(first);
    await viewAs(hank, 'hank', hankView);
    await viewAs(ivy, 'ivy', ivyView);
    await waitFor(() => hankView.framesDecoded > 10 && ivyView.framesDecoded > 10, 'both viewers decode', 15_000);
    const version = (await hank.events(conferenceId, 0)).length;

    // gina's connection drops; her client publishes the same stream id again from a new connection.
    first.close();
    const second = new SyntheticPublisher({ audio: true, video: true });
    peers.push(second);
    await publishFrom(second);
    const frames = ivyView.framesDecoded;
    await waitFor(() => ivyView.framesDecoded > frames + 30, 'ivy decodes the new connection', 15_000);
    expect(ivyView.pc.connectionState).toBe('connected');
    expect(ivyView.tracksReceived).toBe(2);

    // hank's connection drops; his client views again under the same viewer id.
    hankView.close();
    const hankAgain = new DecodingViewer({ audio: true, video: true });
    peers.push(hankAgain);
    await viewAs(hank, 'hank', hankAgain);
    await waitFor(() => hankAgain.framesDecoded > 10, 'hank decodes again', 15_000);
    await waitFor(() => server.media.counters().peerConnections === 3, 'the replaced connections closed');
    expect(server.media.counters()).toMatchObject({ publishers: 1, viewers: 2 });

    // No stream event was appended: for the others the stream never left.
    expect((await hank.events(conferenceId, version)).filter((e: { type: string }) => e.type.startsWith('ConferenceStream'))).toEqual([]);
    // Someone else's endpoint may not take the ids over.
    const [intruder, peeker] = [new SyntheticPublisher({ audio: true, video: true }), new DecodingViewer({ audio: true, video: true })];
    peers.push(intruder, peeker);
    expect((await ivy.post('publishStream', { conferenceId, userEndpointId: 'ivy-1', conferenceStreamType: 'MIC_AND_CAM', streamId, sdpOffer: await intruder.createOffer() })).status).toBe(409);
    expect((await ivy.post('viewStream', { conferenceId, userEndpointId: 'ivy-1', streamId, viewerId: 'hank-sees-gina', sdpOffer: await peeker.createOffer() })).status).toBe(409);
    expect((await gina.post('leave', { conferenceId, userEndpointId: 'gina-1' })).status).toBe(204);
    await waitFor(() => server.media.counters().peerConnections === 0, 'media released');
  });

  it('answers 400 with a clear message for SDP it cannot use, and keeps nothing', async () => {
    const { conferenceId, callers } = await conferenceWith('dave');
    const dave = callers[0]!;
    const publish = (sdpOffer: string, conferenceStreamType = 'CAM') => dave.post('publishStream', { conferenceId, userEndpointId: 'dave-1', conferenceStreamType, sdpOffer });
    const garbage = await publish('garbage');
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ status: 400, message: expect.stringMatching(/sdpOffer is not SDP/) });
    const pub = new SyntheticPublisher({ audio: true, video: false });
    peers.push(pub);
    const wrongKind = await publish(await pub.createOffer(), 'CAM');
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body.message).toMatch(/CAM stream carries one video m-line/);
    expect(server.media.counters()).toEqual(ZERO);
    const events = await dave.events(conferenceId, 0);
    expect(events.map((e: { type: string }) => e.type)).not.toContain('ConferenceStreamPublishedEvent');
  });

  it('leave closes the endpoint’s streams and the viewers of them', async () => {
    const { conferenceId, callers } = await conferenceWith('erin', 'frank');
    const [erin, frank] = callers as [User, User];
    const pub = new SyntheticPublisher({ audio: false, video: true });
    const v = new DecodingViewer({ audio: false, video: true });
    peers.push(pub, v);
    const published = await erin.post('publishStream', { conferenceId, userEndpointId: 'erin-1', conferenceStreamType: 'CAM', sdpOffer: await pub.createFullOffer() });
    await pub.setAnswer(published.body.sdpAnswer);
    const viewed = await frank.post('viewStream', { conferenceId, userEndpointId: 'frank-1', streamId: published.body.streamId, sdpOffer: await v.createFullOffer() });
    await v.setAnswer(viewed.body.sdpAnswer);
    await waitFor(() => v.framesDecoded > 10, 'frames at the viewer', 15_000);
    expect((await erin.post('leave', { conferenceId, userEndpointId: 'erin-1' })).status).toBe(204);
    await waitFor(() => server.media.counters().peerConnections === 0, 'media released');
    expect(server.media.counters()).toEqual(ZERO);
  });
});
