import { setTimeout as sleep } from 'node:timers/promises';
import { countFlowing, type MediaSnapshot } from '../support/media.js';
import type { LabParticipant } from './LabParticipant.js';
import { expect, test, type LabCall } from './labTest.js';

/** How long a fault lasts before it is lifted: long enough to break ICE consent, short of the server's ghost rule. */
const OUTAGE_MS = 5_000;
/** A generous bound for media to come back after a fault is lifted (today's library, not the healing target). */
const RECOVERY_MS = 10_000;

/** Frames `who` decoded over `windowMs`, summed over its inbound video. */
async function framesDecodedDuring(who: LabParticipant, windowMs: number): Promise<number> {
  const total = (snapshot: MediaSnapshot) => snapshot.inbound.filter((s) => s.kind === 'video').reduce((sum, s) => sum + s.framesDecoded, 0);
  const before = total(await who.snapshot());
  await sleep(windowMs);
  return total(await who.snapshot()) - before;
}

/** Waits until every remote video of `who` decodes more than it had at `since`, within `timeout`. */
async function expectVideoResumes(who: LabParticipant, since: MediaSnapshot, videos: number, timeout: number): Promise<void> {
  await expect
    .poll(async () => countFlowing(await who.snapshot(), since).video, { message: `${who.name}'s video resumes`, timeout, intervals: [250] })
    .toBe(videos);
}

/** Alice publishes her camera to Bob; both in Chromium, each on their own lab host. */
async function aliceToBob(call: LabCall): Promise<{ alice: LabParticipant; bob: LabParticipant; camera: string }> {
  const alice = await call.chromium('Alice');
  const bob = await call.chromium('Bob');
  await alice.join(call.conferenceId);
  await bob.join(call.conferenceId);
  const camera = await alice.publish('CAM');
  await bob.expectMediaFlowing({ video: 1, audio: 0 });
  return { alice, bob, camera };
}

test.describe('faults of the lab bite', () => {
  test("a participant's blackout stops their inbound video; it plays again after restore()", async ({ call }) => {
    const { bob } = await aliceToBob(call);

    await bob.host.blackout();
    const started = Date.now();
    await expect.poll(() => framesDecodedDuring(bob, 1_000), { message: "Bob's video freezes in the blackout", timeout: OUTAGE_MS * 2 }).toBe(0);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - started)));
    const frozen = await bob.snapshot();
    await bob.host.restore();

    await expectVideoResumes(bob, frozen, 1, RECOVERY_MS);
  });

  test('20 % packet loss each way keeps the video flowing', async ({ call }) => {
    const { bob } = await aliceToBob(call);

    await bob.host.loss(20);
    for (let reading = 0; reading < 3; reading += 1) {
      expect(await framesDecodedDuring(bob, 2_000), `frames Bob decoded in 2 s under loss (reading ${reading + 1})`).toBeGreaterThan(0);
    }
    await bob.expectMediaFlowing({ video: 1, audio: 0 });
  });

  test('the server frozen (SIGSTOP) for a few seconds and resumed leaves the call working', async ({ call }) => {
    const { alice, bob, camera } = await aliceToBob(call);
    await bob.publish('CAM');
    await alice.expectMediaFlowing({ video: 1, audio: 0 });

    call.server.stop();
    await expect.poll(() => framesDecodedDuring(bob, 1_000), { message: 'the frozen server forwards nothing', timeout: OUTAGE_MS * 2 }).toBe(0);
    await sleep(OUTAGE_MS);
    call.server.resume();

    await alice.expectMediaFlowing({ video: 1, audio: 0 });
    await bob.expectMediaFlowing({ video: 1, audio: 0 });
    // Signalling works again too: a mute reaches the other side.
    await alice.setMuted(camera, 'video', true);
    await expect
      .poll(async () => (await bob.events()).filter((e) => e.name === 'streamMuteChanged').map((e) => e.detail))
      .toContainEqual({ streamId: camera, kind: 'video', muted: true });
  });

  test('dropUdp() starves the media but not the signalling; dropHttp() the reverse', async ({ call }) => {
    const { alice, bob, camera } = await aliceToBob(call);

    await bob.host.dropUdp();
    await expect.poll(() => framesDecodedDuring(bob, 1_000), { message: "Bob's video stops without UDP", timeout: OUTAGE_MS * 2 }).toBe(0);
    await alice.setMuted(camera, 'audio', true);
    await expect
      .poll(async () => (await bob.events()).filter((e) => e.name === 'streamMuteChanged').map((e) => e.detail))
      .toContainEqual({ streamId: camera, kind: 'audio', muted: true });
    const starved = await bob.snapshot();
    await bob.host.restore();
    await expectVideoResumes(bob, starved, 1, RECOVERY_MS);

    await bob.host.dropHttp();
    await alice.setMuted(camera, 'audio', false);
    expect(await framesDecodedDuring(bob, 2_000), 'frames Bob decodes while HTTP is dropped').toBeGreaterThan(0);
    await bob.host.restore();
    await expect
      .poll(async () => (await bob.events()).filter((e) => e.name === 'streamMuteChanged').map((e) => e.detail), { timeout: 30_000 })
      .toContainEqual({ streamId: camera, kind: 'audio', muted: false });
  });
});
