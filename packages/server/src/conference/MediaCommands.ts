import { randomUUID } from 'node:crypto';
import type { components } from '@confer/contract';
import type { Principal } from '../auth/Principal.js';
import { ConferenceDomainError } from './ConferenceDomainError.js';
import type { MediaRouter } from '../media/MediaRouter.js';
import type { Conference } from './Conference.js';
import type { ConferenceAccess } from './ConferenceAccess.js';
import type { Endpoint } from './Endpoint.js';
import type { MediaTeardown } from './MediaTeardown.js';

type Schemas = components['schemas'];

const PUBLISHABLE_TYPES = new Set(['MIC', 'CAM', 'MIC_AND_CAM', 'SCREEN']);

/**
 * The operations that go through the media plane. The control plane owns ids, ownership, existence,
 * events and viewer bookkeeping; the {@link MediaRouter} owns peer connections. Ids are reserved
 * while the router works, and the state is checked again afterwards, since the endpoint may have left
 * or the conference ended meanwhile.
 */
export class MediaCommands {
  constructor(
    private readonly access: ConferenceAccess,
    private readonly media: MediaRouter,
    private readonly teardown: MediaTeardown,
  ) {}

  /** POST publishStream: answers the offer and appends ConferenceStreamPublishedEvent. */
  async publishStream(principal: Principal, body: Schemas['ConferencePublishStreamWebCommand']): Promise<Schemas['ConferencePublishResult']> {
    const conference = this.access.conference(principal, body.conferenceId);
    const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
    if (!PUBLISHABLE_TYPES.has(body.conferenceStreamType)) {
      throw ConferenceDomainError.invalid('body.conferenceStreamType must be MIC, CAM, MIC_AND_CAM or SCREEN');
    }
    const streamId = body.streamId?.id ?? randomUUID();
    if (conference.streams.has(streamId) || conference.pendingStreamIds.has(streamId)) {
      throw ConferenceDomainError.conflict(`streamId ${streamId} is already published in conference ${conference.id}`);
    }
    conference.pendingStreamIds.add(streamId);
    let sdpAnswer: string;
    try {
      ({ sdpAnswer } = await this.media.publish({
        conferenceId: conference.mediaKey,
        streamId,
        userEndpointId: endpoint.id,
        streamType: body.conferenceStreamType,
        sdpOffer: body.sdpOffer,
        ...(body.videoBitrate === undefined ? {} : { videoBitrate: body.videoBitrate }),
      }));
    } finally {
      conference.pendingStreamIds.delete(streamId);
    }
    if (!this.stillJoined(conference, endpoint)) {
      this.teardown.discardStream(conference, streamId);
      throw ConferenceDomainError.notFound(`userEndpointId ${endpoint.id} left conference ${conference.id} while publishing`);
    }
    const metadata = body.metadata ?? {};
    conference.streams.set(streamId, {
      id: streamId,
      userEndpointId: endpoint.id,
      type: body.conferenceStreamType,
      metadata,
      ...(body.videoBitrate === undefined ? {} : { videoBitrate: body.videoBitrate }),
    });
    conference.append({
      type: 'ConferenceStreamPublishedEvent',
      userId: endpoint.userId,
      userEndpointId: endpoint.id,
      streamId,
      streamType: body.conferenceStreamType,
      metadata,
    });
    return { sdpAnswer, streamId: { id: streamId } };
  }

  /** POST addPublishStreamIceCandidates: candidates trickled by the publisher of an own stream. */
  async addPublishStreamIceCandidates(principal: Principal, body: Schemas['ConferencePublishStreamIceCandidatesWebCommand']): Promise<void> {
    const conference = this.access.conference(principal, body.conferenceId);
    const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
    const stream = this.access.ownStream(conference, endpoint, body.streamId.id);
    await this.media.addPublishCandidates(conference.streamRef(stream.id), body.iceCandidates);
  }

  /** POST unpublishStream: closes the stream and its viewers, appends ConferenceStreamUnpublishedEvent. */
  unpublishStream(principal: Principal, body: Schemas['ConferenceUnpublishStreamWebCommand']): void {
    const conference = this.access.conference(principal, body.conferenceId);
    const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
    const stream = this.access.ownStream(conference, endpoint, body.streamId.id);
    this.teardown.unpublish(conference, stream, { userId: endpoint.userId, userEndpointId: endpoint.id }, 'unpublished');
  }

  /** POST viewStream: answers the viewer's offer; the viewer id is the request's or a generated one. */
  async viewStream(principal: Principal, body: Schemas['ConferenceViewStreamWebCommand']): Promise<Schemas['ConferenceStreamViewResult']> {
    const conference = this.access.conference(principal, body.conferenceId);
    const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
    const stream = this.access.publishedStream(conference, body.streamId.id);
    const viewerId = body.viewerId ?? randomUUID();
    if (conference.viewers.has(viewerId) || conference.pendingViewerIds.has(viewerId)) {
      throw ConferenceDomainError.conflict(`viewerId ${viewerId} is already in use in conference ${conference.id}`);
    }
    conference.pendingViewerIds.add(viewerId);
    let sdpAnswer: string;
    try {
      ({ sdpAnswer } = await this.media.view({
        conferenceId: conference.mediaKey,
        streamId: stream.id,
        viewerId,
        userEndpointId: endpoint.id,
        sdpOffer: body.sdpOffer,
      }));
    } finally {
      conference.pendingViewerIds.delete(viewerId);
    }
    if (!this.stillJoined(conference, endpoint) || conference.streams.get(stream.id) !== stream) {
      this.teardown.stopViewer(conference, { id: viewerId, userEndpointId: endpoint.id, streamId: stream.id });
      throw ConferenceDomainError.notFound(`streamId ${stream.id} or userEndpointId ${endpoint.id} left conference ${conference.id} while viewing`);
    }
    conference.viewers.set(viewerId, { id: viewerId, userEndpointId: endpoint.id, streamId: stream.id });
    return { sdpAnswer, viewerId };
  }

  /** POST addViewStreamIceCandidates: candidates trickled by an own viewer. */
  async addViewStreamIceCandidates(principal: Principal, body: Schemas['ConferenceViewStreamIceCandidatesWebCommand']): Promise<void> {
    const conference = this.access.conference(principal, body.conferenceId);
    const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
    const viewer = this.access.ownViewer(conference, endpoint, body.viewerId, body.streamId.id);
    await this.media.addViewCandidates(conference.streamRef(viewer.streamId), viewer.id, body.iceCandidates);
  }

  /** POST stopViewStream: closes an own viewer. */
  stopViewStream(principal: Principal, body: Schemas['ConferenceStopViewStreamWebCommand']): void {
    const conference = this.access.conference(principal, body.conferenceId);
    const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
    const viewer = this.access.ownViewer(conference, endpoint, body.viewerId, body.streamId.id);
    this.teardown.stopViewer(conference, viewer);
  }

  /**
   * POST updatePublishedStreamBitrate: caps one own stream, or every stream of the endpoint when
   * streamId is absent; one ConferencePublishedStreamBitrateUpdatedEvent per stream.
   */
  updatePublishedStreamBitrate(principal: Principal, body: Schemas['ConferenceUpdatePublishedStreamBitrateWebCommand']): void {
    const conference = this.access.conference(principal, body.conferenceId);
    const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
    const videoBitrate = body.videoBitrate;
    if (videoBitrate === undefined) throw ConferenceDomainError.invalid('body.videoBitrate is required');
    const streams = body.streamId ? [this.access.ownStream(conference, endpoint, body.streamId.id)] : conference.streamsOf(endpoint.id);
    if (streams.length === 0) throw ConferenceDomainError.invalid(`userEndpointId ${endpoint.id} publishes no stream`);
    for (const stream of streams) {
      this.media.setVideoBitrate(conference.streamRef(stream.id), videoBitrate);
      stream.videoBitrate = videoBitrate;
      conference.append({
        type: 'ConferencePublishedStreamBitrateUpdatedEvent',
        userId: endpoint.userId,
        userEndpointId: endpoint.id,
        streamId: stream.id,
        videoBitrate,
      });
    }
  }

  private stillJoined(conference: Conference, endpoint: Endpoint): boolean {
    return conference.live && conference.endpoints.get(endpoint.id) === endpoint;
  }
}
