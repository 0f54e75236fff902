/**
 * Benchmark 6: the reference server's control plane alone (its own process, no media).
 * (a) autocannon drives join → updateMetadata → leave cycles, each with a fresh endpoint id, over
 *     10 connections for 10 s: requests/s and latency percentiles.
 * (b) 1,000 endpoints in 10 conferences each hold an event long-poll open (re-polling when the
 *     5 s wait answers `[]`): the server's extra memory and its CPU while nothing happens.
 */
import { Agent, request } from 'node:http';
import type { BenchRow } from './lib/report.js';
import { report } from './lib/report.js';
import { runBenchmark, runConditions, sleep } from './support/cleanup.js';
import { onCleanup } from './support/cleanup.js';
import { joinLeaveCycles, token } from './support/controlPlane.js';
import { measureCpu, rssMiB } from './support/procStats.js';
import { startServerProcess } from './support/ServerProcess.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 10;
const IDLE_POLLS = Number(process.env.BENCH_IDLE_POLLS ?? 1000);
const IDLE_CONFERENCES = 10;
const IDLE_WINDOW_MS = 10_000;

async function call(baseUrl: string, bearer: string, operation: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${baseUrl}/rtc-api/conferences/${operation}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${operation}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

async function controlPlaneCycles(baseUrl: string, serverPid: number): Promise<BenchRow[]> {
  const bearer = await token(baseUrl, 'load');
  const conferenceId = `bench-cycles-${Date.now()}`;
  await call(baseUrl, bearer, 'create', { conferenceId });
  const cpu = measureCpu([serverPid]);
  const result = await joinLeaveCycles(baseUrl, bearer, conferenceId, CONNECTIONS, DURATION_S);
  const serverCpu = cpu.stop();
  const latency = result.latency;
  return [
    { metric: 'join/updateMetadata/leave: requests/s', unit: 'req/s', value: result.requests.average, note: `${CONNECTIONS} connections, ${DURATION_S} s` },
    { metric: '  cycles/s (3 requests each)', unit: 'cycles/s', value: result.requests.average / 3 },
    { metric: '  latency p50', unit: 'ms', value: latency.p50 },
    { metric: '  latency p99', unit: 'ms', value: latency.p99 },
    { metric: '  latency max', unit: 'ms', value: latency.max },
    { metric: '  non-2xx answers / errors', unit: 'count', value: `${result.non2xx} / ${result.errors}` },
    { metric: '  server CPU', unit: '% of a core', value: serverCpu },
  ];
}

async function idleLongPolls(baseUrl: string, serverPid: number): Promise<BenchRow[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  onCleanup('idle poll agent', () => agent.destroy());
  let stopped = false;
  onCleanup('idle pollers', () => {
    stopped = true;
  });
  const bearer = await token(baseUrl, 'idle');
  const endpoints: { conferenceId: string; version: number }[] = [];
  for (let c = 0; c < IDLE_CONFERENCES; c++) {
    const conferenceId = `bench-idle-${c}-${Date.now()}`;
    await call(baseUrl, bearer, 'create', { conferenceId });
    const perConference = IDLE_POLLS / IDLE_CONFERENCES;
    for (let i = 0; i < perConference; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, perConference - i) }, () =>
          call(baseUrl, bearer, 'join', { conferenceId, userEndpointId: crypto.randomUUID() }),
        ),
      );
    }
    const conference = (await (await fetch(`${baseUrl}/rtc-api/conferences/${conferenceId}`, { headers: { authorization: `Bearer ${bearer}` } })).json()) as { version: number };
    for (let i = 0; i < perConference; i++) endpoints.push({ conferenceId, version: conference.version });
  }
  await sleep(1_000);
  const rssBefore = rssMiB(serverPid);
  let answered = 0;
  let open = 0;
  const poll = (endpoint: { conferenceId: string; version: number }) => {
    if (stopped) return;
    open++;
    const req = request(
      { host: new URL(baseUrl).hostname, port: new URL(baseUrl).port, path: `/rtc-api/conferences/${endpoint.conferenceId}/events?v=${endpoint.version}`, agent, headers: { authorization: `Bearer ${bearer}` } },
      (res) => {
        res.resume();
        res.on('end', () => {
          open--;
          answered++;
          poll(endpoint);
        });
      },
    );
    req.on('error', () => {
      open--;
    });
    req.end();
  };
  for (const endpoint of endpoints) poll(endpoint);
  // Let every poll reach the server and the first round of 5 s waits spread out.
  await sleep(6_000);
  const cpu = measureCpu([serverPid]);
  const answeredBefore = answered;
  await sleep(IDLE_WINDOW_MS);
  const serverCpu = cpu.stop();
  const rssDuring = rssMiB(serverPid);
  const polls = answered - answeredBefore;
  stopped = true;
  agent.destroy();
  return [
    { metric: `${IDLE_POLLS} idle long-polls: open`, unit: 'count', value: open },
    { metric: '  server CPU', unit: '% of a core', value: serverCpu },
    { metric: '  re-polls answered [] after the 5 s wait', unit: 'per s', value: polls / (IDLE_WINDOW_MS / 1000) },
    { metric: '  server RSS before polls', unit: 'MiB', value: rssBefore },
    { metric: '  server RSS with polls open', unit: 'MiB', value: rssDuring },
    { metric: '  memory per open poll', unit: 'KiB', value: ((rssDuring - rssBefore) * 1024) / IDLE_POLLS },
  ];
}

runBenchmark('server-control-plane', 120_000, async () => {
  const cycles = await startServerProcess();
  const rows = await controlPlaneCycles(cycles.url, cycles.pid);
  await cycles.close();
  const idle = await startServerProcess();
  rows.push(...(await idleLongPolls(idle.url, idle.pid)));
  report('server-control-plane', rows, {
    ...runConditions(),
    connections: CONNECTIONS, durationS: DURATION_S, idlePolls: IDLE_POLLS, idleConferences: IDLE_CONFERENCES });
});
