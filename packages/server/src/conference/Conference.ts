import type { components } from '@confer/contract';
import type { StreamRef } from '../media/MediaRouter.js';
import { ConferenceMetadata } from './ConferenceMetadata.js';
import type { Endpoint, StreamRecord, ViewerRecord } from './Endpoint.js';
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
  eventRetention: number;
  onEvent: EventListener;
}

/**
 * One conference: its endpoints, streams, viewers, metadata and event stream. It holds state and
 * appends events; the commands decide who may change what.
 */
export class Conference {
  readonly id: string;
  readonly organizationId: string;
  readonly mode = 'ROUTER' as const;
  readonly creator: string;
  readonly creatorEndpoint: string | undefined;
  readonly metadata = new ConferenceMetadata();
  /** Endpoints by user endpoint id, in join order. */
  readonly endpoints = new Map<string, Endpoint>();
  /** Published streams by stream id, in publish order. */
  readonly streams = new Map<string, StreamRecord>();
  /** Viewers by viewer id. */
  readonly viewers = new Map<string, ViewerRecord>();
  /** Stream ids taken by a publish still waiting for the media plane. */
  readonly pendingStreamIds = new Set<string>();
  /** Viewer ids taken by a view still waiting for the media plane. */
  readonly pendingViewerIds = new Set<string>();
  readonly events: EventLog;
  private readonly pollsByUser = new Map<string, number>();
  private readonly onEvent: EventListener;
  private ended = false;

  constructor(init: ConferenceInit) {
    this.id = init.id;
    this.organizationId = init.organizationId;
    this.creator = init.creator;
    this.creatorEndpoint = init.creatorEndpoint;
    this.events = new EventLog({ conferenceId: init.id, organizationId: init.organizationId, retention: init.eventRetention });
    this.onEvent = init.onEvent;
  }

  /** The conference id the media plane knows: conference ids are only unique inside an organization. */
  get mediaKey(): string {
    return `${this.organizationId}/${this.id}`;
  }

  /** False once the conference has ended (or the server closed). */
  get live(): boolean {
    return !this.ended;
  }

  /** The media plane's reference to one of this conference's streams. */
  streamRef(streamId: string): StreamRef {
    return { conferenceId: this.mediaKey, streamId };
  }

  /** Appends one of the contract's known events; the log stamps id, version and time. */
  append(draft: KnownEventDraft): ConferenceEvent {
    return this.record(draft, []);
  }

  /**
   * Appends a custom event (sendEvent). Its own fields (its timestamp, even userId) are kept; id,
   * conferenceId, conferenceVersion and organizationId are always the server's.
   */
  appendCustom(event: Schemas['CustomEventInput'], actor: EventActor, masks: readonly string[]): ConferenceEvent {
    const { type, ...fields } = event;
    return this.record({ type, ...actor, ...fields }, masks);
  }

  private record(draft: EventDraft, masks: readonly string[]): ConferenceEvent {
    const event = this.events.append(draft);
    this.onEvent(event, masks);
    return event;
  }

  /** The streams an endpoint publishes, in publish order. */
  streamsOf(userEndpointId: string): StreamRecord[] {
    return [...this.streams.values()].filter((s) => s.userEndpointId === userEndpointId);
  }

  /** The viewers an endpoint owns. */
  viewersOwnedBy(userEndpointId: string): ViewerRecord[] {
    return [...this.viewers.values()].filter((v) => v.userEndpointId === userEndpointId);
  }

  /** Forgets the viewer records of a stream (the media plane closes the viewers with the stream). */
  dropViewersOf(streamId: string): void {
    for (const [id, viewer] of this.viewers) if (viewer.streamId === streamId) this.viewers.delete(id);
  }

  /** The endpoints a user has joined with. */
  endpointsOf(userId: string): Endpoint[] {
    return [...this.endpoints.values()].filter((e) => e.userId === userId);
  }

  /** Counts a user's event poll as waiting (or done, with -1). */
  trackPoll(userId: string, delta: 1 | -1): void {
    const count = (this.pollsByUser.get(userId) ?? 0) + delta;
    if (count > 0) this.pollsByUser.set(userId, count);
    else this.pollsByUser.delete(userId);
  }

  /** Whether an event poll of this user is waiting. */
  isPolling(userId: string): boolean {
    return this.pollsByUser.has(userId);
  }

  /** Stops every timer and answers every waiting poll; the conference is gone afterwards. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    for (const endpoint of this.endpoints.values()) endpoint.liveness.close();
    this.events.close();
  }

  /** The `Conference` aggregate. */
  toAggregate(): Schemas['Conference'] {
    return {
      id: this.id,
      organizationId: this.organizationId,
      mode: this.mode,
      creator: this.creator,
      ...(this.creatorEndpoint === undefined ? {} : { creatorEndpoint: this.creatorEndpoint }),
      empty: this.endpoints.size === 0,
      metadata: this.metadata.toJSON(),
      participants: [...this.endpoints.values()].map((endpoint) => ({
        id: endpoint.id,
        userId: endpoint.userId,
        metadata: endpoint.metadata,
        state: endpoint.state,
        streams: this.streamsOf(endpoint.id).map((stream) => ({
          id: { id: stream.id },
          type: stream.type,
          metadata: stream.metadata,
          ...(stream.videoBitrate === undefined ? {} : { videoBitrate: stream.videoBitrate }),
        })),
      })),
      version: this.events.version,
    };
  }

  /** The `ConferenceSimpleView`: endpoints grouped by user. */
  toSimpleView(): Schemas['ConferenceSimpleView'] {
    const users = new Map<string, Schemas['ConferenceSimpleViewParticipantEndpoint'][]>();
    for (const endpoint of this.endpoints.values()) {
      const list = users.get(endpoint.userId) ?? [];
      list.push({
        id: endpoint.id,
        metadata: endpoint.metadata,
        state: endpoint.state,
        streams: this.streamsOf(endpoint.id).map((s) => ({ id: s.id, type: s.type, metadata: s.metadata })),
      });
      users.set(endpoint.userId, list);
    }
    return {
      id: this.id,
      mode: this.mode,
      metadata: this.metadata.toJSON(),
      participants: [...users].map(([id, endpoints]) => ({ id, endpoints })),
      version: this.events.version,
    };
  }

  /** The `ConferenceSummary` create answers. */
  toSummary(): Schemas['ConferenceSummary'] {
    return { id: this.id, mode: this.mode, version: this.events.version };
  }
}
