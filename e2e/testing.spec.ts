import { expectNoLeaks, expectStreamCount, expectVideoFlowing } from '@confer/testing';
import { expect, test } from './support/test.js';

/** `@confer/testing`'s assertions fail, and say what they saw, when what they assert is not so. */
test("@confer/testing's assertions fail with what they saw", async ({ call }) => {
  const [alice] = await call.join('Alice');
  await alice.publish('CAM');
  await expect.poll(() => alice.census()).toMatchObject({ livePeerConnections: 1 });

  await expect(expectNoLeaks(alice.page, { timeout: 500 })).rejects.toThrow(
    /^expectNoLeaks: after 500 ms the page still holds 1 live RTCPeerConnection\(s\) \(#0 \w+\) and 1 live track\(s\) \(captured video "[^"]*"\)$/,
  );
  await expect(expectStreamCount(alice.page, 1, { timeout: 500 })).rejects.toThrow(/^expectStreamCount: expected 1 remote stream\(s\), saw 0 within 500 ms: pc #0 not receiving \w+$/);
  await expect(expectVideoFlowing(alice.page, { from: 'video.nobody', timeout: 500 })).rejects.toThrow(
    /^expectVideoFlowing\(from video\.nobody\): no video flowing within 500 ms; last seen: no <video> or <audio> element matches `from`$/,
  );
  await expect(expectVideoFlowing(alice.page, { timeout: 500 })).rejects.toThrow(/no inbound video on any live peer connection \(pc #0 not receiving \w+\)$/);

  await alice.leave();
  await expectNoLeaks(alice.page);
});
