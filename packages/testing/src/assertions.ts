import { setTimeout as sleep } from 'node:timers/promises';
import type { Locator, Page } from '@playwright/test';
import type { RtcCensusDetails } from './census.js';

/** One `inbound-rtp` entry of a live peer connection. */
export interface InboundTrackStats {
  kind: 'audio' | 'video';
  trackIdentifier: string;
  packetsReceived: number;
  framesDecoded: number;
}

/** One peer connection of the page as the census found it, with its inbound stats. */
export interface PeerConnectionReading {
  /** Its place in creation order on the page. */
  index: number;
  connectionState: RTCPeerConnectionState;
  iceConnectionState: RTCIceConnectionState;
  /** Whether a transceiver has negotiated to receive (with `confer`, one such connection per remote stream). */
  receiving: boolean;
  inbound: InboundTrackStats[];
}

/** A media element a `from` locator led to. */
export interface MediaElementReading {
  tag: string;
  videoWidth: number;
  tracks: Array<{ id: string; kind: string; readyState: string }>;
}

/** Options of {@link expectVideoFlowing} and {@link expectAudioFlowing}. */
export interface FlowingOptions {
  /**
   * Where the sender shows on the page: a locator or CSS selector of the `<video>`/`<audio>` element(s)
   * playing them, or of a container holding them (a tile). Without it, every inbound track of that kind
   * on the page's live peer connections must flow, and there must be one.
   */
  from?: Locator | string;
  /** How long to wait, in milliseconds (default 30 s: ICE, DTLS and a keyframe on a loaded machine). */
  timeout?: number;
}

/** The default deadline of the media assertions. */
export const MEDIA_TIMEOUT_MS = 30_000;
/** Between two readings of `getStats()`: long enough for a 15 fps video to decode a few frames. */
const POLL_INTERVAL_MS = 300;

const CENSUS_MISSING =
  'the page has no RTC census: open it through the `participant` fixture, or call `context.addInitScript(installRtcCensus)` before it loads';

/**
 * Reads every peer connection the census knows, with its `inbound-rtp` stats. Runs in the browser
 * (`page.evaluate(readPeerConnections)`): sent as source text, so it uses nothing from outside its body.
 */
export async function readPeerConnections(): Promise<PeerConnectionReading[] | undefined> {
  const census = window.__rtcCensus;
  if (!census) return undefined;
  return Promise.all(
    census.peerConnections.map(async (pc, index) => {
      const inbound: InboundTrackStats[] = [];
      if (pc.connectionState !== 'closed') {
        (await pc.getStats()).forEach((stat: Record<string, unknown>) => {
          if (stat.type !== 'inbound-rtp') return;
          inbound.push({
            kind: stat.kind as 'audio' | 'video',
            trackIdentifier: String(stat.trackIdentifier),
            packetsReceived: Number(stat.packetsReceived ?? 0),
            framesDecoded: Number(stat.framesDecoded ?? 0),
          });
        });
      }
      const receiving = pc.getTransceivers().some((t) => t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv');
      return { index, connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState, receiving, inbound };
    }),
  );
}

/** Runs in the browser: the media elements in or at `elements`, with their tracks. */
function readMediaElements(elements: Element[]): MediaElementReading[] {
  return elements
    .flatMap((element) => (element.matches('video, audio') ? [element] : [...element.querySelectorAll('video, audio')]))
    .map((element) => {
      const media = element as HTMLMediaElement;
      const stream = media.srcObject instanceof MediaStream ? media.srcObject : undefined;
      return {
        tag: element.tagName.toLowerCase(),
        videoWidth: element instanceof HTMLVideoElement ? element.videoWidth : 0,
        tracks: stream?.getTracks().map((track) => ({ id: track.id, kind: track.kind, readyState: track.readyState })) ?? [],
      };
    });
}

interface Reading {
  peerConnections: PeerConnectionReading[];
  elements: MediaElementReading[] | undefined;
}

interface Verdict {
  ok: boolean;
  seen: string;
}

async function read(page: Page, from: Locator | string | undefined): Promise<Reading> {
  const peerConnections = await page.evaluate(readPeerConnections);
  if (!peerConnections) throw new Error(CENSUS_MISSING);
  const locator = typeof from === 'string' ? page.locator(from) : from;
  const elements = locator ? await locator.evaluateAll(readMediaElements) : undefined;
  return { peerConnections, elements };
}

function judgeFlowing(kind: 'audio' | 'video', now: Reading, before: Reading | undefined): Verdict {
  const counter = kind === 'video' ? 'framesDecoded' : 'packetsReceived';
  const find = (reading: Reading | undefined, trackId: string) => {
    for (const pc of reading?.peerConnections ?? []) {
      const stat = pc.inbound.find((entry) => entry.trackIdentifier === trackId);
      if (stat) return { pc, stat };
    }
    return undefined;
  };
  let targets: Array<{ trackId: string; element?: MediaElementReading }>;
  if (now.elements) {
    if (now.elements.length === 0) return { ok: false, seen: 'no <video> or <audio> element matches `from`' };
    targets = now.elements.flatMap((element) => element.tracks.filter((t) => t.kind === kind).map((t) => ({ trackId: t.id, element })));
    if (targets.length === 0) return { ok: false, seen: `${now.elements.length} element(s) matched \`from\` but play no ${kind} track` };
  } else {
    targets = now.peerConnections.filter((pc) => pc.connectionState !== 'closed').flatMap((pc) => pc.inbound.filter((s) => s.kind === kind).map((s) => ({ trackId: s.trackIdentifier })));
    if (targets.length === 0) return { ok: false, seen: `no inbound ${kind} on any live peer connection (${describePeerConnections(now.peerConnections)})` };
  }
  let ok = true;
  const lines = targets.map(({ trackId, element }) => {
    const current = find(now, trackId);
    const previous = find(before, trackId)?.stat[counter];
    const width = element && kind === 'video' ? `, <${element.tag}> videoWidth ${element.videoWidth}` : '';
    if (element && kind === 'video' && element.videoWidth === 0) ok = false;
    if (!current) {
      ok = false;
      return `track ${trackId.slice(0, 8)}: no inbound-rtp on any live peer connection${width}`;
    }
    const value = current.stat[counter];
    if (previous === undefined || value <= previous) ok = false;
    const pcState = `pc #${current.pc.index} ${current.pc.connectionState}/ice ${current.pc.iceConnectionState}`;
    return `track ${trackId.slice(0, 8)} (${pcState}): ${counter} ${previous ?? '?'} → ${value}${width}`;
  });
  return { ok, seen: lines.join('; ') };
}

function describePeerConnections(pcs: PeerConnectionReading[]): string {
  if (pcs.length === 0) return 'no peer connection created';
  return pcs.map((pc) => `pc #${pc.index} ${pc.receiving ? 'receiving' : 'not receiving'} ${pc.connectionState}`).join(', ');
}

function describeFrom(from: Locator | string | undefined): string {
  return from === undefined ? 'any sender' : String(from);
}

async function expectFlowing(name: string, kind: 'audio' | 'video', page: Page, options: FlowingOptions): Promise<void> {
  const timeout = options.timeout ?? MEDIA_TIMEOUT_MS;
  const deadline = Date.now() + timeout;
  let before: Reading | undefined;
  for (;;) {
    const now = await read(page, options.from);
    const verdict = judgeFlowing(kind, now, before);
    if (verdict.ok) return;
    if (Date.now() >= deadline) throw new Error(`${name}(from ${describeFrom(options.from)}): no ${kind} flowing within ${timeout} ms; last seen: ${verdict.seen}`);
    before = now;
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * Waits until the page decodes video from `from` (every matching track's `framesDecoded` grows between
 * two readings of `getStats()`, and its `<video>` has a size); fails at the deadline saying what it saw.
 */
export function expectVideoFlowing(page: Page, options: FlowingOptions = {}): Promise<void> {
  return expectFlowing('expectVideoFlowing', 'video', page, options);
}

/** Waits until the page receives audio from `from` (every matching track's `packetsReceived` grows); fails saying what it saw. */
export function expectAudioFlowing(page: Page, options: FlowingOptions = {}): Promise<void> {
  return expectFlowing('expectAudioFlowing', 'audio', page, options);
}

/**
 * Waits until the page receives exactly `count` remote streams: live peer connections negotiated to
 * receive (the `confer` library opens one per remote stream it views).
 */
export async function expectStreamCount(page: Page, count: number, options: { timeout?: number } = {}): Promise<void> {
  const timeout = options.timeout ?? MEDIA_TIMEOUT_MS;
  const deadline = Date.now() + timeout;
  for (;;) {
    const pcs = await page.evaluate(readPeerConnections);
    if (!pcs) throw new Error(CENSUS_MISSING);
    const receiving = pcs.filter((pc) => pc.connectionState !== 'closed' && pc.receiving).length;
    if (receiving === count) return;
    if (Date.now() >= deadline) throw new Error(`expectStreamCount: expected ${count} remote stream(s), saw ${receiving} within ${timeout} ms: ${describePeerConnections(pcs)}`);
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * Waits until the page holds no live `RTCPeerConnection` and no live track (captured, cloned or
 * received), as the census counts them; fails naming what is still alive.
 */
export async function expectNoLeaks(page: Page, options: { timeout?: number } = {}): Promise<void> {
  const timeout = options.timeout ?? 10_000;
  const deadline = Date.now() + timeout;
  for (;;) {
    const details = await page.evaluate((): RtcCensusDetails | undefined => window.__rtcCensus?.details());
    if (!details) throw new Error(CENSUS_MISSING);
    if (details.peerConnections.length === 0 && details.tracks.length === 0) return;
    if (Date.now() >= deadline) {
      const pcs = details.peerConnections.map((pc) => `#${pc.index} ${pc.connectionState}${pc.receiving ? ' receiving' : ''}`).join(', ');
      const tracks = details.tracks.map((t) => `${t.source} ${t.kind} "${t.label}"`).join(', ');
      throw new Error(
        `expectNoLeaks: after ${timeout} ms the page still holds ${details.peerConnections.length} live RTCPeerConnection(s)${pcs ? ` (${pcs})` : ''} and ${details.tracks.length} live track(s)${tracks ? ` (${tracks})` : ''}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}
