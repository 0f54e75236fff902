import type { components } from '@confer/contract';
import { isService, type Principal } from '../auth/Principal.js';
import type { ConferenceStore } from '../store/ConferenceStore.js';
import { conferenceRef, type ConferenceAccess } from './ConferenceAccess.js';
import { ConferenceDomainError } from './ConferenceDomainError.js';
import { KNOWN_EVENT_TYPES } from './EventLog.js';
import { JsonPathMask } from './JsonPathMask.js';

type Schemas = components['schemas'];

/** The metadata operations and sendEvent: each successful call appends exactly one event. */
export class MetadataCommands {
  constructor(
    private readonly store: ConferenceStore,
    private readonly access: ConferenceAccess,
  ) {}

  /** POST updateMetadata: SET (value required) or REMOVE (the key must exist) one conference key. */
  updateMetadata(principal: Principal, body: Schemas['UpdateConferenceMetadataWebCommand']): Promise<void> {
    return this.store.run(conferenceRef(principal, body.conferenceId), (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      if (body.operation === 'SET') {
        if (body.value === undefined) throw ConferenceDomainError.invalid('body.value is required when body.operation is SET');
        conference.setMetadata(endpoint.id, body.key, body.value);
      } else if (body.operation === 'REMOVE') {
        conference.removeMetadata(endpoint.id, body.key);
      } else {
        throw ConferenceDomainError.invalid('body.operation must be SET or REMOVE');
      }
    });
  }

  /** POST updateParticipantMetadata: replaces the endpoint's metadata (absent means empty). */
  updateParticipantMetadata(principal: Principal, body: Schemas['UpdateConferenceParticipantMetadataWebCommand']): Promise<void> {
    return this.store.run(conferenceRef(principal, body.conferenceId), (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      conference.setParticipantMetadata(endpoint.id, body.newMetadata ?? {});
    });
  }

  /**
   * POST updateStreamMetadata: replaces a stream's metadata. Without streamId the endpoint must
   * publish exactly one stream, which is the one updated.
   */
  updateStreamMetadata(principal: Principal, body: Schemas['UpdateConferenceStreamMetadataWebCommand']): Promise<void> {
    return this.store.run(conferenceRef(principal, body.conferenceId), (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      let stream;
      if (body.streamId) {
        stream = this.access.ownStream(conference, endpoint, body.streamId.id);
      } else {
        const streams = conference.streamsOf(endpoint.id);
        if (streams.length !== 1) {
          throw ConferenceDomainError.invalid(`body.streamId is required: userEndpointId ${endpoint.id} publishes ${streams.length} streams`);
        }
        stream = streams[0]!;
      }
      conference.setStreamMetadata(stream.id, body.newMetadata ?? {});
    });
  }

  /**
   * POST sendEvent (SERVICE only): appends the event with its own type and fields. The masks are
   * applied here to the event that is stored, served and logged (a masked field is never served
   * unmasked); a mask that cannot be applied is a 400 before anything is stored. A built-in event type
   * is a 400 too: a custom event cannot pose as one. `qos` changes nothing here: every event is
   * stored and delivered to every poll (see the README).
   */
  sendEvent(principal: Principal, body: Schemas['SendEventToConferenceWebCommand']): Promise<Schemas['SendEventResponse']> {
    if (!isService(principal)) throw ConferenceDomainError.forbidden('sendEvent needs the SERVICE role');
    return this.store.run(conferenceRef(principal, body.conferenceId), (conference) => {
      if (KNOWN_EVENT_TYPES.has(body.event.type)) {
        throw ConferenceDomainError.invalid(`body.event.type ${body.event.type} is a built-in event type; a custom event needs its own type`);
      }
      const masks = body.masks ?? [];
      const event = structuredClone(body.event);
      masks.forEach((path, index) => {
        try {
          new JsonPathMask(path).applyTo(event);
        } catch (error) {
          throw ConferenceDomainError.invalid(`body.masks[${index}]: ${(error as Error).message}`);
        }
      });
      conference.sendEvent(event, { userId: principal.userId }, masks);
      return { eventsSent: conference.endpointCount };
    });
  }
}
