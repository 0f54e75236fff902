import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/startServer.js';
import { ApiCaller, type UserCaller } from '../api/support/ApiCaller.js';
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

async function until(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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

/** What a draining node answers a create: 503, a JSON body saying why, and when to retry (elsewhere). */
async function expectCreateRefused(alice: UserCaller, conferenceId: string) {
  const refused = await alice.post('create', { conferenceId });
  expect(refused.status, JSON.stringify(refused.body)).toBe(503);
  expect(refused.body).toEqual({ status: 503, error: 'Service Unavailable', message: expect.stringMatching(/draining.*another node/) });
  expect(refused.headers.get('retry-after')).toBe('1');
  // Refused means not created: the id stays free for another node.
  expect((await alice.conference(conferenceId)).status).toBe(404);
}

/**
 * Alice in `conferenceId` with a poll waiting for the next event. Each drain test ends it with a
 * join: the drain lasts as long as a poll waits, so nothing but that join can end it early.
 */
async function joinAndPoll(url: string, conferenceId: string) {
  const api = new ApiCaller(url);
  const alice = await api.as('alice');
  expect((await alice.post('create', { conferenceId })).status).toBeLessThan(300);
  const joined = await alice.post('join', { conferenceId, userEndpointId: 'a1' });
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  const poll = alice.events(conferenceId, joined.body.version as number);
  return { alice, bob: await api.as('bob'), poll };
}

describe('drain', () => {
  it('refuses new conferences with 503 while the conferences already there keep working', async () => {
    // The polls' wait is longer than the test: only the join below can end the drain.
    const server = await startServer({ logLevel: 'silent', announce: () => {}, eventWaitMs: 60_000 });
    cleanups.push(() => server.close());
    const { alice, bob, poll } = await joinAndPoll(server.url, 'kept');
    await until(() => server.stats().waitingPolls === 1, 'the poll to wait');
    const drained = server.drain();
    await expectCreateRefused(alice, 'new');
    expect((await bob.post('join', { conferenceId: 'kept', userEndpointId: 'b1' })).status).toBe(200);
    const answered = await poll;
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual([expect.objectContaining({ type: 'ConferenceJoinedEvent', userId: 'bob' })]);
    await drained;
  });
});

describe('SIGTERM', () => {
  it('drains: /healthz says so, create is refused, a join and the waiting event poll are answered as usual, then the process exits 0', PROCESS_TEST, async () => {
    const store = await redis();
    const n = await node({ REDIS_URL: store.url, CONFER_TOKEN_SECRET: 'secret', CONFER_EVENT_WAIT_MS: '60000' });
    const { alice, bob, poll } = await joinAndPoll(n.url, 'drained');
    // The poll must wait on the node before SIGTERM, or the drain ends at once; nothing outside the process shows when it does.
    await new Promise((r) => setTimeout(r, 300));
    n.kill('SIGTERM');
    expect(await waitForHealth(n.url, { draining: true })).toMatchObject({ status: 503, body: { status: 'unavailable', draining: true } });
    await expectCreateRefused(alice, 'not-here');
    expect((await bob.post('join', { conferenceId: 'drained', userEndpointId: 'b1' })).status).toBe(200);
    const answered = await poll;
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual([expect.objectContaining({ type: 'ConferenceJoinedEvent', userId: 'bob' })]);
    expect(await n.exited).toBe(0);
  });
});
