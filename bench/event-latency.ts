/**
 * Benchmark 3: server-side emit to client-side handler. N library `Room`s (in Node: the event loop
 * is the same code a browser runs, and a browser would cap us at 6 connections per origin) long-poll
 * one conference; a separate endpoint sets a conference metadata key, and every room's `event`
 * handler notes when the ConferenceMetadataUpdatedEvent arrives. Emit time is the event's
 * server-side `timestamp`; the server runs in its own process.
 */
import type { Room } from 'confer';
import type { BenchRow } from './lib/report.js';
import { report } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { runBenchmark, runConditions, sleep } from './support/cleanup.js';
import { onCleanup } from './support/cleanup.js';
import { loadLibrary } from './support/libraryInNode.js';
import { measureCpu } from './support/procStats.js';
import { startServerProcess } from './support/ServerProcess.js';

const CLIENT_COUNTS = (process.env.BENCH_CLIENTS ?? '1,50,200').split(',').map(Number);
const PINGS = Number(process.env.BENCH_PINGS ?? 30);
const PING_KEY = 'bench/ping';

const now = () => performance.timeOrigin + performance.now();

runBenchmark('event-latency', 180_000, async () => {
  const { ApiClient, Room } = await loadLibrary();
  const server = await startServerProcess();
  const rows: BenchRow[] = [];
  const details: Record<string, unknown> = {};

  for (const count of CLIENT_COUNTS) {
    const conferenceId = `bench-events-${count}-${Date.now()}`;
    const received = new Map<number, number[]>();
    const sinceRequest: number[] = [];
    const sinceEmit: number[] = [];
    const sentAt = new Map<number, number>();
    const rooms: Room[] = [];
    onCleanup(`rooms of ${count}`, () => Promise.all(rooms.map((room) => room.leave())));

    const sender = new ApiClient({ baseUrl: server.url, auth: { clientId: 'demo', clientSecret: 'demo', userId: 'sender' } });
    const senderEndpoint = crypto.randomUUID();
    await sender.create({ conferenceId });
    await sender.join({ conferenceId, userEndpointId: senderEndpoint });

    for (let i = 0; i < count; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, count - i) }, async (_, j) => {
          const room = new Room({ baseUrl: server.url, auth: { clientId: 'demo', clientSecret: 'demo', userId: `listener-${i + j}` }, autoView: false, window: null });
          room.on('event', (event) => {
            if (event.type !== 'ConferenceMetadataUpdatedEvent' || event.key !== PING_KEY) return;
            const at = now();
            const ping = Number(event.value);
            received.get(ping)?.push(at);
            sinceEmit.push(at - Date.parse(event.timestamp));
            sinceRequest.push(at - sentAt.get(ping)!);
          });
          rooms.push(room);
          await room.join(conferenceId);
        }),
      );
    }
    // Let the join events of the last listeners drain, so every room sits in a fresh long-poll.
    await sleep(500);

    const cpu = measureCpu([server.pid]);
    const clientCpu = measureCpu([process.pid]);
    let lost = 0;
    const startedAt = now();
    for (let ping = 0; ping < PINGS; ping++) {
      received.set(ping, []);
      sentAt.set(ping, now());
      await sender.updateMetadata({ conferenceId, userEndpointId: senderEndpoint, key: PING_KEY, operation: 'SET', value: String(ping) });
      const deadline = now() + 3_000;
      while (received.get(ping)!.length < count && now() < deadline) await sleep(1);
      lost += count - received.get(ping)!.length;
      // A short pause so the rooms are back in their long-polls, as between real-world events.
      await sleep(50);
    }
    const serverCpu = cpu.stop();
    const clientProcessCpu = clientCpu.stop();
    const elapsed = now() - startedAt;

    rows.push({ metric: `${count} clients: emit → handler`, unit: 'ms', summary: summarize(sinceEmit), ...(count === 200 ? { target: '< 20 ms' } : {}) });
    rows.push({ metric: `${count} clients: request → handler`, unit: 'ms', summary: summarize(sinceRequest) });
    const lastPerPing = [...received.entries()].filter(([, a]) => a.length > 0).map(([ping, a]) => Math.max(...a) - sentAt.get(ping)!);
    rows.push({ metric: `${count} clients: request → last client`, unit: 'ms', summary: summarize(lastPerPing) });
    if (lost > 0) rows.push({ metric: `${count} clients: deliveries lost (3 s)`, unit: 'count', value: lost });
    details[`clients${count}`] = { pings: PINGS, lost, serverCpuPercentOfOneCore: serverCpu, clientProcessCpuPercentOfOneCore: clientProcessCpu, elapsedMs: elapsed };

    await Promise.all(rooms.splice(0).map((room) => room.leave()));
    await sender.leave({ conferenceId, userEndpointId: senderEndpoint });
  }
  report('event-latency', rows, {
    ...runConditions(),
    details, note: 'emit time is the server timestamp (millisecond resolution); clients are library Rooms in one Node process' });
});
