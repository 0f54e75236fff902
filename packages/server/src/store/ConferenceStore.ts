import type { EndpointHealth } from '../media/MediaRouter.js';
import type { Conference, ConferenceInit } from '../conference/Conference.js';
import type { ConferenceLocals } from '../conference/ConferenceLocals.js';
import type { Liveness } from '../conference/Endpoint.js';
import type { GhostTimings } from '../conference/EndpointLiveness.js';
import type { EventBatch } from '../conference/EventBatch.js';

/** Names one conference: ids are only unique inside an organization. */
export interface ConferenceRef {
  organizationId: string;
  id: string;
}

/** The key the media plane and the stores know a conference by. */
export function mediaKeyOf(ref: ConferenceRef): string {
  return `${ref.organizationId}/${ref.id}`;
}

/** The conference a media key names (the organization is everything before the first `/`). */
export function refOfMediaKey(mediaKey: string): ConferenceRef {
  const slash = mediaKey.indexOf('/');
  return { organizationId: mediaKey.slice(0, slash), id: mediaKey.slice(slash + 1) };
}

/** What a new conference is created with; the store adds the event listener, retention and locals. */
export type NewConference = Omit<ConferenceInit, 'onEvent' | 'eventRetention' | 'locals' | 'nextVersion'>;

/** The ghost rule's timings and what it does to a conference; the lifecycle provides the actions. */
export interface LivenessRules {
  timings: GhostTimings;
  /** An endpoint's state changes (from inside a command or a timer, on the conference at hand). */
  changeState(conference: Conference, userEndpointId: string, state: EndpointHealth): void;
  /** An endpoint is a ghost: close its media and remove it. */
  removeGhost(conference: Conference, userEndpointId: string, reason: string): void;
}

/** What the server holds right now, so tests can prove that nothing outlives its owner. */
export interface StoreStats {
  conferences: number;
  endpoints: number;
  /** Event polls waiting for an event (in this process). */
  waitingPolls: number;
}

/**
 * Where conferences live. The control plane never keeps a conference across an `await`: it runs a
 * synchronous command on it through {@link run}, which makes the command's state change and events
 * one atomic step (in memory trivially; on Redis with a compare-and-set commit, rerunning the command
 * on a fresh copy after a conflict, so a command must do nothing outside the conference but what is
 * safe to repeat). A command that ends the conference removes it.
 */
export interface ConferenceStore {
  /** Creates a conference and answers `view` of it; undefined when the id is taken. */
  create<T>(init: NewConference, view: (conference: Conference) => T): Promise<T | undefined>;
  /** Runs a command on the conference and commits it; not-found when there is no such conference. */
  run<T>(ref: ConferenceRef, command: (conference: Conference) => T): Promise<T>;
  /**
   * Runs a command that mostly only reads (and touches liveness): the same guarantees as {@link run},
   * but on Redis it does not queue behind this process's writes of the conference, and a touch alone
   * only moves the endpoint's deadline later. For queries, polls and checks before a media call.
   */
  read<T>(ref: ConferenceRef, command: (conference: Conference) => T): Promise<T>;
  /**
   * A poll of the user's has answered: a sign of life of the user's endpoints, or with `hungUp`
   * (the client hung up the waiting poll) the start of the short ghost timings. Not awaited by the poll.
   */
  afterPoll(ref: ConferenceRef, userId: string, hungUp: boolean): Promise<void>;
  /** The liveness of an endpoint that joins now (given to {@link Conference.join}). */
  createLiveness(conference: Conference, userEndpointId: string, userId: string): Liveness;
  /** The events from `fromVersion` on as soon as there are any, or none after `waitMs`, an abort or close. */
  waitForEvents(ref: ConferenceRef, fromVersion: number, waitMs: number, signal: AbortSignal): Promise<EventBatch>;
  /** This process's reservations and waiting polls of a conference. */
  locals(ref: ConferenceRef): ConferenceLocals;
  /** What this process holds. */
  stats(): StoreStats;
  /** Answers waiting polls and stops timers; the store cannot be used afterwards. */
  close(): Promise<void>;
}
