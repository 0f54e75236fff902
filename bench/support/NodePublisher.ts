import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Wrtc from '@roamhq/wrtc';
import type { Room } from 'confer';
import { onCleanup } from './cleanup.js';
import type { loadLibrary } from './libraryInNode.js';

/** libwebrtc for Node; required because the package is CommonJS with named-only typings. */
const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as typeof Wrtc;

/** Size and rate of the synthetic camera. */
export interface SyntheticVideo {
  width: number;
  height: number;
  fps: number;
  /** Share of the rows (0..1) that are fresh noise in every frame, in a band moving down: detail the encoder must spend bits on, like a face or a room; 0 by default. */
  noise?: number;
}

/** A synthetic camera: its track, and the timer feeding it frames. */
export interface SyntheticCamera {
  readonly track: Wrtc.MediaStreamTrack;
  /** Stops feeding frames; the track stays the caller's to stop. */
  stopFrames(): void;
}

/**
 * Starts a synthetic camera of `video`'s size and rate: a moving bar on grey (plus a band of noise with
 * `noise`), so the VP8 encoder has real work and keyframes have a realistic size.
 */
export function startSyntheticCamera(video: SyntheticVideo): SyntheticCamera {
  const source = new wrtc.nonstandard.RTCVideoSource();
  const track = source.createTrack();
  const { width, height, fps } = video;
  const data = new Uint8Array(width * height * 1.5);
  data.fill(128, width * height);
  let frame = 0;
  const timer = setInterval(() => {
    frame++;
    data.fill(90, 0, width * height);
    const band = Math.floor(height * (video.noise ?? 0));
    if (band > 0) randomFillSync(data, ((frame * 4) % (height - band + 1)) * width, band * width);
    const bar = (frame * 4) % width;
    for (let y = 0; y < height; y++) data.fill(235, y * width + bar, y * width + Math.min(width, bar + 24));
    source.onFrame({ width, height, data });
  }, 1000 / fps);
  return { track, stopFrames: () => clearInterval(timer) };
}

/**
 * A participant in Node publishing a synthetic camera through the library's own `Room` (libwebrtc
 * from @roamhq/wrtc passed in as `createPeerConnection`) and a {@link startSyntheticCamera}. It views nothing.
 */
export class NodePublisher {
  private camera: SyntheticCamera | undefined;
  private readonly peerConnections: RTCPeerConnection[] = [];
  readonly room: Room;

  constructor(
    library: Awaited<ReturnType<typeof loadLibrary>>,
    baseUrl: string,
    userId: string,
    private readonly video: SyntheticVideo,
    /** `simulcast` of the publish (the library's default: on), and the Room's `dynacast` (default on) and `requestTimeoutMs`. */
    private readonly layers: { simulcast?: boolean; dynacast?: boolean; requestTimeoutMs?: number } = {},
  ) {
    this.room = new library.Room({
      baseUrl,
      ...(layers.dynacast !== undefined ? { dynacast: layers.dynacast } : {}),
      ...(layers.requestTimeoutMs !== undefined ? { requestTimeoutMs: layers.requestTimeoutMs } : {}),
      auth: { clientId: 'demo', clientSecret: 'demo', userId },
      autoView: false,
      window: null,
      createPeerConnection: (configuration) => {
        const pc = new wrtc.RTCPeerConnection(configuration) as unknown as RTCPeerConnection;
        this.peerConnections.push(pc);
        return pc;
      },
      createMediaStream: (tracks) => new wrtc.MediaStream(tracks as unknown as Wrtc.MediaStreamTrack[]) as unknown as MediaStream,
    });
    onCleanup(`node publisher ${userId}`, () => this.close());
  }

  /** Joins (creating the conference if needed) and publishes the synthetic camera; answers the stream id. */
  async joinAndPublish(conferenceId: string): Promise<string> {
    await this.room.join(conferenceId, { create: true, metadata: { name: 'node publisher' } });
    this.camera = startSyntheticCamera(this.video);
    const mediaStream = new wrtc.MediaStream([this.camera.track]) as unknown as MediaStream;
    const simulcast = this.layers.simulcast;
    const local = await this.room.publish({ type: 'CAM', mediaStream, ...(simulcast !== undefined ? { simulcast } : {}) });
    return local.streamId;
  }

  /** Video bytes sent so far by simulcast rid (`-` without simulcast): the publisher's upload. */
  async videoBytesSent(): Promise<Record<string, number>> {
    const bytes: Record<string, number> = {};
    for (const pc of this.peerConnections) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((stat: { type: string; kind?: string; rid?: string; bytesSent?: number }) => {
        const rid = stat.rid ?? '-';
        if (stat.type === 'outbound-rtp' && stat.kind === 'video') bytes[rid] = (bytes[rid] ?? 0) + (stat.bytesSent ?? 0);
      });
    }
    return bytes;
  }

  /** Video frames the encoder has produced so far (the encoder may skip frames under CPU pressure). */
  async framesEncoded(): Promise<number> {
    let frames = 0;
    for (const pc of this.peerConnections) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((stat: { type: string; kind?: string; framesEncoded?: number }) => {
        if (stat.type === 'outbound-rtp' && stat.kind === 'video') frames += stat.framesEncoded ?? 0;
      });
    }
    return frames;
  }

  async close(): Promise<void> {
    this.camera?.stopFrames();
    await this.room.leave();
    this.camera?.track.stop();
  }
}
