/**
 * Issue 11: the control plane on its stores. (a) autocannon drives join → updateMetadata → leave
 * cycles on one conference (each cycle a fresh endpoint), 10 connections for 10 s, against one
 * server in memory, one server on Redis, and two servers on one Redis (5 connections each, at the
 * same time): requests/s, latency percentiles, and the CPU of the servers and of redis-server.
 * (b) Event latency with 200 library Rooms long-polling one conference, in memory on one server, on
 * Redis on one server, and split 100/100 across two servers on one Redis, the pings sent through the
 * first server: emit (server timestamp) → handler, and request → handler. Reuses the listener
 * processes of event-latency. Every server runs in its own process; redis-server too.
 */
import type { ChildProcess } from 'node:child_process';
import { startRedis } from '../packages/server/test/store/support/redisServer.js';
import type { BenchRow } from './lib/report.js';
import { report } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { onCleanup, runBenchmark, runConditions, sleep } from './support/cleanup.js';
import { joinLeaveCycles, token } from './support/controlPlane.js';
import { bundleLibrary, loadLibrary } from './support/libraryInNode.js';
import { leaveAndStop, PingTimes, startListeners } from './support/listenerProcesses.js';
import { measureCpu } from './support/procStats.js';
import { startServerProcess, type ServerProcess } from './support/ServerProcess.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 10;
const LISTENERS = Number(process.env.BENCH_CLIENTS ?? 200);
const PINGS = Number(process.env.BENCH_PINGS ?? 30);
const PING_KEY = 'bench/ping';
const SECRET = 'control-plane-stores-bench';

/** The cycles spread evenly over the servers (all at once), on one conference, or on one conference per server. */
async function controlPlane(label: string, servers: ServerProcess[], redisPid: number | undefined, conferencePerServer: boolean): Promise<BenchRow[]> {
  const bearer = await token(servers[0]!.url, 'load');
  const conferenceIds = servers.map((_, i) => `bench-stores-${Date.now()}-${conferencePerServer ? i : 0}`);
  for (const conferenceId of new Set(conferenceIds)) {
    const created = await fetch(`${servers[0]!.url}/rtc-api/conferences/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ conferenceId }),
    });
    if (!created.ok) throw new Error(`create: ${created.status}`);
  }
  const serverCpu = measureCpu(servers.map((s) => s.pid));
  const redisCpu = redisPid === undefined ? undefined : measureCpu([redisPid]);
  const results = await Promise.all(servers.map((server, i) => joinLeaveCycles(server.url, bearer, conferenceIds[i]!, CONNECTIONS / servers.length, DURATION_S)));
  const cpu = serverCpu.stop();
  const redis = redisCpu?.stop();
  const requests = results.reduce((sum, r) => sum + r.requests.average, 0);
  const p99 = Math.max(...results.map((r) => r.latency.p99));
  return [
    { metric: `${label}: requests/s`, unit: 'req/s', value: requests, note: `${CONNECTIONS} connections in all, ${DURATION_S} s, join/updateMetadata/leave on ${conferencePerServer ? 'one conference per server' : 'one conference'}` },
    { metric: `  latency p50`, unit: 'ms', value: Math.max(...results.map((r) => r.latency.p50)) },
    { metric: `  latency p99`, unit: 'ms', value: p99, note: servers.length > 1 ? 'the higher of the two servers' : undefined },
    { metric: `  non-2xx answers / errors`, unit: 'count', value: `${results.reduce((n, r) => n + r.non2xx, 0)} / ${results.reduce((n, r) => n + r.errors, 0)}` },
    { metric: `  server CPU`, unit: '% of a core', value: cpu, note: servers.length > 1 ? 'both servers' : undefined },
    ...(redis === undefined ? [] : [{ metric: `  redis-server CPU`, unit: '% of a core', value: redis }]),
  ].map((row) => (row.note === undefined ? { metric: row.metric, unit: row.unit, value: row.value } : row)) as BenchRow[];
}

/** LISTENERS rooms split evenly over the servers, one listener process per server; pings through the first server. */
async function eventLatency(label: string, servers: ServerProcess[], library: string): Promise<{ rows: BenchRow[]; detail: Record<string, unknown> }> {
  const { ApiClient } = await loadLibrary();
  const conferenceId = `bench-store-events-${Date.now()}`;
  const times = new PingTimes();
  const sender = new ApiClient({ baseUrl: servers[0]!.url, auth: { clientId: 'demo', clientSecret: 'demo', userId: 'sender' } });
  const senderEndpoint = crypto.randomUUID();
  await sender.create({ conferenceId });
  await sender.join({ conferenceId, userEndpointId: senderEndpoint });
  const children: ChildProcess[] = [];
  for (const [index, server] of servers.entries()) {
    const share = LISTENERS / servers.length;
    const env = { BENCH_LIBRARY: library, BENCH_SERVER: server.url, BENCH_CONFERENCE: conferenceId, BENCH_PING_KEY: PING_KEY, BENCH_PREFIX: `${label.replace(/\W+/g, '-')}-${index}` };
    children.push(await startListeners(env, share, times.record));
  }
  await sleep(500 + LISTENERS);
  const lost = await times.send(PINGS, LISTENERS, (ping) =>
    sender.updateMetadata({ conferenceId, userEndpointId: senderEndpoint, key: PING_KEY, operation: 'SET', value: String(ping) }),
  );
  await Promise.all(children.map(leaveAndStop));
  // Not measured: on a machine this busy 200 leaves at once may keep it past its 10 s timeout.
  await sender.leave({ conferenceId, userEndpointId: senderEndpoint }).catch(() => undefined);
  const rows: BenchRow[] = [
    { metric: `${label}: ${LISTENERS} clients, emit → handler`, unit: 'ms', summary: summarize(times.sinceEmit) },
    { metric: `  request → handler`, unit: 'ms', summary: summarize(times.sinceRequest) },
  ];
  if (lost > 0) rows.push({ metric: '  deliveries lost (3 s)', unit: 'count', value: lost });
  return { rows, detail: { pings: PINGS, lost, servers: servers.length } };
}

runBenchmark('control-plane-stores', 480_000, async () => {
  const library = await bundleLibrary();
  const redis = await startRedis();
  onCleanup('redis-server', () => redis.stop(true));
  const onRedis = (prefix: string) => ({ redisUrl: redis.url, redisKeyPrefix: prefix, tokenSecret: SECRET });
  const rows: BenchRow[] = [];
  const details: Record<string, unknown> = {};

  const scenarios: Array<{ label: string; start: () => Promise<ServerProcess[]>; redisPid?: number; conferencePerServer?: boolean; events?: false }> = [
    { label: '1 server, in memory', start: async () => [await startServerProcess({ tokenSecret: SECRET })] },
    { label: '1 server, Redis', start: async () => [await startServerProcess(onRedis('one:'))], redisPid: redis.pid },
    { label: '2 servers, one Redis', start: async () => [await startServerProcess(onRedis('two:')), await startServerProcess(onRedis('two:'))], redisPid: redis.pid },
    {
      label: '2 servers, one Redis, a conference each',
      start: async () => [await startServerProcess(onRedis('each:')), await startServerProcess(onRedis('each:'))],
      redisPid: redis.pid,
      conferencePerServer: true,
      events: false,
    },
  ];
  for (const scenario of scenarios) {
    const servers = await scenario.start();
    // A scenario that fails says so in its row; the others are still measured and reported.
    try {
      rows.push(...(await controlPlane(scenario.label, servers, scenario.redisPid, scenario.conferencePerServer ?? false)));
    } catch (error) {
      rows.push({ metric: `${scenario.label}: requests/s`, unit: 'req/s', value: 'failed', note: (error as Error).message });
    }
    if (scenario.events !== false) {
      try {
        const events = await eventLatency(scenario.label, servers, library);
        rows.push(...events.rows);
        details[scenario.label] = events.detail;
      } catch (error) {
        rows.push({ metric: `${scenario.label}: ${LISTENERS} clients, emit → handler`, unit: 'ms', value: 'failed', note: (error as Error).message });
      }
    }
    for (const server of servers) await server.close();
  }
  report('control-plane-stores', rows, {
    ...runConditions(),
    details,
    connections: CONNECTIONS,
    durationS: DURATION_S,
    listeners: LISTENERS,
    note: 'each server, redis-server and each listener process its own process, on the same 2-core machine as the load generator',
  });
});
