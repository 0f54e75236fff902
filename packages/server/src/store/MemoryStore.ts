import type { Conference, EventListener } from '../conference/Conference.js';
import { ConferenceDomainError } from '../conference/ConferenceDomainError.js';
import { ConferenceLocals } from '../conference/ConferenceLocals.js';
import { ConferenceRegistry } from '../conference/ConferenceRegistry.js';
import type { Liveness } from '../conference/Endpoint.js';
import { EndpointLiveness } from '../conference/EndpointLiveness.js';
import { EventBatch } from '../conference/EventBatch.js';
import type { ConferenceRef, ConferenceStore, LivenessRules, NewConference, StoreStats } from './ConferenceStore.js';

/** What the in-memory store is built with. */
export interface MemoryStoreInit {
  eventRetention: number;
  onEvent: EventListener;
  liveness: LivenessRules;
}

/**
 * The default store: every conference is a live object in this process. A command runs on it
 * directly and synchronously (the returned promise only carries its result), liveness runs on
 * timers and event polls wait on the conference's own log, exactly as before the store existed.
 */
export class MemoryStore implements ConferenceStore {
  private readonly registry = new ConferenceRegistry();

  constructor(private readonly init: MemoryStoreInit) {}

  create<T>(init: NewConference, view: (conference: Conference) => T): Promise<T | undefined> {
    if (this.registry.get(init.organizationId, init.id)) return Promise.resolve(undefined);
    const conference = this.registry.create({ ...init, eventRetention: this.init.eventRetention, onEvent: this.init.onEvent, locals: new ConferenceLocals() });
    return Promise.resolve(view(conference));
  }

  run<T>(ref: ConferenceRef, command: (conference: Conference) => T): Promise<T> {
    try {
      const conference = this.registry.get(ref.organizationId, ref.id);
      if (!conference) throw ConferenceDomainError.notFound(`conference ${ref.id} not found`);
      const result = command(conference);
      if (!conference.live) this.registry.remove(conference);
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  read<T>(ref: ConferenceRef, command: (conference: Conference) => T): Promise<T> {
    return this.run(ref, command);
  }

  afterPoll(ref: ConferenceRef, userId: string, hungUp: boolean): Promise<void> {
    return this.run(ref, (conference) => {
      for (const endpoint of conference.endpointsOf(userId)) {
        if (hungUp) endpoint.liveness.hangUp();
        else endpoint.liveness.touch();
      }
    });
  }

  createLiveness(conference: Conference, userEndpointId: string, userId: string): Liveness {
    const rules = this.init.liveness;
    return new EndpointLiveness(rules.timings, {
      onStateChange: (state) => rules.changeState(conference, userEndpointId, state),
      onGhost: (reason) => rules.removeGhost(conference, userEndpointId, reason),
      isPolling: () => conference.isPolling(userId),
    });
  }

  waitForEvents(ref: ConferenceRef, fromVersion: number, waitMs: number, signal: AbortSignal): Promise<EventBatch> {
    const conference = this.registry.get(ref.organizationId, ref.id);
    return conference ? conference.waitForEvents(fromVersion, waitMs, signal) : Promise.resolve(new EventBatch([]));
  }

  locals(ref: ConferenceRef): ConferenceLocals {
    // A conference that is gone has nothing left to hold: a fresh object absorbs the late release.
    return this.registry.get(ref.organizationId, ref.id)?.locals ?? new ConferenceLocals();
  }

  stats(): StoreStats {
    const conferences = this.registry.all();
    return {
      conferences: conferences.length,
      endpoints: conferences.reduce((n, c) => n + c.endpointCount, 0),
      waitingPolls: conferences.reduce((n, c) => n + c.waitingPolls, 0),
    };
  }

  close(): Promise<void> {
    this.registry.closeAll();
    return Promise.resolve();
  }
}
