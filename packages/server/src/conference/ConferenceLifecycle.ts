import { randomUUID } from 'node:crypto';
import type { components } from '@confer/contract';
import { isService, type Principal } from '../auth/Principal.js';
import type { EndpointHealth } from '../media/MediaRouter.js';
import { refOfMediaKey, type ConferenceStore } from '../store/ConferenceStore.js';
import type { Conference } from './Conference.js';
import { conferenceRef, type ConferenceAccess } from './ConferenceAccess.js';
import { ConferenceDomainError } from './ConferenceDomainError.js';
import { conferenceAggregate, conferenceSummary } from './ConferenceViews.js';
import type { MediaTeardown } from './MediaTeardown.js';

type Schemas = components['schemas'];

/** What the lifecycle needs to know about the server's mode. */
export interface LifecycleSettings {
  /** Strict mode: only what the documentation promises (join answers `{}`, create of a taken id 403, events from version 1). */
  strict?: boolean;
  /** Where a callback of the media plane that failed is reported (it has no request to answer). */
  onCallbackError(what: string, error: unknown): void;
}

/** create, join, leave and end; the ghost rule's removals; the media plane's health and loss reports. */
export class ConferenceLifecycle {
  constructor(
    private readonly store: ConferenceStore,
    private readonly access: ConferenceAccess,
    private readonly teardown: MediaTeardown,
    private readonly settings: LifecycleSettings,
  ) {}

  /** POST create: the given id, or a generated one when absent or empty; 409 when taken; ROUTER mode only. */
  async create(principal: Principal, body: Schemas['CreateConferenceWebCommand']): Promise<Schemas['ConferenceSummary']> {
    if (body.mode !== undefined && body.mode !== 'ROUTER') {
      throw ConferenceDomainError.invalid(`body.mode ${body.mode} is not supported: only ROUTER is supported`);
    }
    if (body.organizationId !== undefined && body.organizationId !== principal.organizationId) {
      throw ConferenceDomainError.forbidden(`body.organizationId ${body.organizationId} is not the organization of the caller`);
    }
    // The documentation: "better leave this empty and let the server produce one".
    const id = body.conferenceId || randomUUID();
    const summary = await this.store.create(
      {
        id,
        organizationId: principal.organizationId,
        creator: principal.userId,
        ...(body.creatorEndpoint === undefined ? {} : { creatorEndpoint: body.creatorEndpoint }),
        ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
        firstVersion: this.settings.strict ? 1 : 0,
      },
      conferenceSummary,
    );
    if (summary) return summary;
    // 409 is not among the documented answers of create; strict mode answers the documented 403.
    const message = `conference ${id} already exists`;
    throw this.settings.strict ? ConferenceDomainError.forbidden(message) : ConferenceDomainError.conflict(message);
  }

  /** POST join: adds the caller's endpoint (idempotent for the same user) and answers the aggregate (strict mode: `{}`, as documented). */
  join(principal: Principal, body: Schemas['JoinConferenceWebCommand']): Promise<Schemas['Conference']> {
    return this.store.run(conferenceRef(principal, body.conferenceId), (conference) => {
      const answer = () => (this.settings.strict ? {} : conferenceAggregate(conference));
      const existing = conference.endpoint(body.userEndpointId);
      if (existing) {
        this.access.ownEndpoint(principal, conference, existing.id);
        return answer();
      }
      const endpointId = body.userEndpointId;
      conference.join(endpointId, principal.userId, body.metadata ?? {}, () => this.store.createLiveness(conference, endpointId, principal.userId));
      return answer();
    });
  }

  /** POST leave: unpublishes the endpoint's streams (an event each), stops its viewers, then leaves. */
  leave(principal: Principal, body: Schemas['LeaveConferenceWebCommand']): Promise<void> {
    return this.store.run(conferenceRef(principal, body.conferenceId), (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      this.removeEndpoint(conference, endpoint.id, body.reason ?? 'left');
    });
  }

  /** POST end: closes all media, appends ConferenceEndedEvent, answers waiting polls; the conference is gone. */
  end(principal: Principal, body: Schemas['EndConferenceWebCommand']): Promise<void> {
    return this.store.run(conferenceRef(principal, body.conferenceId), (conference) => {
      // A service may end any conference of its organization; a user only through its own endpoint.
      if (!isService(principal) || conference.endpoint(body.userEndpointId)) {
        this.access.ownEndpoint(principal, conference, body.userEndpointId);
      }
      this.teardown.closeAll(conference);
      conference.end({ userId: principal.userId, userEndpointId: body.userEndpointId }, body.reason);
    });
  }

  /** The media plane's verdict on an endpoint; ignored for conferences and endpoints that are gone. */
  onEndpointHealth(mediaKey: string, userEndpointId: string, health: EndpointHealth): void {
    this.fromMediaPlane(`health of ${userEndpointId} in ${mediaKey}`, mediaKey, (conference) => conference.endpoint(userEndpointId)?.liveness.setMediaHealth(health));
  }

  /** Every stream of the conference lost its media node: each is unpublished with `reason` (one event each). */
  onMediaLost(mediaKey: string, reason: string): void {
    this.fromMediaPlane(`media lost in ${mediaKey}`, mediaKey, (conference) => {
      for (const stream of conference.allStreams()) conference.unpublish(stream.id, reason);
    });
  }

  /** The ghost rule's state change; moot when the endpoint left or the conference ended meanwhile. */
  changeState(conference: Conference, endpointId: string, state: EndpointHealth): void {
    if (!conference.live || !conference.endpoint(endpointId)) return;
    conference.setEndpointState(endpointId, state);
  }

  /** The ghost rule's removal: the endpoint's media closes and it leaves, giving `reason`. */
  removeGhost(conference: Conference, endpointId: string, reason: string): void {
    if (!conference.live || !conference.endpoint(endpointId)) return;
    this.removeEndpoint(conference, endpointId, reason);
  }

  private removeEndpoint(conference: Conference, endpointId: string, reason: string): void {
    this.teardown.closeEndpoint(conference, endpointId);
    conference.leave(endpointId, reason);
  }

  private fromMediaPlane(what: string, mediaKey: string, command: (conference: Conference) => void): void {
    this.store.run(refOfMediaKey(mediaKey), command).catch((error: unknown) => {
      // A conference that ended meanwhile has nothing left to report on.
      if (error instanceof ConferenceDomainError && error.code === 'not-found') return;
      this.settings.onCallbackError(what, error);
    });
  }
}
