import { ApiClient } from '../../src/index.js';
import type { ConferenceError, StreamType } from '../../src/index.js';
import { RemoteStream } from '../../src/media/RemoteStream.js';
import type { Presence, StreamConnectionState } from '../../src/media/StreamConnection.js';
import { Viewer } from '../../src/media/Viewer.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeApi } from './FakeApi.js';
import { createFakeMediaStream } from './media.js';
import { FakePeerConnectionFactory } from './FakePeerConnection.js';

/** A Viewer of Alice's stream `s1` on fake peer connections and a fake API, recording its errors, connection states and stats samples. */
export function viewerSetup(type: StreamType = 'MIC_AND_CAM', api = new FakeApi(), checkPresence?: () => Promise<Presence>) {
  const pcs = new FakePeerConnectionFactory();
  const stream = new RemoteStream('s1', 'alice-endpoint', 'alice', type, {}, createFakeMediaStream([]));
  const errors: ConferenceError[] = [];
  const states: StreamConnectionState[] = [];
  const sampled: RemoteStream['stats'][] = [];
  const viewer = new Viewer({
    api: new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch }),
    conferenceId: 'c1',
    userEndpointId: 'me',
    stream,
    createPeerConnection: pcs.create,
    rtcConfiguration: {},
    logger: silentLogger,
    backoff: { initialMs: 1, maxMs: 4 },
    onError: (error) => errors.push(error),
    onConnectionStateChange: (_stream, state) => states.push(state),
    onStats: (s) => sampled.push(s.stats),
    checkPresence,
  });
  return { api, pcs, stream, viewer, errors, states, sampled };
}
