import type { LabParticipant } from './LabParticipant.js';
import { expect, test, type LabCall } from './labTest.js';

/** Chris in Chromium and Fiona in Firefox join the call, in that order. */
async function chromeAndFox(call: LabCall): Promise<{ chrome: LabParticipant; fox: LabParticipant }> {
  const chrome = await call.chromium('Chris');
  const fox = await call.firefox('Fiona');
  await chrome.join(call.conferenceId);
  await fox.join(call.conferenceId);
  return { chrome, fox };
}

test.describe('Chromium and Firefox in the lab', () => {
  test("a call both ways: each decodes the other's video and receives their audio", async ({ call }) => {
    const { chrome, fox } = await chromeAndFox(call);
    await chrome.publish('MIC_AND_CAM');
    await fox.publish('MIC_AND_CAM');

    await chrome.expectMediaFlowing({ video: 1, audio: 1 });
    await fox.expectMediaFlowing({ video: 1, audio: 1 });
  });

  test("Firefox's screen share plays in Chromium", async ({ call }) => {
    const { chrome, fox } = await chromeAndFox(call);
    const screen = await fox.publish('SCREEN');

    await chrome.expectMediaFlowing({ video: 1, audio: 0 });
    const { videos } = await chrome.snapshot();
    expect(videos.map((video) => ({ streamId: video.streamId, type: video.type }))).toEqual([{ streamId: screen, type: 'SCREEN' }]);
  });

  test('a mute in Firefox shows in Chromium, and a mute in Chromium shows in Firefox', async ({ call }) => {
    const { chrome, fox } = await chromeAndFox(call);
    const chromeStream = await chrome.publish('MIC_AND_CAM');
    const foxStream = await fox.publish('MIC_AND_CAM');
    await chrome.expectMediaFlowing({ video: 1, audio: 1 });
    await fox.expectMediaFlowing({ video: 1, audio: 1 });

    await fox.setMuted(foxStream, 'video', true);
    await expect
      .poll(async () => (await chrome.events()).filter((e) => e.name === 'streamMuteChanged').map((e) => e.detail))
      .toContainEqual({ streamId: foxStream, kind: 'video', muted: true });

    await chrome.setMuted(chromeStream, 'audio', true);
    await expect
      .poll(async () => (await fox.events()).filter((e) => e.name === 'streamMuteChanged').map((e) => e.detail))
      .toContainEqual({ streamId: chromeStream, kind: 'audio', muted: true });
  });

  test('after leave() the Firefox page holds no live RTCPeerConnection and no live track', async ({ call }) => {
    const { chrome, fox } = await chromeAndFox(call);
    await chrome.publish('MIC_AND_CAM');
    await fox.publish('MIC_AND_CAM');
    await fox.expectMediaFlowing({ video: 1, audio: 1 });

    // One publisher and one viewer; camera, microphone and the two received tracks.
    expect(await fox.census()).toEqual({ peerConnectionsCreated: 2, livePeerConnections: 2, liveTracks: 4 });

    await fox.leave();

    expect(await fox.census()).toEqual({ peerConnectionsCreated: 2, livePeerConnections: 0, liveTracks: 0 });
    await expect.poll(async () => (await chrome.snapshot()).videos.length).toBe(0);
  });
});
