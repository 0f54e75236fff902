import { expect, type Page } from '@playwright/test';

/** One `inbound-rtp` entry of a live peer connection. */
export interface InboundRtp {
  kind: 'audio' | 'video';
  trackIdentifier: string;
  packetsReceived: number;
  framesDecoded: number;
}

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
  inbound: InboundRtp[];
  videos: RemoteVideo[];
}

/** Counts of remote streams, by kind. */
export interface MediaCounts {
  video: number;
  audio: number;
}

/**
 * Reads every live peer connection's `inbound-rtp` stats (peer connections are found by the
 * census init script, so this works on any page) and every remote `<video>` element.
 */
export async function snapshotMedia(page: Page): Promise<MediaSnapshot> {
  return page.evaluate(readMediaSnapshot);
}

/**
 * The in-page half of {@link snapshotMedia}, for any driver that can evaluate a function in a page
 * (Playwright, or puppeteer for Firefox in e2e/lab). Runs in the browser: it is sent as source text,
 * so it must not use anything from outside its own body.
 */
export async function readMediaSnapshot(): Promise<MediaSnapshot> {
  const inbound: InboundRtp[] = [];
  for (const pc of window.__rtcCensus.peerConnections) {
    if (pc.connectionState === 'closed') continue;
    const report = await pc.getStats();
    report.forEach((stat: Record<string, unknown>) => {
      if (stat.type !== 'inbound-rtp') return;
      inbound.push({
        kind: stat.kind as 'audio' | 'video',
        trackIdentifier: String(stat.trackIdentifier),
        packetsReceived: Number(stat.packetsReceived ?? 0),
        framesDecoded: Number(stat.framesDecoded ?? 0),
      });
    });
  }
  const videos = [...document.querySelectorAll<HTMLVideoElement>('video[data-remote="true"]')].map((video) => {
    const stream = video.srcObject instanceof MediaStream ? video.srcObject : undefined;
    return {
      streamId: video.dataset.streamId ?? '',
      type: video.dataset.type ?? '',
      videoWidth: video.videoWidth,
      videoTrackIds: stream?.getVideoTracks().map((t) => t.id) ?? [],
      audioTrackIds: stream?.getAudioTracks().map((t) => t.id) ?? [],
    };
  });
  return { inbound, videos };
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
export async function expectMediaFlowing(page: Page, expected: MediaCounts, who = 'participant'): Promise<void> {
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
