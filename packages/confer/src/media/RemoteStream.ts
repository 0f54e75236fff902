import type { Metadata, StreamType } from '../api/types.js';
import type { MediaKind } from './mediaKinds.js';
import type { StreamConnectionState } from './StreamConnection.js';
import type { Playback } from './Playback.js';
import { QualityTracker } from '../stats/connectionQuality.js';
import type { ConnectionQuality } from '../stats/connectionQuality.js';
import type { StreamStats } from '../stats/streamStats.js';
import type { VideoLayer, VideoPreference } from './simulcast.js';

/** A stream published by another participant. `mediaStream` fills with its tracks while it is viewed. */
export class RemoteStream {
  /** @internal */
  readonly muted: Record<MediaKind, boolean> = { audio: false, video: false };
  private statsSource: (() => Promise<RTCStatsReport>) | undefined;
  private connection: StreamConnectionState = 'connecting';
  private audioReceiver: RTCRtpReceiver | undefined;
  private latestStats: StreamStats | undefined;
  /** `latestStats` with the current `videoLayer`, made once per sample or layer change (a UI may read `stats` every frame). */
  private statsView: StreamStats | undefined;
  private readonly quality = new QualityTracker();
  private readonly elements = new Set<HTMLMediaElement>();
  /** Set by the room: where attach() reports an autoplay refusal. @internal */
  playback: Playback | undefined;
  /** The bitrate cap the publisher announced, in bits per second. */
  videoBitrate: number | undefined;
  private explicitPreference: Partial<VideoPreference> | undefined;
  private adaptivePreference: VideoPreference | undefined;
  private layer: VideoLayer | undefined;
  /** Where a changed preference goes: the layer channel of the viewer that receives the stream. @internal */
  onVideoPreference: ((preference: VideoPreference) => void) | undefined;

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

  /** The last stats sample of the receiving connection (sampled while the room has a listener of a sampled event), with the current `videoLayer`. */
  get stats(): StreamStats | undefined {
    // The layer is kept once, here: a sample shows what `videoLayer` says when it is read.
    this.statsView ??= this.latestStats && { ...this.latestStats, videoLayer: this.layer };
    return this.statsView;
  }

  /** How well the stream gets through: `lost` while its connection is re-established or gave up, `unknown` until sampled. */
  get connectionQuality(): ConnectionQuality {
    return this.connection === 'reconnecting' || this.connection === 'failed' ? 'lost' : this.quality.quality;
  }

  /**
   * The received audio level, 0..1 (linear, 1 = 0 dBov) of the latest packet (RFC 6464, through
   * `getSynchronizationSources()`, read on every access), else the last sampled `inbound-rtp` level; 0 when muted or silent.
   */
  get audioLevel(): number {
    if (this.muted.audio) return 0;
    const [source] = this.audioReceiver?.getSynchronizationSources?.() ?? [];
    return source?.audioLevel ?? this.latestStats?.audioLevel ?? 0;
  }

  /** Plays the stream in `element` (srcObject, autoplay, playsInline, play()); an autoplay refusal fires the room's `audioPlaybackBlocked` instead of rejecting. */
  attach(element: HTMLMediaElement): Promise<void> {
    this.elements.add(element);
    element.autoplay = true;
    (element as HTMLVideoElement).playsInline = true;
    element.srcObject = this.mediaStream;
    return this.playback ? this.playback.play(this, element) : element.play().catch(() => undefined);
  }

  /** Stops playing the stream in `element`, or in every element it was attached to. */
  detach(element?: HTMLMediaElement): void {
    for (const attached of element ? [element] : [...this.elements]) {
      this.elements.delete(attached);
      this.playback?.forget(attached);
      if (attached.srcObject === this.mediaStream) attached.srcObject = null;
    }
  }

  /**
   * What this stream asks the server to forward: the last `setVideoPreference()`, else what adaptive
   * stream measured of the elements it is attached to, else everything.
   */
  get videoPreference(): VideoPreference {
    const preference = this.explicitPreference ?? this.adaptivePreference;
    return { maxWidth: preference?.maxWidth ?? null, maxHeight: preference?.maxHeight ?? null, paused: preference?.paused ?? false };
  }

  /** Asks the server for at most this size (device pixels), or for no video (`paused`); overrides adaptive stream until called with `null`. */
  setVideoPreference(preference: Partial<VideoPreference> | null): void {
    this.changePreference(() => (this.explicitPreference = preference ?? undefined));
  }

  /** The layer the server says it forwards (`rid: null` while paused); undefined until it says, and from servers that do not. */
  get videoLayer(): VideoLayer | undefined {
    return this.layer;
  }

  /** What adaptive stream measured of the attached elements (undefined: none attached). @internal */
  setAdaptivePreference(preference: VideoPreference | undefined): void {
    this.changePreference(() => (this.adaptivePreference = preference));
  }

  /** The viewer's layer channel heard which layer the server forwards. @internal */
  setVideoLayer(layer: VideoLayer | undefined): void {
    this.layer = layer;
    this.statsView = undefined;
  }

  private changePreference(change: () => void): void {
    const before = JSON.stringify(this.videoPreference);
    change();
    if (JSON.stringify(this.videoPreference) !== before) this.onVideoPreference?.(this.videoPreference);
  }

  /** Names the connection that receives this stream (and its audio receiver), or none; its samples start over. @internal */
  setStatsSource(source: (() => Promise<RTCStatsReport>) | undefined, audioReceiver: RTCRtpReceiver | undefined): void {
    this.statsSource = source;
    this.audioReceiver = audioReceiver;
    this.setStats(undefined);
  }

  /** A stats sample of the receiving connection; answers whether the quality changed. @internal */
  setStats(stats: StreamStats | undefined): boolean {
    this.latestStats = stats;
    this.statsView = undefined;
    return this.quality.update(stats, true);
  }

  /** Puts a (re)negotiated viewer's tracks into `mediaStream`, keeping the same object for the page. @internal */
  setTracks(tracks: MediaStreamTrack[]): void {
    for (const old of this.mediaStream.getTracks()) if (!tracks.includes(old)) this.mediaStream.removeTrack(old);
    for (const track of tracks) if (!this.mediaStream.getTracks().includes(track)) this.mediaStream.addTrack(track);
  }
}
