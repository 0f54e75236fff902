import type { Metadata, StreamType } from '../api/types.js';
import type { MediaKind } from './mediaKinds.js';
import type { StreamConnectionState } from './StreamConnection.js';

/** A stream published by another participant. `mediaStream` fills with its tracks while it is viewed. */
export class RemoteStream {
  /** @internal */
  readonly muted: Record<MediaKind, boolean> = { audio: false, video: false };
  private statsSource: (() => Promise<RTCStatsReport>) | undefined;
  private connection: StreamConnectionState = 'connecting';
  /** The bitrate cap the publisher announced, in bits per second. */
  videoBitrate: number | undefined;

  /** @internal */
  constructor(
    /** The stream id, unique in the conference. */
    readonly streamId: string,
    /** The endpoint that publishes it. */
    readonly userEndpointId: string,
    /** The user that publishes it, when the server names one. */
    readonly userId: string | undefined,
    /** MIC, CAM, MIC_AND_CAM, SCREEN (or UNKNOWN). */
    readonly type: StreamType,
    /** The publisher's stream metadata. */
    public metadata: Metadata,
    /** The received tracks; give it to a `<video>`'s `srcObject`. */
    readonly mediaStream: MediaStream,
  ) {}

  /** Whether the publisher muted its microphone (TRACK_MUTED metadata). */
  get audioMuted(): boolean {
    return this.muted.audio;
  }

  /** Whether the publisher turned its camera off (TRACK_MUTED metadata). */
  get videoMuted(): boolean {
    return this.muted.video;
  }

  /** The state of the connection that receives it: `connecting` until a view connects, `reconnecting` while it is re-established, `failed` when viewing gave up. */
  get connectionState(): StreamConnectionState {
    return this.connection;
  }

  /** Set by the viewer. @internal */
  setConnectionState(state: StreamConnectionState): void {
    this.connection = state;
  }

  /** The receiving connection's `getStats()` report (inbound-rtp, candidate-pair), or undefined while it is not viewed. */
  async getStats(): Promise<RTCStatsReport | undefined> {
    return this.statsSource?.();
  }

  /** Names the connection that receives this stream, or none. @internal */
  setStatsSource(source: (() => Promise<RTCStatsReport>) | undefined): void {
    this.statsSource = source;
  }

  /** Puts a (re)negotiated viewer's tracks into `mediaStream`, keeping the same object for the page. @internal */
  setTracks(tracks: MediaStreamTrack[]): void {
    for (const old of this.mediaStream.getTracks()) if (!tracks.includes(old)) this.mediaStream.removeTrack(old);
    for (const track of tracks) if (!this.mediaStream.getTracks().includes(track)) this.mediaStream.addTrack(track);
  }
}
