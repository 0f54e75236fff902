import { randomUUID } from 'node:crypto';
import { startServer, type ConferenceServer, type ServerOptions } from '../../../src/startServer.js';

let redisUrl: string | undefined;

/** @internal From now on, every test server of this file keeps its conferences on this Redis (each under its own key prefix). */
export function useRedisForTestServers(url: string): void {
  redisUrl = url;
}

/** @internal The Redis the test servers of this file use, if any (see {@link useRedisForTestServers}). */
export function testRedisUrl(): string | undefined {
  return redisUrl;
}

/** @internal A quiet in-process server on a free port, media in loopback mode, never reporting media trouble on its own. */
export function startTestServer(options: Partial<ServerOptions> = {}): Promise<ConferenceServer> {
  return startServer({
    port: 0,
    logLevel: 'silent',
    announce: () => {},
    ...(redisUrl === undefined ? {} : { redisUrl, redisKeyPrefix: `test-${randomUUID()}:` }),
    ...options,
    // Offers in these tests never connect: keep the router's no-media timer out of the event streams.
    media: { loopback: true, noMediaTimeoutMs: 600_000, ...options.media },
  });
}

/** @internal Waits until `check` holds, looking every 20 ms; fails naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
