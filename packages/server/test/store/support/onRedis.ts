import { afterAll } from 'vitest';
import { useRedisForTestServers } from '../../api/support/testServer.js';
import { startRedis } from './redisServer.js';

/**
 * @internal Runs the API test file imported after it against the Redis store: starts a redis-server
 * for this file and has every `startTestServer` of it use it (each server its own key prefix).
 */
export async function onRedis(): Promise<void> {
  const redis = await startRedis();
  useRedisForTestServers(redis.url);
  afterAll(() => redis.stop());
}
