import { isService, type Principal } from '../auth/Principal.js';
import type { ConferenceRef } from '../store/ConferenceStore.js';
import type { Conference } from './Conference.js';
import { ConferenceDomainError } from './ConferenceDomainError.js';
import type { Endpoint, StreamRecord, ViewerRecord } from './Endpoint.js';

/** The conference a caller names: its organization's conference with that id (others' are unknown, 404). */
export function conferenceRef(principal: Principal, conferenceId: string): ConferenceRef {
  return { organizationId: principal.organizationId, id: conferenceId };
}

/**
 * Checks that the caller may act on what a request names: 404 for unknown ids, 403 for endpoints,
 * streams and viewers of others. Every endpoint a caller successfully names counts as a sign of life
 * for the ghost rule. It runs inside store commands, on the conference at hand.
 */
export class ConferenceAccess {
  /**
   * Checks that the caller may read the conference: it has an endpoint in it, or the SERVICE role;
   * 403 otherwise. `busyMs`: the caller's event poll waits up to that long (a sign of life meanwhile).
   */
  readable(principal: Principal, conference: Conference, busyMs?: number): Conference {
    const own = conference.endpointsOf(principal.userId);
    if (own.length === 0 && !isService(principal)) {
      throw ConferenceDomainError.forbidden(`user ${principal.userId} has no endpoint in conference ${conference.id} (join it first)`);
    }
    for (const endpoint of own) endpoint.liveness.touch(busyMs);
    return conference;
  }

  /** The caller's own endpoint in the conference: 404 when it has not joined, 403 when another user's. */
  ownEndpoint(principal: Principal, conference: Conference, userEndpointId: string): Readonly<Endpoint> {
    const endpoint = conference.endpoint(userEndpointId);
    if (!endpoint) throw ConferenceDomainError.notFound(`userEndpointId ${userEndpointId} has not joined conference ${conference.id}`);
    if (endpoint.userId !== principal.userId) {
      throw ConferenceDomainError.forbidden(`userEndpointId ${userEndpointId} belongs to another user`);
    }
    endpoint.liveness.touch();
    return endpoint;
  }

  /** A stream published by that endpoint: 404 when unknown, 403 when another endpoint's. */
  ownStream(conference: Conference, endpoint: Readonly<Endpoint>, streamId: string): Readonly<StreamRecord> {
    const stream = conference.stream(streamId);
    if (!stream) throw ConferenceDomainError.notFound(`streamId ${streamId} is not published in conference ${conference.id}`);
    if (stream.userEndpointId !== endpoint.id) {
      throw ConferenceDomainError.forbidden(`streamId ${streamId} is published by another endpoint than ${endpoint.id}`);
    }
    return stream;
  }

  /** A stream anyone in the conference may view: 404 when unknown. */
  publishedStream(conference: Conference, streamId: string): Readonly<StreamRecord> {
    const stream = conference.stream(streamId);
    if (!stream) throw ConferenceDomainError.notFound(`streamId ${streamId} is not published in conference ${conference.id}`);
    return stream;
  }

  /** A viewer owned by that endpoint, of that stream: 404 when unknown, 403 when another endpoint's. */
  ownViewer(conference: Conference, endpoint: Readonly<Endpoint>, viewerId: string, streamId: string): Readonly<ViewerRecord> {
    const viewer = conference.viewer(viewerId);
    if (!viewer) throw ConferenceDomainError.notFound(`viewerId ${viewerId} not found in conference ${conference.id}`);
    if (viewer.userEndpointId !== endpoint.id) {
      throw ConferenceDomainError.forbidden(`viewerId ${viewerId} belongs to another endpoint than ${endpoint.id}`);
    }
    if (viewer.streamId !== streamId) throw ConferenceDomainError.notFound(`viewerId ${viewerId} does not view streamId ${streamId}`);
    return viewer;
  }
}
