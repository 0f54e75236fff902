import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ConferenceError } from '../../src/index.js';
import { Publisher } from '../../src/media/Publisher.js';
import type { PublisherStopReason } from '../../src/media/Publisher.js';
import type { Presence, StreamConnectionState } from '../../src/media/StreamConnection.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeApi, httpError, json } from '../fakes/FakeApi.js';
import { FakeTrack, fakeStream } from '../fakes/media.js';
import { FakePeerConnectionFactory } from '../fakes/FakePeerConnection.js';
import type { FakePeerConnection } from '../fakes/FakePeerConnection.js';
import { answerFor } from '../fakes/sdp.js';
import { waitFor } from '../fakes/waitFor.js';

function setup(
  options: {
    type?: 'MIC_AND_CAM' | 'SCREEN' | 'MIC';
    owned?: boolean;
    videoBitrate?: number;
    checkPresence?: () => Promise<Presence>;
    currentVersion?: () => number | undefined;
    simulcast?: boolean;
    dynacast?: boolean;
  } = {},
) {
  const api = new FakeApi();
  const pcs = new FakePeerConnectionFactory();
  const type = options.type ?? 'MIC_AND_CAM';
  const mediaStream = type === 'MIC' ? fakeStream('audio') : type === 'SCREEN' ? fakeStream('video') : fakeStream('audio', 'video');
  const stops: { reason: PublisherStopReason; error: ConferenceError | undefined }[] = [];
  const states: StreamConnectionState[] = [];
  const publisher = new Publisher({
    api: new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch }),
    conferenceId: 'c1',
    userEndpointId: 'me',
    streamId: 'stream-1',
    type,
    mediaStream,
    ownedTracks: options.owned === false ? [] : mediaStream.getTracks(),
    videoBitrate: options.videoBitrate,
    simulcast: options.simulcast,
    dynacast: options.dynacast,
    createPeerConnection: pcs.create,
    rtcConfiguration: { bundlePolicy: 'max-bundle' },
    logger: silentLogger,
    backoff: { initialMs: 1, maxMs: 4 },
    onStopped: (reason, error) => stops.push({ reason, error }),
    onConnectionStateChange: (state) => states.push(state),
    checkPresence: options.checkPresence,
    currentVersion: options.currentVersion,
  });
  const pc = () => pcs.created.at(-1)!;
  return { api, pcs, pc, publisher, mediaStream, stops, states, tracks: mediaStream.getTracks() as unknown as FakeTrack[] };
}

describe('Publisher', () => {
  it('offers from one sendonly peer connection, publishes, then sets the answer', async () => {
    const { api, pc, publisher, pcs } = setup({ videoBitrate: 500_000 });
    await publisher.publish();
    expect(pcs.created).toHaveLength(1);
    expect(pc().configuration).toEqual({ bundlePolicy: 'max-bundle' });
    expect(pc().log).toEqual(['addTransceiver:audio:sendonly', 'addTransceiver:video:sendonly', 'createOffer', 'setLocalDescription', 'setRemoteDescription']);
    const [publish] = api.callsOf('publishStream');
    expect(publish?.body).toMatchObject({
      conferenceId: 'c1',
      userEndpointId: 'me',
      streamId: { id: 'stream-1' },
      conferenceStreamType: 'MIC_AND_CAM',
      videoBitrate: 500_000,
      sdpOffer: pc().localDescription?.sdp,
    });
    expect(pc().remoteDescription?.sdp).toContain('a=recvonly');
    // The initial cap goes to the sender too.
    expect(pc().getSenders()[1]?.parameters.encodings[0]?.maxBitrate).toBe(500_000);
  });

  it('trickles ICE only after the answer, batched', async () => {
    const { api, pc, publisher } = setup();
    let publishCalls = 0;
    api.on('publishStream', () => {
      publishCalls++;
      // Candidates gathered while the offer is on its way must wait for the answer.
      pc().emitCandidate('candidate:1 1 udp 1 127.0.0.1 5000 typ host');
      pc().emitCandidate('candidate:2 1 udp 1 127.0.0.1 5001 typ host');
      return undefined;
    });
    await publisher.publish();
    expect(publishCalls).toBe(1);
    pc().emitCandidate('candidate:3 1 udp 1 127.0.0.1 5002 typ host');
    pc().emitCandidate(null);
    await waitFor(() => api.callsOf('addPublishStreamIceCandidates').length === 1, 'candidates');
    const [trickle] = api.callsOf('addPublishStreamIceCandidates');
    expect(trickle?.body).toMatchObject({ conferenceId: 'c1', userEndpointId: 'me', streamId: { id: 'stream-1' } });
    expect((trickle?.body.iceCandidates as unknown[]).length).toBe(3);
    const order = api.calls.map((c) => c.operation).filter((o) => o !== 'issueToken');
    expect(order).toEqual(['publishStream', 'addPublishStreamIceCandidates']);
  });

  it('setVideoBitrate sets the sender encoding and tells the server', async () => {
    const { api, pc, publisher } = setup();
    await publisher.publish();
    await publisher.setVideoBitrate(300_000);
    const video = pc().getSenders()[1]!;
    expect(video.setParametersCalls.at(-1)?.encodings[0]?.maxBitrate).toBe(300_000);
    expect(api.callsOf('updatePublishedStreamBitrate')[0]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', streamId: { id: 'stream-1' }, videoBitrate: 300_000 });
    await expect(publisher.setVideoBitrate(-1)).rejects.toMatchObject({ code: 'invalid-state' });
  });

  it('gives the sender an encoding when the browser reports none (Firefox before negotiation)', async () => {
    const { pc, publisher } = setup();
    await publisher.publish();
    const video = pc().getSenders()[1]!;
    video.parameters = { ...video.parameters, encodings: [] };
    await publisher.setVideoBitrate(250_000);
    expect(video.setParametersCalls.at(-1)?.encodings).toEqual([{ maxBitrate: 250_000 }]);
  });

  it('setMuted disables the track and sets TRACK_MUTED metadata; unmuting removes the key, as the cloud clients do', async () => {
    const { api, publisher, tracks } = setup();
    await publisher.publish();
    await publisher.setMuted('audio', true);
    expect(tracks.find((t) => t.kind === 'audio')?.enabled).toBe(false);
    expect(tracks.find((t) => t.kind === 'video')?.enabled).toBe(true);
    expect(publisher.isMuted('audio')).toBe(true);
    expect(api.callsOf('updateMetadata')[0]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', key: 'TRACK_MUTED/audio/stream-1', operation: 'SET', value: 'true' });
    await publisher.setMuted('audio', false);
    expect(tracks.find((t) => t.kind === 'audio')?.enabled).toBe(true);
    expect(api.callsOf('updateMetadata')[1]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', key: 'TRACK_MUTED/audio/stream-1', operation: 'REMOVE' });
    // Unmuting a kind never muted: the server has no such key (404), which is fine.
    api.on('updateMetadata', () => httpError(404, 'metadata key not found'), { once: true });
    await publisher.setMuted('video', false);
    expect(api.callsOf('updateMetadata')[2]?.body).toMatchObject({ key: 'TRACK_MUTED/video/stream-1', operation: 'REMOVE' });
  });

  it('replaceTrack swaps the sender track without a new offer and keeps the mute state', async () => {
    const { pc, publisher, mediaStream, tracks } = setup();
    await publisher.publish();
    await publisher.setMuted('video', true);
    const camera = new FakeTrack('video') as unknown as MediaStreamTrack;
    await publisher.replaceTrack(camera);
    expect(pc().getSenders()[1]?.track).toBe(camera);
    expect(camera.enabled).toBe(false);
    expect(mediaStream.getVideoTracks()).toEqual([camera]);
    expect(tracks.find((t) => t.kind === 'video')?.readyState).toBe('ended');
    expect(pc().log.filter((l) => l === 'createOffer')).toHaveLength(1);
    await publisher.unpublish();
    // The replacement was the caller's: it keeps running.
    expect((camera as unknown as FakeTrack).readyState).toBe('live');
  });

  it('unpublish closes the connection, stops owned tracks and unpublishes (404 is fine)', async () => {
    const { api, pc, publisher, tracks, stops } = setup();
    api.on('unpublishStream', () => httpError(404, 'already gone'));
    await publisher.publish();
    await publisher.setMuted('audio', true);
    await publisher.unpublish();
    expect(pc().closed).toBe(true);
    expect(tracks.every((t) => t.readyState === 'ended')).toBe(true);
    expect(api.callsOf('unpublishStream')[0]?.body).toEqual({ conferenceId: 'c1', userEndpointId: 'me', streamId: { id: 'stream-1' } });
    expect(api.callsOf('updateMetadata').at(-1)?.body).toMatchObject({ key: 'TRACK_MUTED/audio/stream-1', operation: 'REMOVE' });
    expect(stops).toEqual([{ reason: 'unpublished', error: undefined }]);
    await expect(publisher.setMuted('audio', false)).rejects.toMatchObject({ code: 'invalid-state' });
  });

  it('leaves tracks it does not own running', async () => {
    const { publisher, tracks } = setup({ owned: false });
    await publisher.publish();
    publisher.close();
    expect(tracks.every((t) => t.readyState === 'live')).toBe(true);
  });

  it('a screen share ended by the browser unpublishes itself', async () => {
    const { api, publisher, tracks, stops } = setup({ type: 'SCREEN' });
    await publisher.publish();
    tracks[0]!.endFromBrowser();
    await waitFor(() => api.callsOf('unpublishStream').length === 1, 'unpublish');
    expect(stops).toEqual([{ reason: 'track-ended', error: undefined }]);
  });

  it('reconnects a failed connection by publishing the same stream id again, without unpublishing it', async () => {
    const { api, pcs, publisher, states, stops } = setup();
    await publisher.publish();
    const first = pcs.created[0]!;
    first.setConnectionState('connected');
    first.setConnectionState('failed');
    await waitFor(() => api.callsOf('publishStream').length === 2, 'the reconnection');
    await waitFor(() => pcs.created[1]?.remoteDescription !== null, 'the new answer');
    expect(first.closed).toBe(true);
    expect(pcs.open).toHaveLength(1);
    const operations = api.calls.map((c) => c.operation).filter((o) => o !== 'issueToken');
    expect(operations).toEqual(['publishStream', 'publishStream']);
    expect(api.callsOf('publishStream')[1]?.body.streamId).toEqual({ id: 'stream-1' });
    expect(publisher.connectionState).toBe('reconnecting');
    pcs.created[1]!.setConnectionState('connected');
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    expect(stops).toEqual([]);
    publisher.close();
  });

  it('falls back to unpublish + publish (same stream id) when the server answers 409 to the reconnection', async () => {
    const { api, pcs, publisher, stops } = setup();
    await publisher.publish();
    api.on('publishStream', () => httpError(409, 'stream-1 is published already'), { once: true });
    pcs.created[0]!.setConnectionState('failed');
    await waitFor(() => api.callsOf('publishStream').length === 3 && pcs.created.at(-1)?.remoteDescription !== null, 'the new publish');
    const operations = api.calls.map((c) => c.operation).filter((o) => o !== 'issueToken');
    expect(operations).toEqual(['publishStream', 'publishStream', 'unpublishStream', 'publishStream']);
    expect(api.callsOf('unpublishStream')[0]?.body.streamId).toEqual({ id: 'stream-1' });
    expect(api.callsOf('publishStream')[2]?.body.streamId).toEqual({ id: 'stream-1' });
    expect(pcs.open).toEqual([pcs.created.at(-1)]);
    expect(stops).toEqual([]);
    publisher.close();
  });

  describe('unpublished by the server', () => {
    it('publishes again at once under the same stream id, over a new connection, without stopping', async () => {
      const { api, pcs, publisher, states, stops, tracks } = setup({ currentVersion: () => 4 });
      await publisher.publish();
      pcs.created[0]!.setConnectionState('connected');
      // The server dropped the stream (its media node died); our connection has not noticed yet.
      publisher.serverUnpublished(7);
      await waitFor(() => pcs.created[1]?.remoteDescription !== null && api.callsOf('publishStream').length === 2, 'the new publish');
      expect(pcs.created[0]!.closed).toBe(true);
      expect(pcs.open).toEqual([pcs.created[1]]);
      const operations = api.calls.map((c) => c.operation).filter((o) => o !== 'issueToken');
      expect(operations).toEqual(['publishStream', 'publishStream']);
      const [first, again] = api.callsOf('publishStream');
      expect(again?.body).toMatchObject({ streamId: { id: 'stream-1' }, conferenceStreamType: 'MIC_AND_CAM', sdpOffer: pcs.created[1]!.localDescription?.sdp });
      expect(again?.body.metadata).toEqual(first?.body.metadata);
      expect(tracks.every((t) => t.readyState === 'live')).toBe(true);
      pcs.created[1]!.setConnectionState('connected');
      expect(states).toEqual(['connected', 'reconnecting', 'connected']);
      expect(stops).toEqual([]);
      publisher.close();
    });

    it('ignores the event of its own unpublish', async () => {
      const { api, publisher } = setup();
      await publisher.publish();
      await publisher.unpublish();
      publisher.serverUnpublished(3);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(api.callsOf('publishStream')).toHaveLength(1);
    });

    it('ignores an event older than the current publication, and the event of its own 409 fallback', async () => {
      let version = 2;
      const { api, pcs, publisher } = setup({ currentVersion: () => version });
      await publisher.publish();
      // The connection failed and the reconnection was answered 409: unpublish + publish, accepted at v=10.
      api.on('publishStream', () => httpError(409, 'stream-1 is published already'), { once: true });
      version = 10;
      pcs.created[0]!.setConnectionState('failed');
      await waitFor(() => api.callsOf('publishStream').length === 3 && pcs.created.at(-1)?.remoteDescription !== null, 'the new publish');
      // The event of our own unpublish, then a replayed one from before the current publication.
      publisher.serverUnpublished(10);
      publisher.serverUnpublished(9);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(api.callsOf('publishStream')).toHaveLength(3);
      expect(api.callsOf('unpublishStream')).toHaveLength(1);
      // One at or after the current publication is the server's own doing.
      publisher.serverUnpublished(11);
      await waitFor(() => api.callsOf('publishStream').length === 4, 'the republish');
      publisher.close();
    });
  });

  it('treats a connection disconnected past the grace period as lost, and a short disconnection as nothing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { api, pcs, publisher } = setup();
      const publishing = publisher.publish();
      await vi.advanceTimersByTimeAsync(10);
      await publishing;
      const first = pcs.created[0]!;
      first.setConnectionState('connected');
      first.setConnectionState('disconnected');
      await vi.advanceTimersByTimeAsync(1900);
      first.setConnectionState('connected');
      await vi.advanceTimersByTimeAsync(5000);
      expect(api.callsOf('publishStream')).toHaveLength(1);
      first.setConnectionState('disconnected');
      await vi.advanceTimersByTimeAsync(1999);
      expect(api.callsOf('publishStream')).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(10);
      expect(api.callsOf('publishStream')).toHaveLength(2);
      expect(first.closed).toBe(true);
      publisher.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the stream when a reconnection is answered 404 and the room finds us dropped; gives up on a 403 while present', async () => {
    let presence: Presence = 'absent';
    const asked: string[] = [];
    const { api, pcs, publisher, stops } = setup({
      checkPresence: async () => {
        asked.push(presence);
        return presence;
      },
    });
    await publisher.publish();
    api.on('publishStream', () => httpError(404, 'userEndpointId me has not joined conference c1'), { once: true });
    pcs.created[0]!.setConnectionState('failed');
    await waitFor(() => asked.length === 1, 'the presence check');
    expect(stops).toEqual([]);
    expect(publisher.closed).toBe(false);
    // The room rejoined: it restarts the publisher, which publishes the same stream id again.
    publisher.restart();
    await waitFor(() => api.callsOf('publishStream').length === 3 && pcs.created.at(-1)?.remoteDescription !== null, 'the restart');
    expect(api.callsOf('publishStream')[2]?.body.streamId).toEqual({ id: 'stream-1' });
    expect(stops).toEqual([]);

    presence = 'present';
    api.on('publishStream', () => httpError(403, 'not allowed'));
    pcs.created.at(-1)!.setConnectionState('failed');
    await waitFor(() => stops.length === 1, 'the stop');
    expect(stops[0]?.reason).toBe('failed');
    expect(publisher.connectionState).toBe('failed');
  });

  it('keeps retrying a republish that fails transiently, with backoff', async () => {
    const { api, pcs, publisher } = setup();
    await publisher.publish();
    api.on('publishStream', () => httpError(503), { once: true });
    api.on('publishStream', () => httpError(409, 'stream-1 exists'), { once: true });
    (pcs.created[0] as FakePeerConnection).setConnectionState('failed');
    await waitFor(() => api.callsOf('publishStream').length === 4, 'the third republish');
    await waitFor(() => pcs.created.at(-1)?.remoteDescription !== null, 'the answer');
    expect(pcs.open).toHaveLength(1);
    publisher.close();
  });

  it('rejects and cleans up when the first publish fails', async () => {
    const { api, pc, publisher, tracks, stops } = setup();
    api.on('publishStream', () => httpError(403, 'not joined'));
    await expect(publisher.publish()).rejects.toMatchObject({ code: 'api', status: 403, operation: 'publishStream' });
    expect(pc().closed).toBe(true);
    expect(tracks.every((t) => t.readyState === 'ended')).toBe(true);
    expect(stops.map((s) => s.reason)).toEqual(['failed']);
  });

  it('turns an unusable answer into a negotiation error', async () => {
    const { pc, publisher, api } = setup();
    api.on('publishStream', () => {
      pc().failRemoteDescription = true;
      return undefined;
    });
    const error = await publisher.publish().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConferenceError);
    expect(error).toMatchObject({ code: 'negotiation' });
    // The server accepted the offer, so it is asked to forget the stream.
    expect(api.callsOf('unpublishStream')).toHaveLength(1);
  });
  it('reads stats from its peer connection while published, none once closed', async () => {
    const { pc, publisher } = setup();
    await publisher.publish();
    const report = (await publisher.getStats()) as unknown as Map<string, { connection: unknown }>;
    expect(report.get('fake')?.connection).toBe(pc());
    publisher.close();
    expect(await publisher.getStats()).toBeUndefined();
  });

  describe('simulcast', () => {
    const layersOf = (pc: FakePeerConnection) =>
      pc.getSenders()[1]!.parameters.encodings.map(({ rid, scaleResolutionDownBy, maxBitrate, active }) => ({ rid, scaleResolutionDownBy, maxBitrate, active }));

    it('offers the camera in three layers, q h f, with the dynacast channel, and keeps them when the answer accepts them', async () => {
      const { pc, publisher } = setup({ simulcast: true, dynacast: true });
      await publisher.publish();
      expect(pc().log).toEqual(['addTransceiver:audio:sendonly', 'addTransceiver:video:sendonly', 'createDataChannel:confer-dynacast', 'createOffer', 'setLocalDescription', 'setRemoteDescription']);
      expect(pc().localDescription?.sdp).toContain('a=simulcast:send q;h;f');
      expect(pc().getSenders()[0]!.parameters.encodings).toEqual([{}]);
      expect(layersOf(pc())).toEqual([
        { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000, active: true },
        { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000, active: true },
        { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_700_000, active: true },
      ]);
      publisher.close();
      expect(pc().channels[0]?.readyState).toBe('closed');
    });

    it('sends one full-resolution layer, without an error, when the answer does not accept simulcast', async () => {
      const { api, pc, publisher, stops } = setup({ simulcast: true, dynacast: true });
      api.on('publishStream', (call) => json({ sdpAnswer: answerFor(String(call.body.sdpOffer), { simulcast: false }) }));
      await publisher.publish();
      expect(layersOf(pc())).toEqual([{ rid: 'q', scaleResolutionDownBy: 1, maxBitrate: undefined, active: true }]);
      expect(stops).toEqual([]);
    });

    it('turns every layer but the first off, at full size, in a browser that keeps them after such an answer', async () => {
      const { api, pc, publisher } = setup({ simulcast: true, videoBitrate: 800_000 });
      api.on('publishStream', (call) => {
        pc().trimsRefusedSimulcast = false;
        return json({ sdpAnswer: answerFor(String(call.body.sdpOffer), { simulcast: false }) });
      });
      await publisher.publish();
      expect(layersOf(pc())).toEqual([
        { rid: 'q', scaleResolutionDownBy: 1, maxBitrate: 800_000, active: true },
        { rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 800_000, active: false },
        { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 800_000, active: false },
      ]);
    });

    it('switches off the layers the server says nobody views, without renegotiating; a new connection starts with all', async () => {
      const { pc, pcs, publisher, api } = setup({ simulcast: true, dynacast: true });
      await publisher.publish();
      const channel = pc().channels[0]!;
      channel.open();
      channel.receive({ type: 'activeLayers', rids: ['q'] });
      await waitFor(() => layersOf(pc()).map((l) => l.active).join() === 'true,false,false', 'h and f off');
      channel.receive('not json');
      channel.receive({ type: 'activeLayers', rids: ['q', 'h'] });
      await waitFor(() => layersOf(pc()).map((l) => l.active).join() === 'true,true,false', 'h on again');
      expect(pc().log.filter((entry) => entry === 'createOffer')).toHaveLength(1);
      expect(channel.sent).toEqual([]);

      pcs.created[0]!.setConnectionState('failed');
      await waitFor(() => api.callsOf('publishStream').length === 2 && pcs.created[1]?.remoteDescription !== null, 'the reconnection');
      await waitFor(() => layersOf(pcs.created[1]!).every((l) => l.active), 'all layers on the new connection');
      channel.receive({ type: 'activeLayers', rids: ['q'] });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(layersOf(pcs.created[1]!).every((l) => l.active)).toBe(true);
      publisher.close();
    });

    it('caps each layer at the lower of its own cap and the stream bitrate', async () => {
      const { pc, publisher } = setup({ simulcast: true });
      await publisher.publish();
      await publisher.setVideoBitrate(300_000);
      expect(layersOf(pc()).map((l) => l.maxBitrate)).toEqual([150_000, 300_000, 300_000]);
    });

    it('leaves out the lowest layers of a small capture, which libwebrtc would otherwise take from the top', async () => {
      const sizes = [
        { width: 1280, height: 720, rids: ['q', 'h', 'f'] },
        { width: 640, height: 480, rids: ['h', 'f'] },
        { width: 320, height: 240, rids: [] },
      ];
      for (const { width, height, rids } of sizes) {
        const { pc, publisher, tracks } = setup({ simulcast: true, dynacast: true });
        Object.assign(tracks[1]!, { getSettings: () => ({ width, height }) });
        await publisher.publish();
        expect(pc().getTransceivers()[1]!.rids).toEqual(rids);
        expect(pc().channels).toHaveLength(rids.length > 0 ? 1 : 0);
        expect(layersOf(pc()).map((l) => l.scaleResolutionDownBy)).toEqual(rids.length > 0 ? [4, 2, 1].slice(3 - rids.length) : [1]);
        publisher.close();
      }
    });

    it('opens no channel without dynacast, and sends neither layers nor a channel without video', async () => {
      const camera = setup({ simulcast: true, dynacast: false });
      await camera.publisher.publish();
      expect(camera.pc().channels).toEqual([]);
      expect(layersOf(camera.pc())).toHaveLength(3);

      const mic = setup({ type: 'MIC', simulcast: true, dynacast: true });
      await mic.publisher.publish();
      expect(mic.pc().log.slice(0, 2)).toEqual(['addTransceiver:audio:sendonly', 'createOffer']);
      expect(mic.pc().localDescription?.sdp).not.toContain('a=simulcast');
    });
  });
});
