import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../src/index.js';
import type { IceCandidate } from '../../src/index.js';
import { ICE_RESTART_TIMEOUT_MS, PeerSession } from '../../src/media/PeerSession.js';
import { Publisher } from '../../src/media/Publisher.js';
import type { StreamConnectionState } from '../../src/media/StreamConnection.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeApi, httpError, json } from '../fakes/FakeApi.js';
import type { RecordedCall } from '../fakes/FakeApi.js';
import { FakePeerConnectionFactory } from '../fakes/FakePeerConnection.js';
import { fakeStream } from '../fakes/media.js';
import { answerFor, fakeSdp } from '../fakes/sdp.js';
import { viewerSetup } from '../fakes/viewer.js';

// Fake timers for every timer, so the grace, the restart's bound and the backoff run in fake time.
afterEach(() => {
  vi.useRealTimers();
});

const SERVER = 'sha-256 AA:BB:CC';
const OTHER = 'sha-256 DD:EE:FF';
const REFUSE = 'refuse';
const UNAVAILABLE = 'unavailable';
const withFingerprint = (sdp: string, fingerprint: string) => `${sdp}a=fingerprint:${fingerprint}\r\n`;
/** A server answering its `n`th offer with a DTLS fingerprint (another one: a new connection, as a server without ICE restarts makes), or refusing it. */
function answering(api: FakeApi, operation: 'publishStream' | 'viewStream', fingerprintOf: (n: number) => string) {
  let n = 0;
  api.on(operation, (call: RecordedCall) => {
    const fingerprint = fingerprintOf(n++);
    if (fingerprint === REFUSE) return httpError(400, 'media: no ICE restart here');
    if (fingerprint === UNAVAILABLE) return httpError(503, 'busy');
    const sdpAnswer = withFingerprint(answerFor(String(call.body.sdpOffer)), fingerprint);
    return json(operation === 'publishStream' ? { sdpAnswer, streamId: call.body.streamId } : { sdpAnswer, viewerId: call.body.viewerId });
  });
}

/** Lets promises and timers up to `ms` of fake time run. */
const elapse = (ms = 10) => vi.advanceTimersByTimeAsync(ms);

describe('PeerSession.restartIce', () => {
  function session() {
    const pcs = new FakePeerConnectionFactory();
    const sent: IceCandidate[][] = [];
    let lost = 0;
    const peer = new PeerSession({
      createPeerConnection: pcs.create,
      rtcConfiguration: {},
      sendCandidates: async (candidates) => void sent.push(candidates),
      onCandidateError: () => undefined,
      onStateChange: () => undefined,
      onLost: () => lost++,
    });
    peer.addTransceiver('audio', { direction: 'recvonly' });
    return { peer, pc: pcs.created[0]!, sent, lost: () => lost };
  }

  async function connected(answerFingerprint: string | undefined) {
    const s = session();
    await s.peer.createOffer();
    const answer = fakeSdp([{ kind: 'audio', direction: 'sendonly' }]);
    await s.peer.setAnswer(answerFingerprint ? withFingerprint(answer, answerFingerprint) : answer);
    s.pc.setConnectionState('connected');
    return s;
  }

  it('restarts only a connection that was connected and knows the server fingerprint', async () => {
    vi.useFakeTimers();
    const exchange = vi.fn(async () => '');
    expect(await session().peer.restartIce(exchange)).toBe(false);
    expect(await (await connected(undefined)).peer.restartIce(exchange)).toBe(false);
    expect(exchange).not.toHaveBeenCalled();
  });

  it('sends a restart offer with new credentials, holds new candidates until its answer, and is true once connected', async () => {
    vi.useFakeTimers();
    const { peer, pc, sent, lost } = await connected(SERVER);
    pc.setConnectionState('failed');
    expect(lost()).toBe(1);
    let offer = '';
    const restarting = peer.restartIce(async (sdp) => {
      offer = sdp;
      pc.emitCandidate('candidate:2 1 udp 1 127.0.0.1 6000 typ host');
      await elapse(100);
      // The server has not answered: a candidate of the new credentials would reach the old ones.
      expect(sent).toEqual([]);
      return withFingerprint(answerFor(sdp), SERVER);
    });
    await elapse();
    expect(pc.log.slice(-3)).toEqual(['restartIce', 'createOffer', 'setLocalDescription']);
    expect(offer).toContain('a=ice-ufrag:fake1');
    expect(pc.remoteDescription?.sdp).toContain('a=sendonly');
    await elapse(100);
    expect(sent.flat().map((c) => c.candidate)).toEqual(['candidate:2 1 udp 1 127.0.0.1 6000 typ host']);
    pc.setConnectionState('connected');
    expect(await restarting).toBe(true);
    // Restarted: the next loss is reported again.
    pc.setConnectionState('failed');
    expect(lost()).toBe(2);
  });

  it('is false, without setting the answer, when the answer names another fingerprint (a new server connection)', async () => {
    vi.useFakeTimers();
    const { peer, pc } = await connected(SERVER);
    pc.setConnectionState('failed');
    const before = pc.remoteDescription;
    expect(await peer.restartIce(async (sdp) => withFingerprint(answerFor(sdp), OTHER))).toBe(false);
    expect(pc.remoteDescription).toBe(before);
  });

  it(`is false when the restarted connection is not connected within ${ICE_RESTART_TIMEOUT_MS} ms, or fails`, async () => {
    vi.useFakeTimers();
    const { peer, pc } = await connected(SERVER);
    pc.setConnectionState('disconnected');
    let result: boolean | undefined;
    void peer.restartIce(async (sdp) => withFingerprint(answerFor(sdp), SERVER)).then((r) => (result = r));
    await elapse(ICE_RESTART_TIMEOUT_MS - 10);
    expect(result).toBeUndefined();
    await elapse(20);
    expect(result).toBe(false);

    void peer.restartIce(async (sdp) => withFingerprint(answerFor(sdp), SERVER)).then((r) => (result = r));
    result = undefined;
    await elapse();
    pc.setConnectionState('failed');
    await elapse();
    expect(result).toBe(false);
  });

  it('rejects when the exchange does (a refusal)', async () => {
    vi.useFakeTimers();
    const { peer, pc } = await connected(SERVER);
    pc.setConnectionState('failed');
    await expect(peer.restartIce(async () => Promise.reject(new Error('409')))).rejects.toThrow('409');
  });

  it('restarts nothing once the connection is connected again by itself: an unanswered restart offer is rolled back, its candidates dropped', async () => {
    vi.useFakeTimers();
    const { peer, pc, sent, lost } = await connected(SERVER);
    pc.setConnectionState('disconnected');
    await expect(
      peer.restartIce(async () => {
        pc.emitCandidate('candidate:2 1 udp 1 127.0.0.1 6000 typ host');
        return Promise.reject(new Error('timeout'));
      }),
    ).rejects.toThrow('timeout');
    expect(pc.iceGeneration).toBe(1);
    // The blackout lifts: the old path works again before the restart reached the server.
    pc.setConnectionState('connected');
    const exchange = vi.fn(async () => '');
    expect(await peer.restartIce(exchange)).toBe(true);
    expect(exchange).not.toHaveBeenCalled();
    expect(pc.log.at(-1)).toBe('rollback');
    expect(pc.iceGeneration).toBe(0);
    await elapse(100);
    expect(sent).toEqual([]);
    // A later loss is reported again, and restarted afresh.
    pc.setConnectionState('failed');
    expect(lost()).toBe(1);
    const restarting = peer.restartIce(async (sdp) => withFingerprint(answerFor(sdp), SERVER));
    await elapse();
    expect(pc.log.filter((l) => l === 'restartIce')).toHaveLength(2);
    pc.setConnectionState('connected');
    expect(await restarting).toBe(true);
  });
});

describe('Publisher: a lost connection', () => {
  function setup() {
    const api = new FakeApi();
    const pcs = new FakePeerConnectionFactory();
    const states: StreamConnectionState[] = [];
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch });
    const publisher = new Publisher({
      api: client,
      conferenceId: 'c1',
      userEndpointId: 'me',
      streamId: 'stream-1',
      type: 'MIC_AND_CAM',
      mediaStream: fakeStream('audio', 'video'),
      ownedTracks: [],
      createPeerConnection: pcs.create,
      rtcConfiguration: {},
      logger: silentLogger,
      backoff: { initialMs: 1, maxMs: 4 },
      onStopped: () => undefined,
      onConnectionStateChange: (state) => states.push(state),
    });
    return { api, client, pcs, publisher, states };
  }

  async function publishedAndLost(fingerprintOf: (n: number) => string) {
    vi.useFakeTimers();
    const s = setup();
    answering(s.api, 'publishStream', fingerprintOf);
    const publishing = s.publisher.publish();
    await elapse();
    await publishing;
    const first = s.pcs.created[0]!;
    first.setConnectionState('connected');
    first.setConnectionState('failed');
    await elapse();
    return { ...s, first };
  }

  it('waits for the server before restarting, and restarts nothing when the path came back meanwhile (a blackout that lifted)', async () => {
    vi.useFakeTimers();
    const { api, client, pcs, publisher, states } = setup();
    answering(api, 'publishStream', () => SERVER);
    const publishing = publisher.publish();
    await elapse();
    await publishing;
    const first = pcs.created[0]!;
    first.setConnectionState('connected');
    // The server goes out of reach (a request got no answer), then the media path: lost after the grace.
    const { reachability } = client;
    reachability.unanswered(reachability.begin(() => undefined));
    first.setConnectionState('disconnected');
    await elapse(5000);
    expect(publisher.connectionState).toBe('reconnecting');
    expect(api.callsOf('publishStream')).toHaveLength(1);
    // The blackout lifts: the old path works again, then the server answers.
    first.setConnectionState('connected');
    reachability.answered(reachability.begin(() => undefined), 200);
    await elapse(100);
    expect(api.callsOf('publishStream')).toHaveLength(1);
    expect(first.log).not.toContain('restartIce');
    expect(pcs.created).toEqual([first]);
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    publisher.close();
  });

  it('is restarted in place first: the same connection, its restart offer as the reconnection, connected again', async () => {
    const { api, pcs, publisher, states, first } = await publishedAndLost(() => SERVER);
    expect(api.callsOf('publishStream')).toHaveLength(2);
    expect(String(api.callsOf('publishStream')[1]!.body.sdpOffer)).toContain('a=ice-ufrag:fake1');
    expect(publisher.connectionState).toBe('reconnecting');
    first.setConnectionState('connected');
    await elapse();
    expect(pcs.created).toEqual([first]);
    expect(first.closed).toBe(false);
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    // A second loss restarts it again.
    first.setConnectionState('failed');
    await elapse();
    expect(api.callsOf('publishStream')).toHaveLength(3);
    expect(first.iceGeneration).toBe(2);
    publisher.close();
  });

  it('falls back to a new connection when the answer names another fingerprint', async () => {
    const { api, pcs, publisher, first } = await publishedAndLost((n) => (n === 0 ? SERVER : OTHER));
    await elapse();
    expect(first.closed).toBe(true);
    expect(pcs.created).toHaveLength(2);
    expect(api.callsOf('publishStream')).toHaveLength(3);
    expect(pcs.created[1]!.remoteDescription).not.toBeNull();
    pcs.created[1]!.setConnectionState('connected');
    expect(publisher.connectionState).toBe('connected');
    publisher.close();
  });

  it('falls back to a new connection when the server refuses the restart', async () => {
    const { api, pcs, publisher, first } = await publishedAndLost((n) => (n === 1 ? REFUSE : SERVER));
    await elapse(50);
    expect(first.iceGeneration).toBe(1);
    expect(first.closed).toBe(true);
    expect(pcs.created).toHaveLength(2);
    expect(api.callsOf('publishStream')).toHaveLength(3);
    expect(pcs.created[1]!.remoteDescription).not.toBeNull();
    publisher.close();
  });

  it('tries the restart again, on the same connection, when the server does not answer it (a 5xx, a timeout)', async () => {
    const { api, pcs, publisher, first } = await publishedAndLost((n) => (n === 1 ? UNAVAILABLE : SERVER));
    await elapse(50);
    // The same offer again: a new restart would run this side's ICE generation ahead of the server's.
    expect(first.iceGeneration).toBe(1);
    const offers = api.callsOf('publishStream').map((c) => c.body.sdpOffer);
    expect(offers).toHaveLength(3);
    expect(offers[2]).toBe(offers[1]);
    first.setConnectionState('connected');
    await elapse();
    expect(pcs.created).toEqual([first]);
    expect(publisher.connectionState).toBe('connected');
    publisher.close();
  });

  it(`falls back to a new connection when the restarted one is not connected within ${ICE_RESTART_TIMEOUT_MS} ms`, async () => {
    const { api, pcs, publisher, first } = await publishedAndLost(() => SERVER);
    await elapse(ICE_RESTART_TIMEOUT_MS - 20);
    expect(pcs.created).toHaveLength(1);
    await elapse(40);
    expect(first.closed).toBe(true);
    expect(pcs.created).toHaveLength(2);
    expect(api.callsOf('publishStream')).toHaveLength(3);
    publisher.close();
  });
});

describe('Viewer: a lost connection', () => {
  async function viewedAndLost(fingerprintOf: (n: number) => string) {
    vi.useFakeTimers();
    const s = viewerSetup();
    answering(s.api, 'viewStream', fingerprintOf);
    const starting = s.viewer.start();
    await elapse();
    await starting;
    const first = s.pcs.created[0]!;
    first.setConnectionState('connected');
    first.setConnectionState('failed');
    await elapse();
    return { ...s, first };
  }

  it('is restarted in place first, under the same viewer id, and connected again', async () => {
    const { api, pcs, viewer, states, first } = await viewedAndLost(() => SERVER);
    const views = api.callsOf('viewStream');
    expect(views).toHaveLength(2);
    expect(views[1]!.body.viewerId).toBe(views[0]!.body.viewerId);
    expect(String(views[1]!.body.sdpOffer)).toContain('a=ice-ufrag:fake1');
    first.setConnectionState('connected');
    await elapse();
    expect(pcs.created).toEqual([first]);
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    viewer.close();
  });

  it('falls back to a new connection under the same viewer id when the answer names another fingerprint', async () => {
    const { api, pcs, viewer, first } = await viewedAndLost((n) => (n === 0 ? SERVER : OTHER));
    await elapse();
    expect(first.closed).toBe(true);
    expect(pcs.created).toHaveLength(2);
    const views = api.callsOf('viewStream');
    expect(views).toHaveLength(3);
    expect(views[2]!.body.viewerId).toBe(views[0]!.body.viewerId);
    viewer.close();
  });
});
