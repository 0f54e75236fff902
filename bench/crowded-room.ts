/**
 * Benchmark 8: one tab viewing 8, then 16 remote streams (Node publishers: libwebrtc through the
 * library's own Room, synthetic 320×240 at 15 fps, VP8). Over a 10 s window at each size: the
 * renderer's CPU and memory (from /proc, the process found through CDP SystemInfo), the whole
 * browser's CPU, JS heap, and each stream's decoded frames per second from getStats.
 *
 * Then a 9-participant grid (issue 13): the tab shows 8 Node publishers (960×540 at 15 fps, so three
 * simulcast layers) as 320×180 tiles played with `attach()`, once per mode: one layer (simulcast
 * off, as before simulcast), simulcast with adaptive stream and dynacast off, and the defaults.
 * Over a 10 s window: what the tab receives, what each publisher uploads, the decoded tile heights,
 * and the server's CPU. `--grid` measures the grid alone.
 */
import type { Browser, Page } from '@playwright/test';
import type { BenchPages } from './support/BenchBrowser.js';
import type { ServerProcess } from './support/ServerProcess.js';
import type { BenchRow } from './lib/report.js';
import { report } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { launchChromium, openBenchPage, serveBenchPage } from './support/BenchBrowser.js';
import { runBenchmark, runConditions, sleep } from './support/cleanup.js';
import { loadLibrary } from './support/libraryInNode.js';
import { NodePublisher } from './support/NodePublisher.js';
import { measureCpu, rssMiB } from './support/procStats.js';
import { startServerProcess } from './support/ServerProcess.js';

const SIZES = [8, 16];
const VIDEO = { width: 320, height: 240, fps: 15 };
const WINDOW_MS = 10_000;

const GRID_PUBLISHERS = 8;
/** A quarter of each frame is fresh noise, so the layers need bitrates like a camera's (a grey frame with a bar needs ~20 kbps at any size). */
const GRID_VIDEO = { width: 960, height: 540, fps: 10, noise: 0.25 };
const GRID_TILE = { width: 320, height: 180 };
/** Long enough for bandwidth estimation to ramp up, adaptive stream's debounce and dynacast's 2 s grace after a new viewer. */
const GRID_SETTLE_MS = 8_000;
const GRID_MODES = [
  { label: 'one layer', simulcast: false, adaptive: false },
  { label: 'simulcast, adaptive+dynacast off', simulcast: true, adaptive: false },
  { label: 'simulcast, adaptive+dynacast on', simulcast: true, adaptive: true },
].filter((mode) => !process.argv.includes('--on') || mode.adaptive);

/** Chromium's processes by type, as CDP SystemInfo reports them. */
async function browserProcesses(browser: Browser): Promise<{ type: string; id: number }[]> {
  const session = await browser.newBrowserCDPSession();
  const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  await session.detach();
  return processInfo;
}

async function measureWindow(browser: Browser, page: Page, publishers: NodePublisher[], serverPid: number): Promise<BenchRow[]> {
  const count = publishers.length;
  const processes = await browserProcesses(browser);
  const renderers = processes.filter((p) => p.type === 'renderer').map((p) => p.id);
  const all = processes.map((p) => p.id);
  const before = await page.evaluate(() => window.bench.inboundVideo('viewer'));
  const encodedBefore = await Promise.all(publishers.map((p) => p.framesEncoded()));
  const sentFrom = performance.now();
  const rendererCpu = measureCpu(renderers);
  const browserCpu = measureCpu(all);
  const serverCpu = measureCpu([serverPid]);
  const publishersCpu = measureCpu([process.pid]);
  await sleep(WINDOW_MS);
  const cpu = { renderer: rendererCpu.stop(), browser: browserCpu.stop(), server: serverCpu.stop(), publishers: publishersCpu.stop() };
  const after = await page.evaluate(() => window.bench.inboundVideo('viewer'));
  const encodedAfter = await Promise.all(publishers.map((p) => p.framesEncoded()));
  const sentSeconds = (performance.now() - sentFrom) / 1000;
  const sentFps = encodedAfter.map((frames, i) => (frames - encodedBefore[i]!) / sentSeconds);
  const heapMiB = await page.evaluate(() => ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0) / 2 ** 20);
  const rendererRss = renderers.reduce((sum, pid) => sum + rssMiB(pid), 0);
  const browserRss = all.reduce((sum, pid) => sum + rssMiB(pid), 0);

  const fps: number[] = [];
  const decodeMs: number[] = [];
  let dropped = 0;
  for (const end of after) {
    const start = before.find((s) => s.streamId === end.streamId);
    if (!start) continue;
    const frames = end.framesDecoded - start.framesDecoded;
    fps.push((frames * 1000) / (end.at - start.at));
    if (frames > 0) decodeMs.push(((end.totalDecodeTime - start.totalDecodeTime) * 1000) / frames);
    dropped += end.framesDropped - start.framesDropped;
  }
  const label = `${count} streams`;
  return [
    { metric: `${label}: encoded fps per publisher`, unit: 'fps', summary: summarize(sentFps), note: `${VIDEO.fps} fps captured` },
    { metric: `${label}: decoded fps per stream`, unit: 'fps', summary: summarize(fps), target: '= encoded' },
    { metric: `${label}: decode time per frame`, unit: 'ms', summary: summarize(decodeMs) },
    { metric: `${label}: frames dropped (all streams)`, unit: 'frames', value: dropped },
    { metric: `${label}: renderer CPU`, unit: '% of a core', value: cpu.renderer },
    { metric: `${label}: all Chromium processes CPU`, unit: '% of a core', value: cpu.browser },
    { metric: `${label}: renderer RSS`, unit: 'MiB', value: rendererRss },
    { metric: `${label}: all Chromium processes RSS`, unit: 'MiB', value: browserRss },
    { metric: `${label}: JS heap used`, unit: 'MiB', value: heapMiB },
    { metric: `${label}: server CPU (SFU)`, unit: '% of a core', value: cpu.server },
    { metric: `${label}: Node publishers CPU (encoders)`, unit: '% of a core', value: cpu.publishers },
  ];
}

/** One grid mode on a fresh conference: the tab and 8 publishers join, settle, are measured for WINDOW_MS, and leave. */
async function measureGrid(
  library: Awaited<ReturnType<typeof loadLibrary>>,
  server: ServerProcess,
  browser: Browser,
  pages: BenchPages,
  mode: (typeof GRID_MODES)[number],
): Promise<BenchRow[]> {
  const conferenceId = `bench-grid-${Date.now()}`;
  const page = await openBenchPage(browser, pages);
  await page.evaluate(([url, tile]) => window.bench.create('grid', url, 'viewer', true, tile), [server.url, { ...GRID_TILE, adaptiveStream: mode.adaptive }] as const);
  await page.evaluate(([id]) => window.bench.join('grid', id!), [conferenceId]);
  const publishers: NodePublisher[] = [];
  for (let i = 0; i < GRID_PUBLISHERS; i++) {
    const publisher = new NodePublisher(library, server.url, `grid-${i}`, GRID_VIDEO, {
      simulcast: mode.simulcast,
      dynacast: mode.adaptive,
      // 24 layers arriving at once keep a loaded 2-core machine's server busy for seconds.
      requestTimeoutMs: 30_000,
    });
    publishers.push(publisher);
    await publisher.joinAndPublish(conferenceId);
  }
  process.stdout.write(`grid (${mode.label}): ${GRID_PUBLISHERS} publishing\n`);
  await page.evaluate(([n]) => window.bench.waitForStreams('grid', n!, 30_000), [GRID_PUBLISHERS]);
  await sleep(GRID_SETTLE_MS);

  const before = await page.evaluate(() => window.bench.inboundVideo('grid'));
  const sentBefore = await Promise.all(publishers.map((p) => p.videoBytesSent()));
  const from = performance.now();
  const serverCpu = measureCpu([server.pid]);
  const publisherCpu = measureCpu([process.pid]);
  await sleep(WINDOW_MS);
  const cpu = serverCpu.stop();
  const after = await page.evaluate(() => window.bench.inboundVideo('grid'));
  const sentAfter = await Promise.all(publishers.map((p) => p.videoBytesSent()));
  const seconds = (performance.now() - from) / 1000;
  const publishersCpu = publisherCpu.stop();

  const receivedKbps: number[] = [];
  for (const end of after) {
    const start = before.find((s) => s.streamId === end.streamId);
    if (start) receivedKbps.push(((end.bytesReceived - start.bytesReceived) * 8) / (end.at - start.at));
  }
  const kbpsByRid: Record<string, number[]> = {};
  sentAfter.forEach((bytes, i) => {
    for (const [rid, sent] of Object.entries(bytes)) (kbpsByRid[rid] ??= []).push(((sent - (sentBefore[i]![rid] ?? 0)) * 8) / seconds / 1000);
  });
  const uploadKbps = sentAfter.map((_, i) => Object.values(kbpsByRid).reduce((sum, kbps) => sum + (kbps[i] ?? 0), 0));
  const byLayer = Object.entries(kbpsByRid)
    .map(([rid, kbps]) => `${rid} ${Math.round(kbps.reduce((a, b) => a + b, 0) / kbps.length)}`)
    .sort()
    .join(', ');
  const total = receivedKbps.reduce((sum, kbps) => sum + kbps, 0);
  const layers = await page.evaluate(() => window.bench.videoLayers('grid'));
  const forwarded = layers.map(({ layer }) => (layer as { rid?: string | null } | undefined)?.rid ?? '-').sort().join(' ');
  const asked = JSON.stringify(layers[0]?.preference);
  await page.evaluate(() => window.bench.leaveAll());
  await page.close();
  await Promise.all(publishers.map((p) => p.close()));

  const label = `grid (${mode.label})`;
  return [
    { metric: `${label}: received by the viewer`, unit: 'kbps', value: total, note: `${GRID_PUBLISHERS} tiles of ${GRID_TILE.width}×${GRID_TILE.height}` },
    { metric: `${label}: received per tile`, unit: 'kbps', summary: summarize(receivedKbps) },
    { metric: `${label}: decoded tile height`, unit: 'px', summary: summarize(after.map((s) => s.frameHeight)), note: `layers ${forwarded}; asked ${asked}` },
    { metric: `${label}: upload per publisher`, unit: 'kbps', summary: summarize(uploadKbps), note: `${GRID_VIDEO.width}×${GRID_VIDEO.height} at ${GRID_VIDEO.fps} fps; mean kbps by layer: ${byLayer}` },
    { metric: `${label}: server CPU`, unit: '% of a core', value: cpu },
    { metric: `${label}: server CPU per forwarded stream`, unit: '% of a core', value: cpu / GRID_PUBLISHERS, note: 'ingest of every layer included' },
    { metric: `${label}: Node publishers CPU (encoders)`, unit: '% of a core', value: publishersCpu },
  ];
}

runBenchmark('crowded-room', 360_000, async () => {
  const library = await loadLibrary();
  const server = await startServerProcess();
  const pages = await serveBenchPage();
  const browser = await launchChromium();
  const conferenceId = `bench-crowd-${Date.now()}`;

  const page = await openBenchPage(browser, pages);
  await page.evaluate(([url]) => window.bench.create('viewer', url!, 'viewer'), [server.url]);
  await page.evaluate(([id]) => window.bench.join('viewer', id!), [conferenceId]);

  const rows: BenchRow[] = [];
  const publishers: NodePublisher[] = [];
  for (const size of process.argv.includes('--grid') ? [] : SIZES) {
    while (publishers.length < size) {
      const publisher = new NodePublisher(library, server.url, `publisher-${publishers.length}`, VIDEO);
      publishers.push(publisher);
      await publisher.joinAndPublish(conferenceId);
    }
    await page.evaluate(([n]) => window.bench.waitForStreams('viewer', n!, 30_000), [size]);
    // Let bandwidth estimation and the jitter buffers settle before measuring.
    await sleep(3_000);
    rows.push(...(await measureWindow(browser, page, publishers, server.pid)));
  }
  await page.evaluate(() => window.bench.leaveAll());
  await page.close();
  await Promise.all(publishers.splice(0).map((p) => p.close()));
  for (const mode of GRID_MODES) rows.push(...(await measureGrid(library, server, browser, pages, mode)));
  report('crowded-room', rows, {
    ...runConditions(),
    video: VIDEO, windowMs: WINDOW_MS, grid: { publishers: GRID_PUBLISHERS, video: GRID_VIDEO, tile: GRID_TILE, settleMs: GRID_SETTLE_MS }, publishers: 'Node @roamhq/wrtc through the library Room, in the benchmark process' });
});
