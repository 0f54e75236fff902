import type { FastifyBaseLogger } from 'fastify';
import type { MediaRouter } from '../media/MediaRouter.js';
import type { Conference } from './Conference.js';
import type { ViewerRecord } from './Endpoint.js';

/**
 * Closes media on behalf of the control plane, before the {@link Conference} records the change.
 * The control-plane state always follows the request (a stream that is unpublished is gone from the
 * aggregate), even when the media plane has already lost the stream: its failure is logged, not
 * returned.
 */
export class MediaTeardown {
  constructor(
    private readonly media: MediaRouter,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Closes a stream's media (of the conference the media key names), and with it its viewers' (also one the control plane never recorded). */
  closeStream(mediaKey: string, streamId: string): void {
    this.safely(`unpublish ${streamId}`, () => this.media.unpublish({ conferenceId: mediaKey, streamId }));
  }

  /** Closes one viewer's media. */
  closeViewer(mediaKey: string, viewer: Readonly<ViewerRecord>): void {
    this.safely(`stop viewer ${viewer.id}`, () => this.media.stopView({ conferenceId: mediaKey, streamId: viewer.streamId }, viewer.id));
  }

  /** Closes the media of a leaving endpoint: its streams (their viewers close with them), then the viewers it owns. */
  closeEndpoint(conference: Conference, userEndpointId: string): void {
    const streams = conference.streamsOf(userEndpointId);
    for (const stream of streams) this.closeStream(conference.mediaKey, stream.id);
    const closedWithStreams = new Set(streams.map((s) => s.id));
    for (const viewer of conference.viewersOwnedBy(userEndpointId)) {
      if (!closedWithStreams.has(viewer.streamId)) this.closeViewer(conference.mediaKey, viewer);
    }
  }

  /** Closes every stream (and so every viewer) of a conference that is ending. */
  closeAll(conference: Conference): void {
    for (const stream of conference.allStreams()) this.closeStream(conference.mediaKey, stream.id);
  }

  private safely(what: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      this.log.warn({ err: error }, `media: ${what} failed`);
    }
  }
}
