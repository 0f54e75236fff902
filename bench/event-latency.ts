/**
 * Benchmark 3: server-side emit to client-side handler. N library `Room`s long-poll one conference
 * (in Node: the event loop is the same code a browser runs, and a browser would cap us at 6
 * connections per origin), spread over several listener processes so that one client event loop is
 * not what is measured; a separate endpoint sets a conference metadata key, and every room's `event`
 * handler notes when the ConferenceMetadataUpdatedEvent arrives. Emit time is the event's
 * server-side `timestamp`; the server runs in its own process.
 */
import type { ChildProcess } from 'node:child_process';
import type { BenchRow } from './lib/report.js';
import { report } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { runBenchmark, runConditions, sleep } from './support/cleanup.js';
import { bundleLibrary, loadLibrary } from './support/libraryInNode.js';
import { leaveAndStop, PingTimes, startListeners } from './support/listenerProcesses.js';
import { measureCpu } from './support/procStats.js';
import { startServerProcess } from './support/ServerProcess.js';

const CLIENT_COUNTS = (process.env.BENCH_CLIENTS ?? '1,50,200,1000').split(',').map(Number);
const PINGS = Number(process.env.BENCH_PINGS ?? 30);
/** Rooms per listener process: a Node process keeps up with about this many at once. */
const ROOMS_PER_PROCESS = Number(process.env.BENCH_ROOMS_PER_PROCESS ?? 125);
const PING_KEY = 'bench/ping';

const now = () => performance.timeOrigin + performance.now();

runBenchmark('event-latency', 420_000, async () => {
  const { ApiClient } = await loadLibrary();
  const library = await bundleLibrary();
  const server = await startServerProcess();
  const rows: BenchRow[] = [];
  const details: Record<string, unknown> = {};

  for (const count of CLIENT_COUNTS) {
    const conferenceId = `bench-events-${count}-${Date.now()}`;
    const times = new PingTimes();

    const sender = new ApiClient({ baseUrl: server.url, auth: { clientId: 'demo', clientSecret: 'demo', userId: 'sender' } });
    const senderEndpoint = crypto.randomUUID();
    await sender.create({ conferenceId });
    await sender.join({ conferenceId, userEndpointId: senderEndpoint });

    const processes = Math.ceil(count / ROOMS_PER_PROCESS);
    const children: ChildProcess[] = [];
    for (let p = 0; p < processes; p++) {
      const share = Math.floor(count / processes) + (p < count % processes ? 1 : 0);
      const env = { BENCH_LIBRARY: library, BENCH_SERVER: server.url, BENCH_CONFERENCE: conferenceId, BENCH_PING_KEY: PING_KEY, BENCH_PREFIX: `listener-${count}-${p}` };
      children.push(await startListeners(env, share, times.record));
    }
    // Let the join events of the last listeners drain, so every room sits in a fresh long-poll.
    await sleep(500 + count);

    const cpu = measureCpu([server.pid]);
    const clientCpu = measureCpu(children.map((child) => child.pid!));
    const startedAt = now();
    const lost = await times.send(PINGS, count, (ping) =>
      sender.updateMetadata({ conferenceId, userEndpointId: senderEndpoint, key: PING_KEY, operation: 'SET', value: String(ping) }),
    );
    const serverCpu = cpu.stop();
    const listenerCpu = clientCpu.stop();
    const elapsed = now() - startedAt;

    const target = count === 200 ? { target: '< 15 ms' } : {};
    rows.push({ metric: `${count} clients: emit → handler`, unit: 'ms', summary: summarize(times.sinceEmit), ...target });
    rows.push({ metric: `${count} clients: request → handler`, unit: 'ms', summary: summarize(times.sinceRequest) });
    rows.push({ metric: `${count} clients: request → last client`, unit: 'ms', summary: summarize(times.lastPerPing()) });
    if (lost > 0) rows.push({ metric: `${count} clients: deliveries lost (3 s)`, unit: 'count', value: lost });
    details[`clients${count}`] = { pings: PINGS, lost, listenerProcesses: processes, serverCpuPercentOfOneCore: serverCpu, listenerCpuPercentOfOneCore: listenerCpu, elapsedMs: elapsed };

    await Promise.all(children.map(leaveAndStop));
    await sender.leave({ conferenceId, userEndpointId: senderEndpoint });
  }
  await server.close();
  report('event-latency', rows, {
    ...runConditions(),
    details,
    note: `emit time is the server timestamp (millisecond resolution); clients are library Rooms in listener processes of up to ${ROOMS_PER_PROCESS} rooms each`,
  });
});
