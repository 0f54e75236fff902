/**
 * Simulcast forwarding cost: one simulcast publisher (libwebrtc, synthetic 960×540 camera at 15 fps
 * and a tone, three VP8 layers q/h/f of 240×135, 480×270, 960×540) and N viewers (fan-out's
 * counting werift viewers, which read RTP headers without decrypting, so the clients stay cheap and
 * lose nothing; with `confer-layers` preferences), all asking for the same layer, then the next.
 * The router runs alone in a child process (this same file, `SIMULCAST_BENCH_CHILD=1`), so its CPU is the router's only. Per layer:
 * bit rate and packets per viewer, router CPU (% of one core) above the paused baseline (the same
 * viewers paused: ingest of the three layers, RTCP, data channels), per viewer and per forwarded packet.
 *
 * Run inside a loopback-only namespace: `unshare -n sh -c 'ip link set lo up && npx tsx bench/simulcast-forwarding.ts'`.
 * BENCH_SIMULCAST_VIEWERS (default 8) sets N, BENCH_SIMULCAST_WINDOW_S (default 10) the measured window.
 * The paused baseline is measured first and last (the machine's load drifts); the cost per packet is
 * the least-squares slope of router CPU over forwarded packets/s across the steps, which is
 * steadier than any one difference.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WeriftMediaRouter } from '../packages/server/src/media/WeriftMediaRouter.js';
import { CountingViewer } from './fanout/CountingViewer.js';
import { SyntheticCamera } from './fanout/SyntheticCamera.js';
import type { BenchRow } from './lib/report.js';
import { report } from './lib/report.js';
import { onCleanup, runBenchmark, runConditions, sleep } from './support/cleanup.js';

const VIEWERS = Number(process.env.BENCH_SIMULCAST_VIEWERS ?? 8);
const WINDOW_S = Number(process.env.BENCH_SIMULCAST_WINDOW_S ?? 10);
const PICTURE = { width: 960, height: 540, fps: 15 };
/** Each step asks every viewer for one layer by its height (null: paused). */
const STEPS: Array<{ name: string; maxHeight: number | null; rid: string | null }> = [
  { name: 'paused (baseline)', maxHeight: null, rid: null },
  { name: 'q 240×135', maxHeight: 135, rid: 'q' },
  { name: 'h 480×270', maxHeight: 270, rid: 'h' },
  { name: 'f 960×540', maxHeight: 540, rid: 'f' },
  { name: 'paused again', maxHeight: null, rid: null },
];

type ChildRequest = { id: number } & ({ type: 'publish'; sdp: string } | { type: 'view'; viewerId: string; sdp: string } | { type: 'cpu' } | { type: 'layers' });

/** The router child and a request/answer channel to it. */
class RouterChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message.result);
    });
  }

  static async start(): Promise<RouterChild> {
    const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, SIMULCAST_BENCH_CHILD: '1', RTC_LOOPBACK: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    onCleanup('router child', () => {
      if (child.connected) child.disconnect();
      return new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`router child exited with ${code}`)));
    });
    return new RouterChild(child);
  }

  request<T>(request: { type: ChildRequest['type'] } & Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ ...request, id });
    });
  }
}

/** One simulcast camera: SyntheticCamera's picture, sent as the library's three layers. */
class SimulcastCamera extends SyntheticCamera {
  constructor() {
    super(PICTURE.width, PICTURE.height, PICTURE.fps, [
      { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
      { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
      { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_700_000 },
    ]);
  }
}

async function main(): Promise<void> {
  const conditions = { start: runConditions() };
  const router = await RouterChild.start();
  const camera = new SimulcastCamera();
  onCleanup('camera', () => camera.close());
  await camera.accept(await router.request<string>({ type: 'publish', sdp: await camera.offer() }));
  const viewers: CountingViewer[] = [];
  for (let i = 0; i < VIEWERS; i++) {
    const viewer = new CountingViewer(true);
    onCleanup(`viewer ${i}`, () => viewer.close());
    await viewer.accept(await router.request<string>({ type: 'view', viewerId: `v${i}`, sdp: await viewer.offer() }));
    viewers.push(viewer);
  }
  const deadline = Date.now() + 30_000;
  while (viewers.some((v) => v.layers?.readyState !== 'open')) {
    if (Date.now() > deadline) throw new Error('the viewers\u2019 confer-layers channels did not open');
    await sleep(100);
  }

  const rows: BenchRow[] = [];
  const measured: Array<{ step: string; cpu: number; kbps: number; packetsPerS: number; onLayer: number }> = [];
  for (const step of STEPS) {
    for (const viewer of viewers) viewer.prefer(step.maxHeight);
    // A viewer whose client loses packets (these viewers decrypt in one JS process) is moved down by
    // its downlink estimate, as it should be: the step then counts how many are on the layer.
    const until = Date.now() + 15_000;
    while (!(await router.request<Array<string | null>>({ type: 'layers' })).every((rid) => rid === step.rid) && Date.now() < until) await sleep(200);
    await sleep(2_000);
    const before = { cpu: await router.request<{ cpuMs: number; at: number }>({ type: 'cpu' }), counts: viewers.map((v) => v.snapshot()) };
    await sleep(WINDOW_S * 1000);
    const after = await router.request<{ cpuMs: number; at: number }>({ type: 'cpu' });
    const onLayer = (await router.request<Array<string | null>>({ type: 'layers' })).filter((rid) => rid === step.rid).length;
    const seconds = (after.at - before.cpu.at) / 1000;
    const cpu = (100 * (after.cpuMs - before.cpu.cpuMs)) / (after.at - before.cpu.at);
    const packets = viewers.reduce((sum, v, i) => sum + v.snapshot().videoPackets - before.counts[i]!.videoPackets, 0);
    const bytes = viewers.reduce((sum, v, i) => sum + v.snapshot().videoBytes - before.counts[i]!.videoBytes, 0);
    measured.push({ step: step.name, cpu, kbps: (bytes * 8) / seconds / 1000 / VIEWERS, packetsPerS: packets / seconds / VIEWERS, onLayer });
  }
  const baselineCpu = (measured[0]!.cpu + measured.at(-1)!.cpu) / 2;
  // CPU (% core) = a + b × forwarded packets/s, fitted over every step; b × 10⁴ is µs per packet.
  const points = measured.map((m) => ({ x: m.packetsPerS * VIEWERS, y: m.cpu }));
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  const slope = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0) / points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  rows.push(
    { metric: 'router CPU, viewers paused (3 layers in, RTCP), first and last', unit: '% core', value: `${measured[0]!.cpu.toFixed(1)} / ${measured.at(-1)!.cpu.toFixed(1)}` },
    { metric: 'router CPU per forwarded packet (slope over the steps)', unit: 'µs', value: slope * 10_000 },
  );
  for (const m of measured.slice(1, -1)) {
    rows.push(
      { metric: `${m.step}: viewers on the layer at the end`, unit: 'viewers', value: `${m.onLayer} of ${VIEWERS}` },
      { metric: `${m.step}: received per viewer`, unit: 'kbps', value: m.kbps },
      { metric: `${m.step}: packets per viewer`, unit: 'pkt/s', value: m.packetsPerS },
      { metric: `${m.step}: router CPU, ${VIEWERS} viewers`, unit: '% core', value: m.cpu },
      { metric: `${m.step}: forwarding CPU per viewer, measured (above the baseline)`, unit: '% core', value: (m.cpu - baselineCpu) / VIEWERS },
      { metric: `${m.step}: forwarding CPU per viewer, from the slope`, unit: '% core', value: slope * m.packetsPerS },
    );
  }
  report('simulcast-forwarding', rows, { viewers: VIEWERS, windowS: WINDOW_S, picture: PICTURE, conditions: { ...conditions, end: runConditions() } });
}

// Started last, once every class above is defined.
if (process.env.SIMULCAST_BENCH_CHILD === '1') {
  // The router's process: answers the parent's requests over IPC, nothing else runs here.
  const router = new WeriftMediaRouter({ loopback: true }, { onEndpointHealth: () => undefined });
  const ref = { conferenceId: 'bench', streamId: 'camera' };
  process.on('message', (request: ChildRequest) => {
    const answer = async (): Promise<unknown> => {
      switch (request.type) {
        case 'publish':
          return (await router.publish({ ...ref, userEndpointId: 'publisher', streamType: 'MIC_AND_CAM', sdpOffer: request.sdp })).sdpAnswer;
        case 'view':
          return (await router.view({ ...ref, viewerId: request.viewerId, userEndpointId: request.viewerId, sdpOffer: request.sdp })).sdpAnswer;
        case 'cpu': {
          const { user, system } = process.cpuUsage();
          return { cpuMs: (user + system) / 1000, at: performance.now() };
        }
        case 'layers':
          return [...(router.publishedStream(ref)?.viewers.values() ?? [])].map((v) => v.videoLayer?.rid ?? null);
      }
    };
    answer().then(
      (result) => process.send!({ id: request.id, result }),
      (error: unknown) => process.send!({ id: request.id, error: String(error) }),
    );
  });
  process.on('disconnect', () => void router.close().finally(() => process.exit(0)));
  process.send!({ id: 0, result: 'ready' });
} else {
  runBenchmark('simulcast-forwarding', (STEPS.length * (WINDOW_S + 20) + 60) * 1000, main);
}
