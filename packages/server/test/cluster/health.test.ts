import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/startServer.js';
import { ApiCaller } from '../api/support/ApiCaller.js';
import { startNodeProcess, type NodeProcess } from './helpers/nodeProcess.js';
import { startRedis, type TestRedis } from '../store/support/redisServer.js';

// /healthz and the SIGTERM drain, on a server in this process and on node processes with a redis-server of the test's own.
// Starting a node process takes seconds on a loaded machine: the process tests get a minute.
const PROCESS_TEST = { timeout: 60_000 };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function redis(port?: number): Promise<TestRedis> {
  const r = await startRedis(port);
  cleanups.push(() => r.stop(true));
  return r;
}

async function node(env: Record<string, string>): Promise<NodeProcess> {
  const n = await startNodeProcess(env);
  cleanups.push(() => n.stop());
  return n;
}

const health = async (url: string) => {
  const response = await fetch(`${url}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

async function waitForHealth(url: string, expected: Record<string, unknown>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await health(url);
    if (Object.entries(expected).every(([k, v]) => last!.body[k] === v)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/healthz never answered ${JSON.stringify(expected)}; last ${JSON.stringify(last)}`);
}

describe('/healthz', () => {
  it('a single server in memory is healthy', async () => {
    const server = await startServer({ logLevel: 'silent', announce: () => {} });
    cleanups.push(() => server.close());
    expect(await health(server.url)).toEqual({ status: 200, body: { status: 'ok', store: 'ok', media: 'open', draining: false } });
  });

  it('a node says when its Redis stops answering, and is healthy again once Redis is back', PROCESS_TEST, async () => {
    const store = await redis();
    const n = await node({ REDIS_URL: store.url, CONFER_TOKEN_SECRET: 'secret' });
    expect(await health(n.url)).toEqual({ status: 200, body: { status: 'ok', store: 'ok', media: 'open', draining: false } });
    await store.stop(true);
    expect(await waitForHealth(n.url, { store: 'unreachable' })).toMatchObject({ status: 503, body: { status: 'unavailable' } });
    await redis(store.port);
    expect(await waitForHealth(n.url, { store: 'ok' })).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});

describe('SIGTERM', () => {
  it('drains: /healthz says so, a waiting event poll is answered as usual, then the process exits 0', PROCESS_TEST, async () => {
    const store = await redis();
    const n = await node({ REDIS_URL: store.url, CONFER_TOKEN_SECRET: 'secret', CONFER_EVENT_WAIT_MS: '3000' });
    const alice = await new ApiCaller(n.url).as('alice');
    const created = await alice.post('create', { conferenceId: 'drained' });
    expect(created.status).toBeLessThan(300);
    const joined = await alice.post('join', { conferenceId: 'drained', userEndpointId: 'a1' });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    const poll = alice.events('drained', 1000);
    await new Promise((r) => setTimeout(r, 300));
    n.kill('SIGTERM');
    expect(await waitForHealth(n.url, { draining: true })).toMatchObject({ status: 503, body: { status: 'unavailable', draining: true } });
    expect((await poll).status).toBe(200);
    expect(await n.exited).toBe(0);
  });
});
