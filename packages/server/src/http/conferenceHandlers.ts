import type { ConferenceLifecycle } from '../conference/ConferenceLifecycle.js';
import type { ConferenceQueries } from '../conference/ConferenceQueries.js';
import type { MediaCommands } from '../conference/MediaCommands.js';
import type { MetadataCommands } from '../conference/MetadataCommands.js';
import { ApiError } from './ApiError.js';
import type { OperationHandlers } from './apiRoutes.js';

// A load balancer sends the retry to a node that is not draining; this one stops within eventWaitMs anyway.
const DRAINING_RETRY_AFTER_SECONDS = 1;

/** The services the operations are handled by. */
export interface ConferenceServices {
  lifecycle: ConferenceLifecycle;
  metadata: MetadataCommands;
  media: MediaCommands;
  queries: ConferenceQueries;
}

/**
 * Maps each operation of the contract to the service method that handles it; while `isDraining()`
 * create is refused with a 503 (a new conference belongs on a node that stays) and the
 * conferences already here are served as before.
 */
export function conferenceHandlers({ lifecycle, metadata, media, queries }: ConferenceServices, isDraining: () => boolean): OperationHandlers {
  return {
    create: ({ principal, body }) => {
      if (isDraining()) throw ApiError.unavailable('this node is draining (shutting down) and takes no new conferences: create the conference on another node', DRAINING_RETRY_AFTER_SECONDS);
      return lifecycle.create(principal, body);
    },
    join: ({ principal, body }) => lifecycle.join(principal, body),
    leave: ({ principal, body }) => lifecycle.leave(principal, body),
    end: ({ principal, body }) => lifecycle.end(principal, body),
    updateMetadata: ({ principal, body }) => metadata.updateMetadata(principal, body),
    updateParticipantMetadata: ({ principal, body }) => metadata.updateParticipantMetadata(principal, body),
    updateStreamMetadata: ({ principal, body }) => metadata.updateStreamMetadata(principal, body),
    sendEvent: ({ principal, body }) => metadata.sendEvent(principal, body),
    publishStream: ({ principal, body }) => media.publishStream(principal, body),
    addPublishStreamIceCandidates: ({ principal, body }) => media.addPublishStreamIceCandidates(principal, body),
    unpublishStream: ({ principal, body }) => media.unpublishStream(principal, body),
    viewStream: ({ principal, body }) => media.viewStream(principal, body),
    addViewStreamIceCandidates: ({ principal, body }) => media.addViewStreamIceCandidates(principal, body),
    stopViewStream: ({ principal, body }) => media.stopViewStream(principal, body),
    updatePublishedStreamBitrate: ({ principal, body }) => media.updatePublishedStreamBitrate(principal, body),
    getConference: ({ principal, params }) => queries.getConference(principal, params.id),
    simpleView: ({ principal, params }) => queries.simpleView(principal, params.id),
    getEvents: ({ principal, params, query, signal }) => queries.getEvents(principal, params.id, query.v, signal),
  };
}
