import { Conference, type ConferenceSnapshot, type EndpointSnapshot, type EventListener } from '../conference/Conference.js';
import { ConferenceDomainError } from '../conference/ConferenceDomainError.js';
import { ConferenceLocals } from '../conference/ConferenceLocals.js';
import type { Liveness } from '../conference/Endpoint.js';
import type { EventBatch } from '../conference/EventBatch.js';
import type { ConferenceEvent } from '../conference/EventLog.js';
import { SweptLiveness } from '../conference/SweptLiveness.js';
import { COMMIT_SCRIPT } from './commitScript.js';
import { mediaKeyOf, refOfMediaKey, type ConferenceRef, type ConferenceStore, type LivenessRules, type NewConference, type StoreStats } from './ConferenceStore.js';
import { LivenessSweeper } from './LivenessSweeper.js';
import type { RedisConnections } from './RedisConnections.js';
import { RedisEventFeed } from './RedisEventFeed.js';

/** What the Redis store is built with. */
export interface RedisStoreInit {
  redis: RedisConnections;
  eventRetention: number;
  onEvent: EventListener;
  liveness: LivenessRules;
  /** A failure with no request to answer (a wake-up, a sweep). */
  onError(what: string, error: unknown): void;
}

type Mode = 'create' | 'write' | 'keep' | 'delete';

/** The sweeper's guard: the expiry acts only while this deadline is still the endpoint's. */
interface Guard {
  member: string;
  score: string;
}

const STALE = Symbol('stale');
/** Reruns of a command whose commit lost the compare-and-set (other processes changed the conference meanwhile). */
const MAX_ATTEMPTS = 100;

/**
 * Conferences on Redis, shared by every server process of a deployment. A command runs on a
 * conference loaded from its JSON snapshot and commits through one Lua script (see
 * {@link COMMIT_SCRIPT}); commands of this process on one conference run one at a time, so only
 * other processes can make a commit lose its compare-and-set. Events are a stream per conference,
 * waited on through {@link RedisEventFeed}; liveness deadlines are a sorted set swept by
 * {@link LivenessSweeper}. Nothing but the waiting polls and the ids held during a media call lives
 * in the process: a process that dies loses nothing.
 */
export class RedisStore implements ConferenceStore {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly localsByKey = new Map<string, ConferenceLocals>();
  /** Endpoint counts of the conferences this process has written (what {@link stats} can know without asking Redis). */
  private readonly written = new Map<string, number>();
  private readonly livenessKey: string;
  private readonly wakeChannel: string;
  private closed = false;
  /** The last snapshot this process read or wrote of each conference, by revision (never changed once parsed). */
  private readonly snapshots = new Map<string, Loaded>();
  /** Loads under way, so that polls woken together parse a changed snapshot once. */
  private readonly loading = new Map<string, Promise<Loaded | undefined>>();

  private constructor(
    private readonly init: RedisStoreInit,
    private readonly feed: RedisEventFeed,
    private readonly sweeper: LivenessSweeper,
  ) {
    this.livenessKey = init.redis.key('liveness');
    this.wakeChannel = init.redis.key('wake');
  }

  /** Subscribes to the wake-ups and starts sweeping deadlines. */
  static async start(init: RedisStoreInit): Promise<RedisStore> {
    const { redis } = init;
    redis.command.defineCommand('conferCommit', { numberOfKeys: 3, lua: COMMIT_SCRIPT });
    const subscriber = await redis.open('events');
    const feed = await RedisEventFeed.start(redis.command, subscriber, redis.key('wake'), (mediaKey) => redis.key('events', mediaKey), (error) =>
      init.onError('reading events', error),
    );
    const { timings } = init.liveness;
    const shortest = Math.min(timings.sickAfterMs, timings.removeAfterMs, timings.hungUpSickAfterMs, timings.hungUpRemoveAfterMs);
    let store: RedisStore | undefined = undefined;
    const sweeper = new LivenessSweeper(
      redis.command,
      { lease: redis.key('sweeper'), deadlines: redis.key('liveness') },
      Math.min(1000, Math.max(25, Math.floor(shortest / 4))),
      (member, score) => store!.expire(member, score),
      (error) => init.onError('sweeping liveness deadlines', error),
    );
    store = new RedisStore(init, feed, sweeper);
    sweeper.start();
    return store;
  }

  async create<T>(init: NewConference, view: (conference: Conference) => T): Promise<T | undefined> {
    const appended: Array<[ConferenceEvent, readonly string[]]> = [];
    const locals = this.locals(init);
    const conference = new Conference({ ...init, eventRetention: this.init.eventRetention, onEvent: (e, m) => appended.push([e, m]), locals });
    const result = view(conference);
    const mediaKey = conference.mediaKey;
    const outcome = await this.commit(mediaKey, 'create', '', JSON.stringify(conference.toSnapshot()), [], [], undefined);
    if (outcome === -1) return undefined;
    if (!this.closed) this.written.set(mediaKey, 0);
    return result;
  }

  run<T>(ref: ConferenceRef, command: (conference: Conference) => T): Promise<T> {
    return this.serially(mediaKeyOf(ref), () => this.attempt(ref, command, undefined)) as Promise<T>;
  }

  read<T>(ref: ConferenceRef, command: (conference: Conference) => T): Promise<T> {
    return this.attempt(ref, command, undefined) as Promise<T>;
  }

  afterPoll(ref: ConferenceRef, userId: string, hungUp: boolean): Promise<void> {
    // The poll's start already counted it alive for its whole wait (touch with busyMs): only a hang-up is news.
    if (!hungUp) return Promise.resolve();
    return this.read(ref, (conference) => {
      for (const endpoint of conference.endpointsOf(userId)) endpoint.liveness.hangUp();
    });
  }

  createLiveness(conference: Conference, userEndpointId: string): Liveness {
    return this.swept(() => conference, userEndpointId, { mediaSick: false, silent: false, hungUp: false }, 'HEALTHY', true);
  }

  waitForEvents(ref: ConferenceRef, fromVersion: number, waitMs: number, signal: AbortSignal): Promise<EventBatch> {
    return this.feed.wait(mediaKeyOf(ref), fromVersion, waitMs, signal);
  }

  locals(ref: ConferenceRef): ConferenceLocals {
    const mediaKey = mediaKeyOf(ref);
    let locals = this.localsByKey.get(mediaKey);
    if (!locals) this.localsByKey.set(mediaKey, (locals = new ConferenceLocals()));
    return locals;
  }

  stats(): StoreStats {
    let endpoints = 0;
    for (const count of this.written.values()) endpoints += count;
    return { conferences: this.written.size, endpoints, waitingPolls: this.feed.waiting };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.feed.close();
    await this.sweeper.close();
    this.written.clear();
    this.localsByKey.clear();
    this.snapshots.clear();
  }

  /** The sweeper found a due deadline: the endpoint's first expiry makes it SICK, the second removes it. */
  private async expire(member: string, score: string): Promise<void> {
    const [mediaKey, endpointId] = JSON.parse(member) as [string, string];
    const ref = refOfMediaKey(mediaKey);
    const gone = () => this.init.redis.command.zrem(this.livenessKey, member);
    try {
      const found = await this.serially(mediaKey, () =>
        this.attempt(ref, (conference) => {
          const liveness = conference.endpoint(endpointId)?.liveness;
          if (!(liveness instanceof SweptLiveness)) return false;
          liveness.expire();
          return true;
        }, { member, score }),
      );
      if (found === false) await gone();
    } catch (error) {
      if (!(error instanceof ConferenceDomainError && error.code === 'not-found')) throw error;
      await gone();
    }
    this.forgetIdleLocals();
  }

  private async attempt<T>(ref: ConferenceRef, command: (conference: Conference) => T, guard: Guard | undefined): Promise<T | typeof STALE> {
    const mediaKey = mediaKeyOf(ref);
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.load(mediaKey);
      if (!loaded) throw ConferenceDomainError.notFound(`conference ${ref.id} not found`);
      const { rev, json, snapshot } = loaded;
      const appended: Array<[ConferenceEvent, readonly string[]]> = [];
      const conference: Conference = Conference.fromSnapshot(snapshot, {
        eventRetention: this.init.eventRetention,
        onEvent: (event, masks) => appended.push([event, masks]),
        locals: this.locals(ref),
        // Called while the conference loads: the callbacks reach it once loaded.
        createLiveness: (saved: EndpointSnapshot) => this.swept(() => conference, saved.id, { ...saved.liveness }, saved.state, false),
      });
      const result = command(conference);
      const afterSnapshot = conference.live ? conference.toSnapshot() : undefined;
      const after = afterSnapshot ? JSON.stringify(afterSnapshot) : '';
      const mode: Mode = !conference.live ? 'delete' : after === json ? 'keep' : 'write';
      const deadlines = this.deadlines(mediaKey, snapshot, conference);
      if (mode === 'keep' && guard === undefined) {
        // Only signs of life (the flags did not change, so every deadline is `later`): no
        // compare-and-set, and ZADD GT, so concurrent touches in any order leave the latest.
        if (deadlines.length > 0) await this.postpone(deadlines);
        return result;
      }
      const outcome = await this.commit(mediaKey, mode, rev, after, appended.map(([event]) => event), deadlines, guard);
      if (outcome === -2) return STALE;
      if (outcome === -1) {
        if (attempt >= MAX_ATTEMPTS) throw new Error(`conference ${ref.id}: ${MAX_ATTEMPTS} commits in a row lost to other processes`);
        continue;
      }
      // The conference is not used after the command: its snapshot's records stay as they are.
      if (afterSnapshot && mode === 'write') this.snapshots.set(mediaKey, { rev: String(outcome), json: after, snapshot: afterSnapshot });
      else if (!conference.live) this.snapshots.delete(mediaKey);
      for (const [event, masks] of appended) this.init.onEvent(event, masks);
      // A command that finishes after close (a late poll's sign of life) is not something this process holds.
      if (this.closed) return result;
      if (conference.live) this.written.set(mediaKey, conference.endpointCount);
      else {
        this.written.delete(mediaKey);
        if (this.localsByKey.get(mediaKey)?.idle) this.localsByKey.delete(mediaKey);
      }
      return result;
    }
  }

  /**
   * The conference's snapshot: one small read of its revision, and the whole snapshot only when this
   * process has not parsed that revision yet (once, however many commands ask at the same time).
   */
  private async load(mediaKey: string): Promise<Loaded | undefined> {
    const key = this.init.redis.key('conference', mediaKey);
    const rev = await this.init.redis.command.hget(key, 'rev');
    if (rev === null) {
      this.snapshots.delete(mediaKey);
      return undefined;
    }
    const cached = this.snapshots.get(mediaKey);
    if (cached?.rev === rev) return cached;
    const loadKey = `${mediaKey}\n${rev}`;
    let loading = this.loading.get(loadKey);
    if (!loading) {
      loading = (async () => {
        const [current, json] = await this.init.redis.command.hmget(key, 'rev', 'json');
        if (current == null || json == null) return undefined;
        const loaded = { rev: current, json, snapshot: JSON.parse(json) as ConferenceSnapshot };
        const latest = this.snapshots.get(mediaKey);
        if (!latest || Number(latest.rev) < Number(current)) this.snapshots.set(mediaKey, loaded);
        return loaded;
      })().finally(() => this.loading.delete(loadKey));
      this.loading.set(loadKey, loading);
    }
    return loading;
  }

  /** The (member, score, how) triples of the deadlines a command set, and of the endpoints it removed (see {@link COMMIT_SCRIPT}). */
  private deadlines(mediaKey: string, before: ConferenceSnapshot, conference: Conference): string[] {
    const triples: string[] = [];
    for (const endpoint of conference.allEndpoints()) {
      const { deadline, postponeOnly } = endpoint.liveness as SweptLiveness;
      if (deadline !== undefined) triples.push(JSON.stringify([mediaKey, endpoint.id]), String(deadline), postponeOnly ? 'later' : 'set');
    }
    for (const saved of before.endpoints) {
      if (!conference.live || !conference.endpoint(saved.id)) triples.push(JSON.stringify([mediaKey, saved.id]), '0', 'remove');
    }
    return triples;
  }

  private async postpone(deadlines: string[]): Promise<void> {
    const pipeline = this.init.redis.command.pipeline();
    for (let i = 0; i < deadlines.length; i += 3) pipeline.zadd(this.livenessKey, 'GT', deadlines[i + 1]!, deadlines[i]!);
    const answers = (await pipeline.exec()) ?? [];
    for (const [error] of answers) if (error) throw error;
  }

  private async commit(mediaKey: string, mode: Mode, rev: string, json: string, events: ConferenceEvent[], deadlines: string[], guard: Guard | undefined): Promise<number> {
    const { redis } = this.init;
    const eventArgs = events.flatMap((event) => [`${event.conferenceVersion}-1`, JSON.stringify(event)]);
    const args = [
      mode,
      rev,
      json,
      String(this.init.eventRetention),
      this.wakeChannel,
      mediaKey,
      guard?.member ?? '',
      guard?.score ?? '',
      String(events.length),
      ...eventArgs,
      String(deadlines.length / 3),
      ...deadlines,
    ];
    const keys = [redis.key('conference', mediaKey), redis.key('events', mediaKey), this.livenessKey];
    return (await (redis.command as unknown as CommitCommand).conferCommit(...keys, ...args)) as number;
  }

  private swept(conference: () => Conference, endpointId: string, flags: EndpointSnapshot['liveness'], state: EndpointSnapshot['state'], fresh: boolean): SweptLiveness {
    const rules = this.init.liveness;
    return new SweptLiveness(
      rules.timings,
      {
        onStateChange: (next) => rules.changeState(conference(), endpointId, next),
        onGhost: (reason) => rules.removeGhost(conference(), endpointId, reason),
      },
      flags,
      state,
      fresh,
    );
  }

  /** Runs this process's commands on one conference one after the other. */
  private serially<T>(mediaKey: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(mediaKey) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(mediaKey, tail);
    void tail.then(() => {
      if (this.queues.get(mediaKey) === tail) this.queues.delete(mediaKey);
    });
    return result;
  }

  private forgetIdleLocals(): void {
    for (const [mediaKey, locals] of this.localsByKey) if (locals.idle && !this.queues.has(mediaKey)) this.localsByKey.delete(mediaKey);
  }
}

/** A snapshot as read (or written) at one revision. */
interface Loaded {
  rev: string;
  json: string;
  snapshot: ConferenceSnapshot;
}

/** The commit script as ioredis defines it on the connection. */
interface CommitCommand {
  conferCommit(...keysAndArgs: string[]): Promise<unknown>;
}
