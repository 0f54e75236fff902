import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { components } from '@confer/contract';
import type { Principal } from '../auth/Principal.js';
import type { MediaRouter } from '../media/MediaRouter.js';
import { mediaKeyOf, type ConferenceRef, type ConferenceStore } from '../store/ConferenceStore.js';
import type { Conference } from './Conference.js';
import { conferenceRef, type ConferenceAccess } from './ConferenceAccess.js';
import { ConferenceDomainError } from './ConferenceDomainError.js';
import type { Endpoint, StreamRecord, ViewerRecord } from './Endpoint.js';
import type { MediaTeardown } from './MediaTeardown.js';

type Schemas = components['schemas'];
type PublishCommand = Schemas['ConferencePublishStreamWebCommand'];
type ViewCommand = Schemas['ConferenceViewStreamWebCommand'];

const PUBLISHABLE_TYPES = new Set(['MIC', 'CAM', 'MIC_AND_CAM', 'SCREEN']);

/**
 * The operations that go through the media plane. The control plane owns ids, ownership, existence,
 * events and viewer bookkeeping; the {@link MediaRouter} owns peer connections. Ids are reserved
 * while the router works, and the state is checked again afterwards, since the endpoint may have left
 * or the conference ended meanwhile.
 */
export class MediaCommands {
  constructor(
    private readonly store: ConferenceStore,
    private readonly access: ConferenceAccess,
    private readonly media: MediaRouter,
    private readonly teardown: MediaTeardown,
    /** What a stream without a cap gets, and what updatePublishedStreamBitrate without videoBitrate goes back to. */
    private readonly defaultVideoBitrate: number,
  ) {}

  /**
   * POST publishStream: answers the offer and appends ConferenceStreamPublishedEvent. A streamId the
   * same endpoint already publishes is a reconnection (an extension of the API, see the README):
   * see {@link reconnectStream}.
   */
  async publishStream(principal: Principal, body: PublishCommand): Promise<Schemas['ConferencePublishResult']> {
    const ref = conferenceRef(principal, body.conferenceId);
    const { endpoint, existing } = await this.store.read(ref, (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      if (!PUBLISHABLE_TYPES.has(body.conferenceStreamType)) {
        throw ConferenceDomainError.invalid('body.conferenceStreamType must be MIC, CAM, MIC_AND_CAM or SCREEN');
      }
      return { endpoint, existing: body.streamId ? conference.stream(body.streamId.id) : undefined };
    });
    if (existing) return this.reconnectStream(ref, endpoint, existing, body);
    const streamId = body.streamId?.id ?? randomUUID();
    // Its own command: reserving changes nothing shared, so it is never rerun.
    await this.store.read(ref, (conference) => conference.reserveStreamId(streamId));
    const mediaKey = mediaKeyOf(ref);
    let sdpAnswer: string;
    try {
      ({ sdpAnswer } = await this.media.publish({
        conferenceId: mediaKey,
        streamId,
        userEndpointId: endpoint.id,
        streamType: body.conferenceStreamType,
        sdpOffer: body.sdpOffer,
        ...(body.videoBitrate === undefined ? {} : { videoBitrate: body.videoBitrate }),
      }));
    } finally {
      this.store.locals(ref).reservedStreamIds.delete(streamId);
    }
    await this.afterMedia(ref, () => this.teardown.closeStream(mediaKey, streamId), (conference) => {
      if (!conference.isJoined(endpoint)) {
        throw ConferenceDomainError.notFound(`userEndpointId ${endpoint.id} left conference ${ref.id} while publishing`);
      }
      conference.publish({
        id: streamId,
        userEndpointId: endpoint.id,
        type: body.conferenceStreamType,
        metadata: body.metadata ?? {},
        ...(body.videoBitrate === undefined ? {} : { videoBitrate: body.videoBitrate }),
      });
    });
    return { sdpAnswer, streamId: { id: streamId } };
  }

  /**
   * publishStream of a stream its endpoint already publishes: the media plane replaces the
   * publisher's connection and keeps the viewers. No unpublished/published event: for everyone else
   * the stream never left. Only a changed `metadata` or `videoBitrate` (given and different) appends
   * its usual update event. 409 when another endpoint publishes the id, or the type would change.
   */
  private async reconnectStream(
    ref: ConferenceRef,
    endpoint: Readonly<Endpoint>,
    stream: Readonly<StreamRecord>,
    body: PublishCommand,
  ): Promise<Schemas['ConferencePublishResult']> {
    if (stream.userEndpointId !== endpoint.id) {
      throw ConferenceDomainError.conflict(`streamId ${stream.id} is already published in conference ${ref.id} by another endpoint than ${endpoint.id}`);
    }
    if (stream.type !== body.conferenceStreamType) {
      throw ConferenceDomainError.conflict(
        `streamId ${stream.id} is published as ${stream.type}; publishing it again as ${body.conferenceStreamType} is not a reconnection (unpublish it first)`,
      );
    }
    await this.store.read(ref, (conference) => conference.reserveStreamId(stream.id, true));
    const mediaKey = mediaKeyOf(ref);
    let sdpAnswer: string;
    try {
      ({ sdpAnswer } = await this.media.publish({
        conferenceId: mediaKey,
        streamId: stream.id,
        userEndpointId: endpoint.id,
        streamType: stream.type,
        sdpOffer: body.sdpOffer,
        reconnect: true,
        ...(body.videoBitrate === undefined ? {} : { videoBitrate: body.videoBitrate }),
      }));
    } finally {
      this.store.locals(ref).reservedStreamIds.delete(stream.id);
    }
    // The very stream: had it been unpublished meanwhile, the media plane closed it and refused.
    await this.afterMedia(ref, () => this.teardown.closeStream(mediaKey, stream.id), (conference) => {
      if (!conference.isJoined(endpoint) || !conference.isPublished(stream)) {
        throw ConferenceDomainError.notFound(`streamId ${stream.id} or userEndpointId ${endpoint.id} left conference ${ref.id} while reconnecting`);
      }
      const current = conference.stream(stream.id)!;
      if (body.metadata !== undefined && !isDeepStrictEqual(body.metadata, current.metadata)) conference.setStreamMetadata(stream.id, body.metadata);
      if (body.videoBitrate !== undefined && body.videoBitrate !== current.videoBitrate) conference.setStreamBitrate(stream.id, body.videoBitrate);
    });
    return { sdpAnswer, streamId: { id: stream.id } };
  }

  /** POST addPublishStreamIceCandidates: candidates trickled by the publisher of an own stream. */
  async addPublishStreamIceCandidates(principal: Principal, body: Schemas['ConferencePublishStreamIceCandidatesWebCommand']): Promise<void> {
    const ref = conferenceRef(principal, body.conferenceId);
    const stream = await this.store.read(ref, (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      return this.access.ownStream(conference, endpoint, body.streamId.id);
    });
    await this.media.addPublishCandidates({ conferenceId: mediaKeyOf(ref), streamId: stream.id }, body.iceCandidates);
  }

  /** POST unpublishStream: closes the stream and its viewers, appends ConferenceStreamUnpublishedEvent. */
  unpublishStream(principal: Principal, body: Schemas['ConferenceUnpublishStreamWebCommand']): Promise<void> {
    return this.store.run(conferenceRef(principal, body.conferenceId), (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      const stream = this.access.ownStream(conference, endpoint, body.streamId.id);
      this.teardown.closeStream(conference.mediaKey, stream.id);
      conference.unpublish(stream.id, 'unpublished');
    });
  }

  /**
   * POST viewStream: answers the viewer's offer; the viewer id is the request's or a generated one.
   * A viewerId the same endpoint already uses for that stream is a reconnection (an extension of the
   * API): the viewer's connection is replaced, no event. 409 for an id of another endpoint or stream.
   */
  async viewStream(principal: Principal, body: ViewCommand): Promise<Schemas['ConferenceStreamViewResult']> {
    const ref = conferenceRef(principal, body.conferenceId);
    const viewerId = body.viewerId ?? randomUUID();
    const { endpoint, stream, existing } = await this.store.read(ref, (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      const stream = this.access.publishedStream(conference, body.streamId.id);
      const existing = conference.viewer(viewerId);
      if (existing) checkViewerReconnection(conference, endpoint, existing, stream.id);
      return { endpoint, stream, existing };
    });
    await this.store.read(ref, (conference) => conference.reserveViewerId(viewerId, existing !== undefined));
    const mediaKey = mediaKeyOf(ref);
    let sdpAnswer: string;
    try {
      ({ sdpAnswer } = await this.media.view({
        conferenceId: mediaKey,
        streamId: stream.id,
        viewerId,
        userEndpointId: endpoint.id,
        sdpOffer: body.sdpOffer,
        ...(existing ? { reconnect: true } : {}),
      }));
    } finally {
      this.store.locals(ref).reservedViewerIds.delete(viewerId);
    }
    const viewer = { id: viewerId, userEndpointId: endpoint.id, streamId: stream.id };
    // The very stream: one unpublished and published again under its id meanwhile has other media.
    // A reconnecting viewer must also still be the one it replaced (not stopped meanwhile).
    await this.afterMedia(ref, () => this.teardown.closeViewer(mediaKey, viewer), (conference) => {
      const gone = !conference.isJoined(endpoint) || !conference.isPublished(stream) || (existing !== undefined && !conference.hasViewer(existing));
      if (gone) {
        throw ConferenceDomainError.notFound(`streamId ${stream.id}, userEndpointId ${endpoint.id} or viewerId ${viewerId} left conference ${ref.id} while viewing`);
      }
      if (!existing) conference.addViewer(viewer);
    });
    return { sdpAnswer, viewerId };
  }

  /** POST addViewStreamIceCandidates: candidates trickled by an own viewer. */
  async addViewStreamIceCandidates(principal: Principal, body: Schemas['ConferenceViewStreamIceCandidatesWebCommand']): Promise<void> {
    const ref = conferenceRef(principal, body.conferenceId);
    const viewer = await this.store.read(ref, (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      return this.access.ownViewer(conference, endpoint, body.viewerId, body.streamId.id);
    });
    await this.media.addViewCandidates({ conferenceId: mediaKeyOf(ref), streamId: viewer.streamId }, viewer.id, body.iceCandidates);
  }

  /** POST stopViewStream: closes an own viewer. */
  stopViewStream(principal: Principal, body: Schemas['ConferenceStopViewStreamWebCommand']): Promise<void> {
    return this.store.run(conferenceRef(principal, body.conferenceId), (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      const viewer = this.access.ownViewer(conference, endpoint, body.viewerId, body.streamId.id);
      this.teardown.closeViewer(conference.mediaKey, viewer);
      conference.removeViewer(viewer.id);
    });
  }

  /**
   * POST updatePublishedStreamBitrate: caps one own stream, or every stream of the endpoint when
   * streamId is absent; one ConferencePublishedStreamBitrateUpdatedEvent per stream. Without
   * videoBitrate the cap goes back to the default (the documentation marks it optional).
   */
  updatePublishedStreamBitrate(principal: Principal, body: Schemas['ConferenceUpdatePublishedStreamBitrateWebCommand']): Promise<void> {
    return this.store.run(conferenceRef(principal, body.conferenceId), (conference) => {
      const endpoint = this.access.ownEndpoint(principal, conference, body.userEndpointId);
      const videoBitrate = body.videoBitrate ?? this.defaultVideoBitrate;
      const streams = body.streamId ? [this.access.ownStream(conference, endpoint, body.streamId.id)] : conference.streamsOf(endpoint.id);
      if (streams.length === 0) throw ConferenceDomainError.invalid(`userEndpointId ${endpoint.id} publishes no stream`);
      for (const stream of streams) {
        this.media.setVideoBitrate(conference.streamRef(stream.id), videoBitrate);
        conference.setStreamBitrate(stream.id, videoBitrate);
      }
    });
  }

  /**
   * Records what the media plane answered. When the command refuses (the endpoint or stream left
   * meanwhile) or the conference has ended, the media the request opened is closed before the error goes on.
   */
  private async afterMedia(ref: ConferenceRef, closeOpened: () => void, command: (conference: Conference) => void): Promise<void> {
    try {
      await this.store.run(ref, command);
    } catch (error) {
      closeOpened();
      throw error;
    }
  }
}

/** A viewStream naming a viewer id in use reconnects it only from its own endpoint and for its own stream: 409 otherwise. */
function checkViewerReconnection(conference: Conference, endpoint: Readonly<Endpoint>, viewer: Readonly<ViewerRecord>, streamId: string): void {
  if (viewer.userEndpointId !== endpoint.id) {
    throw ConferenceDomainError.conflict(`viewerId ${viewer.id} is already in use in conference ${conference.id} by another endpoint than ${endpoint.id}`);
  }
  if (viewer.streamId !== streamId) {
    throw ConferenceDomainError.conflict(`viewerId ${viewer.id} already views streamId ${viewer.streamId}; a reconnection must name that stream`);
  }
}
