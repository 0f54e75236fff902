import type { Redis } from 'ioredis';
import { EventBatch } from '../conference/EventBatch.js';
import type { ConferenceEvent } from '../conference/EventLog.js';

interface Waiter {
  fromVersion: number;
  settle(batch: EventBatch): void;
}

const NO_EVENTS = new EventBatch([]);

/**
 * The event long-polls of one process on Redis. A waiting poll costs a timer and a closure, never a
 * connection: one subscriber connection receives every wake-up (the media key of a conference that
 * got events), and the polls waiting on that conference read its stream once per version asked,
 * sharing the batch and its serialization, as the in-memory log does.
 */
export class RedisEventFeed {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private closed = false;

  private constructor(
    private readonly command: Redis,
    private readonly subscriber: Redis,
    private readonly streamKey: (mediaKey: string) => string,
    private readonly onError: (error: unknown) => void,
  ) {
    subscriber.on('message', (_channel: string, mediaKey: string) => this.wake(mediaKey));
  }

  /** Subscribes to `channel` on its own connection. */
  static async start(command: Redis, subscriber: Redis, channel: string, streamKey: (mediaKey: string) => string, onError: (error: unknown) => void): Promise<RedisEventFeed> {
    const feed = new RedisEventFeed(command, subscriber, streamKey, onError);
    await subscriber.subscribe(channel);
    return feed;
  }

  /** Polls waiting right now in this process. */
  get waiting(): number {
    let count = 0;
    for (const set of this.waiters.values()) count += set.size;
    return count;
  }

  /** The events of the conference from `fromVersion` on as soon as there are any, or none after `waitMs`, an abort or {@link close}. */
  wait(mediaKey: string, fromVersion: number, waitMs: number, signal: AbortSignal): Promise<EventBatch> {
    if (this.closed || signal.aborted) return Promise.resolve(NO_EVENTS);
    return new Promise((resolve) => {
      let set = this.waiters.get(mediaKey);
      if (!set) this.waiters.set(mediaKey, (set = new Set()));
      const waiters = set;
      const waiter: Waiter = {
        fromVersion,
        settle: (batch) => {
          if (!waiters.delete(waiter)) return;
          if (waiters.size === 0 && this.waiters.get(mediaKey) === waiters) this.waiters.delete(mediaKey);
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(batch);
        },
      };
      const onAbort = () => waiter.settle(NO_EVENTS);
      const timer = setTimeout(onAbort, waitMs);
      signal.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
      // Registered first, read second: an event appended in between wakes this waiter or is read here.
      void this.deliver(mediaKey, [waiter]);
    });
  }

  /** Answers every waiting poll with nothing and waits no more; the subscriber closes with the connections. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const waiter of [...set]) waiter.settle(NO_EVENTS);
    this.subscriber.removeAllListeners('message');
  }

  private wake(mediaKey: string): void {
    const set = this.waiters.get(mediaKey);
    if (set) void this.deliver(mediaKey, [...set]);
  }

  private async deliver(mediaKey: string, waiters: Waiter[]): Promise<void> {
    const byVersion = new Map<number, Waiter[]>();
    for (const waiter of waiters) byVersion.set(waiter.fromVersion, [...(byVersion.get(waiter.fromVersion) ?? []), waiter]);
    for (const [fromVersion, group] of byVersion) {
      try {
        const entries = await this.command.xrange(this.streamKey(mediaKey), `${fromVersion}-1`, '+');
        if (entries.length === 0) continue;
        const texts = entries.map(([, fields]) => fields[1]!);
        const batch = new EventBatch(
          texts.map((text) => JSON.parse(text) as ConferenceEvent),
          Buffer.from(`[${texts.join(',')}]`),
        );
        for (const waiter of group) waiter.settle(batch);
      } catch (error) {
        // The poll keeps waiting; the next wake-up or its timeout answers it.
        this.onError(error);
      }
    }
  }
}
