import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/index.js';
import { RemoteStream } from '../../src/media/RemoteStream.js';
import { Viewer } from '../../src/media/Viewer.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeApi } from '../fakes/FakeApi.js';
import { createFakeMediaStream } from '../fakes/media.js';
import { FakePeerConnectionFactory } from '../fakes/FakePeerConnection.js';

function view() {
  const pcs = new FakePeerConnectionFactory();
  const stream = new RemoteStream('s1', 'alice-endpoint', 'alice', 'CAM', {}, createFakeMediaStream([]));
  const sampled: (RemoteStream['stats'])[] = [];
  const viewer = new Viewer({
    api: new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: new FakeApi().fetch }),
    conferenceId: 'c1',
    userEndpointId: 'me',
    stream,
    createPeerConnection: pcs.create,
    rtcConfiguration: {},
    logger: silentLogger,
    backoff: { initialMs: 1, maxMs: 4 },
    onError: () => undefined,
    onStats: (s) => sampled.push(s.stats),
  });
  return { pcs, stream, viewer, sampled };
}

describe('RemoteStream stats', () => {
  it('carry the layer videoLayer reports: in each sample, and as it changes between samples', async () => {
    const { pcs, stream, viewer, sampled } = view();
    await viewer.start();
    const channel = pcs.created[0]!.channels[0]!;
    channel.open();
    await viewer.sampleStats();
    await viewer.sampleStats();
    expect(sampled).toHaveLength(1);
    expect(sampled[0]).toHaveProperty('videoLayer', undefined);

    channel.receive({ type: 'layer', rid: 'h', width: 640, height: 360 });
    expect(stream.stats?.videoLayer).toEqual({ rid: 'h', width: 640, height: 360 });
    await viewer.sampleStats();
    expect(sampled[1]?.videoLayer).toEqual({ rid: 'h', width: 640, height: 360 });

    channel.receive({ type: 'layer', rid: null, width: 0, height: 0 });
    expect(stream.stats?.videoLayer).toBe(stream.videoLayer);
    expect(stream.videoLayer).toEqual({ rid: null, width: 0, height: 0 });
    // A sample already handed out keeps the layer of its time.
    expect(sampled[1]?.videoLayer?.rid).toBe('h');

    viewer.close();
    expect(stream.stats).toBeUndefined();
    expect(stream.videoLayer).toBeUndefined();
  });
});
