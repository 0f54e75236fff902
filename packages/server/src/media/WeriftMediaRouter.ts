import { EndpointHealthMonitor } from './EndpointHealthMonitor.js';
import { MediaRouterError } from './MediaRouter.js';
import type {
  IceCandidate,
  MediaCounters,
  MediaRouter,
  MediaRouterCallbacks,
  PublishRequest,
  StreamRef,
  ViewRequest,
} from './MediaRouter.js';
import { resolveMediaRouterOptions } from './MediaRouterOptions.js';
import type { MediaRouterOptions } from './MediaRouterOptions.js';
import { NetworkConfig } from './NetworkConfig.js';
import { PublishedStream } from './PublishedStream.js';
import { NOMINAL_LAYER_BITRATES } from './PublisherLayer.js';
import { ResourceTracker } from './ResourceTracker.js';
import type { TrackedTimer } from './ResourceTracker.js';
import { SdpOffer } from './SdpOffer.js';
import { StreamViewer } from './StreamViewer.js';

export type { MediaRouterOptions, VideoCodecName, IceServer } from './MediaRouterOptions.js';

const streamKey = (ref: StreamRef) => JSON.stringify([ref.conferenceId, ref.streamId]);
const describe = (ref: StreamRef) => `stream ${ref.streamId} of conference ${ref.conferenceId}`;

/**
 * The media plane on werift: one recvonly peer connection per published stream, one sendonly per
 * viewer, RTP forwarded packet by packet (an SFU, no transcoding). See MediaRouter for the contract.
 */
export class WeriftMediaRouter implements MediaRouter {
  /** The resolved options (defaults filled in). */
  readonly options: MediaRouterOptions;
  private readonly network: NetworkConfig;
  private readonly tracker = new ResourceTracker();
  private readonly health: EndpointHealthMonitor;
  private readonly streams = new Map<string, PublishedStream>();
  private ticker: TrackedTimer | undefined;
  private closed = false;

  constructor(options: Partial<MediaRouterOptions>, callbacks: MediaRouterCallbacks) {
    this.options = resolveMediaRouterOptions(options);
    this.network = new NetworkConfig(this.options);
    this.health = new EndpointHealthMonitor((conferenceId, userEndpointId, health) => callbacks.onEndpointHealth(conferenceId, userEndpointId, health));
  }

  async publish(request: PublishRequest): Promise<{ sdpAnswer: string }> {
    this.assertOpen();
    if (request.reconnect) return this.reconnectPublisher(request);
    const { conferenceId, streamId, userEndpointId } = request;
    const key = streamKey(request);
    if (this.streams.has(key)) throw new MediaRouterError('bad-request', `${describe(request)} is already published`);
    if (request.videoBitrate !== undefined) checkBitrate(request.videoBitrate);
    // Checked before anything is created, so a refused offer leaves nothing behind.
    const offer = SdpOffer.forPublish(request.sdpOffer, request.streamType, this.options.videoCodecs);
    const sourceId = `publisher:${streamId}`;
    const stream = new PublishedStream({
      ref: { conferenceId, streamId },
      userEndpointId,
      streamType: request.streamType,
      offer,
      videoBitrate: request.videoBitrate ?? defaultBitrate(offer.rids('video').length, this.options.defaultVideoBitrate),
      network: this.network,
      tracker: this.tracker,
      keyframeRequestIntervalMs: this.options.keyframeRequestIntervalMs,
      noMediaTimeoutMs: this.options.noMediaTimeoutMs,
      onHealthChange: (sick) => this.health.set(conferenceId, userEndpointId, sourceId, sick),
    });
    // Registered before negotiating, so an unpublish or close meanwhile finds and closes it.
    this.streams.set(key, stream);
    this.startTicker();
    try {
      return { sdpAnswer: await stream.answer() };
    } catch (error) {
      this.removeStream(stream);
      throw error;
    }
  }

  /** A new connection for a published stream, from its own endpoint, with its type and codecs; viewers stay. */
  private async reconnectPublisher(request: PublishRequest): Promise<{ sdpAnswer: string }> {
    const stream = this.findStream(request);
    if (stream.userEndpointId !== request.userEndpointId) {
      throw new MediaRouterError('bad-request', `${describe(request)} is published by another endpoint than ${request.userEndpointId}`);
    }
    if (stream.streamType !== request.streamType) {
      throw new MediaRouterError('bad-request', `${describe(request)} is a ${stream.streamType} stream; a reconnection cannot make it ${request.streamType}`);
    }
    const codecs = stream.codecs;
    if (!codecs) throw new MediaRouterError('not-found', `${describe(request)} is still being negotiated`);
    if (request.videoBitrate !== undefined) checkBitrate(request.videoBitrate);
    const offer = SdpOffer.forPublish(request.sdpOffer, request.streamType, this.options.videoCodecs, codecs);
    const sdpAnswer = await stream.reconnect(offer);
    if (request.videoBitrate !== undefined) stream.setVideoBitrate(request.videoBitrate);
    return { sdpAnswer };
  }

  async addPublishCandidates(ref: StreamRef, candidates: IceCandidate[]): Promise<void> {
    await this.findStream(ref).addCandidates(candidates);
  }

  setVideoBitrate(ref: StreamRef, videoBitrate: number): void {
    checkBitrate(videoBitrate);
    this.findStream(ref).setVideoBitrate(videoBitrate);
  }

  unpublish(ref: StreamRef): void {
    const stream = this.streams.get(streamKey(ref));
    if (stream) this.removeStream(stream);
  }

  async view(request: ViewRequest): Promise<{ sdpAnswer: string }> {
    this.assertOpen();
    const stream = this.findStream(request);
    const { viewerId, userEndpointId } = request;
    const codecs = stream.codecs;
    if (!codecs) throw new MediaRouterError('not-found', `${describe(request)} is still being negotiated`);
    const previous = stream.viewers.get(viewerId);
    if (previous && !request.reconnect) throw new MediaRouterError('bad-request', `viewer ${viewerId} of ${describe(request)} already exists`);
    if (previous && previous.userEndpointId !== userEndpointId) {
      throw new MediaRouterError('bad-request', `viewer ${viewerId} of ${describe(request)} belongs to another endpoint than ${userEndpointId}`);
    }
    const offer = SdpOffer.forView(request.sdpOffer, codecs);
    // The same client connection with new ICE credentials: restarted in place, nothing replaced.
    const inPlace = await previous?.answerInPlace(offer);
    if (inPlace !== undefined) return { sdpAnswer: inPlace };
    const { conferenceId } = request;
    const sourceId = `viewer:${request.streamId}:${viewerId}`;
    const viewer: StreamViewer = new StreamViewer({
      viewerId,
      userEndpointId,
      source: stream,
      offer,
      network: this.network,
      tracker: this.tracker,
      onHealthChange: (sick) => this.health.set(conferenceId, userEndpointId, sourceId, sick),
      onClose: () => {
        stream.replacingViewers.delete(viewer);
        if (stream.viewers.get(viewerId) !== viewer) return;
        stream.viewers.delete(viewerId);
        stream.updateDynacast(performance.now());
        this.health.forget(conferenceId, userEndpointId, sourceId);
      },
    });
    // A reconnecting viewer's old connection serves on until the new one is answered; either way
    // the stream knows the new viewer, so an unpublish meanwhile closes it.
    if (request.reconnect) stream.replacingViewers.add(viewer);
    else stream.viewers.set(viewerId, viewer);
    try {
      const sdpAnswer = await viewer.answer();
      if (request.reconnect) {
        stream.replacingViewers.delete(viewer);
        const current = stream.viewers.get(viewerId);
        // The old one's health source is the new one's: set the new one in place first, so closing the old forgets nothing.
        stream.viewers.set(viewerId, viewer);
        current?.close();
        this.health.set(conferenceId, userEndpointId, sourceId, false);
      }
      return { sdpAnswer };
    } catch (error) {
      viewer.close();
      throw error;
    }
  }

  async addViewCandidates(ref: StreamRef, viewerId: string, candidates: IceCandidate[]): Promise<void> {
    await this.findViewer(ref, viewerId).addCandidates(candidates);
  }

  stopView(ref: StreamRef, viewerId: string): void {
    this.streams.get(streamKey(ref))?.viewers.get(viewerId)?.close();
  }

  counters(): MediaCounters {
    return this.tracker.counters();
  }

  /** The live published stream, for tests and benchmarks (keyframe and REMB statistics). */
  publishedStream(ref: StreamRef): PublishedStream | undefined {
    return this.streams.get(streamKey(ref));
  }

  /** Every live published stream, for benchmarks. */
  publishedStreams(): PublishedStream[] {
    return [...this.streams.values()];
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const stream of [...this.streams.values()]) this.removeStream(stream);
    }
    await this.tracker.settled();
  }

  private removeStream(stream: PublishedStream): void {
    const key = streamKey(stream.ref);
    if (this.streams.get(key) === stream) this.streams.delete(key);
    stream.close();
    this.health.forget(stream.ref.conferenceId, stream.userEndpointId, `publisher:${stream.ref.streamId}`);
    if (this.streams.size === 0) this.stopTicker();
  }

  private findStream(ref: StreamRef): PublishedStream {
    const stream = this.streams.get(streamKey(ref));
    if (!stream) throw new MediaRouterError('not-found', `${describe(ref)} is not published`);
    return stream;
  }

  private findViewer(ref: StreamRef, viewerId: string): StreamViewer {
    const viewer = this.findStream(ref).viewers.get(viewerId);
    if (!viewer) throw new MediaRouterError('not-found', `viewer ${viewerId} of ${describe(ref)} does not exist`);
    return viewer;
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaRouterError('internal', 'the media router is closed');
  }

  /** One timer for all streams (REMB refresh, no-RTP check), running only while something is published. */
  private startTicker(): void {
    if (this.ticker) return;
    const interval = Math.max(50, Math.min(1_000, this.options.noMediaTimeoutMs / 4));
    this.ticker = this.tracker.setInterval(() => {
      const now = performance.now();
      for (const stream of this.streams.values()) stream.tick(now);
    }, interval);
  }

  private stopTicker(): void {
    this.ticker?.clear();
    this.ticker = undefined;
  }
}

/** A simulcast publisher's cap leaves room for all its layers (their nominal rates together), unless the default is higher. */
function defaultBitrate(layers: number, configured: number): number {
  if (layers < 2) return configured;
  const sum = NOMINAL_LAYER_BITRATES.slice(0, layers).reduce((a, b) => a + b, 0);
  return Math.max(configured, sum);
}

function checkBitrate(videoBitrate: number): void {
  if (!Number.isFinite(videoBitrate) || videoBitrate <= 0) {
    throw new MediaRouterError('bad-request', `videoBitrate must be a positive number of bits per second, got ${videoBitrate}`);
  }
}
