import { expect, test } from './support/test.js';

test.describe('publishing', () => {
  test('publish, unpublish, republish', async ({ call }) => {
    const [alice, bob] = await call.join('Alice', 'Bob');

    const first = await alice.publish('MIC_AND_CAM');
    await bob.expectMediaFlowing({ video: 1, audio: 1 });
    expect(await bob.remoteStreamIds()).toEqual([first]);

    await alice.unpublish(first);
    await expect.poll(() => bob.remoteStreamIds()).toEqual([]);
    await expect.poll(() => bob.page.evaluate(() => window.harness.room!.remoteStreams.length)).toBe(0);
    expect(await alice.census()).toMatchObject({ livePeerConnections: 0 });

    const second = await alice.publish('MIC_AND_CAM');
    expect(second).not.toBe(first);
    await bob.expectMediaFlowing({ video: 1, audio: 1 });
    expect(await bob.remoteStreamIds()).toEqual([second]);
  });

  test('a screen share is its own tile and disappears when sharing stops', async ({ call }) => {
    const [alice, bob] = await call.join('Alice', 'Bob');
    const camera = await alice.publish('CAM');
    const screen = await alice.publish('SCREEN');

    await bob.expectMediaFlowing({ video: 2, audio: 0 });
    const types = await bob.page.locator('video[data-remote="true"]').evaluateAll((videos) =>
      videos.map((video) => `${(video as HTMLVideoElement).dataset.streamId}:${(video as HTMLVideoElement).dataset.type}`).sort(),
    );
    expect(types).toEqual([`${camera}:CAM`, `${screen}:SCREEN`].sort());

    // The browser's "Stop sharing" button ends the track; the library unpublishes on its own.
    await alice.page.evaluate((id) => window.harness.stopSharingFromBrowser(id), screen);
    await expect.poll(() => bob.remoteStreamIds()).toEqual([camera]);
    await expect
      .poll(async () => (await alice.events()).filter((event) => event.name === 'localStreamRemoved').map((event) => event.detail))
      .toEqual([{ streamId: screen, type: 'SCREEN' }]);
    expect(await alice.page.evaluate(() => window.harness.room!.localStreams.map((local) => local.type))).toEqual(['CAM']);
    await bob.expectMediaFlowing({ video: 1, audio: 0 });
  });

  test('mute shows on the other side', async ({ call }) => {
    const [alice, bob] = await call.join('Alice', 'Bob');
    const stream = await alice.publish('MIC_AND_CAM');
    await bob.expectMediaFlowing({ video: 1, audio: 1 });

    const seenByBob = () =>
      bob.page.evaluate((id) => {
        const remote = window.harness.room!.remoteStreams.find((candidate) => candidate.streamId === id);
        const metadata = window.harness.room!.metadata;
        return {
          audioMuted: remote?.audioMuted,
          videoMuted: remote?.videoMuted,
          audioKey: metadata[`TRACK_MUTED/audio/${id}`],
          videoKey: metadata[`TRACK_MUTED/video/${id}`],
        };
      }, stream);

    await alice.setMuted(stream, 'audio', true);
    await expect.poll(seenByBob).toEqual({ audioMuted: true, videoMuted: false, audioKey: 'true', videoKey: undefined });

    await alice.setMuted(stream, 'video', true);
    await expect.poll(seenByBob).toEqual({ audioMuted: true, videoMuted: true, audioKey: 'true', videoKey: 'true' });

    await alice.setMuted(stream, 'audio', false);
    // Unmuting removes the key, as the cloud service's own clients do.
    await expect.poll(seenByBob).toEqual({ audioMuted: false, videoMuted: true, audioKey: undefined, videoKey: 'true' });

    const muteEvents = (await bob.events()).filter((event) => event.name === 'streamMuteChanged').map((event) => event.detail);
    expect(muteEvents).toEqual([
      { streamId: stream, kind: 'audio', muted: true },
      { streamId: stream, kind: 'video', muted: true },
      { streamId: stream, kind: 'audio', muted: false },
    ]);
    // A muted track is disabled, not removed: the connection and its packets keep flowing.
    await bob.expectMediaFlowing({ video: 1, audio: 1 });
  });
});
