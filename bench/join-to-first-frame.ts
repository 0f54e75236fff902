/**
 * Benchmark 1: a participant joins a conference where another already publishes; from `join()` to
 * the first decoded remote frame (`requestVideoFrameCallback`), split into phases. Each of the main
 * runs opens a fresh browser context (cold HTTP connection, CORS preflight cache and WebRTC stack,
 * like a user opening the page) and a new Room; the page load itself is not measured. Then, in one
 * tab that stays open, new Rooms join again and again (a user joining a second call): the same
 * phases without the browser's cold start. The application calls `room.prepare()` as its page loads
 * (fetching the token; the join then makes the first view's offer while its request is in flight),
 * so the main runs prepare right after creating the Room, unmeasured like the page load; a third set
 * of fresh pages joins without prepare() for comparison.
 */
import type { Page } from '@playwright/test';
import { report } from './lib/report.js';
import { launchChromium, openBenchPage, serveBenchPage } from './support/BenchBrowser.js';
import { runBenchmark, runConditions, sleep } from './support/cleanup.js';
import type { Timeline } from './support/phases.js';
import { phaseRows } from './support/phases.js';
import { startServerProcess } from './support/ServerProcess.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const WARM_RUNS = Math.ceil(RUNS / 2);
const UNPREPARED_RUNS = Math.ceil(RUNS / 4);
/** Runs are spaced past the server's keyframe interval, so each starts from the same state. */
const KEYFRAME_INTERVAL_MS = 1_000;
const PUBLISHED_VIDEO = { width: 640, height: 480, frameRate: 30 };

runBenchmark('join-to-first-frame', 240_000, async () => {
  const server = await startServerProcess();
  const pages = await serveBenchPage();
  const browser = await launchChromium();
  const conferenceId = `bench-jtff-${Date.now()}`;

  const publisher = await openBenchPage(browser, pages);
  await publisher.evaluate(([url]) => window.bench.create('pub', url!, 'publisher'), [server.url]);
  await publisher.evaluate(([id]) => window.bench.join('pub', id!), [conferenceId]);
  await publisher.evaluate(([video]) => window.bench.publish('pub', video!), [PUBLISHED_VIDEO]);

  const joinOnce = async (page: Page, prepare = true): Promise<Timeline> => {
    await page.evaluate(([url]) => window.bench.create('viewer', url!, `viewer-${Math.random()}`), [server.url]);
    if (prepare) await page.evaluate(() => window.bench.prepare('viewer'));
    const t = await page.evaluate(([id]) => window.bench.joinToFirstFrame('viewer', id!, 10_000), [conferenceId]);
    await page.evaluate(() => window.bench.leaveAll());
    return [
      ['start', t.start],
      ['token', t.tokenEnd],
      ['join', t.joinEnd],
      ['events (streamAdded)', t.streamAdded],
      ['view offer (prepared during the join, else createOffer + setLocalDescription)', t.viewStart],
      ['viewStream answered (preflight + server)', t.viewEnd],
      ['ICE connected', t.iceConnected],
      ['DTLS connected', t.connected],
      ['first frame', t.firstFrame],
    ];
  };

  const runs: Timeline[] = [];
  let cold: Timeline | undefined;
  for (let run = 0; run <= RUNS; run++) {
    const page = await openBenchPage(browser, pages);
    const timeline = await joinOnce(page);
    // The first run also warms the server's code paths (JIT, werift's first DTLS): kept apart.
    if (run === 0) cold = timeline;
    else runs.push(timeline);
    await page.context().close();
    await sleep(KEYFRAME_INTERVAL_MS + 100);
  }
  const warmRuns: Timeline[] = [];
  const tab = await openBenchPage(browser, pages);
  for (let run = 0; run <= WARM_RUNS; run++) {
    const timeline = await joinOnce(tab);
    // The tab's first join is a fresh page again; the ones after it are the warm case.
    if (run > 0) warmRuns.push(timeline);
    await sleep(KEYFRAME_INTERVAL_MS + 100);
  }

  const unpreparedRuns: Timeline[] = [];
  for (let run = 0; run < UNPREPARED_RUNS; run++) {
    const page = await openBenchPage(browser, pages);
    unpreparedRuns.push(await joinOnce(page, false));
    await page.context().close();
    await sleep(KEYFRAME_INTERVAL_MS + 100);
  }

  const rows = [
    ...phaseRows(runs, 'median < 250 ms, p95 < 400 ms'),
    ...phaseRows(warmRuns, undefined, 'same tab, again: '),
    ...phaseRows(unpreparedRuns, undefined, 'fresh page, no prepare(): '),
  ];
  if (cold) rows.push({ metric: 'first run (cold server)', unit: 'ms', value: cold[cold.length - 1]![1] - cold[0]![1] });
  report('join-to-first-frame', rows, {
    ...runConditions(),
    setup: { publishedVideo: PUBLISHED_VIDEO, runs: RUNS, warmRuns: WARM_RUNS, unpreparedRuns: UNPREPARED_RUNS, serverProcess: true, freshBrowserContextPerRun: true, prepare: 'room.prepare() right after new Room, before the measured join (except the unprepared runs)' },
    coldRun: cold,
  });
});
