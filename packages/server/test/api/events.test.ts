import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConferenceServer } from '../../src/startServer.js';
import { ApiCaller, type UserCaller } from './support/ApiCaller.js';
import { startTestServer, waitFor } from './support/testServer.js';

const LONG_WAIT_MS = 60_000;
let counter = 0;

async function setup(server: ConferenceServer) {
  const api = new ApiCaller(server.url);
  const [alice, bob, service] = await Promise.all([api.as('alice'), api.as('bob'), api.asClient()]);
  const room = async () => {
    const conferenceId = `ev-${++counter}`;
    await alice.post('create', { conferenceId });
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    return conferenceId;
  };
  const setKey = (caller: UserCaller, conferenceId: string, endpoint: string, key: string) =>
    caller.post('updateMetadata', { conferenceId, userEndpointId: endpoint, key, operation: 'SET', value: key });
  return { api, alice, bob, service, room, setKey };
}

describe('long-poll with a long wait', () => {
  let server: ConferenceServer;
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    server = await startTestServer({ eventWaitMs: LONG_WAIT_MS });
    ctx = await setup(server);
  });
  afterAll(() => server.close());

  it('answers a waiting poll as soon as an event arrives', async () => {
    const conferenceId = await ctx.room();
    const started = Date.now();
    const poll = ctx.alice.events(conferenceId, 1);
    await waitFor(() => server.stats().waitingPolls === 1, 'the poll to wait');
    await ctx.setKey(ctx.alice, conferenceId, 'a1', 'k');
    const answer = await poll;
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([expect.objectContaining({ type: 'ConferenceMetadataUpdatedEvent', conferenceVersion: 1, key: 'k' })]);
    // Woken by the event, not by the end of the wait.
    expect(Date.now() - started).toBeLessThan(LONG_WAIT_MS / 2);
  });

  it('answers at once when events are already there, in order, from v on', async () => {
    const conferenceId = await ctx.room();
    for (const key of ['a', 'b', 'c']) await ctx.setKey(ctx.alice, conferenceId, 'a1', key);
    const answer = await ctx.alice.events(conferenceId, 2);
    expect(answer.body.map((e: { conferenceVersion: number; key: string }) => [e.conferenceVersion, e.key])).toEqual([
      [2, 'b'],
      [3, 'c'],
    ]);
  });

  it('wakes every waiting poll with the same event', async () => {
    const conferenceId = await ctx.room();
    await ctx.bob.post('join', { conferenceId, userEndpointId: 'b1' });
    const polls = Array.from({ length: 30 }, (_, i) => (i % 2 ? ctx.alice : ctx.bob).events(conferenceId, 2));
    await waitFor(() => server.stats().waitingPolls === 30, '30 polls to wait');
    await ctx.setKey(ctx.bob, conferenceId, 'b1', 'k');
    const answers = await Promise.all(polls);
    const ids = new Set(answers.map((a) => a.body[0].id));
    expect(ids.size).toBe(1);
    expect(answers.every((a) => a.body.length === 1 && a.body[0].conferenceVersion === 2)).toBe(true);
  });

  it('a poll from a future version waits for that version', async () => {
    const conferenceId = await ctx.room();
    const poll = ctx.alice.events(conferenceId, 2);
    await waitFor(() => server.stats().waitingPolls === 1, 'the poll to wait');
    await ctx.setKey(ctx.alice, conferenceId, 'a1', 'first');
    expect(server.stats().waitingPolls).toBe(1);
    await ctx.setKey(ctx.alice, conferenceId, 'a1', 'second');
    expect((await poll).body).toEqual([expect.objectContaining({ conferenceVersion: 2, key: 'second' })]);
  });

  it('releases the wait when the client hangs up', async () => {
    const conferenceId = await ctx.room();
    const controller = new AbortController();
    const poll = ctx.alice.events(conferenceId, 1, controller.signal).catch((error: Error) => error.name);
    await waitFor(() => server.stats().waitingPolls === 1, 'the poll to wait');
    controller.abort();
    expect(await poll).toBe('AbortError');
    await waitFor(() => server.stats().waitingPolls === 0, 'the server to release the wait', 5_000);
    // The conference still works for the next poll.
    await ctx.setKey(ctx.alice, conferenceId, 'a1', 'k');
    expect((await ctx.alice.events(conferenceId, 1)).body).toHaveLength(1);
  });

  it('costs one timer per waiting poll and nothing else while idle', async () => {
    const conferenceId = await ctx.room();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const controller = new AbortController();
    const polls = Array.from({ length: 200 }, () => ctx.alice.events(conferenceId, 1, controller.signal).catch(() => undefined));
    await waitFor(() => server.stats().waitingPolls === 200, '200 polls to wait');
    expect(timers() - before).toBeLessThanOrEqual(200 + 10);
    controller.abort();
    await Promise.all(polls);
    await waitFor(() => server.stats().waitingPolls === 0, 'the waits to be released');
    await waitFor(() => timers() <= before + 10, 'the timers to be cleared');
  });

  it('close() answers waiting polls instead of waiting for them', async () => {
    const own = await startTestServer({ eventWaitMs: LONG_WAIT_MS });
    const { alice, room } = await setup(own);
    const conferenceId = await room();
    const poll = alice.events(conferenceId, 1);
    await waitFor(() => own.stats().waitingPolls === 1, 'the poll to wait');
    await own.close();
    expect((await poll).body).toEqual([]);
    expect(own.stats()).toEqual({ conferences: 0, endpoints: 0, waitingPolls: 0 });
    await own.close();
  });

  it('close() does not wait for the connection of a poll the client abandoned', async () => {
    // Node keeps such a connection open until its keep-alive timeout (72 s) unless the server ends it.
    const own = await startTestServer({ eventWaitMs: LONG_WAIT_MS });
    const { alice, room } = await setup(own);
    const conferenceId = await room();
    const controller = new AbortController();
    const poll = alice.events(conferenceId, 1, controller.signal).catch(() => 'aborted');
    await waitFor(() => own.stats().waitingPolls === 1, 'the poll to wait');
    controller.abort();
    await poll;
    await alice.post('leave', { conferenceId, userEndpointId: 'a1' });
    // Bounded by the test timeout (20 s): without ending that connection, close() takes over a minute.
    await own.close();
    expect(own.stats()).toEqual({ conferences: 0, endpoints: 0, waitingPolls: 0 });
  });

  it('keeps versions gap-free and ordered under concurrent writers, one event per change', async () => {
    const conferenceId = await ctx.room();
    await ctx.bob.post('join', { conferenceId, userEndpointId: 'b1' });
    await ctx.alice.post('join', { conferenceId, userEndpointId: 'a2' });
    const writers: Array<[UserCaller, string]> = [
      [ctx.alice, 'a1'],
      [ctx.alice, 'a2'],
      [ctx.bob, 'b1'],
    ];
    const writes = writers.flatMap(([caller, endpoint]) => Array.from({ length: 25 }, (_, i) => ctx.setKey(caller, conferenceId, endpoint, `${endpoint}-${i}`)));
    const observed = ctx.service.events(conferenceId, 3);
    const statuses = await Promise.all(writes);
    expect(statuses.every((a) => a.status === 204)).toBe(true);
    const events = (await ctx.service.events(conferenceId, 0)).body as Array<{ id: string; conferenceVersion: number; key?: string }>;
    expect(events.map((e) => e.conferenceVersion)).toEqual(events.map((_, i) => i));
    expect(events).toHaveLength(3 + 75);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(new Set(events.slice(3).map((e) => e.key)).size).toBe(75);
    expect((await ctx.service.conference(conferenceId)).body.version).toBe(78);
    const firstSeen = (await observed).body as Array<{ conferenceVersion: number }>;
    expect(firstSeen[0]?.conferenceVersion).toBe(3);
  });

  it.each([
    ['', 'query.v is required'],
    ['?v=', 'query.v must be an integer'],
    ['?v=abc', 'query.v must be an integer'],
    ['?v=1.5', 'query.v must be an integer'],
    ['?v=-1', 'query.v must be >= 0'],
    ['?v=1&v=2', 'query.v must be an integer'],
    ['?v=99999999999999999999', 'query.v must be an integer no larger than 2^53 - 1'],
    ['?v=%20', 'query.v must be an integer'],
    ['?v=-Infinity', 'query.v must be an integer'],
    ['?v=0x10', 'query.v must be an integer'],
    ['?v=1e3', 'query.v must be an integer'],
  ])('400 for events%s', async (query, message) => {
    const conferenceId = await ctx.room();
    const answer = await ctx.alice.get(`${conferenceId}/events${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ status: 400, error: 'Bad Request', message });
  });
});

describe('long-poll with a short wait', () => {
  let server: ConferenceServer;
  let ctx: Awaited<ReturnType<typeof setup>>;
  const WAIT_MS = 300;
  beforeAll(async () => {
    server = await startTestServer({ eventWaitMs: WAIT_MS, eventRetention: 5 });
    ctx = await setup(server);
  });
  afterAll(() => server.close());

  it('answers [] after the configured wait when nothing happens', async () => {
    const conferenceId = await ctx.room();
    const started = performance.now();
    const answer = await ctx.alice.events(conferenceId, 1);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([]);
    // It did wait (a lower bound: the configured wait, less timer rounding).
    expect(performance.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 5);
    expect(server.stats().waitingPolls).toBe(0);
  });

  it('keeps a bounded number of events and answers 410 with the oldest version kept', async () => {
    const conferenceId = await ctx.room();
    for (let i = 0; i < 7; i++) await ctx.setKey(ctx.alice, conferenceId, 'a1', `k${i}`);
    const gone = await ctx.alice.events(conferenceId, 0);
    expect(gone.status).toBe(410);
    expect(gone.body).toEqual({ status: 410, error: 'Gone', message: expect.stringContaining('query.v 0 is older than the oldest event kept (3)'), oldestVersion: 3 });
    const kept = await ctx.alice.events(conferenceId, 3);
    expect(kept.body.map((e: { conferenceVersion: number }) => e.conferenceVersion)).toEqual([3, 4, 5, 6, 7]);
    const aggregate = (await ctx.alice.conference(conferenceId)).body;
    expect(aggregate.version).toBe(8);
    expect(Object.keys(aggregate.metadata)).toHaveLength(7);
  });
});
