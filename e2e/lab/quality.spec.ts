import type { Page } from '@playwright/test';
import type { ChromiumLabParticipant } from './LabParticipant.js';
import { expect, test } from './labTest.js';

/**
 * Connection quality under real packet loss: Alice's host drops 20 % of her packets each way
 * (nftables `numgen random`), and Bob and Carol, on clean hosts, see her `connectionQuality` leave
 * `excellent` within a few seconds and come back once the loss is lifted.
 */

declare global {
  interface Window {
    qualities: string[];
  }
}

/** Listens to `connectionQualityChanged` (which starts the sampling) and records `userId:quality`. */
async function recordQualities(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.qualities = [];
    window.harness.room!.on('connectionQualityChanged', (participant, quality) => window.qualities.push(`${participant.userId}:${quality}`));
  });
}

function qualityOf(page: Page, userId: string): Promise<string | undefined> {
  return page.evaluate((id) => window.harness.room!.participants.find((p) => p.userId === id)?.connectionQuality, userId);
}

test('20 % loss on one participant turns their quality from excellent to good or poor for the others, and back', async ({ call }) => {
  const alice = (await call.chromium('Alice')) as ChromiumLabParticipant;
  const bob = (await call.chromium('Bob')) as ChromiumLabParticipant;
  const carol = (await call.chromium('Carol')) as ChromiumLabParticipant;
  for (const p of [alice, bob, carol]) await p.join(call.conferenceId);
  await alice.publish('MIC_AND_CAM');
  const watchers = [bob, carol];
  for (const p of watchers) await p.expectMediaFlowing({ video: 1, audio: 1 });
  for (const p of watchers) await recordQualities(p.participant.page);
  for (const p of watchers) await expect.poll(() => qualityOf(p.participant.page, 'alice'), { message: `${p.name} sees Alice excellent` }).toBe('excellent');

  await alice.host.loss(20);
  const lossAt = Date.now();
  for (const p of watchers) {
    await expect
      .poll(() => qualityOf(p.participant.page, 'alice'), { message: `${p.name} sees Alice degrade under 20 % loss`, timeout: 10_000, intervals: [250] })
      .toMatch(/^(good|poor)$/);
  }
  const degradedAfterMs = Date.now() - lossAt;
  test.info().annotations.push({ type: 'degraded after', description: `${degradedAfterMs} ms` });
  // Two one-second samples (the worse of the last two counts) and the poll: "a few seconds".
  expect(degradedAfterMs).toBeLessThan(10_000);

  await alice.host.restore();
  const restoredAt = Date.now();
  for (const p of watchers) {
    await expect.poll(() => qualityOf(p.participant.page, 'alice'), { message: `${p.name} sees Alice excellent again`, timeout: 15_000, intervals: [250] }).toBe('excellent');
  }
  test.info().annotations.push({ type: 'excellent again after', description: `${Date.now() - restoredAt} ms` });
  for (const p of watchers) {
    const seen = await p.participant.page.evaluate(() => window.qualities.filter((entry) => entry.startsWith('alice:')));
    expect(seen.some((entry) => /^alice:(good|poor)$/.test(entry)), `${p.name}'s connectionQualityChanged events: ${seen.join(', ')}`).toBe(true);
    expect(seen.at(-1)).toBe('alice:excellent');
  }
});
