import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConferenceServer } from '../../src/startServer.js';
import { ApiCaller, UserCaller } from '../api/support/ApiCaller.js';
import { startTestServer } from '../api/support/testServer.js';
import { startRedis, type TestRedis } from './support/redisServer.js';

interface SeenEvent {
  type: string;
  conferenceVersion: number;
  userEndpointId?: string;
  state?: string;
  reason?: string;
}

const WRITERS_PER_NODE = 50;
let redis: TestRedis;
const servers: ConferenceServer[] = [];

/** A server of the two-node deployment: same Redis, same key prefix, same token secret. */
async function node(prefix: string, options: Parameters<typeof startTestServer>[0] = {}): Promise<ConferenceServer> {
  const server = await startTestServer({ redisUrl: redis.url, redisKeyPrefix: prefix, tokenSecret: 'shared-secret-of-the-test', ...options });
  servers.push(server);
  return server;
}

/** The same user's token, issued by node A, used on node B: tokens verify on every node. */
function onNode(caller: UserCaller, server: ConferenceServer): UserCaller {
  return new UserCaller(new ApiCaller(server.url), caller.token);
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const server of servers.splice(0)) await server.close();
  await redis.stop();
});

describe('two server processes on one Redis', () => {
  it('give 100 concurrent writers (50 on each node) unique, gap-free versions, and the aggregate the next event version', async () => {
    const [a, b] = [await node('versions:', { eventWaitMs: 200 }), await node('versions:', { eventWaitMs: 200 })];
    const aliceOnA = await new ApiCaller(a!.url).as('alice');
    const aliceOnB = onNode(aliceOnA, b!);
    const conferenceId = 'crowded';
    expect((await aliceOnA.post('create', { conferenceId })).status).toBe(200);
    expect((await aliceOnB.post('join', { conferenceId, userEndpointId: 'a1' })).status).toBe(200);

    const writes = Array.from({ length: WRITERS_PER_NODE * 2 }, (_, i) =>
      (i % 2 ? aliceOnB : aliceOnA).post('updateMetadata', { conferenceId, userEndpointId: 'a1', key: `k${i}`, operation: 'SET', value: String(i) }),
    );
    expect((await Promise.all(writes)).map((answer) => answer.status)).toEqual(writes.map(() => 204));

    const events = (await aliceOnA.events(conferenceId, 0)).body as Array<SeenEvent & { key?: string }>;
    // The join (version 0), then one event per write: no version twice, none skipped.
    expect(events.map((e) => e.conferenceVersion)).toEqual(Array.from({ length: WRITERS_PER_NODE * 2 + 1 }, (_, i) => i));
    expect(new Set(events.filter((e) => e.type === 'ConferenceMetadataUpdatedEvent').map((e) => e.key)).size).toBe(WRITERS_PER_NODE * 2);
    const aggregate = (await aliceOnB.conference(conferenceId)).body as { version: number; metadata: Record<string, unknown> };
    expect(aggregate.version).toBe(events.length);
    expect(Object.keys(aggregate.metadata)).toHaveLength(WRITERS_PER_NODE * 2);
    // Both nodes answer the same events.
    expect(((await aliceOnB.events(conferenceId, 0)).body as SeenEvent[]).map((e) => e.conferenceVersion)).toEqual(events.map((e) => e.conferenceVersion));
  });

  it('wake a long-poll waiting on node B with an event appended on node A', async () => {
    // A wait far longer than the test: the poll can only answer because the append woke it.
    const [a, b] = [await node('wake:', { eventWaitMs: 60_000 }), await node('wake:', { eventWaitMs: 60_000 })];
    const aliceOnA = await new ApiCaller(a!.url).as('alice');
    const aliceOnB = onNode(aliceOnA, b!);
    await aliceOnA.post('create', { conferenceId: 'wake' });
    await aliceOnA.post('join', { conferenceId: 'wake', userEndpointId: 'a1' });
    const poll = aliceOnB.events('wake', 1);
    await expect.poll(() => b!.stats().waitingPolls).toBe(1);
    await aliceOnA.post('updateMetadata', { conferenceId: 'wake', userEndpointId: 'a1', key: 'k', operation: 'SET', value: 'v' });
    const answer = await poll;
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([expect.objectContaining({ type: 'ConferenceMetadataUpdatedEvent', conferenceVersion: 1, key: 'k' })]);
    expect(b!.stats().waitingPolls).toBe(0);
  });

  it('act on a ghost once: one SICK event and one left event, whichever node sweeps', async () => {
    const timings = { eventWaitMs: 100, ghostSickAfterMs: 300, ghostRemoveAfterMs: 300 };
    const [a, b] = [await node('ghost:', timings), await node('ghost:', timings)];
    const service = await new ApiCaller(a!.url).asClient();
    const aliceOnB = onNode(await new ApiCaller(a!.url).as('alice'), b!);
    await service.post('create', { conferenceId: 'ghosts' });
    // Joined through B, silent afterwards: both nodes sweep deadlines, one acts on each.
    await aliceOnB.post('join', { conferenceId: 'ghosts', userEndpointId: 'a1' });
    let seen: SeenEvent[] = [];
    await expect
      .poll(
        async () => {
          seen = (await service.events('ghosts', 0)).body as SeenEvent[];
          return seen.some((e) => e.type === 'ConferenceLeftEvent');
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBe(true);
    // Anything a second node did wrongly would have had time to show.
    await new Promise((resolve) => setTimeout(resolve, 700));
    seen = (await onNode(service, b!).events('ghosts', 0)).body as SeenEvent[];
    expect(seen.map((e) => [e.type, e.state ?? e.reason ?? null])).toEqual([
      ['ConferenceJoinedEvent', null],
      ['ConferenceEndpointStateChangedEvent', 'SICK'],
      ['ConferenceLeftEvent', 'ghost: no event poll and no request for 0.6 s'],
    ]);
  });

  it('keep an endpoint alive that polls on one node and acts on the other', async () => {
    const timings = { eventWaitMs: 100, ghostSickAfterMs: 400, ghostRemoveAfterMs: 400 };
    const [a, b] = [await node('alive:', timings), await node('alive:', timings)];
    const aliceOnA = await new ApiCaller(a!.url).as('alice');
    const aliceOnB = onNode(aliceOnA, b!);
    await aliceOnA.post('create', { conferenceId: 'alive' });
    await aliceOnA.post('join', { conferenceId: 'alive', userEndpointId: 'a1' });
    // Polls land on A and B in turn for twice the time a silent endpoint takes to be removed.
    const until = Date.now() + 1_600;
    let v = 1;
    for (let i = 0; Date.now() < until; i++) {
      const answer = await (i % 2 ? aliceOnB : aliceOnA).events('alive', v);
      expect(answer.status).toBe(200);
      v += (answer.body as SeenEvent[]).length;
    }
    const { body } = await aliceOnB.conference('alive');
    expect(body.participants).toEqual([expect.objectContaining({ id: 'a1', state: 'HEALTHY' })]);
    expect(v).toBe(1);
  });

  it('refuse to start a second process without a shared token secret', async () => {
    const first = await node('secretless:', { tokenSecret: undefined });
    await expect(node('secretless:', { tokenSecret: undefined })).rejects.toThrow(/without a shared token secret: set the same CONFER_TOKEN_SECRET/);
    // The development secret is kept in Redis: a process started after the first closed accepts its tokens.
    const token = await new ApiCaller(first.url).userToken('alice');
    await first.close();
    const next = await node('secretless:', { tokenSecret: undefined });
    expect((await new UserCaller(new ApiCaller(next.url), token).post('create', { conferenceId: 'after-restart' })).status).toBe(200);
  });
});
