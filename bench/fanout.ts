/**
 * Benchmark 7: SFU fan-out. One publisher (libwebrtc, synthetic 640x480 camera + tone, MIC_AND_CAM)
 * is viewed by N viewers (werift, counting packets and frames), N = 1, 4, 16, 32 and on while every
 * viewer still gets the publisher's frame rate. The server runs in its own process; the clients run
 * in this one. Per N: forwarded packets/s, server CPU (total and per forwarded stream), memory,
 * event-loop delay, viewer frame rates and loss.
 *
 * Run inside a loopback-only namespace: `unshare -n sh -c 'ip link set lo up && npx tsx bench/fanout.ts'`.
 * BENCH_FANOUT_WINDOW_S (default 8) sets the measured window per N, BENCH_FANOUT_MAX (default 64) the
 * largest N tried after 32, BENCH_FANOUT_BITRATE (default 800000) the publisher's video cap,
 * BENCH_FANOUT_STEPS (default 1,4,16,32) the fan-outs always measured.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CountingViewer } from './fanout/CountingViewer.js';
import type { ViewerCounts } from './fanout/CountingViewer.js';
import type { ServerChildStats } from './fanout/serverChild.js';
import { SyntheticCamera } from './fanout/SyntheticCamera.js';
import type { BenchRow } from './lib/report.js';
import { report } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { onCleanup, runBenchmark, sleep } from './support/cleanup.js';
import { measureCpu } from './support/procStats.js';

const WINDOW_S = Number(process.env.BENCH_FANOUT_WINDOW_S ?? 8);
const MAX_N = Number(process.env.BENCH_FANOUT_MAX ?? 64);
/** The publisher's cap (REMB); the noisy picture makes the encoder use all of it, like a real camera would. */
const VIDEO_BITRATE = Number(process.env.BENCH_FANOUT_BITRATE ?? 800_000);
const REQUIRED_STEPS = (process.env.BENCH_FANOUT_STEPS ?? '1,4,16,32').split(',').map(Number);
const EXTRA_STEPS = [48, 64, 96, 128].filter((n) => n <= MAX_N);
/** A viewer keeps up when it gets at least this share of the publisher's frames and loses under 1% of packets. */
const FRAME_RATE_SHARE = 0.95;
const MAX_LOSS = 0.01;
/**
 * The publisher encodes on the same two cores: when it falls below this share of its own rate with
 * no viewer, the clients, not the server, are what is measured, and the step does not count.
 */
const PUBLISHER_RATE_SHARE = 0.8;

/** The server child process and a request/answer channel to it. */
class ServerChild {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<ServerChild> {
    const entry = fileURLToPath(new URL('./fanout/serverChild.ts', import.meta.url));
    // BENCH_FANOUT_PROFILE=<dir> writes a V8 CPU profile of the server there (open it in Chrome DevTools).
    const profile = process.env.BENCH_FANOUT_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_FANOUT_PROFILE] : [];
    const child = fork(entry, [], { execArgv: [...profile, '--import', 'tsx'], env: { ...process.env, RTC_LOOPBACK: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    onCleanup('fan-out server', () => {
      if (child.connected) child.disconnect();
      return new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (m: { type: string; url: string }) => resolve(m.url));
      child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
    });
    return new ServerChild(child, url);
  }

  stats(): Promise<ServerChildStats> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string; stats: ServerChildStats }) => {
        if (m.type !== 'stats') return;
        this.child.off('message', onMessage);
        resolve(m.stats);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'stats' });
    });
  }
}

/** The REST calls the benchmark makes, as one demo user. */
class Api {
  private constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static async login(baseUrl: string, userId: string): Promise<Api> {
    const response = await fetch(`${baseUrl}/security/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa('demo:demo')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', user_id: userId }),
    });
    return new Api(baseUrl, ((await response.json()) as { access_token: string }).access_token);
  }

  /**
   * Long-polls the conference's events until `signal` aborts, as every real client does: an endpoint
   * whose user stops polling is a ghost to the server and is removed after a minute.
   */
  async pollEvents(conferenceId: string, signal: AbortSignal): Promise<void> {
    let v = 0;
    while (!signal.aborted) {
      const response = await fetch(`${this.baseUrl}/rtc-api/conferences/${conferenceId}/events?v=${v}`, { headers: { authorization: `Bearer ${this.token}` }, signal }).catch(() => undefined);
      if (!response?.ok) {
        await sleep(500);
        continue;
      }
      const events = (await response.json()) as Array<{ conferenceVersion: number }>;
      for (const event of events) v = Math.max(v, event.conferenceVersion + 1);
    }
  }

  async call<T = unknown>(operation: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/rtc-api/conferences/${operation}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${operation}: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }
}

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** One measured window at one fan-out. */
interface StepResult {
  viewers: number;
  publisherFps: number;
  publisherPacketsPerS: number;
  publisherKbps: number;
  viewerFps: number[];
  lossRatio: number;
  forwardedPacketsPerS: number;
  serverForwardedPacketsPerS: number;
  serverCpu: number;
  clientCpu: number;
  serverRssMiB: number;
  serverHeapMiB: number;
  loopDelayP99: number;
  loopDelayMax: number;
  keptUp: boolean;
}

async function main(): Promise<void> {
  const server = await ServerChild.start();
  const api = await Api.login(server.url, 'fanout');
  const { id: conferenceId } = await api.call<{ id: string }>('create', {});
  await api.call('join', { conferenceId, userEndpointId: 'publisher' });
  await api.call('join', { conferenceId, userEndpointId: 'audience' });
  const polling = new AbortController();
  onCleanup('event poll', () => polling.abort());
  void api.pollEvents(conferenceId, polling.signal);

  const camera = new SyntheticCamera();
  onCleanup('camera', () => camera.close());
  const published = await api.call<{ sdpAnswer: string; streamId: { id: string } }>('publishStream', {
    conferenceId,
    userEndpointId: 'publisher',
    conferenceStreamType: 'MIC_AND_CAM',
    videoBitrate: VIDEO_BITRATE,
    sdpOffer: await camera.offer(),
  });
  await camera.accept(published.sdpAnswer);
  await waitUntil(() => camera.pc.connectionState === 'connected', 'publisher connected', 10_000);
  await sleep(3_000); // let the encoder settle at its bitrate

  // Each source is read with its own clock: under load a getStats() or an IPC answer can take a
  // second, and rates computed over one shared window would be skewed by that.
  const measure = async (viewers: CountingViewer[], publisherAloneFps = 0): Promise<StepResult> => {
    const before = { server: await server.stats(), publisher: await camera.snapshot(), client: process.cpuUsage() };
    const serverCpu = measureCpu([server.child.pid!]);
    const viewersBefore = viewers.map((v) => v.snapshot());
    const started = performance.now();
    await sleep(WINDOW_S * 1_000);
    const viewersAfter = viewers.map((v) => v.snapshot());
    const seconds = (performance.now() - started) / 1_000;
    const cpu = serverCpu.stop();
    const client = process.cpuUsage(before.client);
    const after = { publisher: await camera.snapshot(), server: await server.stats() };
    const publisherSeconds = (after.publisher.at - before.publisher.at) / 1_000;
    const serverSeconds = (after.server.at - before.server.at) / 1_000;
    const delta = (a: ViewerCounts, b: ViewerCounts) => ({ packets: b.packets - a.packets, frames: b.videoFrames - a.videoFrames, lost: b.lostPackets - a.lostPackets });
    const perViewer = viewers.map((_, i) => delta(viewersBefore[i]!, viewersAfter[i]!));
    const publisherFps = (after.publisher.framesEncoded - before.publisher.framesEncoded) / publisherSeconds;
    const viewerFps = perViewer.map((d) => d.frames / seconds);
    const received = perViewer.reduce((sum, d) => sum + d.packets, 0);
    const lost = perViewer.reduce((sum, d) => sum + d.lost, 0);
    // Retransmissions may fill holes counted before the window: never report a negative loss.
    const lossRatio = received + lost <= 0 ? 0 : Math.max(0, lost) / (received + Math.max(0, lost));
    return {
      viewers: viewers.length,
      publisherFps,
      publisherPacketsPerS: (after.publisher.videoPackets + after.publisher.audioPackets - before.publisher.videoPackets - before.publisher.audioPackets) / publisherSeconds,
      publisherKbps: ((after.publisher.videoBytes - before.publisher.videoBytes) * 8) / publisherSeconds / 1_000,
      viewerFps,
      lossRatio,
      forwardedPacketsPerS: received / seconds,
      serverForwardedPacketsPerS: (after.server.packetsForwarded - before.server.packetsForwarded) / serverSeconds,
      serverCpu: cpu,
      clientCpu: ((client.user + client.system) / 1_000 / (seconds * 1_000)) * 100,
      serverRssMiB: after.server.rssMiB,
      serverHeapMiB: after.server.heapUsedMiB,
      loopDelayP99: after.server.loopDelay.p99,
      loopDelayMax: after.server.loopDelay.max,
      keptUp:
        viewers.length === 0 ||
        (Math.min(...viewerFps) >= FRAME_RATE_SHARE * publisherFps && lossRatio < MAX_LOSS && publisherFps >= PUBLISHER_RATE_SHARE * publisherAloneFps),
    };
  };

  const describeStep = (r: StepResult) =>
    `N=${r.viewers}: publisher ${r.publisherFps.toFixed(1)} fps ${r.publisherKbps.toFixed(0)} kbps ${r.publisherPacketsPerS.toFixed(0)} pkt/s | ` +
    `viewers min ${r.viewerFps.length ? Math.min(...r.viewerFps).toFixed(1) : '-'} fps, loss ${(100 * r.lossRatio).toFixed(2)}% | ` +
    `forwarded ${r.forwardedPacketsPerS.toFixed(0)} pkt/s (server counted ${r.serverForwardedPacketsPerS.toFixed(0)}) | server CPU ${r.serverCpu.toFixed(1)}%, ` +
    `RSS ${r.serverRssMiB.toFixed(0)} MiB, loop p99 ${r.loopDelayP99.toFixed(1)} ms | clients CPU ${r.clientCpu.toFixed(1)}% | ${r.keptUp ? 'kept up' : 'FELL BEHIND'}`;

  console.log(`load average before: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const baseline = await measure([]);
  console.log(describeStep(baseline));
  const results: StepResult[] = [];
  let audienceSize = 0;
  let retriedViewers = 0;
  for (const n of [...REQUIRED_STEPS, ...EXTRA_STEPS]) {
    const required = REQUIRED_STEPS.includes(n);
    if (!required && !results.at(-1)?.keptUp) break;
    const viewers: CountingViewer[] = [];
    const viewerIds: string[] = [];
    const connect = async (slot: number) => {
      const viewer = new CountingViewer();
      const viewerId = `viewer-${++audienceSize}`;
      viewers[slot] = viewer;
      viewerIds[slot] = viewerId;
      const { sdpAnswer } = await api.call<{ sdpAnswer: string }>('viewStream', { conferenceId, userEndpointId: 'audience', streamId: published.streamId, viewerId, sdpOffer: await viewer.offer() });
      await viewer.accept(sdpAnswer);
    };
    // Batches of 4, each receiving before the next starts: a storm of simultaneous DTLS handshakes
    // on a loaded machine loses handshake packets, and the steady state is what is measured here.
    // werift's DTLS server (our viewers) ignores a retransmitted final client flight once it thinks it
    // is connected, so a lost flight 6 leaves the server's side handshaking until it fails (~27 s):
    // a viewer connected for 3 s without a packet is replaced.
    for (let i = 0; i < n; i += 4) {
      const batch = Array.from({ length: Math.min(4, n - i) }, (_, k) => i + k);
      await Promise.all(batch.map(connect));
      const deadline = Date.now() + 45_000;
      const connectedAt = new Map<string, number>();
      while (!batch.every((slot) => viewers[slot]!.snapshot().videoFrames >= 10)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for viewers ${i + 1}-${i + batch.length} of ${n}: ${JSON.stringify((await server.stats()).viewers)}`);
        const failed = new Set((await server.stats()).viewers.filter(([, state]) => state === 'failed').map(([id]) => id));
        for (const slot of batch) {
          const viewerId = viewerIds[slot]!;
          const viewer = viewers[slot]!;
          if (viewer.pc.connectionState === 'connected' && !connectedAt.has(viewerId)) connectedAt.set(viewerId, Date.now());
          const stuck = viewer.snapshot().packets === 0 && Date.now() - (connectedAt.get(viewerId) ?? Date.now()) > 3_000;
          if (!failed.has(viewerId) && !stuck) continue;
          retriedViewers++;
          await api.call('stopViewStream', { conferenceId, userEndpointId: 'audience', streamId: published.streamId, viewerId });
          await viewers[slot]!.close();
          await connect(slot);
        }
        await sleep(200);
      }
    }
    await sleep(2_000);
    const result = await measure(viewers, baseline.publisherFps);
    results.push(result);
    console.log(describeStep(result));
    for (const viewerId of viewerIds) await api.call('stopViewStream', { conferenceId, userEndpointId: 'audience', streamId: published.streamId, viewerId });
    await Promise.all(viewers.map((v) => v.close()));
    await waitUntil(async () => (await server.stats()).counters.viewers === 0, 'viewers released', 10_000);
  }

  const largest = results.filter((r) => r.keptUp).reduce((max, r) => Math.max(max, r.viewers), 0);
  const rows: BenchRow[] = [{ metric: 'publisher alone: server CPU', unit: '% of one core', value: baseline.serverCpu }];
  for (const r of results) {
    const perStream = (r.serverCpu - baseline.serverCpu) / r.viewers;
    rows.push(
      { metric: `N=${r.viewers} viewer frame rate`, unit: 'fps', summary: summarize(r.viewerFps), note: `publisher ${r.publisherFps.toFixed(1)} fps` },
      { metric: `N=${r.viewers} forwarded packets`, unit: 'packets/s', value: r.forwardedPacketsPerS },
      { metric: `N=${r.viewers} server CPU`, unit: '% of one core', value: r.serverCpu },
      { metric: `N=${r.viewers} server CPU per forwarded stream`, unit: '% of one core', value: perStream },
      { metric: `N=${r.viewers} server RSS`, unit: 'MiB', value: r.serverRssMiB },
      { metric: `N=${r.viewers} server event-loop delay p99`, unit: 'ms', value: r.loopDelayP99 },
      { metric: `N=${r.viewers} packet loss at viewers`, unit: '%', value: 100 * r.lossRatio },
    );
  }
  // The cost of one forwarded packet is the slope of server CPU over forwarded packets/s (least
  // squares over the publisher-alone point and every step): less noisy than any single step, and
  // less sensitive to what else runs on the machine than the frame-rate criterion.
  const points = [baseline, ...results].map((r) => [r.serverForwardedPacketsPerS, r.serverCpu] as const);
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const slope = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0) / points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  rows.push(
    { metric: 'server CPU per forwarded packet', unit: 'µs', value: slope * 10_000, note: 'slope of server CPU over forwarded packets/s' },
    { metric: 'forwarded packets/s one server core would sustain', unit: 'packets/s', value: Math.round(100 / slope) },
    {
      metric: 'largest N with every viewer at the publisher frame rate',
      unit: 'viewers',
      value: largest,
      note: `tried up to ${results.at(-1)?.viewers ?? 0}; a step counts only while the publisher keeps ${100 * PUBLISHER_RATE_SHARE}% of its rate`,
    },
  );
  rows.push({ metric: 'viewers reconnected after a failed DTLS handshake', unit: 'viewers', value: retriedViewers });
  // The machine is shared: the load average says how much else competed for its cores meanwhile.
  rows.push({ metric: 'machine load average (1 min) at the end', unit: 'runnable tasks', value: os.loadavg()[0]! });
  report('fanout', rows, { windowSeconds: WINDOW_S, videoBitrate: VIDEO_BITRATE, baseline, steps: results });
}

runBenchmark('fanout', 5 * 60_000, main);
