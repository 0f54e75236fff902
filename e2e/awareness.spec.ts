import type { Page } from '@playwright/test';
import { expect, test } from './support/test.js';

/**
 * What every call UI needs from the library, in real Chromium: who speaks (a steady Web Audio
 * tone as the microphone), speech into a muted microphone, connection quality on loopback and device
 * changes (playback under a strict autoplay policy: e2e/autoplay.spec.ts). The pages are the harness;
 * listeners are bound through `page.evaluate`.
 */

declare global {
  interface Window {
    awareness: { speakers: { at: number; userIds: string[] }[]; boundAt: number };
  }
}

/** Waits until every remote stream of the page's room is connected. */
async function waitConnected(page: Page, count: number): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => window.harness.room!.remoteStreams.filter((s) => s.connectionState === 'connected').length))
    .toBe(count);
}

/** Records `activeSpeakersChanged` from now on (which starts the sampling). */
async function recordSpeakers(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.awareness = { speakers: [], boundAt: performance.now() };
    window.harness.room!.on('activeSpeakersChanged', (speakers) =>
      window.awareness.speakers.push({ at: performance.now() - window.awareness.boundAt, userIds: speakers.map((p) => p.userId ?? '') }),
    );
  });
}

// Chromium's fake microphone beeps one loud 20 ms packet between silences, which no sample-of-levels
// rule (LiveKit's 40th percentile over 500 ms) should call speech; the speaker here talks through a
// steady Web Audio tone instead, handed to publish() as the microphone.
test('two muted microphones and one that speaks: the speaking one is the only active speaker within 1 s', async ({ call }) => {
  const [alice, bob, carol] = await call.join('Alice', 'Bob', 'Carol');
  for (const p of [alice, bob]) {
    await p.page.evaluate(async () => {
      const local = await window.harness.room!.publish({ type: 'MIC' });
      await local.setMuted('audio', true);
    });
  }
  await carol.page.evaluate(async () => {
    const context = new AudioContext();
    const voice = context.createOscillator();
    const gain = context.createGain();
    gain.gain.value = 0.5;
    const microphone = context.createMediaStreamDestination();
    voice.connect(gain).connect(microphone);
    voice.start();
    (window as unknown as { voice: AudioContext }).voice = context;
    await window.harness.room!.publish({ type: 'MIC', mediaStream: microphone.stream });
  });
  for (const p of [alice, bob, carol]) await waitConnected(p.page, 2);
  await Promise.all([alice, bob, carol].map((p) => recordSpeakers(p.page)));

  for (const listener of [alice, bob]) {
    await expect.poll(() => listener.page.evaluate(() => window.harness.room!.activeSpeakers.map((p) => p.userId))).toEqual(['carol']);
    const history = await listener.page.evaluate(() => window.awareness.speakers);
    const first = history.find((entry) => entry.userIds.includes('carol'));
    expect(first?.userIds).toEqual(['carol']);
    // The 1 s target follows from the thresholds (500 ms windows); the bound here leaves room for a busy machine.
    expect(first!.at).toBeLessThan(3000);
    expect(history.every((entry) => entry.userIds.every((id) => id === 'carol'))).toBe(true);
  }
  // Carol hears two muted microphones; she is never in her own list.
  expect(await carol.page.evaluate(() => window.harness.room!.activeSpeakers.length)).toBe(0);
  // The remote level is readable per stream, the local one from the sender's media-source stats.
  expect(await alice.page.evaluate(() => window.harness.room!.participants.find((p) => p.userId === 'bob')!.audioLevel)).toBe(0);
  await expect.poll(() => carol.page.evaluate(() => window.harness.room!.localStreams[0]!.audioLevel), { intervals: [50] }).toBeGreaterThan(0);

  for (const p of [alice, bob, carol]) await p.leave();
  // The tone's track is Carol's own (the library stops only what it captured).
  await carol.page.evaluate(() => (window as unknown as { voice: AudioContext }).voice.close());
  for (const p of [alice, bob]) expect(await p.census()).toMatchObject({ livePeerConnections: 0, liveTracks: 0 });
  expect(await carol.census()).toMatchObject({ livePeerConnections: 0 });
});

test('a muted microphone that hears speech raises speakingWhileMuted until it is quiet or unmuted; the fake microphone’s beeps do not', async ({ call }) => {
  const [alice, bob] = await call.join('Alice', 'Bob');
  // Alice talks through a Web Audio tone whose gain the test turns up and down; Bob has Chromium's beeping fake microphone.
  await alice.page.evaluate(async () => {
    const context = new AudioContext();
    const voice = context.createOscillator();
    const gain = context.createGain();
    gain.gain.value = 0;
    const microphone = context.createMediaStreamDestination();
    voice.connect(gain).connect(microphone);
    voice.start();
    (window as unknown as { voice: { context: AudioContext; gain: GainNode } }).voice = { context, gain };
    await window.harness.room!.publish({ type: 'MIC', mediaStream: microphone.stream });
  });
  await bob.publish('MIC');
  for (const p of [alice, bob]) {
    await p.page.evaluate(async () => {
      const room = window.harness.room!;
      await room.localStreams[0]!.setMuted('audio', true);
      (window as unknown as { mutedSpeech: boolean[] }).mutedSpeech = [];
      room.on('speakingWhileMutedChanged', (_stream, speaking) => (window as unknown as { mutedSpeech: boolean[] }).mutedSpeech.push(speaking));
    });
  }
  const talk = (gain: number) => alice.page.evaluate((g) => void ((window as unknown as { voice: { gain: GainNode } }).voice.gain.gain.value = g), gain);
  const flag = (p: typeof alice) => p.page.evaluate(() => window.harness.room!.localStreams[0]!.speakingWhileMuted);
  const events = (p: typeof alice) => p.page.evaluate(() => (window as unknown as { mutedSpeech: boolean[] }).mutedSpeech);

  await talk(0.5);
  await expect.poll(() => flag(alice), { message: 'Alice speaks while muted' }).toBe(true);
  // What the others hear is still silence: the hint is local only.
  expect(await alice.page.evaluate(() => window.harness.room!.localStreams[0]!.audioLevel)).toBe(0);
  await talk(0);
  await expect.poll(() => flag(alice), { message: 'Alice is quiet again' }).toBe(false);
  await talk(0.5);
  await expect.poll(() => flag(alice)).toBe(true);
  await alice.page.evaluate(() => window.harness.room!.localStreams[0]!.setMuted('audio', false));
  await expect.poll(() => events(alice), { message: 'unmuting clears the hint' }).toEqual([true, false, true, false]);
  expect(await flag(alice)).toBe(false);
  // Bob's muted fake microphone was measured all along and never counted as speech.
  expect(await events(bob)).toEqual([]);

  for (const p of [alice, bob]) await p.leave();
  await alice.page.evaluate(() => (window as unknown as { voice: { context: AudioContext } }).voice.context.close());
  // The meter's clone of the microphone went with the room (the tone's own track stays Alice's).
  expect(await bob.census()).toMatchObject({ livePeerConnections: 0, liveTracks: 0 });
});

test('connection quality reads excellent on loopback, per participant and for our own streams', async ({ call }) => {
  const [alice, bob] = await call.join('Alice', 'Bob');
  await alice.publish('MIC_AND_CAM');
  await bob.publish('MIC_AND_CAM');
  await waitConnected(alice.page, 1);
  await alice.page.evaluate(() => {
    const room = window.harness.room!;
    const seen: string[] = [];
    (window as unknown as { qualities: string[] }).qualities = seen;
    room.on('connectionQualityChanged', (participant, quality) => seen.push(`${participant.userId}:${quality}`));
    room.on('localConnectionQualityChanged', (quality) => seen.push(`local:${quality}`));
    room.on('statsUpdated', () => undefined);
  });
  await expect.poll(() => alice.page.evaluate(() => window.harness.room!.participants[0]!.connectionQuality)).toBe('excellent');
  await expect.poll(() => alice.page.evaluate(() => window.harness.room!.localConnectionQuality)).toBe('excellent');
  const stats = await alice.page.evaluate(() => window.harness.room!.remoteStreams[0]!.stats);
  expect(stats!.bitrateIn).toBeGreaterThan(0);
  expect(stats!.width).toBeGreaterThan(0);
  expect(stats!.packetLoss).toBe(0);
  expect(await alice.page.evaluate(() => (window as unknown as { qualities: string[] }).qualities)).toContain('bob:excellent');
});

test('a devicechange in the page is reported with the new device list (confer/devices)', async ({ call }) => {
  const alice = await call.open('Alice');
  // Before join: watching is enough to be told.
  const microphones = await alice.page.evaluate(() => {
    window.harness.createRoom('alice');
    return window.harness.watchDevices('audioinput');
  });
  expect(microphones).toBeGreaterThan(0);
  await alice.page.evaluate(() => navigator.mediaDevices.dispatchEvent(new Event('devicechange')));
  await expect.poll(async () => (await alice.events()).filter((e) => e.name === 'devicesChanged')).toHaveLength(1);
  expect((await alice.events()).find((e) => e.name === 'devicesChanged')?.detail).toBeGreaterThan(0);
});
