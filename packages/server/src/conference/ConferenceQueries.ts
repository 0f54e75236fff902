import type { components } from '@confer/contract';
import type { Principal } from '../auth/Principal.js';
import type { ConferenceStore } from '../store/ConferenceStore.js';
import { conferenceRef, type ConferenceAccess } from './ConferenceAccess.js';
import { ConferenceDomainError } from './ConferenceDomainError.js';
import { conferenceAggregate, conferenceSimpleView } from './ConferenceViews.js';
import type { EventBatch } from './EventBatch.js';

type Schemas = components['schemas'];

/** The reads: the aggregate, the simple view and the event long-poll. */
export class ConferenceQueries {
  constructor(
    private readonly store: ConferenceStore,
    private readonly access: ConferenceAccess,
    /** How long an event poll waits for an event before answering `[]`. */
    private readonly eventWaitMs: number,
    /** Strict mode: `v` is exclusive (the events after version v), as the cloud service answers. */
    private readonly exclusiveV = false,
  ) {}

  /** GET /{id}: the Conference aggregate. */
  getConference(principal: Principal, id: string): Promise<Schemas['Conference']> {
    return this.store.read(conferenceRef(principal, id), (conference) => conferenceAggregate(this.access.readable(principal, conference)));
  }

  /** GET /{id}/simpleView: endpoints grouped by user. */
  simpleView(principal: Principal, id: string): Promise<Schemas['ConferenceSimpleView']> {
    return this.store.read(conferenceRef(principal, id), (conference) => conferenceSimpleView(this.access.readable(principal, conference)));
  }

  /**
   * GET /{id}/events?v=N: the events with conferenceVersion >= N (strict mode: > N), waiting up to `eventWaitMs` for
   * the first one; 410 (with oldestVersion) when N is older than what is kept. While it waits, the
   * caller's endpoints count as alive for the ghost rule.
   */
  async getEvents(principal: Principal, id: string, v: number, signal: AbortSignal): Promise<EventBatch> {
    const ref = conferenceRef(principal, id);
    const fromVersion = this.exclusiveV ? v + 1 : v;
    const locals = this.store.locals(ref);
    const hangUp = locals.pendingHangUp(principal.userId);
    if (hangUp) await hangUp;
    // Counted as waiting from before its first read: a hung-up poll of the same user ending meanwhile is then no hang-up.
    locals.trackPoll(principal.userId, 1);
    try {
      await this.store.read(ref, (conference) => {
        this.access.readable(principal, conference, this.eventWaitMs);
        const oldest = conference.oldestVersion;
        if (fromVersion < oldest) {
          // oldestVersion is the `v` that asks for the oldest event kept.
          const oldestV = this.exclusiveV ? oldest - 1 : oldest;
          throw ConferenceDomainError.expired(`query.v ${v} is older than the oldest event kept (${oldestV}): read the conference again`, oldestV);
        }
      });
    } catch (error) {
      locals.trackPoll(principal.userId, -1);
      throw error;
    }
    try {
      return await this.store.waitForEvents(ref, fromVersion, this.eventWaitMs, signal);
    } finally {
      locals.trackPoll(principal.userId, -1);
      // A poll the client hung up on while it waited is the last sign of a client that may be gone.
      const hungUp = signal.aborted && !locals.isPolling(principal.userId);
      // Not awaited: the answer need not wait for the sign of life (it cannot fail the poll; a conference gone meanwhile has no one to touch).
      const recorded = this.store.afterPoll(ref, principal.userId, hungUp).catch(() => {});
      if (hungUp) locals.recordHangUp(principal.userId, recorded);
    }
  }
}
