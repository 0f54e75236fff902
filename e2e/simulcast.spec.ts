import type { Page } from '@playwright/test';
import type { VideoPreference } from 'confer';
import type { Participant } from './support/Participant.js';
import { expect, test } from './support/test.js';

/** The figures of a remote stream's video `inbound-rtp` these tests read. */
interface VideoIn {
  frameHeight: number;
  framesDecoded: number;
  framesDropped: number;
  freezeCount: number;
  packetsReceived: number;
}

/** Publishes a 1280×720 camera at 15 fps (large enough for Chromium to send all three layers); returns its stream id. */
async function publishHdCamera(person: Participant): Promise<string> {
  return person.page.evaluate(async () => {
    const mediaStream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720, frameRate: 15 } });
    const local = await window.harness.room!.publish({ type: 'CAM', mediaStream });
    window.harness.localStreams.set(local.streamId, local);
    return local.streamId;
  });
}

/** The video inbound-rtp of `streamId` as `page` receives it (zeros before the first packet). */
async function videoIn(page: Page, streamId: string): Promise<VideoIn> {
  return page.evaluate(async (id) => {
    const remote = window.harness.room!.remoteStreams.find((stream) => stream.streamId === id);
    const report = await remote?.getStats();
    const stats = [...(report?.values() ?? [])].find((entry: { type: string; kind?: string }) => entry.type === 'inbound-rtp' && entry.kind === 'video') as
      | Partial<VideoIn>
      | undefined;
    return {
      frameHeight: stats?.frameHeight ?? 0,
      framesDecoded: stats?.framesDecoded ?? 0,
      framesDropped: stats?.framesDropped ?? 0,
      freezeCount: stats?.freezeCount ?? 0,
      packetsReceived: stats?.packetsReceived ?? 0,
    };
  }, streamId);
}

async function setPreference(page: Page, streamId: string, preference: Partial<VideoPreference> | null): Promise<void> {
  await page.evaluate(([id, p]) => window.harness.room!.remoteStreams.find((stream) => stream.streamId === id)!.setVideoPreference(p), [streamId, preference] as const);
}

/** Video packets `streamId` receives on `page` during `ms` (sampled in the page, so the test's own latency does not count). */
async function packetsDuring(page: Page, streamId: string, ms: number): Promise<number> {
  const before = await videoIn(page, streamId);
  await page.waitForTimeout(ms);
  return (await videoIn(page, streamId)).packetsReceived - before.packetsReceived;
}

/** The publisher's video outbound-rtp encodings by rid: whether each is active and how many bytes it sent. */
async function encodings(page: Page, streamId: string): Promise<Record<string, { active: boolean | undefined; bytesSent: number }>> {
  return page.evaluate(async (id) => {
    const report = await window.harness.localStreams.get(id)!.getStats();
    const out: Record<string, { active: boolean | undefined; bytesSent: number }> = {};
    for (const entry of report?.values() ?? []) {
      const stats = entry as { type: string; kind?: string; rid?: string; active?: boolean; bytesSent?: number };
      if (stats.type === 'outbound-rtp' && stats.kind === 'video') out[stats.rid ?? ''] = { active: stats.active, bytesSent: stats.bytesSent ?? 0 };
    }
    return out;
  }, streamId);
}

type Encodings = Awaited<ReturnType<typeof encodings>>;

/** The video upload between two readings, in kbps, all encodings together. */
function uploadKbps(from: Encodings, to: Encodings, ms: number): string {
  const bytes = Object.entries(to).reduce((sum, [rid, { bytesSent }]) => sum + bytesSent - (from[rid]?.bytesSent ?? 0), 0);
  return ((bytes * 8) / ms).toFixed(0);
}

test.describe('simulcast', () => {
  test('a viewer asking for 180 lines decodes the quarter layer, and full resolution within 2 s of asking for 720', async ({ call }) => {
    const [alice, bob] = await call.join('Alice', 'Bob');
    const camera = await publishHdCamera(alice);
    await expect.poll(async () => (await videoIn(bob.page, camera)).framesDecoded, { message: 'first frames' }).toBeGreaterThan(0);
    await expect.poll(async () => Object.keys(await encodings(alice.page, camera)).sort(), { message: 'three layers sent' }).toEqual(['f', 'h', 'q']);

    await setPreference(bob.page, camera, { maxHeight: 180 });
    await expect.poll(async () => (await videoIn(bob.page, camera)).frameHeight, { message: 'quarter layer decoded' }).toBeLessThanOrEqual(180);
    expect((await videoIn(bob.page, camera)).frameHeight).toBeGreaterThanOrEqual(160);
    await expect.poll(() => bob.page.evaluate((id) => window.harness.room!.remoteStreams.find((s) => s.streamId === id)?.videoLayer?.rid, camera)).toBe('q');

    const before = await videoIn(bob.page, camera);
    await setPreference(bob.page, camera, { maxHeight: 720 });
    // Timed in the page: from the preference to the first decoded full-resolution frame.
    const switchMs = await bob.page.evaluate(async (id) => {
      const remote = window.harness.room!.remoteStreams.find((stream) => stream.streamId === id)!;
      const started = performance.now();
      for (;;) {
        const report = await remote.getStats();
        const video = [...(report?.values() ?? [])].find((entry: { type: string; kind?: string }) => entry.type === 'inbound-rtp' && entry.kind === 'video') as { frameHeight?: number };
        if ((video?.frameHeight ?? 0) >= 720) return performance.now() - started;
        if (performance.now() - started > 10_000) return Infinity;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }, camera);
    test.info().annotations.push({ type: 'switch to 720 (ms)', description: switchMs.toFixed(0) });
    expect(switchMs).toBeLessThan(2000);
    // Let a few more frames through, then check the switch cost no burst of dropped frames and no freeze.
    await expect.poll(async () => (await videoIn(bob.page, camera)).framesDecoded).toBeGreaterThan(before.framesDecoded + 30);
    const after = await videoIn(bob.page, camera);
    expect(after.frameHeight).toBe(720);
    expect(after.framesDropped - before.framesDropped).toBeLessThanOrEqual(5);
    expect(after.freezeCount - before.freezeCount).toBe(0);
  });

  test('a paused remote stream stops receiving video packets, and gets them again when resumed', async ({ call }) => {
    const [alice, bob] = await call.join('Alice', 'Bob');
    const camera = await publishHdCamera(alice);
    await expect.poll(async () => (await videoIn(bob.page, camera)).framesDecoded).toBeGreaterThan(0);

    await setPreference(bob.page, camera, { paused: true });
    // Packets already on their way may still arrive: wait until a 1 s window is quiet.
    await expect.poll(() => packetsDuring(bob.page, camera, 1000), { message: 'video stops', intervals: [0] }).toBeLessThanOrEqual(2);
    await expect.poll(() => bob.page.evaluate((id) => window.harness.room!.remoteStreams.find((s) => s.streamId === id)?.videoLayer?.rid, camera)).toBeNull();

    const decoded = (await videoIn(bob.page, camera)).framesDecoded;
    await setPreference(bob.page, camera, { paused: false });
    await expect.poll(async () => (await videoIn(bob.page, camera)).framesDecoded, { message: 'video resumes' }).toBeGreaterThan(decoded + 10);
  });

  test('adaptive stream: a 320×180 tile gets the quarter layer, a hidden one no video', async ({ call }) => {
    const [alice, bob] = await call.join('Alice', 'Bob');
    const camera = await publishHdCamera(alice);
    await expect.poll(async () => (await videoIn(bob.page, camera)).frameHeight, { message: 'full layer without a preference' }).toBe(720);

    await bob.page.evaluate(async (id) => {
      const tile = document.createElement('video');
      tile.id = 'tile';
      tile.muted = true;
      tile.style.cssText = 'width: 320px; height: 180px; display: block';
      document.body.prepend(tile);
      await window.harness.room!.remoteStreams.find((stream) => stream.streamId === id)!.attach(tile);
    }, camera);
    await expect.poll(async () => (await videoIn(bob.page, camera)).frameHeight, { message: 'quarter layer for the tile' }).toBeLessThanOrEqual(180);
    expect(await bob.page.evaluate((id) => window.harness.room!.remoteStreams.find((s) => s.streamId === id)!.videoPreference, camera)).toEqual({
      maxWidth: 320,
      maxHeight: 180,
      paused: false,
    });

    await bob.page.evaluate(() => (document.getElementById('tile')!.style.display = 'none'));
    await expect.poll(() => packetsDuring(bob.page, camera, 1000), { message: 'a hidden tile receives no video', intervals: [0] }).toBeLessThanOrEqual(2);

    // An explicit preference wins over adaptive stream.
    await setPreference(bob.page, camera, { maxHeight: 720 });
    await expect.poll(async () => (await videoIn(bob.page, camera)).frameHeight, { message: 'explicit 720 despite the hidden tile' }).toBe(720);
  });

  test('dynacast: a publisher whose viewers all want the quarter layer stops encoding the others', async ({ call }) => {
    test.slow(); // three pages, one 720p encoder with three layers
    const [alice, bob, carol] = await call.join('Alice', 'Bob', 'Carol');
    const camera = await publishHdCamera(alice);
    for (const viewer of [bob, carol]) {
      await expect.poll(async () => (await videoIn(viewer.page, camera)).framesDecoded).toBeGreaterThan(0);
      await setPreference(viewer.page, camera, { maxHeight: 180 });
    }
    await expect
      .poll(async () => Object.entries(await encodings(alice.page, camera)).map(([rid, { active }]) => `${rid}:${String(active)}`).sort(), { message: 'h and f inactive' })
      .toEqual(['f:false', 'h:false', 'q:true']);
    // Until a 2 s window in which f sends nothing (an encoder switched off mid-frame may still flush).
    let window: { from: Encodings; to: Encodings } | undefined;
    await expect
      .poll(
        async () => {
          const from = await encodings(alice.page, camera);
          await alice.page.waitForTimeout(2000);
          window = { from, to: await encodings(alice.page, camera) };
          return window.to.f!.bytesSent - window.from.f!.bytesSent;
        },
        { message: 'f sends nothing', intervals: [0] },
      )
      .toBeLessThan(2000);
    expect(window!.to.q!.bytesSent).toBeGreaterThan(window!.from.q!.bytesSent);
    test.info().annotations.push({ type: 'upload, viewers want q (kbps)', description: uploadKbps(window!.from, window!.to, 2000) });

    await setPreference(carol.page, camera, { maxHeight: 720 });
    await expect.poll(async () => (await encodings(alice.page, camera)).f?.active, { message: 'f active again' }).toBe(true);
    await expect.poll(async () => (await videoIn(carol.page, camera)).frameHeight).toBe(720);
    const full = await encodings(alice.page, camera);
    await alice.page.waitForTimeout(2000);
    test.info().annotations.push({ type: 'upload, one viewer wants f (kbps)', description: uploadKbps(full, await encodings(alice.page, camera), 2000) });
  });

  test('a screen share sends one layer', async ({ call }) => {
    const [alice, bob] = await call.join('Alice', 'Bob');
    const screen = await alice.publish('SCREEN');
    await expect.poll(async () => (await videoIn(bob.page, screen)).framesDecoded).toBeGreaterThan(0);
    expect(Object.keys(await encodings(alice.page, screen))).toHaveLength(1);
  });
});
