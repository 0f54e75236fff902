/**
 * Recovery timings of a lab call, read from the participants' own pages: the room's log
 * (`stateChanged`, `local/remoteStreamConnectionStateChanged`, `streamRemoved`, each stamped with
 * `Date.now()`) and every pause in each remote stream's presented video frames
 * (`requestVideoFrameCallback`, e2e/fixtures/harness.ts). Browsers and runner share one machine and
 * so one wall clock, so page stamps compare with the moments the runner injected and lifted a fault.
 * Used by e2e/lab/recovery.spec.ts and bench/recovery.ts. Chromium participants only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from '@playwright/test';
import type { FrameGap, LoggedRoomEvent } from '../fixtures/harness.js';
import { ChromiumLabParticipant, type LabParticipant } from './LabParticipant.js';

/** What a page recorded: its room log, its frame gaps and each remote stream's last frame. */
export interface PageRecord {
  log: LoggedRoomEvent[];
  frameGaps: FrameGap[];
  lastFrameAt: Record<string, number>;
}

/** `observer` receives `streamId`, published by `publisher`. */
export interface MediaPair {
  observer: LabParticipant;
  publisher: LabParticipant;
  streamId: string;
}

/** One pair's recovery: how long its video stood still around the fault, and when it came back. */
export interface PairRecovery {
  observer: string;
  publisher: string;
  streamId: string;
  /** From the last frame before the first pause that ended after the fault to the first frame after the last one; 0 without a pause. */
  gapMs: number;
  /** From the restore to the first frame after the last pause (0 when the video never stopped, or was back before the restore). */
  backMs: number;
}

/** The recovery of a whole call from one fault, in milliseconds. */
export interface RecoveryTimes {
  /** Fault → first room `stateChanged` to `reconnecting` at a faulted participant (undefined: the room never noticed). */
  toRoomReconnectingMs: number | undefined;
  /** Fault → first local or remote stream `connectionState` `reconnecting` at a faulted participant. */
  toStreamReconnectingMs: number | undefined;
  /** Fault → the first of those two: when the faulted participant's application could first show "reconnecting". */
  toReconnectingMs: number | undefined;
  /** The longest {@link PairRecovery.gapMs}. */
  mediaGapMs: number;
  /** The longest {@link PairRecovery.backMs}: every participant's media is back at everyone after this. */
  mediaBackMs: number;
  /** Restore → the last faulted room's `joined` after its `reconnecting` (undefined: none went `reconnecting`). */
  roomBackMs: number | undefined;
  /** Restore → the last stream `connectionState` `connected` at a faulted participant (undefined: no stream reconnected). The rest of {@link mediaBackMs} is waiting for a frame (a keyframe). */
  streamsConnectedMs: number | undefined;
  pairs: PairRecovery[];
}

/** The Playwright page of a Chromium lab participant (these timings need `requestVideoFrameCallback` stamps read through Playwright). */
export function pageOf(participant: LabParticipant): Page {
  if (!(participant instanceof ChromiumLabParticipant)) throw new Error(`${participant.name}: recovery timings are read from Chromium participants only`);
  return participant.participant.page;
}

/** Reads what `participant`'s page recorded so far. */
export function readRecord(participant: LabParticipant): Promise<PageRecord> {
  return pageOf(participant).evaluate(() => ({ log: window.harness.log, frameGaps: window.harness.frameGaps, lastFrameAt: window.harness.lastFrameAt }));
}

/** Every remote stream each participant should receive: everyone else's `published` streams. */
export function pairsOf(published: ReadonlyArray<{ participant: LabParticipant; streamIds: readonly string[] }>): MediaPair[] {
  return published.flatMap(({ participant: observer }) =>
    published.filter((p) => p.participant !== observer).flatMap(({ participant: publisher, streamIds }) => streamIds.map((streamId) => ({ observer, publisher, streamId }))),
  );
}

/** The pairs whose media involves one of `faulted`, as publisher or observer. */
export function pairsInvolving(pairs: readonly MediaPair[], faulted: readonly LabParticipant[]): MediaPair[] {
  return pairs.filter((pair) => faulted.includes(pair.observer) || faulted.includes(pair.publisher));
}

/** How recently a stream's last frame must have been presented to count as playing. */
const PLAYING_WITHIN_MS = 700;

/**
 * Waits until every pair has presented a video frame after `since` and still plays `steadyMs` later
 * (its last frame within {@link PLAYING_WITHIN_MS}); rejects after `timeoutMs` naming the pairs that
 * are not back. Returns `Date.now()` when it saw them all steady.
 */
export async function waitForMediaBack(pairs: readonly MediaPair[], since: number, timeoutMs: number, steadyMs = 2_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const missing = async (after: number): Promise<string[]> => {
    const observers = [...new Set(pairs.map((pair) => pair.observer))];
    const records = new Map(await Promise.all(observers.map(async (observer) => [observer, await readRecord(observer)] as const)));
    const now = Date.now();
    return pairs
      .filter((pair) => {
        const last = records.get(pair.observer)?.lastFrameAt[pair.streamId];
        return last === undefined || last <= after || now - last > PLAYING_WITHIN_MS;
      })
      .map((pair) => `${pair.observer.name} <- ${pair.publisher.name} ${pair.streamId}`);
  };
  let lacking: string[] = [];
  while (Date.now() < deadline) {
    lacking = await missing(since);
    if (lacking.length === 0) {
      await sleep(steadyMs);
      lacking = await missing(since);
      if (lacking.length === 0) return Date.now();
    }
    await sleep(200);
  }
  throw new Error(`media not back within ${timeoutMs} ms of ${new Date(since).toISOString()}: ${lacking.join(', ')}`);
}

/**
 * Reads the faulted participants' logs and every observer's frame gaps after a fault injected at
 * `faultAt` and lifted at `restoreAt` (call it once {@link waitForMediaBack} resolved).
 */
export async function measureRecovery(options: { pairs: readonly MediaPair[]; faulted: readonly LabParticipant[]; faultAt: number; restoreAt: number }): Promise<RecoveryTimes> {
  const { pairs, faulted, faultAt, restoreAt } = options;
  const everyone = [...new Set([...faulted, ...pairs.map((pair) => pair.observer)])];
  const records = new Map(await Promise.all(everyone.map(async (participant) => [participant, await readRecord(participant)] as const)));
  const faultedLogs = faulted.map((participant) => records.get(participant)?.log ?? []);

  const firstAfter = (log: LoggedRoomEvent[], matches: (entry: LoggedRoomEvent) => boolean) => log.find((entry) => (entry.at ?? 0) >= faultAt && matches(entry))?.at;
  const earliest = (stamps: Array<number | undefined>) => {
    const known = stamps.filter((stamp): stamp is number => stamp !== undefined);
    return known.length > 0 ? Math.min(...known) - faultAt : undefined;
  };
  const toRoomReconnectingMs = earliest(faultedLogs.map((log) => firstAfter(log, (e) => e.name === 'stateChanged' && e.detail === 'reconnecting')));
  const toStreamReconnectingMs = earliest(
    faultedLogs.map((log) =>
      firstAfter(log, (e) => (e.name === 'localStreamConnectionStateChanged' || e.name === 'remoteStreamConnectionStateChanged') && (e.detail as { state: string }).state === 'reconnecting'),
    ),
  );
  const toReconnectingMs = earliest([toRoomReconnectingMs, toStreamReconnectingMs].map((ms) => (ms === undefined ? undefined : ms + faultAt)));

  // The room is back when it is `joined` after its last `reconnecting` since the fault.
  const roomBacks = faultedLogs.map((log) => {
    const states = log.filter((e) => e.name === 'stateChanged' && (e.at ?? 0) >= faultAt);
    const lastReconnecting = states.findLastIndex((e) => e.detail === 'reconnecting');
    if (lastReconnecting < 0) return undefined;
    return states.slice(lastReconnecting).find((e) => e.detail === 'joined')?.at ?? Number.POSITIVE_INFINITY;
  });
  const knownBacks = roomBacks.filter((at): at is number => at !== undefined);
  const roomBackMs = knownBacks.length > 0 ? Math.max(...knownBacks) - restoreAt : undefined;

  const connectedStamps = faultedLogs.flatMap((log) =>
    log
      .filter((e) => (e.at ?? 0) >= faultAt && (e.name === 'localStreamConnectionStateChanged' || e.name === 'remoteStreamConnectionStateChanged') && (e.detail as { state: string }).state === 'connected')
      .map((e) => e.at as number),
  );
  const streamsConnectedMs = connectedStamps.length > 0 ? Math.max(...connectedStamps) - restoreAt : undefined;

  const recoveries = pairs.map((pair): PairRecovery => {
    const gaps = (records.get(pair.observer)?.frameGaps ?? []).filter((gap) => gap.streamId === pair.streamId && gap.to > faultAt);
    const from = Math.min(...gaps.map((gap) => gap.from));
    const to = Math.max(...gaps.map((gap) => gap.to));
    return {
      observer: pair.observer.name,
      publisher: pair.publisher.name,
      streamId: pair.streamId,
      gapMs: gaps.length > 0 ? to - from : 0,
      backMs: gaps.length > 0 ? Math.max(0, to - restoreAt) : 0,
    };
  });
  return {
    toRoomReconnectingMs,
    toStreamReconnectingMs,
    toReconnectingMs,
    mediaGapMs: Math.max(0, ...recoveries.map((r) => r.gapMs)),
    mediaBackMs: Math.max(0, ...recoveries.map((r) => r.backMs)),
    roomBackMs,
    streamsConnectedMs,
    pairs: recoveries,
  };
}

/** One line for logs and test annotations, e.g. `reconnecting after 4.1 s (room 4.1 s, stream 6.9 s); media gap 13.1 s, back 3.8 s after restore (room joined 1.3 s, streams connected 1.6 s)`. */
export function describeRecovery(times: RecoveryTimes): string {
  const s = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
  return (
    `reconnecting after ${s(times.toReconnectingMs)} (room ${s(times.toRoomReconnectingMs)}, stream ${s(times.toStreamReconnectingMs)}); ` +
    `media gap ${s(times.mediaGapMs)}, back ${s(times.mediaBackMs)} after restore (room joined ${s(times.roomBackMs)}, streams connected ${s(times.streamsConnectedMs)})`
  );
}

/** Waits until every one of `people`'s rooms is `joined` (e.g. after a fault, before the next one). */
export async function waitForJoined(people: readonly LabParticipant[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const participant of people) {
    while ((await pageOf(participant).evaluate(() => window.harness.room?.state)) !== 'joined') {
      if (Date.now() > deadline) throw new Error(`${participant.name}'s room is not joined after ${timeoutMs} ms`);
      await sleep(200);
    }
  }
}

/** `streamRemoved` events `observer` logged since `since` for any of `streamIds`. */
export async function streamsRemovedSince(observer: LabParticipant, streamIds: readonly string[], since: number): Promise<LoggedRoomEvent[]> {
  const { log } = await readRecord(observer);
  return log.filter((e) => e.name === 'streamRemoved' && (e.at ?? 0) >= since && streamIds.includes((e.detail as { streamId: string }).streamId));
}

/**
 * Starts recording the API requests of `participant`'s page that the server answered 409 (e.g. a
 * publish again under the same stream id, on a server without reconnection support).
 */
export function recordConflicts(participant: LabParticipant): Array<{ method: string; url: string }> {
  const conflicts: Array<{ method: string; url: string }> = [];
  pageOf(participant).on('response', (response) => {
    if (response.status() === 409) conflicts.push({ method: response.request().method(), url: response.url() });
  });
  return conflicts;
}
