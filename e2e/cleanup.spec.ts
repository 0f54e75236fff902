import { expect, test } from './support/test.js';

test('after leave() the page holds no live RTCPeerConnection and no live track', async ({ call }) => {
  const [alice, bob] = await call.join('Alice', 'Bob');
  // The library captures (small: false), so every local track is the library's to stop.
  await alice.publish('MIC_AND_CAM', { small: false });
  await alice.publish('SCREEN', { small: false });
  await bob.publish('MIC_AND_CAM');
  await alice.expectMediaFlowing({ video: 1, audio: 1 });
  await bob.expectMediaFlowing({ video: 2, audio: 1 });

  const before = await alice.census();
  // Two publishers and one viewer; camera, microphone, screen, and the two received tracks.
  expect(before).toEqual({ peerConnectionsCreated: 3, livePeerConnections: 3, liveTracks: 5 });

  await alice.leave();

  expect(await alice.census()).toEqual({ peerConnectionsCreated: 3, livePeerConnections: 0, liveTracks: 0 });
  expect(await alice.page.evaluate(() => window.harness.room!.state)).toBe('left');
  await expect.poll(() => bob.remoteStreamIds()).toEqual([]);
});
