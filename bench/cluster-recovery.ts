/**
 * Benchmark: how long media takes to come back when a conference's media node is killed (issue #11).
 * One redis-server and three node processes on it (heartbeat 250 ms, dead after 2000 ms); two
 * participants in Node (the library's own Room, libwebrtc from @roamhq/wrtc), Alice on node-2 and Bob
 * on node-3, each publishing a synthetic 320×240 15 fps camera and viewing the other's. With every
 * node idle the conference's media goes to node-1 (ties go to the lowest id), so both calls are
 * forwarded there. node-1 gets SIGKILL; measured from the kill to the first frame decoded from a
 * stream added after it, at each participant (the later of the two is the run's recovery), split
 * into the time the cluster takes to declare the node dead (the unpublished event at the participant)
 * and the republish and re-view after it. Each run restarts node-1 under its id and uses a new
 * conference; median of 5 (BENCH_RUNS). Run inside `unshare -n` with RTC_LOOPBACK=1, like the others.
 */
import { createRequire } from 'node:module';
import type * as Wrtc from '@roamhq/wrtc';
import type { Room } from 'confer';
import { startNodeProcess, type NodeProcess } from '../packages/server/test/cluster/helpers/nodeProcess.js';
import { startRedis } from '../packages/server/test/store/support/redisServer.js';
import { report } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { onCleanup, runBenchmark, runConditions, sleep } from './support/cleanup.js';
import { loadLibrary } from './support/libraryInNode.js';
import { startSyntheticCamera, type SyntheticCamera } from './support/NodePublisher.js';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as typeof Wrtc;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const HEARTBEAT_MS = 250;
const DEAD_AFTER_MS = 2_000;
const BACK_TIMEOUT_MS = 40_000;
const VIDEO = { width: 320, height: 240, fps: 15 };

type Library = Awaited<ReturnType<typeof loadLibrary>>;

/** A participant in Node that publishes a synthetic camera and decodes what it views, stamping each frame. */
class NodeParticipant {
  readonly room: Room;
  /** `Date.now()` of the first decoded frame of each remote stream, by when that stream was added. */
  readonly firstFrames: Array<{ addedAt: number; at: number }> = [];
  /** `Date.now()` of each ConferenceStreamUnpublishedEvent applied. */
  readonly unpublishedAt: number[] = [];
  framesDecoded = 0;
  private camera: SyntheticCamera | undefined;
  private readonly sinks: Array<{ stop(): void }> = [];

  constructor(library: Library, baseUrl: string, userId: string) {
    this.room = new library.Room({
      baseUrl,
      auth: { clientId: 'demo', clientSecret: 'demo', userId },
      window: null,
      adaptiveStream: false,
      createPeerConnection: (configuration) => new wrtc.RTCPeerConnection(configuration) as unknown as RTCPeerConnection,
      createMediaStream: (tracks) => new wrtc.MediaStream(tracks as unknown as Wrtc.MediaStreamTrack[]) as unknown as MediaStream,
    });
    this.room.on('streamAdded', (remote) => {
      const addedAt = Date.now();
      const video = remote.mediaStream.getVideoTracks()[0];
      if (!video) return;
      const sink = new wrtc.nonstandard.RTCVideoSink(video as unknown as Wrtc.MediaStreamTrack);
      let first = true;
      sink.onframe = () => {
        this.framesDecoded++;
        if (first) this.firstFrames.push({ addedAt, at: Date.now() });
        first = false;
      };
      this.sinks.push(sink);
    });
    this.room.on('event', (event) => {
      if (event.type === 'ConferenceStreamUnpublishedEvent') this.unpublishedAt.push(Date.now());
    });
    onCleanup(`participant ${userId}`, () => this.close());
  }

  async joinAndPublish(conferenceId: string): Promise<void> {
    await this.room.join(conferenceId, { create: true, metadata: { name: 'bench' } });
    this.camera = startSyntheticCamera(VIDEO);
    await this.room.publish({ type: 'CAM', mediaStream: new wrtc.MediaStream([this.camera.track]) as unknown as MediaStream, simulcast: false });
  }

  /** When this participant decoded the first frame of a stream added after `since`, if it has. */
  backAfter(since: number): number | undefined {
    return this.firstFrames.find((f) => f.addedAt >= since)?.at;
  }

  async close(): Promise<void> {
    this.camera?.stopFrames();
    for (const sink of this.sinks.splice(0)) sink.stop();
    await this.room.leave().catch(() => {});
    this.camera?.track.stop();
  }
}

async function waitUntil(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

runBenchmark('cluster-recovery', 300_000, async () => {
  const conditions = runConditions();
  const library = await loadLibrary();
  const redis = await startRedis();
  onCleanup('redis-server', () => redis.stop(true));
  const env = (id: string) => ({
    REDIS_URL: redis.url,
    CONFER_TOKEN_SECRET: 'bench-cluster',
    CONFER_NODE_ID: id,
    CONFER_NODE_HEARTBEAT_MS: String(HEARTBEAT_MS),
    CONFER_NODE_DEAD_AFTER_MS: String(DEAD_AFTER_MS),
    RTC_LOOPBACK: '1',
  });
  const start = async (id: string): Promise<NodeProcess> => {
    const node = await startNodeProcess(env(id));
    onCleanup(`node ${id}`, () => node.stop());
    return node;
  };
  const [node2, node3] = [await start('node-2'), await start('node-3')];

  const recovery: number[] = [];
  const declaredDead: number[] = [];
  const republished: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const node1 = await start('node-1');
    const conferenceId = `bench-cluster-${Date.now().toString(36)}-${run}`;
    const alice = new NodeParticipant(library, node2.url, `alice-${run}`);
    const bob = new NodeParticipant(library, node3.url, `bob-${run}`);
    await alice.joinAndPublish(conferenceId);
    await bob.joinAndPublish(conferenceId);
    await waitUntil(() => alice.framesDecoded > 15 && bob.framesDecoded > 15, 'media at both before the kill', 30_000);

    const killedAt = Date.now();
    node1.kill('SIGKILL');
    await node1.exited;
    await waitUntil(() => alice.backAfter(killedAt) !== undefined && bob.backAfter(killedAt) !== undefined, 'media back at both', BACK_TIMEOUT_MS);
    const back = Math.max(alice.backAfter(killedAt)!, bob.backAfter(killedAt)!);
    const dead = Math.min(...[...alice.unpublishedAt, ...bob.unpublishedAt].filter((t) => t >= killedAt));
    recovery.push(back - killedAt);
    declaredDead.push(dead - killedAt);
    republished.push(back - dead);
    console.log(`run ${run + 1}/${RUNS}: media back at both ${back - killedAt} ms after the kill (node declared dead after ${dead - killedAt} ms)`);
    await alice.close();
    await bob.close();
    // The next run's conference must go to the restarted node-1: wait until the others are idle again.
    await sleep(2 * HEARTBEAT_MS);
  }

  report(
    'cluster-recovery',
    [
      { metric: 'media back at both participants after the media node’s SIGKILL', unit: 'ms', summary: summarize(recovery) },
      { metric: '…of which: until the node is declared dead (unpublished event)', unit: 'ms', summary: summarize(declaredDead), note: `dead after ${DEAD_AFTER_MS} ms without a heartbeat (every ${HEARTBEAT_MS} ms)` },
      { metric: '…of which: republish and re-view on the new node', unit: 'ms', summary: summarize(republished) },
    ],
    { nodes: 3, heartbeatMs: HEARTBEAT_MS, deadAfterMs: DEAD_AFTER_MS, video: VIDEO, ...conditions, loadAverageAtEnd: runConditions().loadAverageAtEnd },
  );
});
