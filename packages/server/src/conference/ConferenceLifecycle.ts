import { randomUUID } from 'node:crypto';
import type { components } from '@confer/contract';
import { isService, type Principal } from '../auth/Principal.js';
import type { EndpointHealth } from '../media/MediaRouter.js';
import type { Conference, EventListener } from './Conference.js';
import type { ConferenceAccess } from './ConferenceAccess.js';
import { ConferenceDomainError } from './ConferenceDomainError.js';
import type { ConferenceRegistry } from './ConferenceRegistry.js';
import { conferenceAggregate, conferenceSummary } from './ConferenceViews.js';
import { EndpointLiveness, type GhostTimings } from './EndpointLiveness.js';
import type { MediaTeardown } from './MediaTeardown.js';

type Schemas = components['schemas'];

/** What conferences and endpoints are created with. */
export interface LifecycleSettings {
  eventRetention: number;
  /** Strict mode: only what the documentation promises (join answers `{}`, create of a taken id 403, events from version 1). */
  strict?: boolean;
  ghost: GhostTimings;
  onEvent: EventListener;
}

/** create, join, leave and end; the ghost rule's removals; the media plane's health reports. */
export class ConferenceLifecycle {
  constructor(
    private readonly registry: ConferenceRegistry,
    private readonly access: ConferenceAccess,
    private readonly teardown: MediaTeardown,
    private readonly settings: LifecycleSettings,
  ) {}

  /** POST create: the given id, or a generated one when absent or empty; 409 when taken; ROUTER mode only. */
  create(principal: Principal, body: Schemas['CreateConferenceWebCommand']): Schemas['ConferenceSummary'] {
    if (body.mode !== undefined && body.mode !== 'ROUTER') {
      throw ConferenceDomainError.invalid(`body.mode ${body.mode} is not supported: only ROUTER is supported`);
    }
    if (body.organizationId !== undefined && body.organizationId !== principal.organizationId) {
      throw ConferenceDomainError.forbidden(`body.organizationId ${body.organizationId} is not the organization of the caller`);
    }
    // The documentation: "better leave this empty and let the server produce one".
    const id = body.conferenceId || randomUUID();
    if (this.registry.get(principal.organizationId, id)) {
      // 409 is not among the documented answers of create; strict mode answers the documented 403.
      const message = `conference ${id} already exists`;
      throw this.settings.strict ? ConferenceDomainError.forbidden(message) : ConferenceDomainError.conflict(message);
    }
    const conference = this.registry.create({
      id,
      organizationId: principal.organizationId,
      creator: principal.userId,
      ...(body.creatorEndpoint === undefined ? {} : { creatorEndpoint: body.creatorEndpoint }),
      ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
      eventRetention: this.settings.eventRetention,
      firstVersion: this.settings.strict ? 1 : 0,
      onEvent: this.settings.onEvent,
    });
    return conferenceSummary(conference);
  }

  /** POST join: adds the caller's endpoint (idempotent for the same user) and answers the aggregate (strict mode: `{}`, as documented). */
  join(principal: Principal, body: Schemas['JoinConferenceWebCommand']): Schemas['Conference'] {
    const conference = this.access.conference(principal, body.conferenceId);
    const answer = () => (this.settings.strict ? {} : conferenceAggregate(conference));
    const existing = conference.endpoint(body.userEndpointId);
    if (existing) {
      this.access.ownEndpoint(principal, conference, existing.id);
      return answer();
    }
    const endpointId = body.userEndpointId;
    const userId = principal.userId;
    const createLiveness = () =>
      new EndpointLiveness(this.settings.ghost, {
        onStateChange: (state) => this.changeState(conference, endpointId, state),
        onGhost: (reason) => this.removeGhost(conference, endpointId, reason),
        isPolling: () => conference.isPolling(userId),
      });
    conference.join(endpointId, userId, body.metadata ?? {}, createLiveness);
    return answer();
  }

  /** POST leave: unpublishes the endpoint's streams (an event each), stops its viewers, then leaves. */
  leave(principal: Principal, body: Schemas['LeaveConferenceWebCommand']): void {
    const conference = this.access.conference(principal, body.conferenceId);
    const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
    this.removeEndpoint(conference, endpoint.id, body.reason ?? 'left');
  }

  /** POST end: closes all media, appends ConferenceEndedEvent, answers waiting polls; the conference is gone. */
  end(principal: Principal, body: Schemas['EndConferenceWebCommand']): void {
    const conference = this.access.conference(principal, body.conferenceId);
    // A service may end any conference of its organization; a user only through its own endpoint.
    if (!isService(principal) || conference.endpoint(body.userEndpointId)) {
      this.access.ownEndpoint(principal, conference, body.userEndpointId);
    }
    this.teardown.closeAll(conference);
    conference.end({ userId: principal.userId, userEndpointId: body.userEndpointId }, body.reason);
    this.registry.remove(conference);
  }

  /** The media plane's verdict on an endpoint; ignored for conferences and endpoints that are gone. */
  onEndpointHealth(mediaKey: string, userEndpointId: string, health: EndpointHealth): void {
    this.registry.getByMediaKey(mediaKey)?.endpoint(userEndpointId)?.liveness.setMediaHealth(health);
  }

  private removeEndpoint(conference: Conference, endpointId: string, reason: string): void {
    this.teardown.closeEndpoint(conference, endpointId);
    conference.leave(endpointId, reason);
  }

  // A liveness timer may fire after its endpoint left or its conference ended; the report is moot then.
  private changeState(conference: Conference, endpointId: string, state: EndpointHealth): void {
    if (!conference.live || !conference.endpoint(endpointId)) return;
    conference.setEndpointState(endpointId, state);
  }

  private removeGhost(conference: Conference, endpointId: string, reason: string): void {
    if (!conference.live || !conference.endpoint(endpointId)) return;
    this.removeEndpoint(conference, endpointId, reason);
  }
}
