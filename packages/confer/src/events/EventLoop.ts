import type { ApiClient } from '../api/ApiClient.js';
import { ConferenceError } from '../api/ConferenceError.js';
import type { Conference, ConferenceEvent } from '../api/types.js';
import type { Logger } from '../util/logger.js';
import type { BackoffOptions } from '../util/ReconnectPolicy.js';
import { DEFAULT_BACKOFF, ReconnectPolicy } from '../util/ReconnectPolicy.js';

/** Why the loop stopped by itself: the conference ended, it is gone (404), or a failure it cannot retry. @internal */
export type EventLoopStop = { kind: 'ended'; reason: string | undefined } | { kind: 'not-found' } | { kind: 'failed'; error: ConferenceError };

/** What the event loop needs and whom it tells. @internal */
export interface EventLoopOptions {
  api: ApiClient;
  conferenceId: string;
  /**
   * The join's (aggregate's) `version`: the first poll asks `v` = this, whatever the server's meaning of `v`.
   * Undefined when the server told none: the first answer then only says where the conference is.
   */
  fromVersion: number | undefined;
  /** One event, in conferenceVersion order (events without one in arrival order), exactly once. */
  onEvent: (event: ConferenceEvent) => void;
  /** A re-read aggregate after a gap or a 410: the caller replaces its view of the conference. */
  onResync: (conference: Conference) => void;
  /** False while polling fails or the server is out of reach, true again once a poll succeeds or the server answers again. */
  onConnectionChange: (connected: boolean) => void;
  onStop: (stop: EventLoopStop) => void;
  logger: Logger;
  /** How long the server holds a poll that has no event before it answers `[]`; a poll unanswered 3 s later is given up. */
  pollTimeoutMs?: number;
  backoff?: BackoffOptions;
  random?: () => number;
}

/** The server's wait when none is given: the reference server answers an idle poll after 5 s. @internal */
export const DEFAULT_POLL_TIMEOUT_MS = 5000;
/** How much later than the server's wait a poll may be answered before it counts as lost (network and load). */
const POLL_MARGIN_MS = 3000;

/** How many event ids (of the current version, or without one) are remembered to drop a repeated event. */
const SEEN_IDS_KEPT = 1000;

/**
 * Long-polls `GET /conferences/{id}/events?v=N` and hands each event over once, in order. Servers
 * differ in what `v` means: the reference server answers the events at or after `v`, the cloud service
 * (and the reference server's strict mode) those after `v`. The loop asks from the last version applied,
 * which is right for both, and learns that `v` is inclusive as soon as an answer holds an event of the
 * version asked (an exclusive server never answers one); from then on it asks one version later, so an
 * idle inclusive server keeps the poll waiting. Events are deduplicated by `id` either way. A gap (a
 * version missing between the last one applied and the next one answered)
 * (or a 410: the server no longer keeps the events asked for) is repaired by re-reading the
 * aggregate and polling on from its version; network errors and 5xx are retried with jittered
 * backoff from the last version applied, so nothing is lost. A poll unanswered well after the server's
 * wait is aborted and counted as a failure. A dead path is noticed sooner by the API client's
 * reachability watch (a probe after 3 s of silence, 1.5 s to answer): the loop then reports the
 * connection lost, sends its poll again (it may be stuck on the dead path) and polls at most a second
 * apart until the server answers, which reports the connection back at once. @internal
 */
export class EventLoop {
  private readonly controller = new AbortController();
  private nextVersion: number;
  /** The highest conferenceVersion applied, or the version the loop started (or resynced) from. */
  private highest: number;
  /** Learnt from an answer: the server's `v` is inclusive (`>= v`). */
  private inclusive = false;
  /** Ids of the events applied, with their version: an event answered twice is applied once. */
  private readonly seen = new Map<string, number | undefined>();
  /** True once a poll was answered: a 403 after that says "removed", before it maybe "joining again did not help". */
  polled = false;
  private connected = true;
  /** The pending poll's own controller: aborted (and the poll sent again) when the server goes out of reach. */
  private poll: AbortController | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: EventLoopOptions) {
    this.nextVersion = this.highest = options.fromVersion ?? 0;
    this.unsubscribe = options.api.reachability.subscribe((reachable, status) => {
      if (reachable) {
        // An answer of the server proves the path; a refusal (403, 404) is left for the next poll to act on.
        if (status !== undefined && status < 400) this.setConnected(true);
        return;
      }
      this.setConnected(false);
      this.poll?.abort();
    });
  }

  /** The `v` of the next poll. */
  get version(): number {
    return this.nextVersion;
  }

  /** Starts polling; the promise settles when the loop stops (never rejects). */
  start(): Promise<void> {
    return this.run();
  }

  /** Stops polling at once and aborts the pending request; idempotent. */
  close(): void {
    this.controller.abort();
    this.poll?.abort();
    this.unsubscribe();
  }

  private get closed(): boolean {
    return this.controller.signal.aborted;
  }

  private async run(): Promise<void> {
    const { api, conferenceId, logger } = this.options;
    const signal = this.controller.signal;
    const policy = new ReconnectPolicy({ ...(this.options.backoff ?? DEFAULT_BACKOFF), reachability: api.reachability }, this.options.random);
    const timeoutMs = (this.options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS) + POLL_MARGIN_MS;
    while (!this.closed) {
      const poll = (this.poll = new AbortController());
      try {
        const asked = this.nextVersion;
        const events = await api.getEvents(conferenceId, asked, { signal: poll.signal, timeoutMs });
        if (this.closed) return;
        policy.reset();
        this.setConnected(true);
        const outcome = this.deliver(events, asked);
        this.polled = true;
        if (typeof outcome === 'object') return this.stop({ kind: 'ended', reason: outcome.reason });
        if (typeof outcome === 'number') await this.resync(outcome);
      } catch (caught) {
        if (this.closed) return;
        // Given up because the server went out of reach: poll again at once, now with the short timeout.
        if (poll.signal.aborted) continue;
        const error = ConferenceError.from(caught, (cause) => ConferenceError.network('getEvents', cause));
        if (error.code === 'api' && error.status === 404) return this.stop({ kind: 'not-found' });
        if (error.code === 'api' && error.status === 410) {
          logger.debug(`events from v=${this.nextVersion} are gone; re-reading the conference`);
          const { oldestVersion } = (error.details.body ?? {}) as { oldestVersion?: number };
          try {
            await this.resync(oldestVersion);
            continue;
          } catch (resyncFailure) {
            if (this.closed) return;
            const resyncError = ConferenceError.from(resyncFailure, (cause) => ConferenceError.network('getConference', cause));
            if (resyncError.code === 'api' && resyncError.status === 404) return this.stop({ kind: 'not-found' });
            if (!resyncError.isTransient) return this.stop({ kind: 'failed', error: resyncError });
          }
        } else if (!error.isTransient) {
          // 401 after the API client's refresh, 403, 400: asking again cannot help.
          return this.stop({ kind: 'failed', error });
        }
        // A server error, or no answer while the server is out of reach; one lost poll of a server that answers others is no outage.
        if (error.status !== undefined || api.reachability.dark) this.setConnected(false);
        logger.debug(`event poll failed (${error.message}); retrying`);
        await policy.wait(signal);
      }
    }
  }

  /** Applies the new events of a batch once each; reports the end, or the version found after a gap. */
  private deliver(events: ConferenceEvent[], asked: number): 'ok' | { reason: string | undefined } | number {
    // An exclusive server never answers the version asked.
    if (events.some((event) => versionOf(event) === asked)) this.inclusive = true;
    // No version to start from: the aggregate holds what this first answer holds; replaying it would undo newer state.
    const known = !this.polled && this.options.fromVersion === undefined;
    for (const event of inVersionOrder(events)) {
      if (event.id !== undefined && this.seen.has(event.id)) continue;
      const version = versionOf(event);
      if (version !== undefined) {
        // Older than asked: the aggregate (or an earlier answer) has it already.
        if (version < asked) continue;
        if (version > this.highest + 1 && !known) {
          this.options.logger.debug(`gap: applied up to v=${this.highest}, got v=${version}`);
          this.nextVersion = this.inclusive ? this.highest + 1 : this.highest;
          return version;
        }
        this.highest = Math.max(this.highest, version);
      }
      if (event.id !== undefined) this.seen.set(event.id, version);
      if (known) continue;
      this.options.onEvent(event);
      if (this.closed) return 'ok';
      if (event.type === 'ConferenceEndedEvent') return { reason: typeof event.reason === 'string' ? event.reason : undefined };
    }
    this.nextVersion = this.inclusive ? this.highest + 1 : this.highest;
    this.forgetOldIds();
    return 'ok';
  }

  /** Forgets the ids no answer can bring again (versions below the one asked next), and the oldest beyond a bound. */
  private forgetOldIds(): void {
    for (const [id, version] of this.seen) if ((version ?? Infinity) < this.highest || this.seen.size > SEEN_IDS_KEPT) this.seen.delete(id);
  }

  /**
   * Re-reads the aggregate and continues from its version; an aggregate without one (the cloud
   * service may omit it) continues from `fallbackVersion`, the first version still available.
   */
  private async resync(fallbackVersion?: number): Promise<void> {
    const conference = await this.options.api.getConference(this.options.conferenceId, { signal: this.controller.signal });
    if (this.closed) return;
    const version = conference.version ?? fallbackVersion;
    // Without a version the loop asks on from where it was: never from 0, which would replay the history.
    if (version !== undefined) this.nextVersion = this.highest = version;
    this.options.onResync(conference);
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.options.onConnectionChange(connected);
  }

  private stop(stop: EventLoopStop): void {
    if (this.closed) return;
    this.close();
    this.options.onStop(stop);
  }
}

/** An event's conferenceVersion; undefined when it has none (the cloud's creation events carry null). */
function versionOf(event: ConferenceEvent): number | undefined {
  const version: unknown = event.conferenceVersion;
  return typeof version === 'number' ? version : undefined;
}

/** Sorted by conferenceVersion, stable (one version's events keep their order); events without one first, in arrival order. */
function inVersionOrder(events: ConferenceEvent[]): ConferenceEvent[] {
  return [...events].sort((a, b) => (versionOf(a) ?? -1) - (versionOf(b) ?? -1));
}
