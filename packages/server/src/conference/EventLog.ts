import { randomUUID } from 'node:crypto';
import type { components } from '@confer/contract';
import { EventBatch } from './EventBatch.js';

/** An event as the API carries it: the base fields plus the fields of its type. */
export type ConferenceEvent = components['schemas']['ConferenceEvent'];

/** The fields the log stamps on every event; a draft cannot set them. */
type StampedField = 'id' | 'conferenceId' | 'conferenceVersion' | 'organizationId' | 'timestamp';

// The contract's events extend ConferenceEvent, whose index signature would accept any field (and
// would make Omit lose the declared ones); dropping it lets a misspelt or extra field fail to compile.
type DeclaredFields<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
type DraftOf<E> = E extends unknown ? Omit<DeclaredFields<E>, StampedField> : never;

/** One of the contract's `KnownConferenceEvent`s as the server drafts it: its type, who caused it, its own fields. */
export type KnownEventDraft = DraftOf<components['schemas']['KnownConferenceEvent']>;

/** The type of every event the server itself emits: sendEvent may not use one (a custom event cannot pose as a built-in one). */
export const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(
  // A Record, so that an event type added to the contract and missing here fails to compile.
  Object.keys({
    ConferenceJoinedEvent: 1,
    ConferenceLeftEvent: 1,
    ConferenceEndedEvent: 1,
    ConferenceStreamPublishedEvent: 1,
    ConferenceStreamUnpublishedEvent: 1,
    ConferenceMetadataUpdatedEvent: 1,
    ConferenceParticipantMetadataUpdatedEvent: 1,
    ConferenceStreamMetadataUpdatedEvent: 1,
    ConferencePublishedStreamBitrateUpdatedEvent: 1,
    ConferenceEndpointStateChangedEvent: 1,
  } satisfies Record<KnownEventDraft['type'], 1>),
);

/** Any event before the log stamps it; a custom event (sendEvent) may carry its own timestamp. */
export type EventDraft = { type: string } & Record<string, unknown>;

/** Whose events a log keeps and how many. */
export interface EventLogInit {
  conferenceId: string;
  organizationId: string;
  /** How many events are kept for readers that fall behind. */
  retention: number;
  /** The `conferenceVersion` of the first event: 0, or 1 in strict mode (the version after the change, as documented). */
  firstVersion?: number;
  /** The version of the next event when the log continues a saved conference (events kept elsewhere). */
  nextVersion?: number;
}

interface Waiter {
  fromVersion: number;
  settle(batch: EventBatch): void;
}

const NO_EVENTS = new EventBatch([]);

/**
 * The event stream of one conference: versions, bounded retention and long-poll waiters.
 * A waiter costs one timer and one closure; nothing runs while it waits (no polling).
 */
export class EventLog {
  private readonly retained: ConferenceEvent[] = [];
  private nextVersion: number;
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  constructor(private readonly init: EventLogInit) {
    this.nextVersion = init.nextVersion ?? init.firstVersion ?? 0;
  }

  /**
   * The number of events so far: the `conferenceVersion` the next event will carry, or in strict
   * mode (events from 1) the one the last event carried.
   */
  get version(): number {
    return this.nextVersion - (this.init.firstVersion ?? 0);
  }

  /** The `conferenceVersion` the next event will carry. */
  get next(): number {
    return this.nextVersion;
  }

  /**
   * The version of the oldest event still kept (the next one's when none is kept). Retention keeps
   * exactly the last `retention` events, so it follows from the count alone, wherever they are kept.
   */
  get oldestVersion(): number {
    return Math.max(this.init.firstVersion ?? 0, this.nextVersion - this.init.retention);
  }

  /** Long polls waiting right now. */
  get waiting(): number {
    return this.waiters.size;
  }

  /**
   * Stamps the draft with an id, the conference, the next version and (unless it has one) the time,
   * keeps it, and wakes the waiters it concerns. The stamped fields always win over the draft's.
   */
  append(draft: EventDraft): ConferenceEvent {
    const { conferenceId, organizationId } = this.init;
    const own = { id: randomUUID(), conferenceId, conferenceVersion: this.nextVersion, organizationId };
    const { type, ...fields } = draft;
    // `own` first for the key order of the answer, last so that a custom event cannot override it.
    const stored: ConferenceEvent = { ...own, type, timestamp: new Date().toISOString(), ...fields, ...own };
    this.nextVersion += 1;
    this.retained.push(stored);
    if (this.retained.length > this.init.retention) this.retained.shift();
    // Waiters are mostly at the same version: one batch (and one serialization) per version asked.
    const batches = new Map<number, EventBatch>();
    for (const waiter of this.waiters) {
      let batch = batches.get(waiter.fromVersion);
      if (!batch) batches.set(waiter.fromVersion, (batch = new EventBatch(this.since(waiter.fromVersion))));
      if (batch.events.length > 0) waiter.settle(batch);
    }
    return stored;
  }

  /** The kept events with `conferenceVersion >= fromVersion`, in order. */
  since(fromVersion: number): ConferenceEvent[] {
    const start = Math.max(0, fromVersion - this.oldestVersion);
    return this.retained.slice(start);
  }

  /**
   * Answers the events from `fromVersion` on as soon as there are any, or `[]` after `waitMs`, when
   * `signal` aborts (the client hung up) or when the log closes.
   */
  wait(fromVersion: number, waitMs: number, signal?: AbortSignal): Promise<EventBatch> {
    const ready = this.since(fromVersion);
    if (ready.length > 0 || this.closed || signal?.aborted) return Promise.resolve(ready.length > 0 ? new EventBatch(ready) : NO_EVENTS);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        fromVersion,
        settle: (batch) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiters.delete(waiter);
          resolve(batch);
        },
      };
      const onAbort = () => waiter.settle(NO_EVENTS);
      const timer = setTimeout(onAbort, waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Answers every waiter with what it has (nothing) and refuses to wait from now on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters) waiter.settle(NO_EVENTS);
  }
}
