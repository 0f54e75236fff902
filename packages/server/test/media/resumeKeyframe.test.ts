import { afterEach, describe, expect, it } from 'vitest';
import { WeriftMediaRouter } from '../../src/media/WeriftMediaRouter.js';
import { dropUdp, selectedPair } from './helpers/udpFault.js';
import { DecodingViewer, SyntheticPublisher, waitFor } from './helpers/wrtcPeer.js';

// Node peers (libwebrtc) over 127.0.0.1 inside `unshare -n`: a few seconds of dropped UDP (nftables,
// which only that private namespace may use) on one side, then the same path works again.

const conferenceId = 'conf-resume';

describe('media resumed after a dead path', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function call() {
    // Repeats of the viewer's own PLIs are held for the whole test: the keyframe that brings the picture back is the router's.
    const router = new WeriftMediaRouter({ loopback: true, keyframeRequestIntervalMs: 600_000 }, { onEndpointHealth: () => undefined });
    cleanups.push(() => router.close());
    const pub = new SyntheticPublisher({ audio: false, video: true });
    cleanups.push(() => pub.close());
    const ref = { conferenceId, streamId: 'stream-resume' };
    const published = await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'CAM', sdpOffer: await pub.createFullOffer() });
    await pub.setAnswer(published.sdpAnswer);
    const v = new DecodingViewer({ audio: false, video: true }, true);
    cleanups.push(() => v.close());
    const viewed = await router.view({ ...ref, viewerId: 'v', userEndpointId: 'bob', sdpOffer: await v.createFullOffer() });
    await v.setAnswer(viewed.sdpAnswer);
    await waitFor(() => v.framesDecoded > 10, 'video at the viewer', 15_000);
    return { pub, v, stream: router.publishedStream(ref)! };
  }

  async function outage(pc: RTCPeerConnection, ms: number) {
    const restore = dropUdp((await selectedPair(pc))!.localPort);
    cleanups.push(restore);
    await new Promise((r) => setTimeout(r, ms));
    restore();
  }

  it("a viewer's path dead for 4 s: when its RTCP is heard again the publisher is asked for a keyframe, and the viewer decodes on", async () => {
    const { v, stream } = await call();
    // The router has heard the viewer's RTCP (its receive-side estimate) before the path dies.
    await waitFor(() => stream.viewers.get('v')!.downlink.stats.rembs > 0, "the viewer's RTCP at the router");
    const sentBefore = stream.keyframeStats.sent;
    await outage(v.pc, 4_000);
    await waitFor(() => stream.keyframeStats.resumes > 0, 'a keyframe asked for the resumed viewer', 10_000);
    expect(stream.keyframeStats.sent).toBeGreaterThan(sentBefore);
    const frames = v.framesDecoded;
    await waitFor(() => v.framesDecoded > frames + 10, 'frames again', 15_000);
  }, 60_000);

  it("a publisher's path dead for 4 s: its video resumes without a keyframe, so one is asked for, and the viewer decodes on", async () => {
    const { pub, v, stream } = await call();
    const sentBefore = stream.keyframeStats.sent;
    await outage(pub.pc, 4_000);
    await waitFor(() => stream.keyframeStats.resumes > 0, 'a keyframe asked for the resumed publisher', 10_000);
    expect(stream.keyframeStats.sent).toBeGreaterThan(sentBefore);
    const frames = v.framesDecoded;
    await waitFor(() => v.framesDecoded > frames + 10, 'frames again', 15_000);
  }, 60_000);
});
