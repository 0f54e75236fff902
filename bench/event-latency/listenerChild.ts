/**
 * Child process of the event-latency benchmark: a share of the listening `Room`s, so that the load
 * generator is several processes and the benchmark measures the server, not one client event loop.
 * Joins `BENCH_LISTENERS` rooms, says `ready`, reports each ping's arrival, leaves on `leave`.
 */
import { pathToFileURL } from 'node:url';
import type * as Confer from 'confer';

/** Messages between the benchmark and a listener child. */
export type ListenerMessage =
  | { kind: 'ready' }
  | { kind: 'received'; arrivals: Array<{ ping: number; at: number; sinceEmit: number }> }
  | { kind: 'left' };

const env = process.env;
const { Room } = (await import(pathToFileURL(env.BENCH_LIBRARY!).href)) as typeof Confer;
const count = Number(env.BENCH_LISTENERS);
const now = () => performance.timeOrigin + performance.now();
const send = (message: ListenerMessage) => process.send!(message);

let pending: Array<{ ping: number; at: number; sinceEmit: number }> = [];
// Arrivals go back in one message per turn of the event loop, not one per room.
const flush = () => {
  if (pending.length === 0) return;
  send({ kind: 'received', arrivals: pending });
  pending = [];
};

const rooms: Confer.Room[] = [];
for (let i = 0; i < count; i += 25) {
  await Promise.all(
    Array.from({ length: Math.min(25, count - i) }, async (_, j) => {
      const room = new Room({ baseUrl: env.BENCH_SERVER!, auth: { clientId: 'demo', clientSecret: 'demo', userId: `${env.BENCH_PREFIX}-${i + j}` }, autoView: false, window: null });
      room.on('event', (event) => {
        if (event.type !== 'ConferenceMetadataUpdatedEvent' || event.key !== env.BENCH_PING_KEY) return;
        const at = now();
        if (pending.length === 0) setImmediate(flush);
        pending.push({ ping: Number(event.value), at, sinceEmit: at - Date.parse(event.timestamp) });
      });
      rooms.push(room);
      await room.join(env.BENCH_CONFERENCE!);
    }),
  );
}
send({ kind: 'ready' });

process.on('message', async (message: { kind: string }) => {
  if (message.kind !== 'leave') return;
  await Promise.all(rooms.map((room) => room.leave()));
  send({ kind: 'left' });
  process.disconnect();
});
// A killed benchmark never leaves a child behind.
process.on('disconnect', () => process.exit(0));
