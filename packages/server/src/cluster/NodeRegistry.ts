import type { Redis } from 'ioredis';

/** What a node tells the others about itself with every heartbeat. */
export interface NodeRecord {
  id: string;
  /** Base URL of the node's internal channel. */
  internalUrl: string;
  /** Live peer connections of the node's media router: placement goes to the lowest. */
  load: number;
  /** A draining node takes no new conferences. */
  draining: boolean;
}

/** Where a conference's media lives, as the registry decided it. */
export interface Placement {
  mediaKey: string;
  node: NodeRecord;
}

// Placement and its index change together, so a sweeper never misses a conference of a dead node.
const PLACE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('SADD', KEYS[2], ARGV[2])
  return ARGV[1]
end
return redis.call('GET', KEYS[1])`;

// Removed only if still on that node: a conference placed again meanwhile stays where it is.
const UNPLACE = `
redis.call('SREM', KEYS[2], ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

// The lease is taken, or kept by its holder; anyone else waits for it to expire.
const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/**
 * The cluster's membership and the `mediaKey → node` map in Redis. Every node heartbeats a record
 * expiring after `deadAfterMs`; a node whose record expired is dead, and whichever live node holds
 * the sweeper lease takes its conferences away from it (see {@link sweep}).
 */
export class NodeRegistry {
  constructor(
    private readonly redis: Redis,
    /** What every key starts with, e.g. `confer:`. */
    private readonly prefix: string,
    private readonly deadAfterMs: number,
  ) {}

  private get nodesKey() {
    return `${this.prefix}cluster:nodes`;
  }

  private get urlsKey() {
    return `${this.prefix}cluster:urls`;
  }

  private get sweeperKey() {
    return `${this.prefix}cluster:sweeper`;
  }

  private nodeKey(id: string) {
    return `${this.prefix}cluster:node:${id}`;
  }

  private placementKey(mediaKey: string) {
    return `${this.prefix}cluster:placement:${mediaKey}`;
  }

  private placedKey(id: string) {
    return `${this.prefix}cluster:placed:${id}`;
  }

  /** Writes (or renews) a node's record; it expires unless renewed within `deadAfterMs`. */
  async heartbeat(record: NodeRecord): Promise<void> {
    await this.redis
      .multi()
      .set(this.nodeKey(record.id), JSON.stringify(record), 'PX', this.deadAfterMs)
      .zadd(this.nodesKey, Date.now(), record.id)
      .hset(this.urlsKey, record.id, record.internalUrl)
      .exec();
  }

  /** Removes a node's record at once (a graceful stop), so the others sweep it without waiting. */
  async deregister(id: string): Promise<void> {
    await this.redis.del(this.nodeKey(id));
  }

  /** The nodes whose record has not expired, lowest load first (ties by id). */
  async liveNodes(): Promise<NodeRecord[]> {
    const ids = await this.redis.zrange(this.nodesKey, '0', '-1');
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.nodeKey(id)));
    const nodes = values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as NodeRecord);
    return nodes.sort((a, b) => a.load - b.load || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The node a conference is placed on (its record undefined when that node is dead), or undefined when it is not placed. */
  async locate(mediaKey: string): Promise<{ nodeId: string; node: NodeRecord | undefined } | undefined> {
    const placed = await this.redis.get(this.placementKey(mediaKey));
    return placed === null ? undefined : { nodeId: placed, node: await this.record(placed) };
  }

  /**
   * The conference's node: where it is placed, or the least loaded live node that is not draining,
   * claimed with SET NX so that two nodes placing it at once agree. Undefined when no node can take it.
   */
  async place(mediaKey: string): Promise<{ nodeId: string; node: NodeRecord | undefined } | undefined> {
    const placed = await this.locate(mediaKey);
    if (placed) return placed;
    const candidate = (await this.liveNodes()).find((n) => !n.draining);
    if (!candidate) return undefined;
    const winner = (await this.redis.eval(PLACE, 2, this.placementKey(mediaKey), this.placedKey(candidate.id), candidate.id, mediaKey)) as string;
    return { nodeId: winner, node: winner === candidate.id ? candidate : await this.record(winner) };
  }

  /** Takes a conference off a node if it is still placed there; true if this call removed it. */
  async unplace(mediaKey: string, nodeId: string): Promise<boolean> {
    return (await this.redis.eval(UNPLACE, 2, this.placementKey(mediaKey), this.placedKey(nodeId), nodeId, mediaKey)) === 1;
  }

  /** Takes or renews the sweeper lease for `holder`; true while `holder` has it. */
  async holdSweeperLease(holder: string, leaseMs: number): Promise<boolean> {
    return (await this.redis.eval(LEASE, 1, this.sweeperKey, holder, leaseMs)) === 1;
  }

  /** The internal channel a node last announced, kept after its record expired so a sweeper can check it is really gone. */
  async lastInternalUrl(nodeId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.urlsKey, nodeId)) ?? undefined;
  }

  /** Ids in the membership set whose record expired. */
  async deadNodes(): Promise<string[]> {
    const ids = await this.redis.zrange(this.nodesKey, '0', '-1');
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.nodeKey(id)));
    return ids.filter((_, i) => values[i] === null);
  }

  /**
   * Takes every conference off a node, calling `onLost` for each one this call removed (so each is
   * reported once however many nodes sweep), then forgets the node unless it came back meanwhile.
   */
  async sweep(nodeId: string, onLost: (mediaKey: string) => void): Promise<number> {
    let lost = 0;
    for (const mediaKey of await this.redis.smembers(this.placedKey(nodeId))) {
      if (await this.unplace(mediaKey, nodeId)) {
        lost += 1;
        onLost(mediaKey);
      }
    }
    if ((await this.redis.exists(this.nodeKey(nodeId))) === 0) await this.redis.multi().zrem(this.nodesKey, nodeId).hdel(this.urlsKey, nodeId).exec();
    return lost;
  }

  /** The cluster's internal secret when none is configured: the first node's random one, kept in Redis. */
  async sharedSecret(candidate: string): Promise<string> {
    const key = `${this.prefix}cluster:secret`;
    await this.redis.set(key, candidate, 'NX');
    return (await this.redis.get(key)) ?? candidate;
  }

  /** The conferences placed on a node. */
  async placedConferences(nodeId: string): Promise<string[]> {
    return this.redis.smembers(this.placedKey(nodeId));
  }

  private async record(id: string): Promise<NodeRecord | undefined> {
    const value = await this.redis.get(this.nodeKey(id));
    return value === null ? undefined : (JSON.parse(value) as NodeRecord);
  }
}
