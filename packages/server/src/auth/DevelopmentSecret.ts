import { randomBytes, randomUUID } from 'node:crypto';
import type { RedisConnections } from '../store/RedisConnections.js';

const LEASE_MS = 3_000;
const RENEW_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * The token secret of a server on Redis started without CONFER_TOKEN_SECRET: a random one kept in
 * Redis, so a restarted process still accepts the tokens it issued, for one process only. The
 * process holds a short lease while it runs; another process finding the lease held refuses to
 * start, since tokens signed by one process must verify on every other. A predecessor that crashed
 * leaves a lease that expires within {@link LEASE_MS}, which a restart waits out.
 */
export class DevelopmentSecret {
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly redis: RedisConnections,
    private readonly holder: string,
    /** The secret tokens are signed with. */
    readonly secret: string,
  ) {
    this.timer = setInterval(() => {
      void redis.command.eval(RENEW_SCRIPT, 1, redis.key('development-node'), holder, String(LEASE_MS)).catch(() => {});
    }, LEASE_MS / 3);
  }

  /** Takes the single-process lease (waiting out a crashed predecessor's) and reads or makes the secret. */
  static async acquire(redis: RedisConnections): Promise<DevelopmentSecret> {
    const holder = randomUUID();
    const lease = redis.key('development-node');
    const deadline = Date.now() + LEASE_MS + 500;
    while ((await redis.command.set(lease, holder, 'PX', LEASE_MS, 'NX')) === null) {
      if (Date.now() > deadline) {
        throw new Error(
          `another server process runs on the Redis at ${redis.url} without a shared token secret: set the same CONFER_TOKEN_SECRET on every process to run several`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const key = redis.key('development-token-secret');
    await redis.command.set(key, randomBytes(32).toString('base64url'), 'NX');
    const secret = await redis.command.get(key);
    if (!secret) throw new Error(`the development token secret vanished from the Redis at ${redis.url}`);
    return new DevelopmentSecret(redis, holder, secret);
  }

  /** Gives the lease up, so that a next process starts at once. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.command.eval(RELEASE_SCRIPT, 1, this.redis.key('development-node'), this.holder).catch(() => {});
  }
}
