import type { HealthReport } from '../http/healthRoute.js';
import type { RedisConnections } from '../store/RedisConnections.js';
import type { ClusterNode } from './ClusterNode.js';

const PING_TIMEOUT_MS = 1_000;

/** The node's health: Redis answers a PING within a second (no Redis: in memory, always ok), media open, draining or not. */
export async function nodeHealth(redis: RedisConnections | undefined, cluster: ClusterNode | undefined, mediaOpen: boolean, draining: boolean): Promise<HealthReport> {
  const store = redis ? await ping(redis) : 'ok';
  const media = mediaOpen && (cluster?.channelOpen ?? true) ? 'open' : 'closed';
  return { store, media, draining: draining || (cluster?.isDraining ?? false) };
}

async function ping(redis: RedisConnections): Promise<HealthReport['store']> {
  // ioredis queues commands while reconnecting: a disconnected Redis is unreachable now, not after its retries.
  if (redis.command.status !== 'ready') return 'unreachable';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'unreachable'>((resolve) => (timer = setTimeout(() => resolve('unreachable'), PING_TIMEOUT_MS)));
  try {
    return await Promise.race([redis.command.ping().then(() => 'ok' as const, () => 'unreachable' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
