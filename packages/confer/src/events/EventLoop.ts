import type { ApiClient } from '../api/ApiClient.js';
import { ConferenceError } from '../api/ConferenceError.js';
import type { Conference, ConferenceEvent } from '../api/types.js';
import type { Logger } from '../util/logger.js';
import type { BackoffOptions } from '../util/ReconnectPolicy.js';
import { ReconnectPolicy, sleep } from '../util/ReconnectPolicy.js';

/** Why the loop stopped by itself: the conference ended, it is gone (404), or a failure it cannot retry. @internal */
export type EventLoopStop = { kind: 'ended'; reason: string | undefined } | { kind: 'not-found' } | { kind: 'failed'; error: ConferenceError };

/** What the event loop needs and whom it tells. @internal */
export interface EventLoopOptions {
  api: ApiClient;
  conferenceId: string;
  /** The conferenceVersion of the first event wanted (the join's `version`). */
  fromVersion: number;
  /** One event, in conferenceVersion order, exactly once. */
  onEvent: (event: ConferenceEvent) => void;
  /** A re-read aggregate after a gap or a 410: the caller replaces its view of the conference. */
  onResync: (conference: Conference) => void;
  /** False while polling fails and the loop backs off, true again once a poll succeeds. */
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

/**
 * Long-polls `GET /conferences/{id}/events?v=N` and hands each event over once, in order. A gap
 * (or a 410: the server no longer keeps the events asked for) is repaired by re-reading the
 * aggregate and polling on from its version; network errors and 5xx are retried with jittered
 * backoff from the last version applied, so nothing is lost. A poll unanswered well after the server's
 * wait is aborted and counted as a failure: a dropped TCP path is noticed in seconds, not when TCP gives up. @internal
 */
export class EventLoop {
  private readonly controller = new AbortController();
  private nextVersion: number;
  private connected = true;

  constructor(private readonly options: EventLoopOptions) {
    this.nextVersion = options.fromVersion;
  }

  /** The conferenceVersion of the next event expected. */
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
  }

  private get closed(): boolean {
    return this.controller.signal.aborted;
  }

  private async run(): Promise<void> {
    const { api, conferenceId, logger } = this.options;
    const signal = this.controller.signal;
    const policy = new ReconnectPolicy(this.options.backoff, this.options.random);
    const timeoutMs = (this.options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS) + POLL_MARGIN_MS;
    while (!this.closed) {
      try {
        const events = await api.getEvents(conferenceId, this.nextVersion, { signal, timeoutMs });
        if (this.closed) return;
        policy.reset();
        this.setConnected(true);
        const outcome = this.deliver(events);
        if (typeof outcome === 'object') return this.stop({ kind: 'ended', reason: outcome.reason });
        if (typeof outcome === 'number') await this.resync(outcome);
      } catch (caught) {
        if (this.closed) return;
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
        this.setConnected(false);
        const delay = policy.next();
        logger.debug(`event poll failed (${error.message}); retrying in ${Math.round(delay)} ms`);
        await sleep(delay, signal);
      }
    }
  }

  /** Applies the contiguous events of a batch; reports the end, or the version found after a gap. */
  private deliver(events: ConferenceEvent[]): 'ok' | { reason: string | undefined } | number {
    const ordered = [...events].sort((a, b) => a.conferenceVersion - b.conferenceVersion);
    for (const event of ordered) {
      if (event.conferenceVersion < this.nextVersion) continue;
      if (event.conferenceVersion > this.nextVersion) {
        this.options.logger.debug(`gap: expected v=${this.nextVersion}, got v=${event.conferenceVersion}`);
        return event.conferenceVersion;
      }
      this.nextVersion = event.conferenceVersion + 1;
      this.options.onEvent(event);
      if (this.closed) return 'ok';
      if (event.type === 'ConferenceEndedEvent') return { reason: typeof event.reason === 'string' ? event.reason : undefined };
    }
    return 'ok';
  }

  /**
   * Re-reads the aggregate and continues from its version; an aggregate without one (the cloud
   * service may omit it) continues from `fallbackVersion`, the first version still available.
   */
  private async resync(fallbackVersion?: number): Promise<void> {
    const conference = await this.options.api.getConference(this.options.conferenceId, { signal: this.controller.signal });
    if (this.closed) return;
    const version = conference.version ?? fallbackVersion;
    if (version !== undefined) this.nextVersion = version;
    this.options.onResync(conference);
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.options.onConnectionChange(connected);
  }

  private stop(stop: EventLoopStop): void {
    if (this.closed) return;
    this.controller.abort();
    this.options.onStop(stop);
  }
}
