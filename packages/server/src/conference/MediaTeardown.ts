import type { FastifyBaseLogger } from 'fastify';
import type { MediaRouter } from '../media/MediaRouter.js';
import type { Conference, EventActor } from './Conference.js';
import type { StreamRecord, ViewerRecord } from './Endpoint.js';

/**
 * Closes media on behalf of the control plane. The control-plane state always follows the request
 * (a stream that is unpublished is gone from the aggregate), even when the media plane has already
 * lost the stream: its failure is logged, not returned.
 */
export class MediaTeardown {
  constructor(
    private readonly media: MediaRouter,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Unpublishes one stream: media first, then its viewer records, then one ConferenceStreamUnpublishedEvent. */
  unpublish(conference: Conference, stream: StreamRecord, actor: EventActor, reason: string): void {
    this.safely(`unpublish ${stream.id}`, () => this.media.unpublish(conference.streamRef(stream.id)));
    conference.dropViewersOf(stream.id);
    conference.streams.delete(stream.id);
    conference.append({ type: 'ConferenceStreamUnpublishedEvent', ...actor, streamId: stream.id, streamType: stream.type, reason });
  }

  /** Closes the media of a stream the control plane never recorded (its publisher left meanwhile). */
  discardStream(conference: Conference, streamId: string): void {
    this.safely(`discard ${streamId}`, () => this.media.unpublish(conference.streamRef(streamId)));
  }

  /** Stops one viewer and forgets it (viewers are not in the aggregate: no event). */
  stopViewer(conference: Conference, viewer: ViewerRecord): void {
    this.safely(`stop viewer ${viewer.id}`, () => this.media.stopView(conference.streamRef(viewer.streamId), viewer.id));
    conference.viewers.delete(viewer.id);
  }

  /** Closes every stream (and so every viewer) of a conference that is ending. */
  closeAll(conference: Conference): void {
    for (const stream of conference.streams.values()) {
      this.safely(`unpublish ${stream.id}`, () => this.media.unpublish(conference.streamRef(stream.id)));
    }
    conference.streams.clear();
    conference.viewers.clear();
  }

  private safely(what: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      this.log.warn({ err: error }, `media: ${what} failed`);
    }
  }
}
