/**
 * Child-process entry of the fan-out benchmark's server: the reference server (loopback media) in its
 * own process, answering `stats` requests over the IPC channel with what only the server can see —
 * its event-loop delay, CPU, memory and the media router's counters and forwarding totals.
 * Exits when the parent disconnects, so a killed benchmark never leaves it behind.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startServer } from '@confer/server';
import type { WeriftMediaRouter } from '@confer/server';

/** What the child answers to a `stats` message. */
export interface ServerChildStats {
  counters: ReturnType<WeriftMediaRouter['counters']>;
  /** Packets received from the publisher / forwarded to viewers, summed over the streams, since start. */
  packetsReceived: number;
  packetsForwarded: number;
  keyframeRequests: { requested: number; sent: number };
  /** Event-loop delay since the previous `stats`, in ms. */
  loopDelay: { p50: number; p99: number; max: number };
  rssMiB: number;
  heapUsedMiB: number;
  /** When the child took these counts (its own clock, ms). */
  at: number;
  /** Per viewer: id, connection state, packets forwarded. */
  viewers: Array<[string, string, number]>;
}

const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'error', announce: () => undefined, media: { loopback: true } });
const media = server.media as WeriftMediaRouter;
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();

process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') {
    let packetsReceived = 0;
    let packetsForwarded = 0;
    const keyframeRequests = { requested: 0, sent: 0 };
    const viewers: Array<[string, string, number]> = [];
    for (const stream of media.publishedStreams()) {
      for (const viewer of stream.viewers.values()) viewers.push([viewer.viewerId, viewer.connectionState, viewer.stats.packetsForwarded]);
      packetsReceived += stream.stats.packetsReceived;
      for (const viewer of stream.viewers.values()) packetsForwarded += viewer.stats.packetsForwarded;
      keyframeRequests.requested += stream.keyframeStats.requested;
      keyframeRequests.sent += stream.keyframeStats.sent;
    }
    const memory = process.memoryUsage();
    const stats: ServerChildStats = {
      counters: media.counters(),
      packetsReceived,
      packetsForwarded,
      keyframeRequests,
      loopDelay: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      rssMiB: memory.rss / 2 ** 20,
      heapUsedMiB: memory.heapUsed / 2 ** 20,
      at: performance.now(),
      viewers,
    };
    delay.reset();
    process.send!({ type: 'stats', stats });
  }
});
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});
process.send!({ type: 'ready', url: server.url });
