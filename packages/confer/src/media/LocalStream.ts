import type { StreamType } from '../api/types.js';
import type { MediaKind } from './mediaKinds.js';
import type { Publisher } from './Publisher.js';
import type { StreamConnectionState } from './StreamConnection.js';
import type { ConnectionQuality } from '../stats/connectionQuality.js';
import type { StreamStats } from '../stats/streamStats.js';

/** A stream this room publishes, as returned by `room.publish()`. */
export class LocalStream {
  /** @internal */
  constructor(
    private readonly publisher: Publisher,
    private readonly captureTrack: (kind: MediaKind, deviceId: string) => Promise<MediaStreamTrack>,
  ) {}

  /** The stream id (a UUID chosen by the library), as remote participants see it. */
  get streamId(): string {
    return this.publisher.streamId;
  }

  /** MIC, CAM, MIC_AND_CAM or SCREEN. */
  get type(): StreamType {
    return this.publisher.type;
  }

  /** The tracks being sent, e.g. for a local preview. */
  get mediaStream(): MediaStream {
    return this.publisher.mediaStream;
  }

  /** The video bitrate cap in bits per second, when one was set. */
  get videoBitrate(): number | undefined {
    return this.publisher.videoBitrate;
  }

  /** Whether the microphone is muted. */
  get audioMuted(): boolean {
    return this.publisher.isMuted('audio');
  }

  /** Whether the camera is turned off. */
  get videoMuted(): boolean {
    return this.publisher.isMuted('video');
  }

  /** False once unpublished, by `unpublish()`, `leave()`, the browser's "Stop sharing", or a failure. */
  get published(): boolean {
    return !this.publisher.closed;
  }

  /** The state of the sending connection: `connecting` until it first connects, `reconnecting` while a lost one is replaced, `failed` when republishing gave up. */
  get connectionState(): StreamConnectionState {
    return this.publisher.connectionState;
  }

  /** The last stats sample of the sending connection (sampled while the room has a listener of a sampled event). */
  get stats(): StreamStats | undefined {
    return this.publisher.stats;
  }

  /** How well the stream gets out: `lost` while its connection is re-established or gave up, `unknown` until sampled. */
  get connectionQuality(): ConnectionQuality {
    return this.publisher.connectionQuality;
  }

  /** The microphone's level, 0..1 (linear, 1 = 0 dBov), from the sender's `media-source` stats at the last sample; 0 while muted. */
  get audioLevel(): number {
    return this.audioMuted ? 0 : (this.publisher.stats?.audioLevel ?? 0);
  }

  /** @internal Set by the room's muted-speech detector. */
  speakingMuted = false;

  /** Whether the microphone is muted but hears speech (a "you are muted" hint); kept current while someone listens to `speakingWhileMutedChanged`. */
  get speakingWhileMuted(): boolean {
    return this.speakingMuted && this.audioMuted;
  }

  /** The sending connection's `getStats()` report (outbound-rtp, candidate-pair, remote-inbound-rtp), or undefined once unpublished. */
  getStats(): Promise<RTCStatsReport | undefined> {
    return this.publisher.getStats();
  }

  /** Caps the video bitrate (bits per second) on the sender and on the server. */
  setVideoBitrate(bitsPerSecond: number): Promise<void> {
    return this.publisher.setVideoBitrate(bitsPerSecond);
  }

  /** Mutes or unmutes a kind of track; everyone sees it through the TRACK_MUTED conference metadata. */
  setMuted(kind: MediaKind, muted: boolean): Promise<void> {
    return this.publisher.setMuted(kind, muted);
  }

  /** Sends another track of the same kind without renegotiating; the track stays the caller's to stop. */
  replaceTrack(track: MediaStreamTrack): Promise<void> {
    return this.publisher.replaceTrack(track);
  }

  /** Captures the given camera or microphone and sends it instead of the current one (the old capture is stopped). */
  async switchDevice(kind: MediaKind, deviceId: string): Promise<void> {
    const track = await this.captureTrack(kind, deviceId);
    try {
      await this.publisher.replaceTrack(track, true);
    } catch (error) {
      track.stop();
      throw error;
    }
  }

  /** Stops sending and unpublishes; tracks the library captured are stopped. */
  unpublish(): Promise<void> {
    return this.publisher.unpublish();
  }
}
