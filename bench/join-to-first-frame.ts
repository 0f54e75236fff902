/**
 * Benchmark 1: a participant joins a conference where another already publishes; from `join()` to
 * the first decoded remote frame (`requestVideoFrameCallback`), split into phases. Each run opens a
 * fresh browser context (cold HTTP connection and CORS preflight cache, like a user opening the
 * page) and a new Room; the page load itself is not measured.
 */
import { report } from './lib/report.js';
import { launchChromium, openBenchPage, serveBenchPage } from './support/BenchBrowser.js';
import { runBenchmark, runConditions, sleep } from './support/cleanup.js';
import type { Timeline } from './support/phases.js';
import { phaseRows } from './support/phases.js';
import { startServerProcess } from './support/ServerProcess.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
/** The server forwards at most one keyframe request per second per publisher: runs are spaced past it. */
const KEYFRAME_INTERVAL_MS = 1_000;
const PUBLISHED_VIDEO = { width: 640, height: 480, frameRate: 30 };

runBenchmark('join-to-first-frame', 150_000, async () => {
  const server = await startServerProcess();
  const pages = await serveBenchPage();
  const browser = await launchChromium();
  const conferenceId = `bench-jtff-${Date.now()}`;

  const publisher = await openBenchPage(browser, pages);
  await publisher.evaluate(([url]) => window.bench.create('pub', url!, 'publisher'), [server.url]);
  await publisher.evaluate(([id]) => window.bench.join('pub', id!), [conferenceId]);
  await publisher.evaluate(([video]) => window.bench.publish('pub', video!), [PUBLISHED_VIDEO]);

  const runs: Timeline[] = [];
  let cold: Timeline | undefined;
  for (let run = 0; run <= RUNS; run++) {
    const page = await openBenchPage(browser, pages);
    await page.evaluate(([url]) => window.bench.create('viewer', url!, `viewer-${Math.random()}`), [server.url]);
    const t = await page.evaluate(([id]) => window.bench.joinToFirstFrame('viewer', id!, 10_000), [conferenceId]);
    const timeline: Timeline = [
      ['start', t.start],
      ['token', t.tokenEnd],
      ['join', t.joinEnd],
      ['events (streamAdded)', t.streamAdded],
      ['view offer (createOffer + setLocalDescription)', t.viewStart],
      ['viewStream answered (preflight + server)', t.viewEnd],
      ['ICE connected', t.iceConnected],
      ['DTLS connected', t.connected],
      ['first frame', t.firstFrame],
    ];
    // The first run also warms the server's code paths (JIT, werift's first DTLS): kept apart.
    if (run === 0) cold = timeline;
    else runs.push(timeline);
    await page.evaluate(() => window.bench.leaveAll());
    await page.context().close();
    await sleep(KEYFRAME_INTERVAL_MS + 100);
  }

  const rows = phaseRows(runs, '< 300 ms');
  if (cold) rows.push({ metric: 'first run (cold server)', unit: 'ms', value: cold[cold.length - 1]![1] - cold[0]![1] });
  report('join-to-first-frame', rows, {
    ...runConditions(),
    setup: { publishedVideo: PUBLISHED_VIDEO, runs: RUNS, serverProcess: true, freshBrowserContextPerRun: true },
    coldRun: cold,
  });
});
