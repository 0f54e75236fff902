import { expect, test } from './support/test.js';

test.describe('calls', () => {
  test('two participants see and hear each other', async ({ call }) => {
    const [alice, bob] = await call.join('Alice', 'Bob');
    await alice.publish('MIC_AND_CAM');
    await bob.publish('MIC_AND_CAM');

    await alice.expectMediaFlowing({ video: 1, audio: 1 });
    await bob.expectMediaFlowing({ video: 1, audio: 1 });
  });

  test('four participants each see three remote videos', async ({ call }) => {
    test.slow(); // 4 encoders and 12 decoders in one headless browser on 2 cores
    const people = await call.join('Alice', 'Bob', 'Carol', 'Dave');
    await Promise.all(people.map((person) => person.publish('CAM')));

    for (const person of people) await person.expectMediaFlowing({ video: 3, audio: 0 });
  });

  test('a late joiner sees everyone already publishing', async ({ call }) => {
    const early = await call.join('Alice', 'Bob');
    await Promise.all(early.map((person) => person.publish('MIC_AND_CAM')));
    await early[0].expectMediaFlowing({ video: 1, audio: 1 });

    const [carol] = await call.join('Carol');
    await carol.expectMediaFlowing({ video: 2, audio: 2 });
    expect(await carol.page.evaluate(() => window.harness.room!.participants.map((p) => p.metadata.name).sort())).toEqual(['Alice', 'Bob']);
  });

  test("a leaver's tiles go everywhere", async ({ call }) => {
    const [alice, bob, carol] = await call.join('Alice', 'Bob', 'Carol');
    const bobCam = await bob.publish('CAM');
    const bobScreen = await bob.publish('SCREEN');
    await alice.publish('CAM');
    for (const watcher of [alice, carol]) {
      await expect.poll(() => watcher.remoteStreamIds()).toEqual(expect.arrayContaining([bobCam, bobScreen]));
    }

    await bob.leave();

    for (const watcher of [alice, carol]) {
      await expect.poll(() => watcher.remoteStreamIds()).not.toContain(bobCam);
      await expect.poll(() => watcher.remoteStreamIds()).not.toContain(bobScreen);
      await expect
        .poll(() => watcher.page.evaluate(() => window.harness.room!.participants.map((p) => p.userId)))
        .not.toContain('bob');
    }
    await carol.expectMediaFlowing({ video: 1, audio: 0 });
  });
});
