import { afterEach, describe, expect, it } from 'vitest';
import type { StreamViewer } from '../../src/media/StreamViewer.js';
import { WeriftMediaRouter } from '../../src/media/WeriftMediaRouter.js';
import { dropUdp, selectedPair } from './helpers/udpFault.js';
import { DecodingViewer, SyntheticPublisher, waitFor } from './helpers/wrtcPeer.js';

// Runs with Node peers (libwebrtc) over 127.0.0.1 only, inside `unshare -n` (see package scripts):
// the second test drops UDP with nftables, which only that private namespace may do.

const conferenceId = 'conf-ice';
const ufrag = (sdp: string) => /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
const fingerprint = (sdp: string) => /^a=fingerprint:(.+)$/m.exec(sdp)?.[1]?.trim();

/**
 * The pair werift selected on a viewer's connection (its remote port is the client's): the router
 * exposes no pair, so the test reads werift's transport behind the private field.
 */
function routerPair(viewer: StreamViewer): string | undefined {
  const { pc } = viewer as unknown as { pc: { iceTransports: Array<{ getSelectedCandidatePair(): object | null }> } };
  const pair = pc.iceTransports[0]?.getSelectedCandidatePair();
  return pair ? JSON.stringify(pair) : undefined;
}

describe('ICE restart against the werift router', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const health: string[] = [];
    // Repeated keyframe requests are held for the whole test, so every one sent is a new viewer's or a restart's.
    const router = new WeriftMediaRouter({ loopback: true, keyframeRequestIntervalMs: 600_000 }, { onEndpointHealth: (_c, endpoint, h) => health.push(`${endpoint} ${h}`) });
    cleanups.push(() => router.close());
    const pub = new SyntheticPublisher({ audio: true, video: true });
    cleanups.push(() => pub.close());
    const ref = { conferenceId, streamId: 'stream-ice' };
    const published = await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'MIC_AND_CAM', sdpOffer: await pub.createFullOffer() });
    await pub.setAnswer(published.sdpAnswer);
    const v = new DecodingViewer({ audio: true, video: true }, true);
    cleanups.push(() => v.close());
    const viewed = await router.view({ ...ref, viewerId: 'v', userEndpointId: 'bob', sdpOffer: await v.createFullOffer() });
    await v.setAnswer(viewed.sdpAnswer);
    await waitFor(() => pub.pc.connectionState === 'connected' && v.pc.connectionState === 'connected', 'both connected');
    await waitFor(() => v.framesDecoded > 10 && v.audioChunks > 10, 'media at the viewer', 15_000);
    const stream = router.publishedStream(ref)!;
    return { router, health, pub, v, ref, stream, viewer: stream.viewers.get('v')!, answers: { pub: published.sdpAnswer, view: viewed.sdpAnswer } };
  }

  /** Restarts ICE on the same client connection: its offer with every candidate, or (`trickle`) without, as the library sends it. */
  async function restartOffer(pc: RTCPeerConnection, trickle = false): Promise<string> {
    pc.restartIce();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    if (trickle) return offer.sdp!;
    await waitFor(() => pc.iceGatheringState === 'complete', 'gathering after the restart');
    return pc.localDescription!.sdp;
  }

  it('a publisher and a viewer restart ICE on their connections: same router objects, new credentials, same fingerprint, new pair, media again', async () => {
    const { router, pub, v, ref, stream, viewer, answers } = await setup();
    const counters = router.counters();
    const pairs = { pub: await selectedPair(pub.pc), view: await selectedPair(v.pc) };
    const keyframes = stream.keyframeStats.sent;
    const routerPairs = { view: routerPair(viewer) };
    expect(routerPairs.view).toBeDefined();

    // The publisher trickles its new candidates after the answer, as the library does.
    const oldCandidates = pub.candidates.length;
    const pubOffer = await restartOffer(pub.pc, true);
    expect(pubOffer).not.toMatch(/^a=candidate:/m);
    const pubAnswer = (await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'MIC_AND_CAM', sdpOffer: pubOffer, reconnect: true })).sdpAnswer;
    await pub.pc.setRemoteDescription({ type: 'answer', sdp: pubAnswer });
    await waitFor(() => pub.pc.iceGatheringState === 'complete', 'the publisher gathered again');
    await router.addPublishCandidates(ref, pub.candidates.slice(oldCandidates));
    // The same offer sent again (its client got no answer the first time): the same answer, no second restart.
    const repeated = await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'MIC_AND_CAM', sdpOffer: pubOffer, reconnect: true });
    expect(repeated.sdpAnswer).toBe(pubAnswer);
    expect(ufrag(pubAnswer)).not.toBe(ufrag(answers.pub));
    expect(fingerprint(pubAnswer)).toBe(fingerprint(answers.pub));
    await waitFor(async () => (await selectedPair(pub.pc))?.id !== pairs.pub?.id && pub.pc.connectionState === 'connected', 'the publisher on a new pair');
    // Viewers missed what was sent while the path changed: a keyframe is asked for once the new pair works.
    await waitFor(() => stream.keyframeStats.sent > keyframes, "a keyframe request at the publisher's restart");
    const keyframesBeforeViewer = stream.keyframeStats.sent;

    // A restart whose request is held up (TCP through an outage) until after the next one was applied.
    const lateOffer = await restartOffer(v.pc);
    const viewOffer = await restartOffer(v.pc);
    const viewAnswer = (await router.view({ ...ref, viewerId: 'v', userEndpointId: 'bob', sdpOffer: viewOffer, reconnect: true })).sdpAnswer;
    await v.pc.setRemoteDescription({ type: 'answer', sdp: viewAnswer });
    expect(ufrag(viewAnswer)).not.toBe(ufrag(answers.view));
    expect(fingerprint(viewAnswer)).toBe(fingerprint(answers.view));
    await waitFor(async () => (await selectedPair(v.pc))?.id !== pairs.view?.id && v.pc.connectionState === 'connected', 'the viewer on a new pair');
    await waitFor(() => stream.keyframeStats.sent > keyframesBeforeViewer, `a keyframe request at the viewer's restart (${JSON.stringify(stream.keyframeStats)})`);

    const received = stream.stats.mediaPacketsReceived;
    const frames = v.framesDecoded;
    const chunks = v.audioChunks;
    await waitFor(() => stream.stats.mediaPacketsReceived > received + 100 && v.framesDecoded > frames + 30 && v.audioChunks > chunks + 30, 'media through both restarted connections', 15_000);

    // Nothing was replaced: the same stream, publisher connection count, viewer object and tracks.
    expect(router.publishedStream(ref)).toBe(stream);
    expect(stream.viewers.get('v')).toBe(viewer);
    // Timers come and go with keyframe throttling; connections and sockets must not.
    expect(router.counters()).toMatchObject({ publishers: counters.publishers, viewers: counters.viewers, peerConnections: counters.peerConnections, udpSockets: counters.udpSockets });
    expect(stream.stats).toMatchObject({ reconnections: 0, iceRestarts: 1 });
    expect(viewer.stats.iceRestarts).toBe(1);
    expect(v.tracksReceived).toBe(2);
    expect(viewer.connectionState).toBe('connected');
    expect(routerPair(viewer)).not.toEqual(routerPairs.view);

    // Applying the late one would move the router to credentials the client gave up: refused, nothing changes.
    await expect(router.view({ ...ref, viewerId: 'v', userEndpointId: 'bob', sdpOffer: lateOffer, reconnect: true })).rejects.toMatchObject({ code: 'bad-request', message: /older than the offer/ });
    const after = v.framesDecoded;
    await waitFor(() => v.framesDecoded > after + 15, 'frames on after the late offer');
    expect(viewer.stats.iceRestarts).toBe(1);
    expect(stream.viewers.get('v')).toBe(viewer);
  }, 30_000);

  it("a viewer whose UDP path is dropped until the router's connection failed restarts ICE on it, and both are connected again", async () => {
    const { router, health, v, ref, stream, viewer } = await setup();
    const before = await selectedPair(v.pc);
    expect(before).toBeDefined();
    // The viewer's old port goes dark both ways, as when its network changes under it.
    const restore = dropUdp(before!.localPort);
    cleanups.push(restore);
    const frozen = v.framesDecoded;
    await waitFor(() => v.pc.iceConnectionState === 'disconnected', 'libwebrtc notices the dead path', 15_000);
    expect(v.framesDecoded - frozen).toBeLessThan(30);
    // werift's consent to send expires after 30 s without a response (RFC 7675): the router's side fails.
    await waitFor(() => viewer.connectionState === 'failed', "the router's viewer connection failed", 40_000);
    await waitFor(() => health.at(-1) === 'bob SICK', 'the viewer reported SICK');

    const offer = await restartOffer(v.pc);
    const { sdpAnswer } = await router.view({ ...ref, viewerId: 'v', userEndpointId: 'bob', sdpOffer: offer, reconnect: true });
    // No pair of the new credentials yet (the client has not seen the answer): unpatched werift said `connected` here.
    expect(viewer.connectionState).toBe('failed');
    await v.pc.setRemoteDescription({ type: 'answer', sdp: sdpAnswer });
    await waitFor(async () => v.pc.connectionState === 'connected' && (await selectedPair(v.pc))?.localPort !== before!.localPort, 'the viewer on a new port', 15_000);
    const frames = v.framesDecoded;
    await waitFor(() => v.framesDecoded > frames + 30, 'frames again while the old port stays dropped', 15_000);
    expect(stream.viewers.get('v')).toBe(viewer);
    expect(viewer.stats.iceRestarts).toBe(1);
    await waitFor(() => viewer.connectionState === 'connected', 'the router connected again');
    await waitFor(() => health.at(-1) === 'bob HEALTHY', 'the viewer reported HEALTHY again');
  }, 90_000);
});
