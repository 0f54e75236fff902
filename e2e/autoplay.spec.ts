import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, resolveChromium } from '@confer/testing';
import { harnessUrl } from './support/Participant.js';
import { expect, test } from './support/test.js';

/**
 * `audioPlaybackBlocked` and `startAudio()` under an autoplay policy that wants a user gesture
 * (`--autoplay-policy=document-user-activation-required`), with a listener that never captures.
 */

/** Bob's page, before any Playwright call into it: view-only join, the remote microphone attached to an `<audio>`, a Start audio button. */
function joinAsListener({ conferenceId }: { conferenceId: string }): void {
  window.addEventListener('load', async () => {
    while (!window.harness) await new Promise((resolve) => setTimeout(resolve, 20));
    const room = window.harness.createRoom('bob');
    const audio = document.createElement('audio');
    audio.id = 'remote-audio';
    document.body.append(audio);
    room.on('audioPlaybackBlocked', (_stream, element) => {
      if (element === audio) console.log(`confer-e2e: blocked, user activation ${String(navigator.userActivation?.hasBeenActive)}`);
    });
    room.on('streamAdded', (remote) =>
      void remote.attach(audio).then(() => console.log(`confer-e2e: attached, paused ${audio.paused}, user activation ${String(navigator.userActivation?.hasBeenActive)}`)),
    );
    const button = document.createElement('button');
    button.id = 'start-audio';
    button.textContent = 'Start audio';
    button.onclick = () => room.startAudio().then(
      () => console.log('confer-e2e: started'),
      (error: Error) => console.log(`confer-e2e: start failed ${error.name}`),
    );
    document.body.append(button);
    await window.harness.join(conferenceId, { userId: 'bob', name: 'Bob', create: false }).catch((error: Error) => console.log(`confer-e2e: join failed ${error.message}`));
  });
}

// The first attempts (fixme until now) played because the page had sticky user activation before the
// attach: Playwright's page.evaluate runs with a user gesture (CDP userGesture), and so do the DOM
// snapshots of a trace recording, taken around every action. So tracing is off here, Bob's page joins by
// itself from an init script, and it reports through console messages until the block is seen; only then
// does the test call into the page.
test.use({ trace: 'off' });

test('startAudio() plays what the autoplay policy blocked, from a click', async ({ call }) => {
  const executablePath = resolveChromium();
  const strict = await chromium.launch({
    headless: true,
    args: [...CHROMIUM_ARGS.filter((arg) => !arg.startsWith('--autoplay-policy')), '--autoplay-policy=document-user-activation-required'],
    ...(executablePath ? { executablePath } : {}),
  });
  try {
    const [alice] = await call.join('Alice');
    await alice.publish('MIC');
    // A pure viewer: no camera or microphone permission, never a getUserMedia.
    const context = await strict.newContext();
    const page = await context.newPage();
    const said: string[] = [];
    page.on('console', (message) => {
      if (message.text().startsWith('confer-e2e: ')) said.push(message.text().slice('confer-e2e: '.length));
    });
    await page.addInitScript(joinAsListener, { conferenceId: call.conferenceId });
    await page.goto(harnessUrl());
    page.on('pageerror', (error) => said.push(`page error ${error.message}`));
    await expect.poll(() => said, { message: "Bob's <audio> is refused autoplay" }).toContain('blocked, user activation false');
    expect(await page.evaluate(() => [window.harness.room!.audioPlaybackBlocked, (document.getElementById('remote-audio') as HTMLAudioElement).paused])).toEqual([true, true]);

    await page.click('#start-audio');
    await expect.poll(() => said).toContain('started');
    expect(await page.evaluate(() => [window.harness.room!.audioPlaybackBlocked, (document.getElementById('remote-audio') as HTMLAudioElement).paused])).toEqual([false, false]);
    // Audio arrives and plays: the receiver's bytes grow, and the element's clock runs.
    const received = () =>
      page.evaluate(async () => {
        const report = await window.harness.room!.remoteStreams[0]!.getStats();
        const audio = [...(report?.values() ?? [])].find((s: { type: string; kind?: string }) => s.type === 'inbound-rtp' && s.kind === 'audio') as { bytesReceived?: number } | undefined;
        return { bytes: audio?.bytesReceived ?? 0, time: (document.getElementById('remote-audio') as HTMLAudioElement).currentTime };
      });
    const first = await received();
    await expect.poll(async () => { const now = await received(); return now.bytes > first.bytes && now.time > first.time; }).toBe(true);
    expect(said.filter((line) => line.startsWith('start failed'))).toEqual([]);
    await page.evaluate(() => window.harness.room!.leave());
    await context.close();
  } finally {
    await strict.close();
  }
});
