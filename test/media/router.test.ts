import { afterEach, describe, expect, it } from 'vitest';
import type { EndpointHealth } from '../../server/media/MediaRouter.js';
import { MediaRouterError } from '../../server/media/MediaRouter.js';
import { WeriftMediaRouter } from '../../server/media/WeriftMediaRouter.js';
import { DecodingViewer, SyntheticPublisher, waitFor } from './helpers/wrtcPeer.js';

const conferenceId = 'conf-1';
const udpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap' || r === 'UDPWRAP').length;

describe('WeriftMediaRouter with Node peers', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function setup(options: ConstructorParameters<typeof WeriftMediaRouter>[0] = {}) {
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

  it('forwards one publisher to two viewers and leaves nothing behind after unpublish', async () => {
    const { router } = setup();
    const udpBefore = udpHandles();
    const pub = publisher();
    const ref = { conferenceId, streamId: 'stream-1' };
    // The publisher trickles its candidates; the viewers put theirs in the offer.
    const { sdpAnswer } = await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'MIC_AND_CAM', sdpOffer: await pub.createOffer() });
    const candidates = [...sdpAnswer.matchAll(/^a=candidate:\S+ \d \S+ \d+ (\S+) \d+ typ host/gm)].map((m) => m[1]);
    expect(new Set(candidates)).toEqual(new Set(['127.0.0.1']));
    await pub.setAnswer(sdpAnswer);
    await waitFor(() => pub.pc.iceGatheringState === 'complete', 'publisher gathering');
    await router.addPublishCandidates(ref, pub.candidates);
    await waitFor(() => pub.pc.connectionState === 'connected', 'publisher connected');

    const viewers = [viewer(), viewer()];
    for (const [i, v] of viewers.entries()) {
      const answer = await router.view({ ...ref, viewerId: `viewer-${i}`, userEndpointId: `bob-${i}`, sdpOffer: await v.createFullOffer() });
      await v.setAnswer(answer.sdpAnswer);
    }
    expect(router.counters()).toMatchObject({ publishers: 1, viewers: 2, peerConnections: 3, udpSockets: 3 });
    for (const v of viewers) {
      await waitFor(() => v.framesDecoded >= 30 && v.audioChunks >= 50, 'frames and audio at a viewer', 15_000);
      expect(v.lastFrameSize).toEqual({ width: 640, height: 480 });
    }

    router.unpublish(ref);
    expect(router.counters()).toMatchObject({ publishers: 0, viewers: 0 });
    await waitFor(() => {
      const c = router.counters();
      return c.peerConnections === 0 && c.udpSockets === 0 && c.timers === 0;
    }, 'all media resources released');
    expect(udpHandles()).toBe(udpBefore);
    const frozen = viewers.map((v) => v.framesDecoded);
    await new Promise((r) => setTimeout(r, 500));
    expect(viewers.map((v) => v.framesDecoded)).toEqual(frozen);
  });
});

describe('WeriftMediaRouter refuses offers it cannot route', () => {
  it('rejects with bad-request', async () => {
    const router = new WeriftMediaRouter({ loopback: true }, { onEndpointHealth: () => undefined });
    const err = await router.publish({ conferenceId, streamId: 's', userEndpointId: 'e', streamType: 'CAM', sdpOffer: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaRouterError);
    await router.close();
  });
});
