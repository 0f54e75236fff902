import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/index.js';
import type { ConferenceError, LocalStream } from '../../src/index.js';
import type { PublisherStopReason } from '../../src/media/Publisher.js';
import { PublisherSet } from '../../src/media/PublisherSet.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeApi, httpError } from '../fakes/FakeApi.js';
import type { FakeTrack } from '../fakes/media.js';
import { fakeStream } from '../fakes/media.js';
import { FakePeerConnectionFactory } from '../fakes/FakePeerConnection.js';
import { waitFor } from '../fakes/waitFor.js';

function setup() {
  const api = new FakeApi();
  const pcs = new FakePeerConnectionFactory();
  const states: string[] = [];
  const stops: { local: LocalStream; reason: PublisherStopReason; error: ConferenceError | undefined }[] = [];
  const publishers = new PublisherSet({
    api: new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch }),
    conferenceId: 'c1',
    userEndpointId: 'me',
    createPeerConnection: pcs.create,
    rtcConfiguration: {},
    logger: silentLogger,
    backoff: { initialMs: 1, maxMs: 4 },
    captureTrack: async () => {
      throw new Error('no capture in this test');
    },
    onStopped: (local, reason, error) => stops.push({ local, reason, error }),
    onConnectionStateChange: (local, state) => states.push(`${local.streamId}:${state}`),
    onStats: () => undefined,
  });
  const publish = (type: 'MIC' | 'SCREEN' = 'MIC') => {
    const mediaStream = type === 'MIC' ? fakeStream('audio') : fakeStream('video');
    return publishers.publish({ type, mediaStream, ownedTracks: mediaStream.getTracks(), videoBitrate: undefined, metadata: undefined });
  };
  return { api, pcs, publishers, stops, publish };
}

describe('PublisherSet', () => {
  it('lists a stream once its publish resolved, under a fresh id each', async () => {
    const { api, publishers, publish } = setup();
    const publishing = publish();
    expect(publishers.localStreams).toEqual([]);
    const first = await publishing;
    const second = await publish();
    expect(publishers.localStreams).toEqual([first, second]);
    expect(first.streamId).not.toBe(second.streamId);
    expect(api.callsOf('publishStream').map((c) => c.body.streamId)).toEqual([{ id: first.streamId }, { id: second.streamId }]);
  });

  it('forgets a stream that stops and reports it with its reason', async () => {
    const { api, publishers, stops, publish } = setup();
    const screen = await publish('SCREEN');
    (screen.mediaStream.getTracks()[0] as unknown as FakeTrack).endFromBrowser();
    await waitFor(() => api.callsOf('unpublishStream').length === 1, 'the unpublish');
    expect(publishers.localStreams).toEqual([]);
    expect(stops).toEqual([{ local: screen, reason: 'track-ended', error: undefined }]);
  });

  it('forgets a stream whose first publish fails without reporting it: the caller gets the rejection', async () => {
    const { api, publishers, stops, publish } = setup();
    api.on('publishStream', () => httpError(403, 'not joined'), { once: true });
    await expect(publish()).rejects.toMatchObject({ status: 403 });
    expect(publishers.localStreams).toEqual([]);
    expect(stops).toEqual([]);
  });

  it('unpublishAll() closes every stream at once and tells the server', async () => {
    const { api, pcs, publishers, stops, publish } = setup();
    const [a, b] = [await publish(), await publish()];
    const unpublishing = publishers.unpublishAll(new AbortController().signal);
    expect(pcs.open).toEqual([]);
    await unpublishing;
    expect(api.callsOf('unpublishStream').map((c) => c.body.streamId)).toEqual([{ id: a.streamId }, { id: b.streamId }]);
    expect(stops.map((s) => [s.local, s.reason])).toEqual([
      [a, 'unpublished'],
      [b, 'unpublished'],
    ]);
    expect(publishers.localStreams).toEqual([]);
  });

  it('closeAll() closes every publisher and stops owned tracks without a request', async () => {
    const { api, pcs, publishers, publish } = setup();
    const local = await publish();
    const before = api.calls.length;
    publishers.closeAll();
    expect(pcs.open).toEqual([]);
    expect((local.mediaStream.getTracks() as unknown as FakeTrack[]).map((t) => t.readyState)).toEqual(['ended']);
    expect(local.published).toBe(false);
    expect(publishers.localStreams).toEqual([]);
    expect(api.calls.length).toBe(before);
  });

  it('restartAll() publishes every stream again under its id', async () => {
    const { api, pcs, publishers, publish } = setup();
    const local = await publish();
    publishers.restartAll();
    await waitFor(() => api.callsOf('publishStream').length === 2 && pcs.created[1]?.remoteDescription !== null, 'the republish');
    expect(api.callsOf('publishStream')[1]?.body.streamId).toEqual({ id: local.streamId });
    expect(pcs.open).toEqual([pcs.created[1]]);
    publishers.closeAll();
  });
});
