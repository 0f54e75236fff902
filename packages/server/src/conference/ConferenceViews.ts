import type { components } from '@confer/contract';
import type { Conference } from './Conference.js';

type Schemas = components['schemas'];

// The read models the API answers with, derived from the conference on each read (never stored).

/** The `Conference` aggregate. */
export function conferenceAggregate(conference: Conference): Schemas['Conference'] {
  const endpoints = conference.allEndpoints();
  return {
    id: conference.id,
    organizationId: conference.organizationId,
    mode: conference.mode,
    creator: conference.creator,
    ...(conference.creatorEndpoint === undefined ? {} : { creatorEndpoint: conference.creatorEndpoint }),
    empty: endpoints.length === 0,
    metadata: conference.metadataEntries(),
    participants: endpoints.map((endpoint) => ({
      id: endpoint.id,
      userId: endpoint.userId,
      metadata: endpoint.metadata,
      state: endpoint.state,
      streams: conference.streamsOf(endpoint.id).map((stream) => ({
        id: { id: stream.id },
        type: stream.type,
        metadata: stream.metadata,
        ...(stream.videoBitrate === undefined ? {} : { videoBitrate: stream.videoBitrate }),
      })),
    })),
    version: conference.version,
  };
}

/** The `ConferenceSimpleView`: endpoints grouped by user. */
export function conferenceSimpleView(conference: Conference): Schemas['ConferenceSimpleView'] {
  const users = new Map<string, Schemas['ConferenceSimpleViewParticipantEndpoint'][]>();
  for (const endpoint of conference.allEndpoints()) {
    const list = users.get(endpoint.userId) ?? [];
    list.push({
      id: endpoint.id,
      metadata: endpoint.metadata,
      state: endpoint.state,
      streams: conference.streamsOf(endpoint.id).map((s) => ({ id: s.id, type: s.type, metadata: s.metadata })),
    });
    users.set(endpoint.userId, list);
  }
  return {
    id: conference.id,
    mode: conference.mode,
    metadata: conference.metadataEntries(),
    participants: [...users].map(([id, endpoints]) => ({ id, endpoints })),
    version: conference.version,
  };
}

/** The `ConferenceSummary` create answers. */
export function conferenceSummary(conference: Conference): Schemas['ConferenceSummary'] {
  return { id: conference.id, mode: conference.mode, version: conference.version };
}
