import { afterEach, describe, expect, it } from 'vitest';
import type { EndpointHealth, MediaCounters } from '../../src/media/MediaRouter.js';
import { MediaRouterError } from '../../src/media/MediaRouter.js';
import { WeriftMediaRouter } from '../../src/media/WeriftMediaRouter.js';
import type { MediaRouterOptions } from '../../src/media/WeriftMediaRouter.js';
import { DecodingViewer, SyntheticPublisher, waitFor, wrtc } from './helpers/wrtcPeer.js';

// Runs with Node peers (libwebrtc) over 127.0.0.1 only; run it inside `unshare -n` (see package scripts).

const conferenceId = 'conf-1';
const ZERO: MediaCounters = { publishers: 0, viewers: 0, peerConnections: 0, udpSockets: 0, timers: 0 };
const udpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap' || r === 'UDPWRAP').length;
const hostAddresses = (sdp: string) => new Set([...sdp.matchAll(/^a=candidate:\S+ \d \S+ \d+ (\S+) \d+ typ/gm)].map((m) => m[1]));

describe('WeriftMediaRouter with Node peers', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function setup(options: Partial<MediaRouterOptions> = {}) {
    const health: Array<[string, EndpointHealth]> = [];
    const router = new WeriftMediaRouter({ loopback: true, ...options }, { onEndpointHealth: (_c, endpoint, h) => health.push([endpoint, h]) });
    cleanups.push(() => router.close());
    return { router, health };
  }

  function publisher(kinds = { audio: true, video: true }) {
    const p = new SyntheticPublisher(kinds);
    cleanups.push(() => p.close());
    return p;
  }

  function viewer(kinds = { audio: true, video: true }) {
    const v = new DecodingViewer(kinds);
    cleanups.push(() => v.close());
    return v;
  }

  /** Publishes with trickled candidates (the library's way) and waits for the connection. */
  async function publish(router: WeriftMediaRouter, pub: SyntheticPublisher, streamId: string, extra: { videoBitrate?: number } = {}) {
    const ref = { conferenceId, streamId };
    const streamType = pub.kinds.audio && pub.kinds.video ? 'MIC_AND_CAM' : pub.kinds.video ? 'CAM' : 'MIC';
    const { sdpAnswer } = await router.publish({ ...ref, userEndpointId: 'alice', streamType, sdpOffer: await pub.createOffer(), ...extra });
    await pub.setAnswer(sdpAnswer);
    await waitFor(() => pub.pc.iceGatheringState === 'complete', 'publisher gathering');
    await router.addPublishCandidates(ref, pub.candidates);
    await waitFor(() => pub.pc.connectionState === 'connected', 'publisher connected');
    return { ref, sdpAnswer };
  }

  /** Reconnects a published stream from a new publisher connection, as publish does. */
  async function reconnect(router: WeriftMediaRouter, pub: SyntheticPublisher, streamId: string) {
    const ref = { conferenceId, streamId };
    const { sdpAnswer } = await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'MIC_AND_CAM', sdpOffer: await pub.createOffer(), reconnect: true });
    await pub.setAnswer(sdpAnswer);
    await waitFor(() => pub.pc.iceGatheringState === 'complete', 'publisher gathering');
    await router.addPublishCandidates(ref, pub.candidates);
    await waitFor(() => pub.pc.connectionState === 'connected', 'new publisher connected');
    return sdpAnswer;
  }

  /** Views with every candidate in the offer. */
  async function view(router: WeriftMediaRouter, v: DecodingViewer, streamId: string, viewerId: string, reconnect = false) {
    const { sdpAnswer } = await router.view({ conferenceId, streamId, viewerId, userEndpointId: `bob-${viewerId}`, sdpOffer: await v.createFullOffer(), reconnect });
    await v.setAnswer(sdpAnswer);
    return sdpAnswer;
  }

  it('forwards one publisher to two viewers, then unpublish closes all of them and releases everything', async () => {
    const { router } = setup();
    const udpBefore = udpHandles();
    const pub = publisher();
    const { ref, sdpAnswer } = await publish(router, pub, 'stream-1');
    expect(hostAddresses(sdpAnswer)).toEqual(new Set(['127.0.0.1']));

    const viewers = [viewer(), viewer()];
    for (const [i, v] of viewers.entries()) expect(hostAddresses(await view(router, v, ref.streamId, `viewer-${i}`))).toEqual(new Set(['127.0.0.1']));
    expect(router.counters()).toMatchObject({ publishers: 1, viewers: 2, peerConnections: 3, udpSockets: 3 });
    for (const v of viewers) {
      await waitFor(() => v.framesDecoded >= 30 && v.audioChunks >= 50, 'frames and audio at a viewer', 15_000);
      expect(v.lastFrameSize).toEqual({ width: 640, height: 480 });
    }

    router.unpublish(ref);
    expect(router.counters()).toMatchObject({ publishers: 0, viewers: 0 });
    await waitFor(() => router.counters().peerConnections === 0, 'peer connections closed');
    expect(router.counters()).toEqual(ZERO);
    expect(udpHandles()).toBe(udpBefore);
    // The server's sockets are gone, so the viewers' ICE consent checks fail (werift sends no DTLS close_notify).
    await waitFor(() => viewers.every((v) => ['disconnected', 'failed', 'closed'].includes(v.pc.connectionState)), 'viewers see the end', 15_000);
    const frozen = viewers.map((v) => v.framesDecoded);
    await new Promise((r) => setTimeout(r, 300));
    expect(viewers.map((v) => v.framesDecoded)).toEqual(frozen);
  });

  it('stopView closes one viewer while the other keeps receiving', async () => {
    const { router } = setup();
    const pub = publisher({ audio: false, video: true });
    const { ref } = await publish(router, pub, 'stream-2');
    const [a, b] = [viewer({ audio: false, video: true }), viewer({ audio: false, video: true })];
    await view(router, a, ref.streamId, 'a');
    await view(router, b, ref.streamId, 'b');
    await waitFor(() => a.framesDecoded > 5 && b.framesDecoded > 5, 'both viewers decode');
    router.stopView(ref, 'a');
    router.stopView(ref, 'a');
    expect(router.counters()).toMatchObject({ publishers: 1, viewers: 1 });
    await waitFor(() => router.counters().peerConnections === 2 && router.counters().udpSockets === 2, 'viewer a released');
    const before = b.framesDecoded;
    await waitFor(() => b.framesDecoded > before + 10, 'viewer b still decodes');
    await expect(router.addViewCandidates(ref, 'a', [])).rejects.toMatchObject({ code: 'not-found' });
  });

  it('a publisher reconnects under the same stream id: the viewer keeps its connection and track, and decodes on', async () => {
    const { router } = setup({ keyframeRequestIntervalMs: 600_000 });
    const first = publisher();
    const { ref } = await publish(router, first, 'stream-r');
    const v = viewer();
    await view(router, v, ref.streamId, 'v');
    await waitFor(() => v.framesDecoded > 20 && v.audioChunks > 20, 'media at the viewer', 15_000);
    const before = { video: (await v.inbound('video'))!, audio: (await v.inbound('audio'))! };

    // The publisher's connection is lost (its side closes, as a browser's heal does), then comes back.
    first.close();
    const second = publisher();
    const answer = await reconnect(router, second, ref.streamId);
    expect(answer).toMatch(/a=fmtp:111 .*useinbandfec=1/);
    expect(router.counters()).toMatchObject({ publishers: 1, viewers: 1 });
    await waitFor(() => router.counters().peerConnections === 2, 'the old publisher connection closed');
    const frames = v.framesDecoded;
    const chunks = v.audioChunks;
    await waitFor(() => v.framesDecoded > frames + 30 && v.audioChunks > chunks + 30, 'the viewer decodes the new connection', 15_000);

    expect(v.pc.connectionState).toBe('connected');
    expect(v.tracksReceived).toBe(2);
    expect(v.lastFrameSize).toEqual({ width: 640, height: 480 });
    const after = { video: (await v.inbound('video'))!, audio: (await v.inbound('audio'))! };
    // The viewer's SSRCs are the router's own, unchanged; the sequence numbers continue (no loss counted for the switch).
    expect(after.video.ssrc).toBe(before.video.ssrc);
    expect(after.audio.ssrc).toBe(before.audio.ssrc);
    expect(after.video.packetsLost - before.video.packetsLost).toBeLessThan(20);
    expect(after.audio.packetsLost - before.audio.packetsLost).toBeLessThan(20);
    const stream = router.publishedStream(ref)!;
    expect(stream.stats.reconnections).toBe(1);
    // The new encoder was asked for a keyframe once it connected, whatever the throttle's interval.
    expect(stream.keyframeStats.sent).toBe(2);
  });

  it('a viewer reconnects with the same viewer id: the new connection replaces the old one', async () => {
    const { router } = setup();
    const pub = publisher({ audio: false, video: true });
    const { ref } = await publish(router, pub, 'stream-v');
    const old = viewer({ audio: false, video: true });
    await view(router, old, ref.streamId, 'v');
    await waitFor(() => old.framesDecoded > 5, 'the first connection decodes');
    const fresh = viewer({ audio: false, video: true });
    await view(router, fresh, ref.streamId, 'v', true);
    await waitFor(() => fresh.framesDecoded > 10, 'the new connection decodes', 15_000);
    expect(router.counters()).toMatchObject({ publishers: 1, viewers: 1 });
    await waitFor(() => router.counters().peerConnections === 2, 'the old viewer connection closed');
    expect(router.publishedStream(ref)!.viewers.size).toBe(1);
    await expect(view(router, viewer({ audio: false, video: true }), ref.streamId, 'v')).rejects.toMatchObject({ code: 'bad-request' });
  });

  it('caps the publisher with REMB at videoBitrate and follows setVideoBitrate', async () => {
    const { router } = setup();
    const pub = publisher({ audio: false, video: true });
    // libwebrtc starts its estimate at 300 kbps; a lower estimate can only come from our REMB.
    const { ref } = await publish(router, pub, 'stream-3', { videoBitrate: 200_000 });
    await waitFor(async () => ((await pub.availableOutgoingBitrate()) ?? Infinity) <= 200_000, 'estimate capped at 200 kbps');
    router.setVideoBitrate(ref, 120_000);
    await waitFor(async () => ((await pub.availableOutgoingBitrate()) ?? Infinity) <= 120_000, 'estimate capped at 120 kbps');
    expect(router.publishedStream(ref)?.stats.rembsSent).toBeGreaterThan(1);
    expect(() => router.setVideoBitrate(ref, -1)).toThrow(MediaRouterError);
    expect(() => router.setVideoBitrate({ conferenceId, streamId: 'nope' }, 100_000)).toThrow(/not published/);
  });

  it('forwards keyframe requests, throttled, so every new viewer decodes', async () => {
    const { router } = setup({ keyframeRequestIntervalMs: 1_000 });
    const pub = publisher({ audio: false, video: true });
    const { ref } = await publish(router, pub, 'stream-4');
    const started = performance.now();
    const viewers = [0, 1, 2, 3].map(() => viewer({ audio: false, video: true }));
    await Promise.all(viewers.map((v, i) => view(router, v, ref.streamId, `v${i}`)));
    await waitFor(() => viewers.every((v) => v.framesDecoded > 10), 'four viewers decode', 15_000);
    const stats = router.publishedStream(ref)!.keyframeStats;
    // Each viewer asks once on connect, which goes through (or shares a request a few ms old);
    // beyond those, at most one repeated request per second reaches the publisher.
    expect(stats.newViewers).toBe(4);
    expect(stats.sent).toBeGreaterThan(0);
    expect(stats.sent).toBeLessThanOrEqual(stats.newViewers + Math.ceil((performance.now() - started) / 1_000) + 1);
  });

  it("forwards a new viewer's first keyframe request however recent the last one", async () => {
    // An interval longer than the test: a viewer that waited for its end would never decode. The
    // second viewer usually connects within 300 ms of the first, so its request is also held back
    // just long enough for the publisher's libwebrtc not to ignore it.
    const { router } = setup({ keyframeRequestIntervalMs: 600_000 });
    const pub = publisher({ audio: false, video: true });
    const { ref } = await publish(router, pub, 'stream-7');
    const first = viewer({ audio: false, video: true });
    await view(router, first, ref.streamId, 'first');
    await waitFor(() => first.framesDecoded > 0, 'the first viewer decodes');
    const second = viewer({ audio: false, video: true });
    await view(router, second, ref.streamId, 'second');
    await waitFor(() => second.framesDecoded > 0, 'the second viewer decodes');
    expect(router.publishedStream(ref)!.keyframeStats).toMatchObject({ newViewers: 2, sent: 2 });
  });

  it('reports SICK when the publisher stops sending and HEALTHY when media resumes', async () => {
    const { router, health } = setup({ noMediaTimeoutMs: 800 });
    const pub = publisher({ audio: false, video: true });
    await publish(router, pub, 'stream-5');
    await new Promise((r) => setTimeout(r, 1_200));
    expect(health).toEqual([]);
    pub.paused = true;
    await waitFor(() => health.length === 1, 'SICK reported');
    expect(health).toEqual([['alice', 'SICK']]);
    pub.paused = false;
    await waitFor(() => health.length === 2, 'HEALTHY reported');
    expect(health[1]).toEqual(['alice', 'HEALTHY']);
  });

  it('reports SICK for a publisher that never connects, HEALTHY once it is unpublished', async () => {
    const { router, health } = setup({ noMediaTimeoutMs: 300 });
    const pub = publisher({ audio: false, video: true });
    const ref = { conferenceId, streamId: 'never' };
    await router.publish({ ...ref, userEndpointId: 'ghost', streamType: 'CAM', sdpOffer: await pub.createOffer() });
    await waitFor(() => health.length === 1, 'SICK reported');
    expect(health).toEqual([['ghost', 'SICK']]);
    router.unpublish(ref);
    expect(health).toEqual([['ghost', 'SICK']]);
    await Promise.resolve();
    expect(health).toEqual([['ghost', 'SICK'], ['ghost', 'HEALTHY']]);
  });

  it('skips mDNS and non-loopback candidates without waiting on them', async () => {
    const { router } = setup();
    const pub = publisher({ audio: false, video: true });
    const ref = { conferenceId, streamId: 'mdns' };
    await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'CAM', sdpOffer: await pub.createOffer() });
    const started = performance.now();
    await router.addPublishCandidates(ref, [
      { candidate: 'candidate:1 1 udp 2122260223 4b1d3f0e-1111-2222-3333-444455556666.local 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 },
      { candidate: 'candidate:2 1 udp 2122260223 192.0.2.10 54322 typ host', sdpMid: '0', sdpMLineIndex: 0 },
      { candidate: 'candidate:3 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active', sdpMid: '0', sdpMLineIndex: 0 },
      { candidate: '', sdpMid: '0', sdpMLineIndex: 0 },
    ]);
    // werift resolves .local names itself, which takes seconds; a skipped one returns at once.
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(router.addPublishCandidates(ref, [{ candidate: 'garbage' }])).rejects.toMatchObject({ code: 'bad-request' });
    await expect(router.addPublishCandidates({ conferenceId, streamId: 'other' }, [])).rejects.toMatchObject({ code: 'not-found' });
  });

  it('close() releases every stream and viewer', async () => {
    const { router } = setup();
    const pub = publisher({ audio: true, video: false });
    const { ref } = await publish(router, pub, 'stream-6');
    const v = viewer({ audio: true, video: false });
    await view(router, v, ref.streamId, 'v');
    await waitFor(() => v.audioChunks > 10, 'audio at the viewer');
    await router.close();
    expect(router.counters()).toEqual(ZERO);
    await expect(router.publish({ ...ref, userEndpointId: 'alice', streamType: 'MIC', sdpOffer: 'v=0' })).rejects.toMatchObject({ code: 'internal' });
  });
});

describe('WeriftMediaRouter refuses what it cannot route, leaving nothing behind', () => {
  const router = new WeriftMediaRouter({ loopback: true }, { onEndpointHealth: () => undefined });
  const peers: RTCPeerConnection[] = [];
  afterEach(async () => {
    for (const pc of peers.splice(0)) pc.close();
    expect(router.counters()).toEqual(ZERO);
  });

  async function offer(kinds: Array<'audio' | 'video'>, direction: RTCRtpTransceiverDirection = 'sendonly'): Promise<RTCPeerConnection> {
    const pc = new wrtc.RTCPeerConnection({ iceServers: [] }) as unknown as RTCPeerConnection;
    peers.push(pc);
    for (const kind of kinds) pc.addTransceiver(kind, { direction });
    await pc.setLocalDescription(await pc.createOffer());
    return pc;
  }
  const sdpOf = async (...args: Parameters<typeof offer>) => (await offer(...args)).localDescription!.sdp;

  const publishWith = (sdpOffer: string, streamType: 'CAM' | 'MIC' | 'MIC_AND_CAM' | 'SCREEN' = 'CAM') =>
    router.publish({ conferenceId, streamId: 'bad', userEndpointId: 'alice', streamType, sdpOffer }).then(
      () => {
        throw new Error('publish was accepted');
      },
      (error: unknown) => {
        expect(error).toBeInstanceOf(MediaRouterError);
        expect((error as MediaRouterError).code).toBe('bad-request');
        return (error as MediaRouterError).message;
      },
    );

  it.each([
    ['an empty offer', '', /empty/],
    ['garbage', 'hello, I am not SDP', /not SDP/],
    ['SDP without media', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n', /no media sections/],
  ])('refuses %s', async (_what, sdp, message) => {
    expect(await publishWith(sdp)).toMatch(message);
  });

  it('refuses an answer sent as an offer', async () => {
    const remote = new wrtc.RTCPeerConnection({ iceServers: [] }) as unknown as RTCPeerConnection;
    peers.push(remote);
    await remote.setRemoteDescription({ type: 'offer', sdp: await sdpOf(['video'], 'recvonly') });
    remote.getTransceivers()[0]!.direction = 'sendonly';
    await remote.setLocalDescription(await remote.createAnswer());
    expect(await publishWith(remote.localDescription!.sdp)).toMatch(/is an answer/);
  });

  it('refuses media kinds that do not match the stream type', async () => {
    expect(await publishWith(await sdpOf(['audio']), 'CAM')).toMatch(/1 audio m-line.*CAM stream carries one video m-line/);
    expect(await publishWith(await sdpOf(['video']), 'MIC_AND_CAM')).toMatch(/0 audio m-line/);
    expect(await publishWith(await sdpOf(['audio', 'video']), 'SCREEN')).toMatch(/1 audio m-line/);
  });

  it('refuses a recvonly offer and a codec it cannot route', async () => {
    expect(await publishWith(await sdpOf(['video'], 'recvonly'))).toMatch(/must send/);
    const noVp8 = (await sdpOf(['video'])).replace(/a=rtpmap:(\d+) VP8\/90000\r\n/, '');
    expect(await publishWith(noVp8)).toMatch(/no codec the server can route \(offered: .*VP9.*supported: VP8, H264\)/);
  });

  it('refuses a viewer whose offer cannot carry the published codec', async () => {
    const pub = await offer(['video']);
    const ref = { conferenceId, streamId: 'vp8' };
    await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'CAM', sdpOffer: pub.localDescription!.sdp });
    const noVp8 = (await sdpOf(['video'], 'recvonly')).replace(/a=rtpmap:(\d+) VP8\/90000\r\n/, '');
    const view = (sdpOffer: string, viewerId: string) => router.view({ ...ref, viewerId, userEndpointId: 'bob', sdpOffer });
    await expect(view(noVp8, 'v1')).rejects.toThrow(/no codec matching the stream's VP8/);
    await expect(view(await sdpOf(['audio'], 'recvonly'), 'v2')).rejects.toThrow(/asks for audio, but the stream carries only video/);
    await expect(view(await sdpOf(['video'], 'sendonly'), 'v3')).rejects.toThrow(/must receive/);
    expect(router.counters()).toMatchObject({ publishers: 1, viewers: 0, peerConnections: 1 });
    router.unpublish(ref);
    await waitFor(() => router.counters().peerConnections === 0, 'publisher released');
  });
});

describe('WeriftMediaRouter network options', () => {
  it('binds every socket inside the port range, also when answers are gathered concurrently', async () => {
    const router = new WeriftMediaRouter({ loopback: true, portRange: [42000, 42100] }, { onEndpointHealth: () => undefined });
    const offers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const pc = new wrtc.RTCPeerConnection({ iceServers: [] }) as unknown as RTCPeerConnection;
        pc.addTransceiver('video', { direction: 'sendonly' });
        const { sdp } = await pc.createOffer();
        pc.close();
        return sdp!;
      }),
    );
    const answers = await Promise.all(offers.map((sdpOffer, i) => router.publish({ conferenceId, streamId: `p${i}`, userEndpointId: 'e', streamType: 'CAM', sdpOffer })));
    const ports = answers.map(({ sdpAnswer }) => Number(/^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/m.exec(sdpAnswer)?.[1]));
    expect(new Set(ports).size).toBe(6);
    for (const port of ports) expect(port >= 42000 && port <= 42100).toBe(true);
    await router.close();
    expect(router.counters()).toEqual(ZERO);
  });
});
