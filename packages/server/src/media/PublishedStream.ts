import type { RTCRtpHeaderExtensionParameters, RtpPacket } from 'werift';
import { isKeyframeStart } from './codecs.js';
import type { MediaKind, OfferedCodec } from './codecs.js';
import { KeyframeThrottle } from './KeyframeThrottle.js';
import type { KeyframeRequestReason } from './KeyframeThrottle.js';
import { MediaRouterError } from './MediaRouter.js';
import type { IceCandidate, StreamRef, StreamType } from './MediaRouter.js';
import type { NetworkConfig } from './NetworkConfig.js';
import { PublisherConnection } from './PublisherConnection.js';
import type { ResourceTracker } from './ResourceTracker.js';
import { RtpContinuity } from './RtpContinuity.js';
import type { RewrittenHeader } from './RtpContinuity.js';
import type { SdpOffer } from './SdpOffer.js';
import { TaskQueue } from './TaskQueue.js';
import type { StreamViewer } from './StreamViewer.js';

/** What a viewer sink gets with each packet: the header viewers see and the extension ids of the publisher's packet. */
export interface ForwardedHeader extends RewrittenHeader {
  /** The publisher connection's negotiated extensions; the same array until the publisher reconnects. */
  headerExtensions: readonly RTCRtpHeaderExtensionParameters[];
}

/**
 * Receives each forwarded RTP packet of one kind with the header viewers must see (dropped packets
 * leave no gap, a reconnection of the publisher no jump). The packet is shared: a sink clones it
 * before changing anything.
 */
export type RtpSink = (packet: RtpPacket, header: ForwardedHeader) => void;

/** Everything a published stream needs from the router. */
export interface PublishedStreamInit {
  ref: StreamRef;
  userEndpointId: string;
  streamType: StreamType;
  offer: SdpOffer;
  videoBitrate: number;
  network: NetworkConfig;
  tracker: ResourceTracker;
  keyframeRequestIntervalMs: number;
  noMediaTimeoutMs: number;
  /** Called when the stream becomes sick (failed connection, no RTP) or well again. */
  onHealthChange: (sick: boolean) => void;
}

/** REMB is repeated this often: Chromium treats an old REMB as stale and falls back to its own estimate. */
const REMB_INTERVAL_MS = 1_000;

/**
 * One published stream: owns the publisher's current connection ({@link PublisherConnection}),
 * fans its RTP out to the viewers' sinks, sends it REMB at the stream's cap and forwards keyframe
 * requests (throttled). A reconnection of the publisher replaces the connection while viewers stay
 * attached: per kind, an {@link RtpContinuity} makes the new connection's packets continue the old.
 * Owns its viewers: closing the stream closes them.
 */
export class PublishedStream {
  /** The viewers of this stream by viewerId. */
  readonly viewers = new Map<string, StreamViewer>();
  /** Viewers negotiating to replace the one of their id (a viewer's reconnection); closed with the stream. */
  readonly replacingViewers = new Set<StreamViewer>();
  /** Counters for tests and benchmarks. */
  readonly stats = { packetsReceived: 0, mediaPacketsReceived: 0, rembsSent: 0, reconnections: 0 };
  private connection: PublisherConnection;
  /** A reconnection's connection while it negotiates. */
  private next: PublisherConnection | undefined;
  private readonly reconnections = new TaskQueue();
  private readonly sinks: Record<MediaKind, Set<RtpSink>> = { audio: new Set(), video: new Set() };
  private readonly continuity = new Map<MediaKind, RtpContinuity>();
  private readonly keyframes: KeyframeThrottle;
  private videoBitrate: number;
  private negotiated: Map<MediaKind, OfferedCodec> | undefined;
  private progressCount = 0;
  private lastProgressAt = performance.now();
  private lastRembAt = Number.NEGATIVE_INFINITY;
  private sick = false;
  private closed = false;

  constructor(private readonly init: PublishedStreamInit) {
    this.videoBitrate = init.videoBitrate;
    init.tracker.countPublisher(1);
    this.keyframes = new KeyframeThrottle(init.keyframeRequestIntervalMs, () => this.connection.sendPli(), init.tracker);
    this.connection = this.connect(init.offer);
  }

  /** The stream's identity. */
  get ref(): StreamRef {
    return this.init.ref;
  }

  /** The publishing endpoint. */
  get userEndpointId(): string {
    return this.init.userEndpointId;
  }

  /** The stream type it was published with. */
  get streamType(): StreamType {
    return this.init.streamType;
  }

  /** Codecs the publisher sends, by kind; undefined until the offer is answered. */
  get codecs(): ReadonlyMap<MediaKind, OfferedCodec> | undefined {
    return this.negotiated;
  }

  /** Keyframe requests received from viewers (all, first ones of new viewers) / forwarded to the publisher. */
  get keyframeStats(): Readonly<{ requested: number; newViewers: number; sent: number }> {
    return this.keyframes.stats;
  }

  /** Applies the publisher's first offer and answers recvonly, with all server candidates. */
  async answer(): Promise<string> {
    const sdp = await this.connection.answer();
    this.negotiated = this.init.offer.codecs();
    for (const [kind, codec] of this.negotiated) this.continuity.set(kind, new RtpContinuity(codec.clockRate, kind === 'video'));
    return sdp;
  }

  /**
   * The publisher reconnects with a new offer (same stream, new peer connection): answers it, then
   * closes the old connection and forwards the new one's packets to the same viewers, video from its
   * first keyframe (asked for as soon as it connects). If the offer fails, the old connection stays.
   */
  reconnect(offer: SdpOffer): Promise<string> {
    return this.reconnections.push(async () => {
      if (this.closed) throw closedWhileReconnecting(this.ref);
      const next = this.connect(offer);
      this.next = next;
      try {
        const sdp = await next.answer();
        if (this.closed) throw closedWhileReconnecting(this.ref);
        this.connection.close();
        this.connection = next;
        for (const continuity of this.continuity.values()) continuity.newSource();
        this.stats.reconnections++;
        this.updateHealth(performance.now());
        return sdp;
      } catch (error) {
        next.close();
        throw error;
      } finally {
        this.next = undefined;
      }
    });
  }

  /** Adds the publisher's trickled candidates to its current connection. */
  addCandidates(candidates: readonly IceCandidate[]): Promise<void> {
    return this.connection.addCandidates(candidates);
  }

  /** The header extensions negotiated with the publisher's current connection for a kind. */
  headerExtensions(kind: MediaKind): readonly RTCRtpHeaderExtensionParameters[] {
    return this.connection.headerExtensions(kind);
  }

  /** Registers a sink for the publisher's RTP of one kind; returns the unsubscribe function. */
  subscribe(kind: MediaKind, sink: RtpSink): () => void {
    this.sinks[kind].add(sink);
    return () => this.sinks[kind].delete(sink);
  }

  /** A viewer just connected, or lost a picture (PLI/FIR): ask the publisher for a keyframe (see `KeyframeThrottle`). */
  requestKeyframe(reason: KeyframeRequestReason): void {
    if (!this.negotiated?.has('video')) return;
    this.keyframes.request(reason);
  }

  /** Changes the cap and tells the publisher at once. */
  setVideoBitrate(bitrate: number): void {
    this.videoBitrate = bitrate;
    this.sendRemb();
  }

  /** Periodic work driven by the router: REMB refresh and the no-RTP health check. */
  tick(now: number): void {
    if (this.closed) return;
    if (now - this.lastRembAt >= REMB_INTERVAL_MS) this.sendRemb();
    this.updateHealth(now);
  }

  /** Closes the publisher's connection (and one still negotiating) and every viewer of it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const viewer of [...this.viewers.values(), ...this.replacingViewers]) viewer.close();
    this.viewers.clear();
    this.replacingViewers.clear();
    this.keyframes.close();
    this.connection.close();
    this.next?.close();
    this.sinks.audio.clear();
    this.sinks.video.clear();
    this.init.tracker.countPublisher(-1);
  }

  private connect(offer: SdpOffer): PublisherConnection {
    const connection: PublisherConnection = new PublisherConnection({
      offer,
      network: this.init.network,
      tracker: this.init.tracker,
      onStateChange: (state) => {
        if (connection !== this.connection) return;
        if (state === 'connected') {
          this.sendRemb();
          // A new connection is a new encoder on the publisher's side: ask for its keyframe at once.
          if (this.continuity.get('video')?.awaitingKeyframe) this.keyframes.newSource();
        }
        this.updateHealth(performance.now());
      },
      onRtp: (kind, packet) => {
        if (connection === this.connection) this.forward(kind, packet);
      },
    });
    return connection;
  }

  private forward(kind: MediaKind, packet: RtpPacket): void {
    const continuity = this.continuity.get(kind);
    const codec = this.negotiated?.get(kind);
    if (!continuity || !codec) return;
    this.stats.packetsReceived++;
    // Padding-only packets (the publisher's bandwidth probes; without RTX they come on the media
    // SSRC) carry nothing a viewer can use, nor prove that media flows.
    if (packet.payload.length === 0) {
      continuity.drop(packet.header.sequenceNumber);
      return;
    }
    this.stats.mediaPacketsReceived++;
    const header = continuity.map({
      sequenceNumber: packet.header.sequenceNumber,
      timestamp: packet.header.timestamp,
      startsKeyframe: () => isKeyframeStart(codec, packet.payload),
    });
    if (!header) return;
    const forwarded: ForwardedHeader = { ...header, headerExtensions: this.connection.headerExtensions(kind) };
    for (const sink of this.sinks[kind]) sink(packet, forwarded);
  }

  private sendRemb(): void {
    if (!this.connection.sendRemb(this.videoBitrate)) return;
    this.lastRembAt = performance.now();
    this.stats.rembsSent++;
  }

  private updateHealth(now: number): void {
    if (this.closed) return;
    if (this.stats.mediaPacketsReceived !== this.progressCount) {
      this.progressCount = this.stats.mediaPacketsReceived;
      this.lastProgressAt = now;
    }
    const state = this.connection.connectionState;
    const failed = state === 'failed' || state === 'disconnected';
    const silent = now - this.lastProgressAt > this.init.noMediaTimeoutMs;
    const sick = failed || silent;
    if (sick === this.sick) return;
    this.sick = sick;
    this.init.onHealthChange(sick);
  }
}

function closedWhileReconnecting(ref: StreamRef): MediaRouterError {
  return new MediaRouterError('not-found', `stream ${ref.streamId} of conference ${ref.conferenceId} was unpublished while it reconnected`);
}
