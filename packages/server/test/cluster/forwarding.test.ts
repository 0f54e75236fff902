import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterNode } from '../../src/cluster/ClusterNode.js';
import { resolveClusterOptions } from '../../src/cluster/ClusterOptions.js';
import type { PlacedMediaRouter } from '../../src/cluster/PlacedMediaRouter.js';
import { MediaRouterError } from '../../src/media/MediaRouter.js';
import { RedisConnections } from '../../src/store/RedisConnections.js';
import { DecodingViewer, SyntheticPublisher, waitFor } from '../media/helpers/wrtcPeer.js';
import { startRedis, type TestRedis } from '../store/support/redisServer.js';

// Two cluster nodes in this process on a real redis-server, with Node peers (libwebrtc) over
// 127.0.0.1 only: run it inside `unshare -n` with RTC_LOOPBACK=1, as the media tests.

const mediaKey = 'org/conf-1';
const HEARTBEAT_MS = 250;
// Generous: a loaded machine blocks the event loop of this process (both nodes) for hundreds of ms.
const DEAD_AFTER_MS = 2_500;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop(true);
});

interface TestNode {
  node: ClusterNode;
  router: PlacedMediaRouter;
  connections: RedisConnections;
  lost: Array<[string, string]>;
  /** Stops the node as SIGKILL would: no deregistration, its record just stops being renewed. */
  crash(): Promise<void>;
}

describe('PlacedMediaRouter across two nodes', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startNodes<const Ids extends readonly string[]>(
    ids: Ids,
    { secrets = ids.map(() => 'shared-secret'), prefix = `test-${randomUUID()}:`, deadAfterMs = DEAD_AFTER_MS }: { secrets?: string[]; prefix?: string; deadAfterMs?: number } = {},
  ): Promise<{ [K in keyof Ids]: TestNode }> {
    const nodes: TestNode[] = [];
    for (const [i, id] of ids.entries()) {
      const connections = await RedisConnections.connect(redis.url, prefix);
      const lost: Array<[string, string]> = [];
      const node = await ClusterNode.start({
        options: resolveClusterOptions({ nodeId: id, heartbeatMs: HEARTBEAT_MS, deadAfterMs, secret: secrets[i] }),
        redis: connections,
        tokenSecret: undefined,
        media: { loopback: true },
        callbacks: { onEndpointHealth: () => {}, onMediaLost: (key, reason) => lost.push([key, reason]) },
        warn: () => {},
      });
      const stop = async () => {
        await node.close();
        await node.router.close();
        await connections.close();
      };
      cleanups.push(stop);
      nodes.push({ node, router: node.router, connections, lost, crash: async () => {
        await connections.close();
        await stop();
      } });
    }
    return nodes as { [K in keyof Ids]: TestNode };
  }

  function publisher() {
    const p = new SyntheticPublisher({ audio: true, video: true });
    cleanups.push(() => p.close());
    return p;
  }

  function viewer() {
    const v = new DecodingViewer({ audio: true, video: true });
    cleanups.push(() => v.close());
    return v;
  }

  async function publish(router: PlacedMediaRouter, pub: SyntheticPublisher, streamId: string, reconnect = false) {
    const ref = { conferenceId: mediaKey, streamId };
    const { sdpAnswer } = await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'MIC_AND_CAM', sdpOffer: await pub.createOffer(), reconnect });
    await pub.setAnswer(sdpAnswer);
    await waitFor(() => pub.pc.iceGatheringState === 'complete', 'publisher gathering');
    await router.addPublishCandidates(ref, pub.candidates);
    await waitFor(() => pub.pc.connectionState === 'connected', 'publisher connected');
  }

  async function view(router: PlacedMediaRouter, v: DecodingViewer, streamId: string, viewerId: string, reconnect = false) {
    const { sdpAnswer } = await router.view({ conferenceId: mediaKey, streamId, viewerId, userEndpointId: 'bob', sdpOffer: await v.createOffer(), reconnect });
    await v.setAnswer(sdpAnswer);
    await waitFor(() => v.pc.iceGatheringState === 'complete', 'viewer gathering');
    await router.addViewCandidates({ conferenceId: mediaKey, streamId }, viewerId, v.candidates);
  }

  it('places the conference on one node and forwards publish, view, ICE, stopView and unpublish from the other to it', async () => {
    const [a, b] = await startNodes(['node-a', 'node-b']);
    // Both idle: the tie goes to node-a, so everything asked of node-b is forwarded.
    const pub = publisher();
    await publish(b.router, pub, 'stream-1');
    const v = viewer();
    await view(b.router, v, 'stream-1', 'viewer-1');
    await waitFor(() => v.framesDecoded > 10 && v.audioChunks > 10, 'media through node-a');
    expect(a.router.counters()).toMatchObject({ publishers: 1, viewers: 1, peerConnections: 2 });
    expect(b.router.counters()).toMatchObject({ publishers: 0, viewers: 0, peerConnections: 0 });

    b.router.stopView({ conferenceId: mediaKey, streamId: 'stream-1' }, 'viewer-1');
    await waitFor(() => a.router.counters().viewers === 0, 'the forwarded stopView');
    b.router.unpublish({ conferenceId: mediaKey, streamId: 'stream-1' });
    await waitFor(() => a.router.counters().peerConnections === 0, 'the forwarded unpublish');
  });

  it('a draining node places no new conference on itself and still forwards its calls to the node that has it', async () => {
    const [a, b] = await startNodes(['node-a', 'node-b']);
    // Both idle, node-a would win the tie: draining, it places the conference on node-b instead.
    await a.node.drain();
    const pub = publisher();
    await publish(a.router, pub, 'stream-1');
    const v = viewer();
    await view(a.router, v, 'stream-1', 'viewer-1');
    await waitFor(() => v.framesDecoded > 10 && v.audioChunks > 10, 'media through node-b');
    expect(b.router.counters()).toMatchObject({ publishers: 1, viewers: 1, peerConnections: 2 });
    expect(a.router.counters()).toMatchObject({ publishers: 0, viewers: 0, peerConnections: 0 });
  });

  it('a refusal of the owning node reaches the caller as the same MediaRouterError', async () => {
    const [, b] = await startNodes(['node-a', 'node-b']);
    const refusal = await b.router.view({ conferenceId: mediaKey, streamId: 'nothing', viewerId: 'v', userEndpointId: 'bob', sdpOffer: 'v=0' }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(MediaRouterError);
    expect(refusal).toMatchObject({ code: 'not-found', message: expect.stringContaining('nothing') });
  });

  it('the internal channel refuses a node without the shared secret', async () => {
    const [, b] = await startNodes(['node-a', 'node-b'], { secrets: ['right', 'wrong'] });
    const refusal = await b.router.view({ conferenceId: mediaKey, streamId: 's', viewerId: 'v', userEndpointId: 'bob', sdpOffer: 'v=0' }).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'internal', message: expect.stringContaining('cluster secret') });
  });

  it('when the media node dies its conference is reported lost once and placed again; a reconnection there is a fresh publish', async () => {
    const [a, b] = await startNodes(['node-a', 'node-b']);
    const pub = publisher();
    await publish(b.router, pub, 'stream-1');
    const v = viewer();
    await view(b.router, v, 'stream-1', 'viewer-1');
    await waitFor(() => v.framesDecoded > 5, 'media through node-a');

    await a.crash();
    // node-a refuses the connection: a retryable 500, and node-b checks node-a and moves its conference.
    await expect(b.router.publish({ conferenceId: mediaKey, streamId: 'stream-2', userEndpointId: 'alice', streamType: 'MIC', sdpOffer: 'v=0' })).rejects.toMatchObject({ code: 'internal' });
    await waitFor(() => b.lost.length > 0, 'node-b sweeping node-a', 10_000);
    expect(b.lost).toEqual([[mediaKey, 'media node node-a stopped answering']]);

    // The library reconnects under the same ids; node-b has never heard of them.
    const again = publisher();
    await publish(b.router, again, 'stream-1', true);
    const v2 = viewer();
    await view(b.router, v2, 'stream-1', 'viewer-1', true);
    await waitFor(() => v2.framesDecoded > 5 && v2.audioChunks > 5, 'media through node-b');
    expect(b.router.counters()).toMatchObject({ publishers: 1, viewers: 1 });
    expect(b.lost).toHaveLength(1);
  });

  it('a refused forward moves the conference at once, without waiting for the heartbeat to expire', async () => {
    // A minute before expiry: within this test only the refused call can have node-a swept.
    const [a, b] = await startNodes(['node-a', 'node-b'], { deadAfterMs: 60_000 });
    const pub = publisher();
    await publish(b.router, pub, 'stream-1');
    await a.crash();
    const refusal = await b.router.addPublishCandidates({ conferenceId: mediaKey, streamId: 'stream-1' }, []).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'internal', message: expect.stringContaining('ECONNREFUSED') });
    await waitFor(() => b.lost.length > 0, 'node-b sweeping node-a');
    expect(b.lost).toEqual([[mediaKey, 'media node node-a stopped answering']]);
    // Removed from the registry, node-a takes no new conference.
    const again = publisher();
    await publish(b.router, again, 'stream-1', true);
    expect(b.router.counters().publishers).toBe(1);
  });

  it('a conference without media on its node gives its placement up once idle long enough, not before', async () => {
    const [a] = await startNodes(['node-a']);
    const placement = () => a.connections.command.get(`${a.connections.prefix}cluster:placement:${mediaKey}`);
    const pub = publisher();
    await publish(a.router, pub, 'stream-1');
    expect(await a.router.releaseIdle(0)).toBe(0);
    a.router.unpublish({ conferenceId: mediaKey, streamId: 'stream-1' });
    expect(await a.router.releaseIdle(60_000, 0)).toBe(0);
    expect(await placement()).toBe('node-a');
    expect(await a.router.releaseIdle(60_000, 60_000)).toBe(1);
    expect(await placement()).toBeNull();
  });

  it('a node restarted under its id reports the conferences of its earlier run lost once it is ready, not before', async () => {
    const [first] = await startNodes(['node-a']);
    const pub = publisher();
    await publish(first.router, pub, 'stream-1');
    await first.crash();
    const [again] = await startNodes(['node-a'], { prefix: first.connections.prefix });
    expect(again.lost).toEqual([]);
    await again.node.reclaimLeftovers();
    expect(again.lost).toEqual([[mediaKey, 'media node node-a restarted']]);
    await again.node.reclaimLeftovers();
    expect(again.lost).toHaveLength(1);
  });

  it('a node that finds its conference placed elsewhere (it was declared dead while only slow) closes that media', async () => {
    const [a] = await startNodes(['node-a']);
    const pub = publisher();
    await publish(a.router, pub, 'stream-1');
    await a.connections.command.del(`${a.connections.prefix}cluster:placement:${mediaKey}`);
    await waitFor(() => a.router.counters().publishers === 0, 'the displaced stream closed');
  });
});
