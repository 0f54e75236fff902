import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Takes the lease when free, or extends it when this process holds it; 1 when held afterwards. */
const LEASE_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** What the sweeper acts on: one due deadline (its member and the score it was read with). */
export type ExpireDeadline = (member: string, score: string) => Promise<void>;

/**
 * Acts on the liveness deadlines of every process: whichever process holds a short lease (SET NX
 * PX, extended while held) reads the due members of the sorted set every `intervalMs` and expires
 * each through the store, guarded by the score it read, so that an expiry is acted on once, by one
 * process, and not at all when the endpoint showed up meanwhile.
 */
export class LivenessSweeper {
  private readonly id = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly command: Redis,
    private readonly keys: { lease: string; deadlines: string },
    private readonly intervalMs: number,
    private readonly expire: ExpireDeadline,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Sweeps every `intervalMs` until {@link close}. */
  start(): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .catch(this.onError)
        .finally(() => (this.sweeping = undefined));
    }, this.intervalMs);
  }

  /** Stops sweeping, waits for a sweep under way and gives the lease up. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
    await this.command.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end`, 1, this.keys.lease, this.id).catch(() => {});
  }

  private async sweep(): Promise<void> {
    // Held for a few rounds: another process takes over within that when this one dies.
    const held = await this.command.eval(LEASE_SCRIPT, 1, this.keys.lease, this.id, String(Math.max(1000, this.intervalMs * 4)));
    if (held !== 1) return;
    const due = await this.command.zrangebyscore(this.keys.deadlines, '-inf', Date.now(), 'WITHSCORES', 'LIMIT', 0, 200);
    for (let i = 0; i < due.length; i += 2) await this.expire(due[i]!, due[i + 1]!);
  }
}
