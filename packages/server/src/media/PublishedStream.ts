import type { RTCRtpHeaderExtensionParameters, RtpPacket } from 'werift';
import { codecName, isKeyframeStart } from './codecs.js';
import type { MediaKind, OfferedCodec } from './codecs.js';
import { KeyframeThrottle } from './KeyframeThrottle.js';
import type { KeyframeRequestReason } from './KeyframeThrottle.js';
import { MediaRouterError } from './MediaRouter.js';
import type { IceCandidate, StreamRef, StreamType } from './MediaRouter.js';
import type { NetworkConfig } from './NetworkConfig.js';
import { PublisherConnection } from './PublisherConnection.js';
import type { PublisherLayer } from './PublisherLayer.js';
import type { ResourceTracker } from './ResourceTracker.js';
import type { SdpOffer } from './SdpOffer.js';
import { TaskQueue } from './TaskQueue.js';
import type { StreamViewer } from './StreamViewer.js';

/**
 * Receives the publisher's RTP of one kind, every layer of it; each viewer forwards one layer. The
 * packet is shared: a sink clones it before changing anything.
 */
export interface RtpSink {
  /** A media packet of `layer`; `keyframe`: it starts a keyframe (video). */
  rtp(packet: RtpPacket, layer: PublisherLayer, keyframe: boolean, headerExtensions: readonly RTCRtpHeaderExtensionParameters[]): void;
  /** A packet of `layer` the router dropped (padding only): the viewer's numbering closes the gap. */
  drop(layer: PublisherLayer, sequenceNumber: number): void;
}

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
/** After a new viewer arrives every layer stays active this long, so its choice never waits for an encoder to start. */
const NEW_VIEWER_ALL_LAYERS_MS = 2_000;

/**
 * One published stream: owns the publisher's current connection ({@link PublisherConnection}),
 * fans its RTP out to the viewers' sinks (every layer; each viewer forwards one), sends it REMB at
 * the stream's cap, forwards keyframe requests (throttled, for the layers asked for) and tells it
 * which simulcast layers anybody views (dynacast). A reconnection of the publisher replaces the
 * connection while viewers stay attached: its layers are new objects, which each viewer's
 * forwarders join at their first keyframe, continuing the viewer's numbering. Owns its viewers:
 * closing the stream closes them.
 */
export class PublishedStream {
  /** The viewers of this stream by viewerId. */
  readonly viewers = new Map<string, StreamViewer>();
  /** Viewers negotiating to replace the one of their id (a viewer's reconnection); closed with the stream. */
  readonly replacingViewers = new Set<StreamViewer>();
  /** Counters for tests and benchmarks. */
  readonly stats = { packetsReceived: 0, mediaPacketsReceived: 0, rembsSent: 0, reconnections: 0, iceRestarts: 0 };
  private connection: PublisherConnection;
  /** A reconnection's connection while it negotiates. */
  private next: PublisherConnection | undefined;
  private readonly reconnections = new TaskQueue();
  private readonly sinks: Record<MediaKind, Set<RtpSink>> = { audio: new Set(), video: new Set() };
  private readonly keyframes: KeyframeThrottle;
  /** rids (or '' without simulcast) whose keyframe is asked for by the next PLI. */
  private readonly keyframeLayers = new Set<string>();
  private allLayersUntil = Number.NEGATIVE_INFINITY;
  private activeLayersSent: string | undefined;
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
    this.keyframes = new KeyframeThrottle(init.keyframeRequestIntervalMs, () => this.sendPlis(), init.tracker);
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

  /** Keyframe requests received from viewers (all, first ones of new viewers, layer switches) / forwarded to the publisher. */
  get keyframeStats(): Readonly<{ requested: number; newViewers: number; switches: number; resumes: number; sent: number }> {
    return this.keyframes.stats;
  }

  /** The layers the publisher's current connection sends of a kind, lowest first (one without simulcast). */
  layers(kind: MediaKind): readonly PublisherLayer[] {
    return this.connection.layers(kind);
  }

  /** Dynacast messages sent to the publisher's current connection, and the rids of the last one. */
  get dynacastStats(): Readonly<{ sent: number; activeLayers: readonly string[] | undefined }> {
    return { sent: this.connection.dynacastStats.sent, activeLayers: this.activeLayersSent === undefined ? undefined : (JSON.parse(this.activeLayersSent) as string[]) };
  }

  /** Applies the publisher's first offer and answers recvonly, with all server candidates. */
  async answer(): Promise<string> {
    const sdp = await this.connection.answer();
    this.negotiated = this.init.offer.codecs();
    this.updateDynacast(performance.now());
    return sdp;
  }

  /**
   * The publisher reconnects with a new offer. From the same client peer connection with new ICE
   * credentials it is an ICE restart, applied to the current connection (nothing else changes); an
   * older offer of that connection than the one applied is refused (see `OfferRelation`).
   * Otherwise (same stream, new peer connection) it answers it, then closes the old connection and
   * forwards the new one's packets to the same viewers, video from its first keyframe (asked for as
   * soon as it connects). If the offer fails, the old connection stays.
   */
  reconnect(offer: SdpOffer): Promise<string> {
    return this.reconnections.push(async () => {
      if (this.closed) throw closedWhileReconnecting(this.ref);
      const inPlace = this.connection.answerInPlace(offer);
      if (inPlace) {
        const { sdpAnswer, restarted } = await inPlace;
        if (restarted) this.stats.iceRestarts++;
        return sdpAnswer;
      }
      const next = this.connect(offer);
      this.next = next;
      try {
        const sdp = await next.answer();
        if (this.closed) throw closedWhileReconnecting(this.ref);
        this.connection.close();
        this.connection = next;
        // Same codecs by name, but the new connection may number them (opus, RED) otherwise.
        this.negotiated = offer.codecs();
        this.activeLayersSent = undefined;
        this.stats.reconnections++;
        for (const viewer of this.viewers.values()) viewer.sourceChanged();
        this.updateDynacast(performance.now());
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

  /** A viewer just connected, switches to `layer`, or lost a picture (PLI/FIR): ask the publisher for a keyframe of that layer (see `KeyframeThrottle`). */
  requestKeyframe(reason: KeyframeRequestReason, layer: PublisherLayer | undefined): void {
    if (!this.negotiated?.has('video') || !layer) return;
    this.keyframeLayers.add(layer.rid ?? '');
    this.keyframes.request(reason);
  }

  /** A viewer arrived: every layer is kept active for 2 s, so whichever it picks is already encoded. */
  viewerAdded(): void {
    this.allLayersUntil = performance.now() + NEW_VIEWER_ALL_LAYERS_MS;
    this.updateDynacast(performance.now());
  }

  /**
   * Tells the publisher which simulcast layers at least one viewer receives or is switching to,
   * when that changes: always the lowest, every layer for 2 s after a new viewer. The layers left
   * out are marked paused, so viewers may still ask for them (which brings them back).
   */
  updateDynacast(now: number): void {
    if (this.closed) return;
    const layers = this.connection.layers('video');
    if (layers.length < 2 || layers.some((l) => l.rid === undefined)) return;
    const wanted = new Set<PublisherLayer>([layers[0]!]);
    for (const viewer of [...this.viewers.values(), ...this.replacingViewers]) for (const layer of viewer.wantedVideoLayers()) wanted.add(layer);
    const active = now < this.allLayersUntil ? layers : layers.filter((l) => wanted.has(l));
    for (const layer of layers) layer.pausedByDynacast = !active.includes(layer);
    const rids = active.map((l) => l.rid!);
    const key = JSON.stringify(rids);
    if (key === this.activeLayersSent) return;
    this.activeLayersSent = key;
    this.connection.sendActiveLayers(rids);
  }

  /** Changes the cap and tells the publisher at once. */
  setVideoBitrate(bitrate: number): void {
    this.videoBitrate = bitrate;
    this.sendRemb();
  }

  /** Periodic work driven by the router: REMB refresh, viewers' layer choice, dynacast, the no-RTP health check. */
  tick(now: number): void {
    if (this.closed) return;
    if (now - this.lastRembAt >= REMB_INTERVAL_MS) this.sendRemb();
    for (const viewer of this.viewers.values()) viewer.reselect();
    this.updateDynacast(now);
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
          if (this.stats.reconnections > 0 && this.negotiated?.has('video') && this.viewers.size > 0) this.keyframes.newSource();
        }
        this.updateHealth(performance.now());
      },
      onRtp: (kind, packet, layer) => {
        if (connection === this.connection) this.forward(kind, packet, layer);
      },
      onIceRestarted: () => {
        if (connection !== this.connection) return;
        this.sendRemb();
        // Viewers lost what the publisher sent while its path was dead: a keyframe at once, not at their next PLI's turn.
        if (this.negotiated?.has('video') && this.viewers.size > 0) this.keyframes.newSource();
      },
    });
    return connection;
  }

  private forward(kind: MediaKind, packet: RtpPacket, layer: PublisherLayer): void {
    const codec = this.negotiated?.get(kind);
    if (!codec) return;
    this.stats.packetsReceived++;
    // Padding-only packets (the publisher's bandwidth probes; without RTX they come on the media
    // SSRC) carry nothing a viewer can use, nor prove that media flows.
    if (packet.payload.length === 0) {
      for (const sink of this.sinks[kind]) sink.drop(layer, packet.header.sequenceNumber);
      return;
    }
    this.stats.mediaPacketsReceived++;
    const now = performance.now();
    const keyframe = kind === 'video' && isKeyframeStart(codec, packet.payload);
    const started = !layer.isFlowing(now);
    const firstPacket = layer.ssrc === undefined;
    layer.received(packet.header.ssrc, packet.payload, packet.serializeSize, keyframe, codecName(codec), now);
    // A simulcast offer lists no SSRC, so the REMB sent on connecting had none to name: send it now.
    // libwebrtc trusts REMB at once only in its first 2 s, which is what lets it start every layer.
    if (firstPacket && kind === 'video') this.sendRemb();
    // A layer that starts (or comes back) may be the one viewers want.
    if (started && kind === 'video') for (const viewer of this.viewers.values()) viewer.reselect();
    // Back after a silence without a keyframe (the publisher's path was dead, not its encoding paused):
    // its viewers lost what was sent meanwhile.
    if (started && !firstPacket && !keyframe && kind === 'video' && this.viewers.size > 0) this.requestKeyframe('resume', layer);
    const headerExtensions = this.connection.headerExtensions(kind);
    for (const sink of this.sinks[kind]) sink.rtp(packet, layer, keyframe, headerExtensions);
  }

  /** One PLI per layer asked for since the last (the publisher's encoder takes them as one request). */
  private sendPlis(): void {
    const layers = this.connection.layers('video');
    const asked = layers.filter((l) => this.keyframeLayers.has(l.rid ?? ''));
    this.keyframeLayers.clear();
    for (const layer of asked.length > 0 ? asked : layers) this.connection.sendPli(layer);
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
