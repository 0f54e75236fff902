/**
 * Benchmark 9: a join burst. One participant publishes; 5 viewers, each in a fresh browser context
 * (opened beforehand, page load not measured), join its room 200 ms apart, as people do when a
 * meeting starts. Reports each viewer's join → first remote frame, and the part of it after its
 * connection was up (DTLS connected → first frame), which is the wait for a keyframe: a viewer whose
 * keyframe request is held back by the publisher's throttle shows a black tile meanwhile. Each
 * viewer calls `room.prepare()` with its page load, as an application should.
 */
import type { Page } from '@playwright/test';
import { report } from './lib/report.js';
import type { BenchRow } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { launchChromium, openBenchPage, serveBenchPage } from './support/BenchBrowser.js';
import { runBenchmark, runConditions, sleep } from './support/cleanup.js';
import type { Timeline } from './support/phases.js';
import { phaseRows } from './support/phases.js';
import { startServerProcess } from './support/ServerProcess.js';

const ROUNDS = Number(process.env.BENCH_RUNS ?? 6);
const VIEWERS = 5;
const SPACING_MS = 200;
/** Rounds are spaced past the server's keyframe interval, so each round starts from the same state. */
const KEYFRAME_INTERVAL_MS = 1_000;
const SETTLE_MS = 1_000;
const PUBLISHED_VIDEO = { width: 640, height: 480, frameRate: 30 };

interface ViewerResult {
  total: number;
  afterConnected: number;
  timeline: Timeline;
}

runBenchmark('join-burst', 165_000, async () => {
  const server = await startServerProcess();
  const pages = await serveBenchPage();
  const browser = await launchChromium();
  const conferenceId = `bench-burst-${Date.now()}`;

  const publisher = await openBenchPage(browser, pages);
  await publisher.evaluate(([url]) => window.bench.create('pub', url!, 'publisher'), [server.url]);
  await publisher.evaluate(([id]) => window.bench.join('pub', id!), [conferenceId]);
  await publisher.evaluate(([video]) => window.bench.publish('pub', video!), [PUBLISHED_VIDEO]);

  const joinAfter = async (page: Page, delayMs: number): Promise<ViewerResult> => {
    await sleep(delayMs);
    const t = await page.evaluate(([id]) => window.bench.joinToFirstFrame('viewer', id!, 10_000), [conferenceId]);
    const timeline: Timeline = [
      ['start', t.start],
      ['token', t.tokenEnd],
      ['join', t.joinEnd],
      ['events (streamAdded)', t.streamAdded],
      ['view offer', t.viewStart],
      ['viewStream answered', t.viewEnd],
      ['ICE connected', t.iceConnected],
      ['DTLS connected', t.connected],
      ['first frame', t.firstFrame],
    ];
    return { total: t.firstFrame - t.start, afterConnected: t.firstFrame - t.connected, timeline };
  };

  // results[round][viewer]
  const results: ViewerResult[][] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const viewers: Page[] = [];
    for (let i = 0; i < VIEWERS; i++) {
      const page = await openBenchPage(browser, pages);
      await page.evaluate(([url, user]) => window.bench.create('viewer', url!, user!), [server.url, `viewer-${round}-${i}`]);
      // What the application does while its page loads: the token now, the first view's offer during the join.
      await page.evaluate(() => window.bench.prepare('viewer'));
      viewers.push(page);
    }
    // Let the new renderers finish starting up, so the burst measures joining, not page loads.
    await sleep(SETTLE_MS);
    const round_ = await Promise.all(viewers.map((page, i) => joinAfter(page, i * SPACING_MS)));
    // The first round warms the server's code paths and the browser: kept out of the numbers.
    if (round > 0) results.push(round_);
    await Promise.all(viewers.map((page) => page.evaluate(() => window.bench.leaveAll())));
    await Promise.all(viewers.map((page) => page.context().close()));
    await sleep(KEYFRAME_INTERVAL_MS + 100);
  }

  const rows: BenchRow[] = [];
  for (let i = 0; i < VIEWERS; i++) {
    rows.push({ metric: `viewer ${i + 1} (joins at +${i * SPACING_MS} ms): join → first frame`, unit: 'ms', summary: summarize(results.map((r) => r[i]!.total)) });
    rows.push({ metric: '  DTLS connected → first frame (keyframe wait)', unit: 'ms', summary: summarize(results.map((r) => r[i]!.afterConnected)) });
  }
  rows.push(...phaseRows(results.flat().map((r) => r.timeline), 'median < 250 ms, p95 < 400 ms', 'all viewers: '));
  report('join-burst', rows, {
    ...runConditions(),
    setup: { publishedVideo: PUBLISHED_VIDEO, rounds: ROUNDS, viewers: VIEWERS, spacingMs: SPACING_MS, serverProcess: true, freshBrowserContextPerViewer: true },
  });
});
