/**
 * Benchmark 4: the HTTP requests and bytes a participant needs from `new Room` to publishing and
 * viewing 3 others (each a Node publisher), counted on the wire by a proxy between the page and the
 * server, so CORS preflights count too. Then 10 s of an idle call: the standing cost of the event loop.
 */
import type { BenchRow } from './lib/report.js';
import { report } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { launchChromium, openBenchPage, serveBenchPage } from './support/BenchBrowser.js';
import { runBenchmark, runConditions, sleep } from './support/cleanup.js';
import type { ProxiedExchange } from './support/CountingProxy.js';
import { startCountingProxy } from './support/CountingProxy.js';
import { loadLibrary } from './support/libraryInNode.js';
import { NodePublisher } from './support/NodePublisher.js';
import { startServerProcess } from './support/ServerProcess.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const OTHERS = 3;
const IDLE_MS = 10_000;
/** Conference metadata changes made by another participant after the idle window, one every 300 ms. */
const EVENTS = 5;
const SDP_OPS = new Set(['publishStream', 'viewStream']);
const ICE_OPS = new Set(['addPublishStreamIceCandidates', 'addViewStreamIceCandidates']);

interface CallCount {
  byOp: Record<string, number>;
  requests: number;
  preflights: number;
  apiRequests: number;
  iceRequests: number;
  eventPolls: number;
  bytesSent: number;
  bytesReceived: number;
  peerConnections: number;
  idleRequests: number;
  idlePreflights: number;
  perEventRequests: number;
  perEventPreflights: number;
}

function count(exchanges: ProxiedExchange[]): Pick<CallCount, 'byOp' | 'requests' | 'preflights' | 'apiRequests' | 'iceRequests' | 'eventPolls' | 'bytesSent' | 'bytesReceived'> {
  const byOp: Record<string, number> = {};
  for (const e of exchanges) {
    const key = e.method === 'OPTIONS' ? `preflight ${e.op}` : e.op;
    byOp[key] = (byOp[key] ?? 0) + 1;
  }
  const api = exchanges.filter((e) => e.method !== 'OPTIONS');
  return {
    byOp,
    requests: exchanges.length,
    preflights: exchanges.length - api.length,
    apiRequests: api.length,
    iceRequests: api.filter((e) => ICE_OPS.has(e.op)).length,
    eventPolls: api.filter((e) => e.op === 'events').length,
    bytesSent: exchanges.reduce((sum, e) => sum + e.requestBytes, 0),
    bytesReceived: exchanges.reduce((sum, e) => sum + e.responseBytes, 0),
  };
}

runBenchmark('requests-per-call', 150_000, async () => {
  const library = await loadLibrary();
  const server = await startServerProcess();
  const proxy = await startCountingProxy(server.url);
  const pages = await serveBenchPage();
  const browser = await launchChromium();

  const counts: CallCount[] = [];
  for (let run = 0; run < RUNS; run++) {
    const conferenceId = `bench-requests-${run}-${Date.now()}`;
    const others = Array.from({ length: OTHERS }, (_, i) => new NodePublisher(library, server.url, `other-${i}`, { width: 320, height: 240, fps: 15 }));
    for (const other of others) await other.joinAndPublish(conferenceId);

    const page = await openBenchPage(browser, pages);
    proxy.exchanges.length = 0;
    await page.evaluate(([url]) => window.bench.create('me', url!, 'me'), [proxy.url]);
    await page.evaluate(([id]) => window.bench.join('me', id!), [conferenceId]);
    await page.evaluate(() => window.bench.publish('me', { width: 320, height: 240, frameRate: 15 }));
    await page.evaluate(([n]) => window.bench.waitForStreams('me', n!, 15_000), [OTHERS]);
    // Candidates still being trickled belong to the call set-up: wait for the last batch to finish.
    await sleep(300);
    const setup = count(proxy.exchanges.filter((e) => !Number.isNaN(e.end) || e.op !== 'events'));
    const peerConnections = (await page.evaluate(() => window.bench.peers('me'))).length;

    const idleFrom = proxy.exchanges.length;
    await sleep(IDLE_MS);
    const idle = count(proxy.exchanges.slice(idleFrom));
    const eventsFrom = proxy.exchanges.length;
    for (let i = 0; i < EVENTS; i++) {
      await others[0]!.room.setConferenceMetadata('bench/tick', String(i));
      await sleep(300);
    }
    const busy = count(proxy.exchanges.slice(eventsFrom));
    counts.push({
      ...setup,
      peerConnections,
      idleRequests: idle.requests,
      idlePreflights: idle.preflights,
      perEventRequests: busy.requests / EVENTS,
      perEventPreflights: busy.preflights / EVENTS,
    });

    await page.evaluate(() => window.bench.leaveAll());
    await page.context().close();
    await Promise.all(others.map((other) => other.close()));
  }

  const row = (metric: string, unit: string, pick: (c: CallCount) => number, target?: string): BenchRow => ({
    metric,
    unit,
    summary: summarize(counts.map(pick)),
    ...(target ? { target } : {}),
  });
  const rows: BenchRow[] = [
    row('peer connections (1 publish + 3 view)', 'count', (c) => c.peerConnections),
    row('HTTP requests to a running call, all', 'requests', (c) => c.requests),
    row('  API requests (fetch)', 'requests', (c) => c.apiRequests),
    row('  CORS preflights', 'requests', (c) => c.preflights),
    row('  ICE candidate requests', 'requests', (c) => c.iceRequests),
    row('  event polls', 'requests', (c) => c.eventPolls),
    row('API requests per PC beyond SDP exchange', 'requests', (c) => c.iceRequests / c.peerConnections, '<= 2'),
    row('  with their preflights', 'requests', (c) => (c.iceRequests + (c.byOp['preflight addPublishStreamIceCandidates'] ?? 0) + (c.byOp['preflight addViewStreamIceCandidates'] ?? 0)) / c.peerConnections),
    row('bytes sent (headers + bodies)', 'bytes', (c) => c.bytesSent),
    row('bytes received (headers + bodies)', 'bytes', (c) => c.bytesReceived),
    row(`idle call: requests per ${IDLE_MS / 1000} s`, 'requests', (c) => c.idleRequests),
    row(`  of which preflights`, 'requests', (c) => c.idlePreflights),
    row('per event while in the call: requests', 'requests', (c) => c.perEventRequests),
    row('  of which preflights (each new ?v= is a new URL)', 'requests', (c) => c.perEventPreflights),
  ];
  report('requests-per-call', rows, {
    ...runConditions(),
    byOperation: counts.map((c) => c.byOp), sdpOps: [...SDP_OPS] });
});
