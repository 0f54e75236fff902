import { expect } from '@playwright/test';
import { readPeerConnections, type InboundTrackStats } from '@confer/testing';

/** One `<video data-remote>` element: a remote stream as the page shows it. */
export interface RemoteVideo {
  streamId: string;
  type: string;
  videoWidth: number;
  videoTrackIds: string[];
  audioTrackIds: string[];
}

/** What a page receives right now. */
export interface MediaSnapshot {
  /** The `inbound-rtp` entries of every live peer connection. */
  inbound: InboundTrackStats[];
  videos: RemoteVideo[];
}

/** Counts of remote streams, by kind. */
export interface MediaCounts {
  video: number;
  audio: number;
}

/** A page that runs a function sent as source text: Playwright's, or puppeteer's (Firefox in e2e/lab). */
export interface EvaluatingPage {
  evaluate<T>(pageFunction: () => Promise<T>): Promise<T>;
}

/**
 * Reads every live peer connection's `inbound-rtp` stats (with `@confer/testing`'s
 * `readPeerConnections`: peer connections are found by the census init script, so this works on any
 * page) and every remote `<video>` element.
 */
export async function snapshotMedia(page: EvaluatingPage): Promise<MediaSnapshot> {
  const peerConnections = await page.evaluate(readPeerConnections);
  if (!peerConnections) throw new Error('the page has no RTC census (installRtcCensus)');
  // A closed peer connection comes with no inbound stats.
  return { inbound: peerConnections.flatMap((pc) => pc.inbound), videos: await page.evaluate(readRemoteVideos) };
}

/** Runs in the browser (sent as source text, so it uses nothing from outside its body): the remote `<video>` elements. */
async function readRemoteVideos(): Promise<RemoteVideo[]> {
  return [...document.querySelectorAll<HTMLVideoElement>('video[data-remote="true"]')].map((video) => {
    const stream = video.srcObject instanceof MediaStream ? video.srcObject : undefined;
    return {
      streamId: video.dataset.streamId ?? '',
      type: video.dataset.type ?? '',
      videoWidth: video.videoWidth,
      videoTrackIds: stream?.getVideoTracks().map((t) => t.id) ?? [],
      audioTrackIds: stream?.getAudioTracks().map((t) => t.id) ?? [],
    };
  });
}

/**
 * Remote streams that are really playing: a video counts when its element has `videoWidth > 0`
 * and its track has decoded frames (and, given `since`, decoded more frames than then); an audio
 * track counts when it has received packets (more than at `since`).
 */
export function countFlowing(now: MediaSnapshot, since?: MediaSnapshot): MediaCounts {
  const stat = (snapshot: MediaSnapshot | undefined, trackId: string) =>
    snapshot?.inbound.find((entry) => entry.trackIdentifier === trackId);
  let video = 0;
  let audio = 0;
  for (const element of now.videos) {
    for (const trackId of element.videoTrackIds) {
      const current = stat(now, trackId);
      if (element.videoWidth > 0 && current && current.framesDecoded > (stat(since, trackId)?.framesDecoded ?? 0)) video += 1;
    }
    for (const trackId of element.audioTrackIds) {
      const current = stat(now, trackId);
      if (current && current.packetsReceived > (stat(since, trackId)?.packetsReceived ?? 0)) audio += 1;
    }
  }
  return { video, audio };
}

/** How long media may take to start: a new viewer waits for ICE, DTLS and a keyframe, on a loaded 2-core machine. */
const MEDIA_TIMEOUT_MS = 30_000;

/**
 * Waits until `page` plays exactly `expected` remote videos and audios, then until every one of
 * them keeps flowing (frames decoded and audio packets received grow between two readings).
 */
export async function expectMediaFlowing(page: EvaluatingPage, expected: MediaCounts, who = 'participant'): Promise<void> {
  await expectSnapshotsFlowing(() => snapshotMedia(page), expected, who);
}

/** {@link expectMediaFlowing} over any way of taking a {@link MediaSnapshot} (e.g. a Firefox page driven by puppeteer). */
export async function expectSnapshotsFlowing(
  read: () => Promise<MediaSnapshot>,
  expected: MediaCounts,
  who = 'participant',
  timeout = MEDIA_TIMEOUT_MS,
): Promise<void> {
  await expect.poll(async () => countFlowing(await read()), { message: `${who} plays ${JSON.stringify(expected)}`, timeout }).toEqual(expected);
  const first = await read();
  await expect.poll(async () => countFlowing(await read(), first), { message: `${who}'s media keeps flowing`, timeout }).toEqual(expected);
}
