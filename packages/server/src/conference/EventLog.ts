import type { components } from '@confer/contract';

/** An event as the API carries it: the base fields plus the fields of its type. */
export type ConferenceEvent = components['schemas']['ConferenceEvent'];

interface Waiter {
  fromVersion: number;
  settle(events: ConferenceEvent[]): void;
}

/**
 * The event stream of one conference: versions, bounded retention and long-poll waiters.
 * A waiter costs one timer and one closure; nothing runs while it waits (no polling).
 */
export class EventLog {
  private readonly retained: ConferenceEvent[] = [];
  private nextVersion = 0;
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  constructor(private readonly retention: number) {}

  /** The number of events so far, i.e. the `conferenceVersion` the next event will carry. */
  get version(): number {
    return this.nextVersion;
  }

  /** The version of the oldest event still kept (equal to {@link version} when none is kept). */
  get oldestVersion(): number {
    return this.retained[0]?.conferenceVersion ?? this.nextVersion;
  }

  /** Long polls waiting right now. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Gives the event the next version, keeps it, and wakes the waiters it concerns. */
  append(build: (conferenceVersion: number) => ConferenceEvent): ConferenceEvent {
    const stored = build(this.nextVersion);
    this.nextVersion += 1;
    this.retained.push(stored);
    if (this.retained.length > this.retention) this.retained.shift();
    for (const waiter of this.waiters) {
      const ready = this.since(waiter.fromVersion);
      if (ready.length > 0) waiter.settle(ready);
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
  wait(fromVersion: number, waitMs: number, signal?: AbortSignal): Promise<ConferenceEvent[]> {
    const ready = this.since(fromVersion);
    if (ready.length > 0 || this.closed || signal?.aborted) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        fromVersion,
        settle: (events) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiters.delete(waiter);
          resolve(events);
        },
      };
      const onAbort = () => waiter.settle([]);
      const timer = setTimeout(onAbort, waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Answers every waiter with what it has (nothing) and refuses to wait from now on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters) waiter.settle([]);
  }
}
