import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestInfo } from '@playwright/test';
import type { LabParticipant } from './LabParticipant.js';
import { expect, test, type LabCall } from './labTest.js';
import {
  describeRecovery,
  measureRecovery,
  pageOf,
  pairsInvolving,
  pairsOf,
  readRecord,
  recordConflicts,
  streamsRemovedSince,
  waitForMediaBack,
  type MediaPair,
  type RecoveryTimes,
} from './recovery.js';

/**
 * Calls that heal themselves (see packages/confer/README.md, "Recovery"): one fault per test, lifted
 * by the test, then the call must come back by itself within a bound. Every timing is read from the
 * pages (e2e/lab/recovery.ts); the measured values are attached to each test as a `recovery`
 * annotation and printed. Measured values and the targets: e2e/README.md, "Recovery".
 */

/** (a) A blackout shorter than any ghost rule: the server keeps the participant. */
const BLACKOUT_MS = 10_000;
/**
 * (a) Bound for every participant's media to be back (a frame presented) after the blackout is
 * lifted: the issue's 2 s, plus 1 s of slack for this shared machine. A stream lost during the
 * blackout (ICE `disconnected` + 2 s) is published or viewed again at once, into the dark: those
 * requests time out after 2 s and are retried at most 1 s apart while probes (one every 750 ms) ask
 * whether the server answers; the first answer gives up the requests sent into the dark (TCP may
 * hold them seconds) and sends them again at once. So after the restore: ≤ 0.75 s to a probe that
 * gets through (1 s when TCP must resend its SYN), then one publishStream/viewStream, ICE + DTLS and
 * a keyframe (0.3–0.6 s on a quiet machine). The slack is for the 7 agents this machine runs: the
 * browsers' timers fire up to ~0.5 s late and the SFU answers slower.
 */
const BLACKOUT_BACK_MS = 2_000;
/** A UDP-only drop: the restart's checks succeed at the restore, then the router's side nominates (0.7–1.2 s measured). */
const UDP_DROP_BACK_MS = 3_000;
/**
 * (b) The long outage, 100 s, of both kinds: the cable pulled (the interface goes down, as
 * with a lost Wi-Fi) and a black hole (the link stays up, packets vanish). LAB_LONG_OUTAGE_S shortens
 * the black hole for a quicker run. Why a black hole is the hard one: packages/confer README, "Recovery".
 */
const LONG_OUTAGE_MS = Number(process.env.LAB_LONG_OUTAGE_S ?? 100) * 1_000;
/**
 * (i) A UDP-only outage: long enough for Alice's streams to count as lost (ICE `disconnected`,
 * 5–9 s into it in Chromium, + the 2 s grace), so the library restarts ICE while UDP is still
 * dropped; the restart's checks succeed once it is lifted, within the library's 5 s bound.
 */
const UDP_DROP_MS = 10_000;
/** (b) How long the cable is pulled: the 100 s. */
const UNPLUGGED_MS = 100_000;
/**
 * (b) The server removes a participant that stopped polling after 30 s (SICK) + 60 s; the 13 s
 * hung-up rule does not apply to a blackout (the client's hang-up never reaches the server). A
 * shorter outage than 100 s gets a lab server with 10 s + 10 s, so it is still removed mid-outage.
 */
const LONG_OUTAGE_SERVER_ENV: Record<string, string> =
  LONG_OUTAGE_MS >= 100_000 ? {} : { CONFER_GHOST_SICK_AFTER_MS: '10000', CONFER_GHOST_REMOVE_AFTER_MS: '10000' };
/** (b), (c): the bound for every participant's media after the network or the server is back. */
const BACK_WITHIN_MS = 10_000;
/**
 * (d) A crashed participant's tiles must be gone at the others within 15 s (the target; the
 * server's rule for a client that hung up its poll is SICK after 4 s and removed 9 s later, which
 * leaves 2 s for the removal's event to reach the others on a loaded machine).
 */
const CRASH_GONE_MS = 15_000;
/**
 * The bound for a room to report `reconnecting` after it lost the server: the API client's
 * probe goes out after 3 s without an answer and is given up 1.5 s later (4.5 s wherever in the 5 s
 * poll the break falls); the last 0.5 s are for timers firing late on this machine. Network faults
 * are stamped before `nft` runs and take effect when it is done (1–2 s at load average 25), so each
 * bound on a network fault adds the time that run's `nft` took.
 */
const ROOM_NOTICES_MS = 5_000;
/** How long the HTTP path or the server is gone in (g) and (h): longer than the detection, shorter than any ghost rule. */
const SIGNALLING_OUTAGE_MS = 8_000;
/** (g): after the path is back, the room is `joined` within this (a probe at most 0.75 s apart, plus slack). */
const ROOM_BACK_MS = 2_000;
/** (h): a thawed server first works through what piled up in its sockets while it was frozen (polls, probes): measured 0.8–2.4 s at load average 25. */
const THAWED_ROOM_BACK_MS = 4_000;
/** How long to keep waiting past a bound, so a miss is measured and reported instead of cut off. */
const MEASURE_PAST_BOUND_MS = 15_000;

interface JoinedCall {
  people: LabParticipant[];
  /** Each participant's camera stream id. */
  cameras: Map<LabParticipant, string>;
  /** Every remote camera every participant receives. */
  pairs: MediaPair[];
}

/** `names` in Chromium, each on their own lab host, joined (with create: true) and publishing a small camera; every camera plays everywhere. */
async function cameraCall(call: LabCall, names: readonly string[]): Promise<JoinedCall> {
  const people = await Promise.all(names.map((name) => call.chromium(name)));
  const [first, ...rest] = people as [LabParticipant, ...LabParticipant[]];
  await first.join(call.conferenceId);
  await Promise.all(rest.map((p) => p.join(call.conferenceId)));
  const cameras = new Map(await Promise.all(people.map(async (p) => [p, await p.publish('CAM')] as const)));
  await Promise.all(people.map((p) => p.expectMediaFlowing({ video: people.length - 1, audio: 0 })));
  const pairs = pairsOf(people.map((participant) => ({ participant, streamIds: [cameras.get(participant) as string] })));
  return { people, cameras, pairs };
}

/** (f) Everyone still in the call leaves; no page keeps a live peer connection or track. */
async function leaveAndCount(people: readonly LabParticipant[]): Promise<void> {
  await Promise.all(people.map((p) => p.leave()));
  for (const p of people) {
    const census = await p.census();
    expect({ livePeerConnections: census.livePeerConnections, liveTracks: census.liveTracks }, `${p.name}'s census after leave`).toEqual({ livePeerConnections: 0, liveTracks: 0 });
  }
}

/** Attaches the measured timings (and every page's log and frame gaps, for diagnosis) to the test and prints them. */
async function report(testInfo: TestInfo, label: string, times: RecoveryTimes, people: readonly LabParticipant[]): Promise<void> {
  const records = Object.fromEntries(await Promise.all(people.map(async (p) => [p.name, await readRecord(p)] as const)));
  // Written to a file: a line or list reporter keeps no inline attachment. RECOVERY_RECORD_DIR keeps a
  // copy out of test-results/, which the next Playwright run on this checkout empties.
  const name = `recovery-${label.replace(/[^a-z0-9]+/gi, '-')}.json`;
  const file = testInfo.outputPath(name);
  const body = JSON.stringify({ times, records }, null, 2);
  await writeFile(file, body);
  if (process.env.RECOVERY_RECORD_DIR) await writeFile(path.join(process.env.RECOVERY_RECORD_DIR, name), body);
  await testInfo.attach('recovery.json', { path: file, contentType: 'application/json' });
  const line = `${label}: ${describeRecovery(times)}`;
  testInfo.annotations.push({ type: 'recovery', description: line });
  console.log(`[recovery] ${line}`);
  for (const pair of times.pairs) console.log(`[recovery]   ${pair.observer} <- ${pair.publisher}: gap ${pair.gapMs} ms, back ${pair.backMs} ms after restore`);
}

/** A participant left the call at `observer` (by the server's ghost rule, a crash or a leave) since `since`. */
async function sawLeave(observer: LabParticipant, userId: string, since: number): Promise<boolean> {
  const { log } = await readRecord(observer);
  return log.some((e) => e.name === 'participantLeft' && (e.at ?? 0) >= since && (e.detail as { userId?: string }).userId === userId);
}

/** Alice's network goes for `outageMs` (`blackout`: packets vanish; `unplug`: her interface goes down); the server removes her meanwhile, and everyone's media must be back within the bound. */
async function longOutage(call: LabCall, testInfo: TestInfo, fault: 'blackout' | 'unplug', outageMs: number): Promise<void> {
  const { people, pairs } = await cameraCall(call, ['Alice', 'Bob', 'Carol']);
  const [alice, bob, carol] = people as [LabParticipant, LabParticipant, LabParticipant];

  const faultAt = Date.now();
  await (fault === 'blackout' ? alice.host.blackout() : alice.host.unplug());
  const faultNftMs = Date.now() - faultAt;
  // The server gives up on Alice meanwhile: Bob and Carol see her leave.
  await expect
    .poll(async () => (await sawLeave(bob, 'alice', faultAt)) && (await sawLeave(carol, 'alice', faultAt)), {
      message: 'the server removes Alice during the outage',
      timeout: outageMs,
      intervals: [1_000],
    })
    .toBe(true);
  await sleep(Math.max(0, outageMs - (Date.now() - faultAt)));
  const restoreAt = Date.now();
  await alice.host.restore();
  const restoreNftMs = Date.now() - restoreAt;

  const affected = pairsInvolving(pairs, [alice]);
  await waitForMediaBack(affected, restoreAt, BACK_WITHIN_MS + MEASURE_PAST_BOUND_MS);
  const times = await measureRecovery({ pairs: affected, faulted: [alice], faultAt, restoreAt });
  await report(testInfo, `${fault === 'blackout' ? 'black hole' : 'cable pulled'} ${outageMs / 1000} s`, times, people);

  expect(times.toRoomReconnectingMs, "Alice's room turns reconnecting").toBeLessThanOrEqual(ROOM_NOTICES_MS + faultNftMs);
  expect(times.mediaBackMs, "every participant's media back at everyone after the restore").toBeLessThanOrEqual(BACK_WITHIN_MS + restoreNftMs);
  await expect.poll(async () => (await bob.snapshot()).videos.length, { message: "Bob shows Alice's tile again, once" }).toBe(2);

  await leaveAndCount(people);
}

test.describe('recovery: calls heal themselves', () => {
  // Each test has its own lab: they can run side by side wherever the run has more than one worker (E2E_WORKERS).
  test.describe.configure({ mode: 'parallel' });

  test(`(a, e) a ${BLACKOUT_MS / 1000} s blackout of one of three: media back both ways within ${BLACKOUT_BACK_MS / 1000} s, and no stream removed`, async ({ call }, testInfo) => {
    const { people, cameras, pairs } = await cameraCall(call, ['Alice', 'Bob', 'Carol']);
    const [alice, bob, carol] = people as [LabParticipant, LabParticipant, LabParticipant];
    const conflicts = recordConflicts(alice);

    const faultAt = Date.now();
    await alice.host.blackout();
    const faultNftMs = Date.now() - faultAt;
    await sleep(BLACKOUT_MS);
    // Stamped before the rules go: restore() returns only after `nft` ran, which takes a while on a loaded machine.
    const restoreAt = Date.now();
    await alice.host.restore();
    const restoreNftMs = Date.now() - restoreAt;
    console.log(`[recovery] nft took ${faultNftMs} ms to start the blackout, ${restoreNftMs} ms to lift it`);

    const affected = pairsInvolving(pairs, [alice]);
    await waitForMediaBack(affected, restoreAt, BLACKOUT_BACK_MS + MEASURE_PAST_BOUND_MS);
    const times = await measureRecovery({ pairs: affected, faulted: [alice], faultAt, restoreAt });
    await report(testInfo, 'blackout 10 s', times, people);

    expect(times.toRoomReconnectingMs, "Alice's room turns reconnecting (the reachability probe)").toBeLessThanOrEqual(ROOM_NOTICES_MS + faultNftMs);
    // ICE `disconnected` (5–7 s into the blackout in Chromium) + disconnectedGraceMs: reported, not bounded, it is close to the blackout's 10 s.
    expect(times.toStreamReconnectingMs, "Alice's streams turn reconnecting").toBeDefined();
    expect(times.mediaBackMs, 'every media of Alice and at Alice back after the restore').toBeLessThanOrEqual(BLACKOUT_BACK_MS + restoreNftMs);

    // (e) Bob and Carol saw Alice's camera reconnect, not go: no streamRemoved for it.
    const aliceCamera = cameras.get(alice) as string;
    const removed = [...(await streamsRemovedSince(bob, [aliceCamera], faultAt)), ...(await streamsRemovedSince(carol, [aliceCamera], faultAt))];
    const republishRefused = conflicts.filter((c) => c.url.includes('/publishStream'));
    if (republishRefused.length > 0) {
      // FIXME (server): publishing again under the same stream id is answered 409 until the server
      // supports publisher reconnection, so the library unpublishes and publishes again, which Bob and
      // Carol see as streamRemoved + streamAdded. This assertion turns itself on once the server takes
      // the reconnection over (no 409 for the republish).
      const description = `(e) not asserted: the server answered 409 to ${republishRefused.length} republish(es) (${republishRefused[0]?.url}); the others saw ${removed.length} streamRemoved`;
      testInfo.annotations.push({ type: 'fixme', description });
      console.log(`[recovery] FIXME ${description}`);
    } else {
      console.log(`[recovery] (e) asserted: no 409 for a republish; the others saw ${removed.length} streamRemoved`);
      expect(removed, "streamRemoved at Bob and Carol for Alice's reconnected camera").toEqual([]);
    }

    await leaveAndCount(people);
  });

  test.describe(() => {
    test.use({ labServerEnv: LONG_OUTAGE_SERVER_ENV });

    test(`(b) a ${LONG_OUTAGE_MS / 1000} s black hole for one of three: the server removes it, the call comes back by itself within ${BACK_WITHIN_MS / 1000} s`, async ({ call }, testInfo) => {
      test.setTimeout(LONG_OUTAGE_MS + 120_000);
      await longOutage(call, testInfo, 'blackout', LONG_OUTAGE_MS);
    });
  });

  test(`(b) the cable pulled for ${UNPLUGGED_MS / 1000} s from one of three: the server removes it, the call comes back by itself within ${BACK_WITHIN_MS / 1000} s`, async ({ call }, testInfo) => {
    test.setTimeout(UNPLUGGED_MS + 120_000);
    await longOutage(call, testInfo, 'unplug', UNPLUGGED_MS);
  });

  test(`(i) UDP dropped ${UDP_DROP_MS / 1000} s for one of two (signalling up): media back within ${UDP_DROP_BACK_MS / 1000} s over the same peer connections (ICE restart)`, async ({ call }, testInfo) => {
    const { people, pairs } = await cameraCall(call, ['Alice', 'Bob']);
    const [alice, bob] = people as [LabParticipant, LabParticipant];
    const created = { alice: (await alice.census()).peerConnectionsCreated, bob: (await bob.census()).peerConnectionsCreated };

    const faultAt = Date.now();
    await alice.host.dropUdp();
    await sleep(UDP_DROP_MS);
    const restoreAt = Date.now();
    await alice.host.restore();
    const restoreNftMs = Date.now() - restoreAt;

    await waitForMediaBack(pairs, restoreAt, UDP_DROP_BACK_MS + MEASURE_PAST_BOUND_MS);
    const times = await measureRecovery({ pairs, faulted: [alice], faultAt, restoreAt });
    await report(testInfo, `UDP drop ${UDP_DROP_MS / 1000} s`, times, people);

    // Alice's streams were lost (ICE disconnected + the grace), so something healed them: an ICE restart,
    // since neither page made a peer connection, and the reference server restarts ICE in place.
    expect(times.toStreamReconnectingMs, "Alice's streams turn reconnecting").toBeDefined();
    expect(times.mediaBackMs, 'every media of Alice and at Alice back after the restore').toBeLessThanOrEqual(UDP_DROP_BACK_MS + restoreNftMs);
    expect((await alice.census()).peerConnectionsCreated, "Alice's peer connections made (a new one would be a reconnection, not an ICE restart)").toBe(created.alice);
    expect((await bob.census()).peerConnectionsCreated, "Bob's peer connections made").toBe(created.bob);

    await leaveAndCount(people);
  });

  test(`(c) the server killed (SIGKILL) and restarted with the same secret: everyone's media back within ${BACK_WITHIN_MS / 1000} s`, async ({ call }, testInfo) => {
    const { people, pairs } = await cameraCall(call, ['Alice', 'Bob', 'Carol']);

    const faultAt = Date.now();
    // restart() = SIGKILL, then a new process on the same address, port and CONFER_TOKEN_SECRET, which knows no conference.
    await call.server.restart();
    const restoreAt = Date.now();

    await waitForMediaBack(pairs, restoreAt, BACK_WITHIN_MS + MEASURE_PAST_BOUND_MS);
    const times = await measureRecovery({ pairs, faulted: people, faultAt, restoreAt });
    await report(testInfo, `server restart (down ${((restoreAt - faultAt) / 1000).toFixed(1)} s)`, times, people);

    expect(times.toReconnectingMs, 'someone notices the restart').toBeDefined();
    expect(times.mediaBackMs, "every participant's media back at everyone after the restart").toBeLessThanOrEqual(BACK_WITHIN_MS);
    for (const p of people) await expect.poll(async () => (await p.snapshot()).videos.length, { message: `${p.name} shows two tiles, no stale ones` }).toBe(2);

    await leaveAndCount(people);
  });

  test(`(g) signalling lost (TCP to the API dropped, media flowing): the room reports reconnecting within ${ROOM_NOTICES_MS / 1000} s, and joined again within ${ROOM_BACK_MS / 1000} s of the restore`, async ({ call }, testInfo) => {
    const { people, pairs } = await cameraCall(call, ['Alice', 'Bob']);
    const [alice] = people as [LabParticipant, LabParticipant];
    // Two breaks, each at a different moment of the 5 s event poll: the bound holds wherever the break falls.
    for (const offsetMs of [700, 3_100]) {
      await sleep(offsetMs);
      const faultAt = Date.now();
      await alice.host.dropHttp();
      const faultNftMs = Date.now() - faultAt;
      await sleep(SIGNALLING_OUTAGE_MS);
      const restoreAt = Date.now();
      await alice.host.restore();
      const restoreNftMs = Date.now() - restoreAt;
      await expect.poll(async () => pageOf(alice).evaluate(() => window.harness.room?.state), { timeout: ROOM_BACK_MS + MEASURE_PAST_BOUND_MS, intervals: [100] }).toBe('joined');
      const times = await measureRecovery({ pairs: pairsInvolving(pairs, [alice]), faulted: [alice], faultAt, restoreAt });
      await report(testInfo, `HTTP drop ${SIGNALLING_OUTAGE_MS / 1000} s (${offsetMs} ms after the previous one)`, times, people);
      expect(times.toRoomReconnectingMs, "Alice's room turns reconnecting").toBeLessThanOrEqual(ROOM_NOTICES_MS + faultNftMs);
      expect(times.roomBackMs, "Alice's room joined again after the restore").toBeLessThanOrEqual(ROOM_BACK_MS + restoreNftMs);
      // The media path never broke: no stream went reconnecting.
      expect(times.toStreamReconnectingMs, 'no stream reconnects').toBeUndefined();
    }
    await leaveAndCount(people);
  });

  test(`(h) the server frozen (SIGSTOP ${SIGNALLING_OUTAGE_MS / 1000} s): every room reports reconnecting within ${ROOM_NOTICES_MS / 1000} s, and the call comes back after SIGCONT`, async ({ call }, testInfo) => {
    const { people, pairs } = await cameraCall(call, ['Alice', 'Bob']);
    const faultAt = Date.now();
    call.server.stop();
    try {
      await sleep(SIGNALLING_OUTAGE_MS);
    } finally {
      call.server.resume();
    }
    const restoreAt = Date.now();
    await waitForMediaBack(pairs, restoreAt, BACK_WITHIN_MS + MEASURE_PAST_BOUND_MS);
    for (const p of people) await expect.poll(async () => pageOf(p).evaluate(() => window.harness.room?.state), { timeout: BACK_WITHIN_MS, intervals: [100] }).toBe('joined');
    for (const p of people) {
      const times = await measureRecovery({ pairs: pairsInvolving(pairs, [p]), faulted: [p], faultAt, restoreAt });
      await report(testInfo, `server SIGSTOP ${SIGNALLING_OUTAGE_MS / 1000} s, ${p.name}`, times, people);
      expect(times.toRoomReconnectingMs, `${p.name}'s room turns reconnecting`).toBeLessThanOrEqual(ROOM_NOTICES_MS);
      expect(times.roomBackMs, `${p.name}'s room joined again after SIGCONT`).toBeLessThanOrEqual(THAWED_ROOM_BACK_MS);
    }
    await leaveAndCount(people);
  });

  test(`(d) a participant's browser crashes (SIGKILL, no leave): its tile is gone at the other within ${CRASH_GONE_MS / 1000} s`, async ({ call }, testInfo) => {
    const { people, cameras } = await cameraCall(call, ['Alice', 'Bob']);
    const [alice, bob] = people as [LabParticipant, LabParticipant];
    const aliceCamera = cameras.get(alice) as string;

    const crashAt = Date.now();
    expect(await alice.host.killProcesses(), "Alice's browser processes").toBeGreaterThan(0);
    await expect
      .poll(async () => (await bob.snapshot()).videos.map((v) => v.streamId), { message: "Alice's tile disappears at Bob", timeout: CRASH_GONE_MS + MEASURE_PAST_BOUND_MS, intervals: [250] })
      .not.toContain(aliceCamera);
    const removedAt = (await streamsRemovedSince(bob, [aliceCamera], crashAt))[0]?.at;
    expect(removedAt, "Bob's streamRemoved for Alice's camera").toBeDefined();
    const goneMs = (removedAt as number) - crashAt;
    const line = `crash: Alice's tile gone at Bob ${(goneMs / 1000).toFixed(1)} s after the kill`;
    testInfo.annotations.push({ type: 'recovery', description: line });
    console.log(`[recovery] ${line}`);
    expect(goneMs, "Alice's tile gone at Bob").toBeLessThanOrEqual(CRASH_GONE_MS);
    expect(await sawLeave(bob, 'alice', crashAt), 'Bob saw Alice leave').toBe(true);

    await leaveAndCount([bob]);
  });
});
