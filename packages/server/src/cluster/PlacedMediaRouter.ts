import { MediaRouterError } from '../media/MediaRouter.js';
import type { IceCandidate, MediaCounters, MediaRouter, PublishRequest, StreamRef, ViewRequest } from '../media/MediaRouter.js';
import { UnreachableNodeError, type ForwardedMedia, type InternalChannelClient } from './InternalChannel.js';
import type { NodeRegistry } from './NodeRegistry.js';

/** The node's own media router, with the look-ups placement needs (WeriftMediaRouter has them). */
export interface LocalMediaRouter extends MediaRouter {
  /** The live published stream of that ref, if this router has it. */
  publishedStream(ref: StreamRef): unknown;
  /** Every live published stream. */
  publishedStreams(): Array<{ ref: StreamRef }>;
}

/** What a {@link PlacedMediaRouter} needs. */
export interface PlacedMediaRouterOptions {
  nodeId: string;
  local: LocalMediaRouter;
  registry: NodeRegistry;
  channel: InternalChannelClient;
  /** How long a dead node keeps its conferences, for the error a caller gets meanwhile. */
  deadAfterMs: number;
  /** A node refused a forwarded call: the cluster should check it and, if it is gone, move its conferences now. */
  onUnreachable: (nodeId: string) => void;
  /** Where failures of fire-and-forget forwards (unpublish, stopView, setVideoBitrate) go. */
  warn: (message: string, error: unknown) => void;
}

/**
 * A {@link MediaRouter} for a node of a cluster: every conference's media lives on exactly one node.
 * The first publish or view places it on the least loaded live node (see NodeRegistry.place); each
 * call then runs on the node's own router if the conference is placed here, else is forwarded to
 * its node over the internal channel. Callbacks of the local router go to this node's control plane,
 * which shares its store with every other node.
 */
export class PlacedMediaRouter implements MediaRouter {
  /** The operations other nodes forward here, run on the local router. */
  readonly owned: ForwardedMedia;
  /** When each conference placed here was first seen without media here. */
  private readonly idleSince = new Map<string, number>();

  constructor(private readonly options: PlacedMediaRouterOptions) {
    this.owned = new OwnedMedia(options);
  }

  async publish(request: PublishRequest): Promise<{ sdpAnswer: string }> {
    return this.watch((await this.route(request.conferenceId, true)).publish(request));
  }

  async addPublishCandidates(stream: StreamRef, candidates: IceCandidate[]): Promise<void> {
    await this.watch((await this.route(stream.conferenceId, false)).addPublishCandidates(stream, candidates));
  }

  setVideoBitrate(stream: StreamRef, videoBitrate: number): void {
    if (!Number.isFinite(videoBitrate) || videoBitrate <= 0) {
      throw new MediaRouterError('bad-request', `videoBitrate must be a positive number of bits per second, got ${videoBitrate}`);
    }
    if (this.options.local.publishedStream(stream)) return this.options.local.setVideoBitrate(stream, videoBitrate);
    this.forward(stream, `setVideoBitrate of ${stream.streamId}`, (target) => target.setVideoBitrate(stream, videoBitrate));
  }

  unpublish(stream: StreamRef): void {
    if (this.options.local.publishedStream(stream)) return this.options.local.unpublish(stream);
    this.forward(stream, `unpublish of ${stream.streamId}`, (target) => target.unpublish(stream));
  }

  async view(request: ViewRequest): Promise<{ sdpAnswer: string }> {
    return this.watch((await this.route(request.conferenceId, true)).view(request));
  }

  async addViewCandidates(stream: StreamRef, viewerId: string, candidates: IceCandidate[]): Promise<void> {
    await this.watch((await this.route(stream.conferenceId, false)).addViewCandidates(stream, viewerId, candidates));
  }

  stopView(stream: StreamRef, viewerId: string): void {
    if (this.options.local.publishedStream(stream)) return this.options.local.stopView(stream, viewerId);
    this.forward(stream, `stopView of ${viewerId}`, (target) => target.stopView(stream, viewerId));
  }

  /** This node's media only: every node counts what it serves. */
  counters(): MediaCounters {
    return this.options.local.counters();
  }

  async close(): Promise<void> {
    await this.options.local.close();
  }

  /**
   * Closes local media of conferences that are no longer placed here (this node was declared dead
   * while it was only slow, and they were placed again elsewhere): the control plane has already
   * unpublished those streams, so nothing else would close them.
   */
  async closeDisplaced(): Promise<number> {
    const { local, registry, nodeId } = this.options;
    const byConference = new Map<string, StreamRef[]>();
    for (const { ref } of local.publishedStreams()) byConference.set(ref.conferenceId, [...(byConference.get(ref.conferenceId) ?? []), ref]);
    let closed = 0;
    for (const [mediaKey, refs] of byConference) {
      if ((await registry.locate(mediaKey))?.nodeId === nodeId) continue;
      for (const ref of refs) local.unpublish(ref);
      closed += refs.length;
    }
    return closed;
  }

  /**
   * Gives up the placement of conferences placed here that have had no media here for `idleMs`
   * (they ended, or everyone stopped publishing), so Redis does not keep one key per conference
   * forever; their next publish places them afresh.
   */
  async releaseIdle(idleMs: number, now = performance.now()): Promise<number> {
    const { local, registry, nodeId } = this.options;
    const busy = new Set(local.publishedStreams().map(({ ref }) => ref.conferenceId));
    const placed = new Set(await registry.placedConferences(nodeId));
    let released = 0;
    for (const mediaKey of placed) {
      if (busy.has(mediaKey)) {
        this.idleSince.delete(mediaKey);
        continue;
      }
      const since = this.idleSince.get(mediaKey) ?? now;
      this.idleSince.set(mediaKey, since);
      // Checked again right before: a publish may have arrived while Redis answered.
      if (now - since >= idleMs && !local.publishedStreams().some(({ ref }) => ref.conferenceId === mediaKey) && (await registry.unplace(mediaKey, nodeId))) {
        this.idleSince.delete(mediaKey);
        released += 1;
      }
    }
    for (const mediaKey of this.idleSince.keys()) if (!placed.has(mediaKey)) this.idleSince.delete(mediaKey);
    return released;
  }

  /**
   * A refused connection is the first sign of a dead node, seconds before its heartbeat expires:
   * reported, so the cluster can move its conferences now and the caller's retry lands on a live one.
   */
  private async watch<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof UnreachableNodeError) this.options.onUnreachable(error.nodeId);
      throw error;
    }
  }

  /** The node that serves a conference's media, placing it first if `place` (publish and view). */
  private async route(mediaKey: string, place: boolean): Promise<ForwardedMedia> {
    const { registry, nodeId, channel, deadAfterMs } = this.options;
    const placed = place ? await registry.place(mediaKey) : await registry.locate(mediaKey);
    if (!placed) {
      if (place) throw new MediaRouterError('internal', `no live media node can take conference ${mediaKey}`);
      throw new MediaRouterError('not-found', `conference ${mediaKey} has no media node: nothing is published or viewed in it`);
    }
    if (placed.nodeId === nodeId) return this.owned;
    // A node whose heartbeat is late may still serve: try it where it last said it was. A dead one
    // refuses the connection, and the caller retries until the sweep places the conference again.
    const url = placed.node?.internalUrl ?? (await registry.lastInternalUrl(placed.nodeId));
    if (!url) {
      throw new MediaRouterError('internal', `media node ${placed.nodeId} of conference ${mediaKey} stopped answering; its media moves to a live node within ${deadAfterMs} ms`);
    }
    return channel.node(placed.nodeId, url);
  }

  /** Runs a closing operation on the conference's node without waiting: the control plane's state does not depend on it. */
  private forward(stream: StreamRef, what: string, action: (target: ForwardedMedia) => Promise<void>): void {
    this.route(stream.conferenceId, false)
      .then(action)
      .catch((error: unknown) => {
        // Nothing to close: the conference has no media node, or its node has it no more.
        if (error instanceof MediaRouterError && error.code === 'not-found') return;
        this.options.warn(`media: forwarded ${what} of conference ${stream.conferenceId} failed`, error);
      });
  }
}

/** The media operations of conferences placed on this node, whether asked locally or by another node. */
class OwnedMedia implements ForwardedMedia {
  constructor(private readonly options: PlacedMediaRouterOptions) {}

  async publish(request: PublishRequest): Promise<{ sdpAnswer: string }> {
    await this.assertPlacedHere(request.conferenceId);
    const { local } = this.options;
    // A reconnection that lands on a node without the old publisher (its node died, the conference
    // moved here) is a fresh publish: the viewers it had are gone with that node anyway.
    if (request.reconnect && !local.publishedStream(request)) return local.publish({ ...request, reconnect: false });
    return local.publish(request);
  }

  async addPublishCandidates(stream: StreamRef, candidates: IceCandidate[]): Promise<void> {
    await this.options.local.addPublishCandidates(stream, candidates);
  }

  async setVideoBitrate(stream: StreamRef, videoBitrate: number): Promise<void> {
    this.options.local.setVideoBitrate(stream, videoBitrate);
  }

  async unpublish(stream: StreamRef): Promise<void> {
    this.options.local.unpublish(stream);
  }

  async view(request: ViewRequest): Promise<{ sdpAnswer: string }> {
    await this.assertPlacedHere(request.conferenceId);
    // A reconnecting viewer unknown here becomes a new one: the local router takes a reconnection without a previous viewer as such.
    return this.options.local.view(request);
  }

  async addViewCandidates(stream: StreamRef, viewerId: string, candidates: IceCandidate[]): Promise<void> {
    await this.options.local.addViewCandidates(stream, viewerId, candidates);
  }

  async stopView(stream: StreamRef, viewerId: string): Promise<void> {
    this.options.local.stopView(stream, viewerId);
  }

  /** A forward that raced with a move (this node was declared dead and the conference placed again) is refused, to be retried. */
  private async assertPlacedHere(mediaKey: string): Promise<void> {
    const placed = await this.options.registry.locate(mediaKey);
    if (placed?.nodeId !== this.options.nodeId) {
      throw new MediaRouterError('internal', `conference ${mediaKey} is no longer placed on media node ${this.options.nodeId}; try again`);
    }
  }
}
