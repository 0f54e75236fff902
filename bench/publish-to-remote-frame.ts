/**
 * Benchmark 2: B is already in the conference; A calls `publish()` (tracks captured beforehand) and
 * we time until B decodes A's first frame: A's publishStream, the StreamPublished event reaching B,
 * B's view negotiation, ICE and DTLS, and the keyframe. Both pages stamp on the same wall clock.
 */
import { report } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { launchChromium, openBenchPage, serveBenchPage } from './support/BenchBrowser.js';
import { runBenchmark, runConditions, sleep } from './support/cleanup.js';
import type { Timeline } from './support/phases.js';
import { phaseRows } from './support/phases.js';
import { startServerProcess } from './support/ServerProcess.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const KEYFRAME_INTERVAL_MS = 1_000;
const PUBLISHED_VIDEO = { width: 640, height: 480, frameRate: 30 };

runBenchmark('publish-to-remote-frame', 150_000, async () => {
  const server = await startServerProcess();
  const pages = await serveBenchPage();
  const browser = await launchChromium();
  const conferenceId = `bench-ptrf-${Date.now()}`;

  const a = await openBenchPage(browser, pages);
  const b = await openBenchPage(browser, pages);
  await a.evaluate(([url]) => window.bench.create('a', url!, 'alice'), [server.url]);
  await b.evaluate(([url]) => window.bench.create('b', url!, 'bob'), [server.url]);
  await a.evaluate(([id]) => window.bench.join('a', id!), [conferenceId]);
  await b.evaluate(([id]) => window.bench.join('b', id!), [conferenceId]);

  const runs: Timeline[] = [];
  const publisherConnected: number[] = [];
  let cold: Timeline | undefined;
  for (let run = 0; run <= RUNS; run++) {
    const published = await a.evaluate(([video]) => window.bench.publish('a', video!), [PUBLISHED_VIDEO]);
    const seen = await b.evaluate(([streamId]) => window.bench.remoteTimeline('b', streamId!, 10_000), [published.streamId]);
    const timeline: Timeline = [
      ['start', published.start],
      ['publishStream answered (A)', published.answeredAt],
      ['StreamPublished event at B', seen.streamAdded],
      ['view offer (B)', seen.viewStart],
      ['viewStream answered (B)', seen.viewEnd],
      ['ICE connected (B)', seen.iceConnected],
      ['DTLS connected (B)', seen.connected],
      ['first frame (B)', seen.firstFrame],
    ];
    if (run === 0) cold = timeline;
    else {
      runs.push(timeline);
      publisherConnected.push(published.connectedAt - published.start);
    }
    await a.evaluate(([streamId]) => window.bench.unpublish('a', streamId!), [published.streamId]);
    await sleep(KEYFRAME_INTERVAL_MS + 100);
  }
  await a.evaluate(() => window.bench.leaveAll());
  await b.evaluate(() => window.bench.leaveAll());

  const rows = phaseRows(runs, '< 400 ms');
  rows.push({ metric: 'A publisher connected (since publish)', unit: 'ms', summary: summarize(publisherConnected) });
  if (cold) rows.push({ metric: 'first run (cold server)', unit: 'ms', value: cold[cold.length - 1]![1] - cold[0]![1] });
  report('publish-to-remote-frame', rows, {
    ...runConditions(),
    setup: { publishedVideo: PUBLISHED_VIDEO, runs: RUNS, serverProcess: true }, coldRun: cold });
});
