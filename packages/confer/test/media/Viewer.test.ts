import { describe, expect, it } from 'vitest';
import type { Presence } from '../../src/media/StreamConnection.js';
import { FakeApi, httpError, json } from '../fakes/FakeApi.js';
import { fakeSdp } from '../fakes/sdp.js';
import { viewerSetup } from '../fakes/viewer.js';
import { waitFor } from '../fakes/waitFor.js';

const setup = viewerSetup;

describe('Viewer', () => {
  it('puts the receiver tracks into the stream at once, then offers, views and sets the answer', async () => {
    const { api, pcs, stream, viewer } = setup();
    const started = viewer.start();
    expect(stream.mediaStream.getTracks().map((t) => t.kind)).toEqual(['audio', 'video']);
    await started;
    const pc = pcs.created[0]!;
    expect(pc.log).toEqual(['addTransceiver:audio:recvonly', 'addTransceiver:video:recvonly', 'createDataChannel:confer-layers', 'createOffer', 'setLocalDescription', 'setRemoteDescription']);
    const [view] = api.callsOf('viewStream');
    expect(view?.body).toMatchObject({ conferenceId: 'c1', userEndpointId: 'me', streamId: { id: 's1' }, sdpOffer: pc.localDescription?.sdp });
    expect(view?.body.viewerId).toMatch(/^[0-9a-f-]{36}$/);
    viewer.close();
    expect(pc.closed).toBe(true);
  });

  it('offers only the kinds of the stream type and drops kinds the answer rejects', async () => {
    const mic = setup('MIC');
    await mic.viewer.start();
    expect(mic.pcs.created[0]?.log.slice(0, 1)).toEqual(['addTransceiver:audio:recvonly']);

    const api = new FakeApi().on('viewStream', (call) =>
      json({ sdpAnswer: fakeSdp([{ kind: 'audio', direction: 'inactive' }, { kind: 'video', direction: 'sendonly' }]), viewerId: call.body.viewerId }),
    );
    const screen = setup('SCREEN', api);
    await screen.viewer.start();
    expect(screen.stream.mediaStream.getTracks().map((t) => t.kind)).toEqual(['video']);
  });

  it('trickles ICE with its viewer id only after the answer', async () => {
    const { api, pcs, viewer } = setup();
    api.on('viewStream', () => {
      pcs.created[0]!.emitCandidate('candidate:1 1 udp 1 127.0.0.1 5000 typ host');
      return undefined;
    });
    await viewer.start();
    pcs.created[0]!.emitCandidate(null);
    await waitFor(() => api.callsOf('addViewStreamIceCandidates').length === 1, 'candidates');
    const [trickle] = api.callsOf('addViewStreamIceCandidates');
    expect(trickle?.body.viewerId).toBe(api.callsOf('viewStream')[0]?.body.viewerId);
    expect(trickle?.body.iceCandidates).toHaveLength(1);
    viewer.close();
  });

  it('views again at once with a new peer connection under the same viewer id when the connection is lost', async () => {
    const { api, pcs, stream, viewer, states } = setup();
    await viewer.start();
    const mediaStream = stream.mediaStream;
    const firstTracks = stream.mediaStream.getTracks();
    pcs.created[0]!.setConnectionState('connected');
    expect(stream.connectionState).toBe('connected');
    pcs.created[0]!.setConnectionState('failed');
    expect(stream.connectionState).toBe('reconnecting');
    await waitFor(() => api.callsOf('viewStream').length === 2 && pcs.created[1]?.remoteDescription !== null, 'the second view');
    const [first, second] = api.callsOf('viewStream');
    expect(second?.body.viewerId).toBe(first?.body.viewerId);
    expect(api.callsOf('stopViewStream')).toEqual([]);
    expect(pcs.open).toEqual([pcs.created[1]]);
    // Same MediaStream object for the page, new tracks inside.
    expect(stream.mediaStream).toBe(mediaStream);
    expect(stream.mediaStream.getTracks()).not.toEqual(firstTracks);
    expect(stream.mediaStream.getTracks()).toHaveLength(2);
    pcs.created[1]!.setConnectionState('connected');
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    viewer.close();
  });

  it('stops the old viewer and views under a new id when the server answers 409 to the same viewer id', async () => {
    const { api, pcs, viewer, errors } = setup();
    await viewer.start();
    const firstId = api.callsOf('viewStream')[0]?.body.viewerId;
    api.on('viewStream', (call) => (call.body.viewerId === firstId ? httpError(409, 'viewerId in use') : undefined));
    pcs.created[0]!.setConnectionState('failed');
    await waitFor(() => api.callsOf('viewStream').length === 3 && pcs.created.at(-1)?.remoteDescription !== null, 'the view under a new id');
    const ids = api.callsOf('viewStream').map((c) => c.body.viewerId);
    expect(ids[1]).toBe(firstId);
    expect(ids[2]).not.toBe(firstId);
    expect(api.callsOf('stopViewStream').map((c) => c.body.viewerId)).toEqual([firstId]);
    expect(pcs.open).toEqual([pcs.created.at(-1)]);
    expect(errors).toEqual([]);
    viewer.close();
  });

  it('asks the room on 404 or 403: waits for the rejoin when we were dropped, reports a 403 while present', async () => {
    let presence: Presence = 'absent';
    const api = new FakeApi().on('viewStream', () => httpError(403, 'userEndpointId me belongs to another user'), { once: true });
    const { viewer, errors, pcs, stream } = setup('MIC_AND_CAM', api, async () => presence);
    await viewer.start();
    expect(errors).toEqual([]);
    expect(api.callsOf('viewStream')).toHaveLength(1);
    viewer.restart();
    await waitFor(() => api.callsOf('viewStream').length === 2 && pcs.created.at(-1)?.remoteDescription !== null, 'the view after the rejoin');
    presence = 'present';
    api.on('viewStream', () => httpError(403, 'no'));
    pcs.created.at(-1)!.setConnectionState('failed');
    await waitFor(() => errors.length === 1, 'the error');
    expect(errors[0]?.status).toBe(403);
    expect(stream.connectionState).toBe('failed');
  });

  it('retries viewStream on 5xx and network errors, stays quiet on 404, reports 403', async () => {
    const flaky = new FakeApi().on('viewStream', () => httpError(503), { once: true });
    const retried = setup('MIC_AND_CAM', flaky);
    await retried.viewer.start();
    await waitFor(() => flaky.callsOf('viewStream').length === 2 && retried.pcs.created[1]?.remoteDescription !== null, 'the retry');
    expect(retried.errors).toEqual([]);
    retried.viewer.close();

    const gone = setup('MIC_AND_CAM', new FakeApi().on('viewStream', () => httpError(404)));
    await gone.viewer.start();
    expect(gone.errors).toEqual([]);
    expect(gone.api.callsOf('viewStream')).toHaveLength(1);
    gone.viewer.close();

    const refused = setup('MIC_AND_CAM', new FakeApi().on('viewStream', () => httpError(403, 'no')));
    await refused.viewer.start();
    expect(refused.errors.map((e) => e.status)).toEqual([403]);
  });

  it('stop() closes at once and stops the view on the server; a 404 there means already gone', async () => {
    const { api, pcs, viewer, errors } = setup();
    api.on('stopViewStream', () => httpError(404));
    await viewer.start();
    const stopping = viewer.stop();
    expect(pcs.created[0]?.closed).toBe(true);
    await stopping;
    expect(api.callsOf('stopViewStream')[0]?.body).toMatchObject({ conferenceId: 'c1', userEndpointId: 'me', streamId: { id: 's1' } });
    expect(errors).toEqual([]);
  });

  it('stop() during the viewStream request aborts it and still stops that viewer id', async () => {
    const api = new FakeApi();
    let answer: (() => void) | undefined;
    api.on('viewStream', () => new Promise((resolve) => (answer = () => resolve(undefined))));
    const { viewer } = setup('MIC_AND_CAM', api);
    const started = viewer.start();
    await waitFor(() => answer !== undefined, 'the view request');
    await viewer.stop();
    answer!();
    await started;
    expect(api.callsOf('viewStream')[0]?.signal.aborted).toBe(true);
    expect(api.callsOf('stopViewStream')[0]?.body.viewerId).toBe(api.callsOf('viewStream')[0]?.body.viewerId);
  });
  it('reads stats from the current peer connection while viewing, none once closed', async () => {
    const { pcs, stream, viewer } = setup();
    expect(await stream.getStats()).toBeUndefined();
    await viewer.start();
    const report = (await stream.getStats()) as unknown as Map<string, { connection: unknown }>;
    expect(report.get('fake')?.connection).toBe(pcs.created[0]);
    viewer.close();
    expect(await stream.getStats()).toBeUndefined();
  });

  describe('layer channel', () => {
    const preference = (maxWidth: number | null, maxHeight: number | null, paused = false) => ({ type: 'videoPreference', maxWidth, maxHeight, paused });

    it('sends the preference when the channel opens and after every change, and hears the layer the server forwards', async () => {
      const { pcs, stream, viewer } = setup();
      await viewer.start();
      const channel = pcs.created[0]!.channels[0]!;
      expect(channel.label).toBe('confer-layers');
      stream.setVideoPreference({ maxHeight: 180 });
      expect(channel.sent).toEqual([]);
      channel.open();
      stream.setVideoPreference({ maxHeight: 180 });
      stream.setVideoPreference({ maxWidth: 1280, maxHeight: 720 });
      stream.setVideoPreference({ paused: true });
      expect(channel.sent).toEqual([preference(null, 180), preference(1280, 720), preference(null, null, true)]);
      expect(stream.videoPreference).toEqual({ maxWidth: null, maxHeight: null, paused: true });

      channel.receive({ type: 'layer', rid: 'q', width: 320, height: 180 });
      expect(stream.videoLayer).toEqual({ rid: 'q', width: 320, height: 180 });
      channel.receive('{broken');
      expect(stream.videoLayer).toEqual({ rid: 'q', width: 320, height: 180 });
      viewer.close();
      expect(channel.readyState).toBe('closed');
      expect(stream.videoLayer).toBeUndefined();
    });

    it('a new connection opens a new channel that starts with the current preference; the old one goes quiet', async () => {
      const { api, pcs, stream, viewer } = setup();
      await viewer.start();
      const first = pcs.created[0]!.channels[0]!;
      first.open();
      stream.setVideoPreference({ maxHeight: 360 });
      pcs.created[0]!.setConnectionState('failed');
      await waitFor(() => api.callsOf('viewStream').length === 2 && pcs.created[1]?.remoteDescription !== null, 'the new view');
      const second = pcs.created[1]!.channels[0]!;
      second.open();
      stream.setVideoPreference({ maxHeight: 720 });
      expect(first.sent).toEqual([preference(null, null), preference(null, 360)]);
      expect(second.sent).toEqual([preference(null, 360), preference(null, 720)]);
      viewer.close();
    });

    it('opens no channel for a stream without video', async () => {
      const { pcs, viewer } = setup('MIC');
      await viewer.start();
      expect(pcs.created[0]!.channels).toEqual([]);
      viewer.close();
    });

    it('an explicit preference overrides adaptive stream until it is cleared with null', async () => {
      const { pcs, stream, viewer } = setup();
      await viewer.start();
      const channel = pcs.created[0]!.channels[0]!;
      channel.open();
      stream.setAdaptivePreference({ maxWidth: 320, maxHeight: 180, paused: false });
      stream.setVideoPreference({ maxHeight: 720 });
      stream.setAdaptivePreference({ maxWidth: 640, maxHeight: 360, paused: false });
      stream.setVideoPreference(null);
      stream.setAdaptivePreference(undefined);
      expect(channel.sent).toEqual([preference(null, null), preference(320, 180), preference(null, 720), preference(640, 360), preference(null, null)]);
      viewer.close();
    });
  });
});
