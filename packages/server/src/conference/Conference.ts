import type { components } from '@confer/contract';
import type { EndpointHealth, StreamRef } from '../media/MediaRouter.js';
import { ConferenceDomainError } from './ConferenceDomainError.js';
import { ConferenceLocals } from './ConferenceLocals.js';
import { ConferenceMetadata, type MetadataEntry } from './ConferenceMetadata.js';
import { Endpoint, type AnyMetadata, type Liveness, type LivenessFlags, type StreamRecord, type ViewerRecord } from './Endpoint.js';
import type { EventBatch } from './EventBatch.js';
import { EventLog, type ConferenceEvent, type EventDraft, type KnownEventDraft } from './EventLog.js';

type Schemas = components['schemas'];

/** Who caused an event; absent fields are left out of it. */
export interface EventActor {
  userId?: string;
  userEndpointId?: string;
}

/** Called with every event the conference appends (the server logs it), and the masks of a sent event. */
export type EventListener = (event: ConferenceEvent, masks: readonly string[]) => void;

/** What a conference is created with. */
export interface ConferenceInit {
  id: string;
  organizationId: string;
  creator: string;
  creatorEndpoint?: string;
  /** Metadata set at creation, authored by the creator; no event (nobody can have read the conference yet). */
  metadata?: Record<string, string>;
  eventRetention: number;
  /** The `conferenceVersion` of the first event (1 in strict mode). */
  firstVersion?: number;
  onEvent: EventListener;
  /** This process's reservations and waiting polls of the conference; a new one when absent. */
  locals?: ConferenceLocals;
  /** The `conferenceVersion` of the next event, when a saved conference is loaded. */
  nextVersion?: number;
}

/** An endpoint as a saved conference keeps it. */
export interface EndpointSnapshot {
  id: string;
  userId: string;
  metadata: AnyMetadata;
  state: EndpointHealth;
  serial: number;
  liveness: LivenessFlags;
}

/** A conference as a shared store keeps it (JSON), without its events, which are kept beside it. */
export interface ConferenceSnapshot {
  id: string;
  organizationId: string;
  creator: string;
  creatorEndpoint?: string;
  firstVersion: number;
  /** The `conferenceVersion` of the next event. */
  nextVersion: number;
  nextSerial: number;
  metadata: Record<string, MetadataEntry>;
  endpoints: EndpointSnapshot[];
  streams: StreamRecord[];
  viewers: ViewerRecord[];
}

/** What a saved conference is loaded with besides its snapshot. */
export interface ConferenceRestore {
  eventRetention: number;
  onEvent: EventListener;
  locals: ConferenceLocals;
  /** The liveness of a saved endpoint, from its saved flags. */
  createLiveness(endpoint: EndpointSnapshot): Liveness;
}

/**
 * One conference: its endpoints, streams, viewers, metadata and event stream. Each command method
 * makes one whole state change and appends its events, so the rules that tie the parts together
 * (a stream's viewers go with it, an endpoint leaves with its streams and viewers, nothing changes
 * after the end) hold whoever calls. It is synchronous and does no I/O: the services check who may
 * act, and close media through the router before they call it. Records it hands out are read-only.
 */
export class Conference {
  readonly id: string;
  readonly organizationId: string;
  readonly mode = 'ROUTER' as const;
  readonly creator: string;
  readonly creatorEndpoint: string | undefined;
  private readonly metadata = new ConferenceMetadata();
  /** Endpoints by user endpoint id, in join order. */
  private readonly endpoints = new Map<string, Endpoint>();
  /** Published streams by stream id, in publish order. */
  private readonly streams = new Map<string, StreamRecord>();
  private readonly viewers = new Map<string, ViewerRecord>();
  /** This process's reservations and waiting polls of the conference. */
  readonly locals: ConferenceLocals;
  private readonly events: EventLog;
  private readonly onEvent: EventListener;
  private readonly firstVersion: number;
  /** The serial the next endpoint, stream or viewer gets. */
  private nextSerial = 1;
  private ended = false;

  constructor(init: ConferenceInit) {
    this.id = init.id;
    this.organizationId = init.organizationId;
    this.creator = init.creator;
    this.creatorEndpoint = init.creatorEndpoint;
    this.firstVersion = init.firstVersion ?? 0;
    this.events = new EventLog({
      conferenceId: init.id,
      organizationId: init.organizationId,
      retention: init.eventRetention,
      firstVersion: this.firstVersion,
      ...(init.nextVersion === undefined ? {} : { nextVersion: init.nextVersion }),
    });
    this.onEvent = init.onEvent;
    this.locals = init.locals ?? new ConferenceLocals();
    for (const [key, value] of Object.entries(init.metadata ?? {})) {
      this.metadata.set(key, value, { userId: init.creator, userEndpointId: init.creatorEndpoint });
    }
  }

  /** Loads a saved conference; its next event continues the saved version. */
  static fromSnapshot(snapshot: ConferenceSnapshot, restore: ConferenceRestore): Conference {
    const conference = new Conference({
      id: snapshot.id,
      organizationId: snapshot.organizationId,
      creator: snapshot.creator,
      ...(snapshot.creatorEndpoint === undefined ? {} : { creatorEndpoint: snapshot.creatorEndpoint }),
      eventRetention: restore.eventRetention,
      firstVersion: snapshot.firstVersion,
      onEvent: restore.onEvent,
      locals: restore.locals,
      nextVersion: snapshot.nextVersion,
    });
    conference.restore(snapshot, restore);
    return conference;
  }

  /** The conference as a shared store saves it. */
  toSnapshot(): ConferenceSnapshot {
    return {
      id: this.id,
      organizationId: this.organizationId,
      creator: this.creator,
      ...(this.creatorEndpoint === undefined ? {} : { creatorEndpoint: this.creatorEndpoint }),
      firstVersion: this.firstVersion,
      nextVersion: this.events.next,
      nextSerial: this.nextSerial,
      metadata: this.metadata.toJSON(),
      endpoints: [...this.endpoints.values()].map((e) => ({ id: e.id, userId: e.userId, metadata: e.metadata, state: e.state, serial: e.serial, liveness: e.liveness.flags() })),
      streams: [...this.streams.values()],
      viewers: [...this.viewers.values()],
    };
  }

  private restore(snapshot: ConferenceSnapshot, restore: ConferenceRestore): void {
    this.nextSerial = snapshot.nextSerial;
    this.metadata.restore(snapshot.metadata);
    for (const saved of snapshot.endpoints) {
      const endpoint = new Endpoint(saved.id, saved.userId, saved.metadata, restore.createLiveness(saved), saved.serial);
      endpoint.state = saved.state;
      this.endpoints.set(saved.id, endpoint);
    }
    // Copies: commands change records in place, and a store may load the same snapshot again.
    for (const stream of snapshot.streams) this.streams.set(stream.id, { ...stream });
    for (const viewer of snapshot.viewers) this.viewers.set(viewer.id, { ...viewer });
  }

  /** The conference id the media plane knows: conference ids are only unique inside an organization. */
  get mediaKey(): string {
    return `${this.organizationId}/${this.id}`;
  }

  /** False once the conference has ended (or the server closed). */
  get live(): boolean {
    return !this.ended;
  }

  /** The number of events so far: the `conferenceVersion` the next event will carry (strict mode: the last one's). */
  get version(): number {
    return this.events.version;
  }

  /** The version of the oldest event still kept. */
  get oldestVersion(): number {
    return this.events.oldestVersion;
  }

  /** Event polls waiting right now. */
  get waitingPolls(): number {
    return this.events.waiting;
  }

  /** How many endpoints have joined. */
  get endpointCount(): number {
    return this.endpoints.size;
  }

  /** The media plane's reference to one of this conference's streams. */
  streamRef(streamId: string): StreamRef {
    return { conferenceId: this.mediaKey, streamId };
  }

  /** The joined endpoint with that id. */
  endpoint(userEndpointId: string): Readonly<Endpoint> | undefined {
    return this.endpoints.get(userEndpointId);
  }

  /** Whether this very endpoint is still joined and the conference still live (it may have left during an await). */
  isJoined(endpoint: Readonly<Endpoint>): boolean {
    return this.live && this.endpoints.get(endpoint.id)?.serial === endpoint.serial;
  }

  /** Whether this very stream is still published (not one published again under its id since). */
  isPublished(stream: Readonly<StreamRecord>): boolean {
    return this.live && this.streams.get(stream.id)?.serial === stream.serial;
  }

  /** Whether this very viewer still exists (not one added again under its id since). */
  hasViewer(viewer: Readonly<ViewerRecord>): boolean {
    return this.live && this.viewers.get(viewer.id)?.serial === viewer.serial;
  }

  /** The published stream with that id. */
  stream(streamId: string): Readonly<StreamRecord> | undefined {
    return this.streams.get(streamId);
  }

  /** The viewer with that id. */
  viewer(viewerId: string): Readonly<ViewerRecord> | undefined {
    return this.viewers.get(viewerId);
  }

  /** Every joined endpoint, in join order. */
  allEndpoints(): Readonly<Endpoint>[] {
    return [...this.endpoints.values()];
  }

  /** The conference metadata as a JSON object. */
  metadataEntries(): Record<string, MetadataEntry> {
    return this.metadata.toJSON();
  }

  /** Every published stream, in publish order. */
  allStreams(): Readonly<StreamRecord>[] {
    return [...this.streams.values()];
  }

  /** The streams an endpoint publishes, in publish order. */
  streamsOf(userEndpointId: string): Readonly<StreamRecord>[] {
    return [...this.streams.values()].filter((s) => s.userEndpointId === userEndpointId);
  }

  /** The viewers an endpoint owns. */
  viewersOwnedBy(userEndpointId: string): Readonly<ViewerRecord>[] {
    return [...this.viewers.values()].filter((v) => v.userEndpointId === userEndpointId);
  }

  /** The endpoints a user has joined with. */
  endpointsOf(userId: string): Readonly<Endpoint>[] {
    return [...this.endpoints.values()].filter((e) => e.userId === userId);
  }

  /** Counts a user's event poll as waiting in this process (or done, with -1). */
  trackPoll(userId: string, delta: 1 | -1): void {
    this.locals.trackPoll(userId, delta);
  }

  /** Whether an event poll of this user is waiting in this process. */
  isPolling(userId: string): boolean {
    return this.locals.isPolling(userId);
  }

  /** The events from `fromVersion` on, as soon as there are any; see {@link EventLog.wait}. */
  waitForEvents(fromVersion: number, waitMs: number, signal?: AbortSignal): Promise<EventBatch> {
    return this.events.wait(fromVersion, waitMs, signal);
  }

  /**
   * Adds an endpoint and appends its ConferenceJoinedEvent. `createLiveness` runs only once the
   * endpoint is accepted, so a refused join leaves no timer behind.
   */
  join(userEndpointId: string, userId: string, metadata: AnyMetadata, createLiveness: () => Liveness): Readonly<Endpoint> {
    this.assertLive();
    if (this.endpoints.has(userEndpointId)) {
      throw ConferenceDomainError.conflict(`userEndpointId ${userEndpointId} has already joined conference ${this.id}`);
    }
    const endpoint = new Endpoint(userEndpointId, userId, metadata, createLiveness(), this.nextSerial++);
    this.endpoints.set(userEndpointId, endpoint);
    this.append({ type: 'ConferenceJoinedEvent', userId, userEndpointId, metadata });
    return endpoint;
  }

  /**
   * Removes an endpoint with everything it has here: each stream it publishes (with its viewers and
   * a ConferenceStreamUnpublishedEvent), the viewers it owns, its liveness timer; then appends its
   * ConferenceLeftEvent.
   */
  leave(userEndpointId: string, reason: string): void {
    const endpoint = this.requireEndpoint(userEndpointId);
    for (const stream of this.streamsOf(endpoint.id)) this.unpublish(stream.id, reason);
    for (const viewer of this.viewersOwnedBy(endpoint.id)) this.viewers.delete(viewer.id);
    endpoint.liveness.close();
    this.endpoints.delete(endpoint.id);
    this.append({ type: 'ConferenceLeftEvent', ...actorOf(endpoint), reason });
  }

  /** Sets an endpoint's health; a change appends one ConferenceEndpointStateChangedEvent, no change appends none. */
  setEndpointState(userEndpointId: string, state: EndpointHealth): void {
    const endpoint = this.requireEndpoint(userEndpointId);
    if (endpoint.state === state) return;
    endpoint.state = state;
    this.append({ type: 'ConferenceEndpointStateChangedEvent', ...actorOf(endpoint), state });
  }

  /** Replaces an endpoint's metadata and appends ConferenceParticipantMetadataUpdatedEvent. */
  setParticipantMetadata(userEndpointId: string, metadata: AnyMetadata): void {
    const endpoint = this.requireEndpoint(userEndpointId);
    endpoint.metadata = metadata;
    this.append({ type: 'ConferenceParticipantMetadataUpdatedEvent', ...actorOf(endpoint), newMetadata: metadata });
  }

  /** Sets one conference metadata key on behalf of an endpoint and appends ConferenceMetadataUpdatedEvent. */
  setMetadata(userEndpointId: string, key: string, value: string): void {
    const actor = actorOf(this.requireEndpoint(userEndpointId));
    this.metadata.set(key, value, actor);
    this.append({ type: 'ConferenceMetadataUpdatedEvent', ...actor, key, operation: 'SET', value });
  }

  /** Removes one conference metadata key (which must exist) and appends ConferenceMetadataUpdatedEvent. */
  removeMetadata(userEndpointId: string, key: string): void {
    const actor = actorOf(this.requireEndpoint(userEndpointId));
    if (!this.metadata.has(key)) throw ConferenceDomainError.notFound(`metadata key ${key} not found in conference ${this.id}`);
    this.metadata.remove(key);
    this.append({ type: 'ConferenceMetadataUpdatedEvent', ...actor, key, operation: 'REMOVE' });
  }

  /**
   * Holds a stream id while the media plane works on its publish; conflict when it is published or
   * held. A reconnection (`reconnect`: the stream's own endpoint publishes it again) needs the stream
   * published and only refuses an id held by another publish or reconnection.
   */
  reserveStreamId(streamId: string, reconnect = false): void {
    this.assertLive();
    if (this.locals.reservedStreamIds.has(streamId)) {
      throw ConferenceDomainError.conflict(`streamId ${streamId} is being published by another request in conference ${this.id}`);
    }
    if (reconnect) this.requireStream(streamId);
    else if (this.streams.has(streamId)) throw ConferenceDomainError.conflict(`streamId ${streamId} is already published in conference ${this.id}`);
    this.locals.reservedStreamIds.add(streamId);
  }

  /** Lets go of a stream id held by {@link reserveStreamId} (before {@link publish}, or when the publish failed). */
  releaseStreamId(streamId: string): void {
    this.locals.reservedStreamIds.delete(streamId);
  }

  /** Records a stream its endpoint publishes and appends ConferenceStreamPublishedEvent. */
  publish(stream: StreamRecord): void {
    const endpoint = this.requireEndpoint(stream.userEndpointId);
    if (this.streams.has(stream.id)) throw ConferenceDomainError.conflict(`streamId ${stream.id} is already published in conference ${this.id}`);
    this.streams.set(stream.id, { ...stream, serial: this.nextSerial++ });
    this.append({ type: 'ConferenceStreamPublishedEvent', ...actorOf(endpoint), streamId: stream.id, streamType: stream.type, metadata: stream.metadata });
  }

  /** Removes a stream and every viewer of it, and appends its one ConferenceStreamUnpublishedEvent (caused by its publisher). */
  unpublish(streamId: string, reason: string): void {
    const stream = this.requireStream(streamId);
    for (const [id, viewer] of this.viewers) if (viewer.streamId === streamId) this.viewers.delete(id);
    this.streams.delete(streamId);
    this.append({ type: 'ConferenceStreamUnpublishedEvent', ...this.publisherOf(stream), streamId, streamType: stream.type, reason });
  }

  /** Replaces a stream's metadata and appends ConferenceStreamMetadataUpdatedEvent. */
  setStreamMetadata(streamId: string, metadata: AnyMetadata): void {
    const stream = this.requireStream(streamId);
    stream.metadata = metadata;
    this.append({ type: 'ConferenceStreamMetadataUpdatedEvent', ...this.publisherOf(stream), streamId, newMetadata: metadata });
  }

  /** Records a stream's video bitrate cap and appends ConferencePublishedStreamBitrateUpdatedEvent. */
  setStreamBitrate(streamId: string, videoBitrate: number): void {
    const stream = this.requireStream(streamId);
    stream.videoBitrate = videoBitrate;
    this.append({ type: 'ConferencePublishedStreamBitrateUpdatedEvent', ...this.publisherOf(stream), streamId, videoBitrate });
  }

  /**
   * Holds a viewer id while the media plane works on its view; conflict when it is in use or held.
   * A reconnection (`reconnect`: its own endpoint views again) needs the viewer and only refuses an
   * id held by another view or reconnection.
   */
  reserveViewerId(viewerId: string, reconnect = false): void {
    this.assertLive();
    if (this.locals.reservedViewerIds.has(viewerId)) {
      throw ConferenceDomainError.conflict(`viewerId ${viewerId} is being used by another viewStream in conference ${this.id}`);
    }
    if (reconnect) {
      if (!this.viewers.has(viewerId)) throw ConferenceDomainError.notFound(`viewerId ${viewerId} not found in conference ${this.id}`);
    } else if (this.viewers.has(viewerId)) throw ConferenceDomainError.conflict(`viewerId ${viewerId} is already in use in conference ${this.id}`);
    this.locals.reservedViewerIds.add(viewerId);
  }

  /** Lets go of a viewer id held by {@link reserveViewerId}. */
  releaseViewerId(viewerId: string): void {
    this.locals.reservedViewerIds.delete(viewerId);
  }

  /** Records a viewer of a published stream (viewers are not in the aggregate: no event). */
  addViewer(viewer: ViewerRecord): void {
    this.requireEndpoint(viewer.userEndpointId);
    this.requireStream(viewer.streamId);
    if (this.viewers.has(viewer.id)) throw ConferenceDomainError.conflict(`viewerId ${viewer.id} is already in use in conference ${this.id}`);
    this.viewers.set(viewer.id, { ...viewer, serial: this.nextSerial++ });
  }

  /** Forgets a viewer (no event); nothing happens when it is already gone. */
  removeViewer(viewerId: string): void {
    this.viewers.delete(viewerId);
  }

  /**
   * Appends a custom event (sendEvent). Its own fields (its timestamp) are kept; id, conferenceId,
   * conferenceVersion and organizationId are always the server's, and so are userId and
   * userEndpointId: who sent it (a custom event cannot speak for someone else).
   */
  sendEvent(event: Schemas['CustomEventInput'], actor: EventActor, masks: readonly string[]): ConferenceEvent {
    this.assertLive();
    const { type, userId: _userId, userEndpointId: _userEndpointId, ...fields } = event;
    return this.record({ type, ...fields, ...actor }, masks);
  }

  /** Drops every stream and viewer, appends ConferenceEndedEvent and closes: the conference is gone. */
  end(actor: EventActor, reason?: string): void {
    this.assertLive();
    this.streams.clear();
    this.viewers.clear();
    this.append({ type: 'ConferenceEndedEvent', ...actor, ...(reason === undefined ? {} : { reason }) });
    this.close();
  }

  /** Stops every timer and answers every waiting poll; the conference is gone afterwards. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    for (const endpoint of this.endpoints.values()) endpoint.liveness.close();
    this.events.close();
  }

  private append(draft: KnownEventDraft): void {
    this.record(draft, []);
  }

  private record(draft: EventDraft, masks: readonly string[]): ConferenceEvent {
    const event = this.events.append(draft);
    this.onEvent(event, masks);
    return event;
  }

  private assertLive(): void {
    if (this.ended) throw ConferenceDomainError.notFound(`conference ${this.id} has ended`);
  }

  private requireEndpoint(userEndpointId: string): Endpoint {
    this.assertLive();
    const endpoint = this.endpoints.get(userEndpointId);
    if (!endpoint) throw ConferenceDomainError.notFound(`userEndpointId ${userEndpointId} has not joined conference ${this.id}`);
    return endpoint;
  }

  private requireStream(streamId: string): StreamRecord {
    this.assertLive();
    const stream = this.streams.get(streamId);
    if (!stream) throw ConferenceDomainError.notFound(`streamId ${streamId} is not published in conference ${this.id}`);
    return stream;
  }

  // A stream's events name its publisher, who is joined for as long as the stream exists.
  private publisherOf(stream: StreamRecord): EventActor {
    return actorOf(this.requireEndpoint(stream.userEndpointId));
  }
}

function actorOf(endpoint: Endpoint): { userId: string; userEndpointId: string } {
  return { userId: endpoint.userId, userEndpointId: endpoint.id };
}
