import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaRouterCallbacks } from '../../src/media/MediaRouter.js';
import { WeriftMediaRouter } from '../../src/media/WeriftMediaRouter.js';
import type { ConferenceServer, ServerOptions } from '../../src/startServer.js';
import { ApiCaller, type UserCaller } from './support/ApiCaller.js';
import { startTestServer, testRedisUrl, waitFor } from './support/testServer.js';

interface SeenEvent {
  type: string;
  userEndpointId?: string;
  state?: string;
  reason?: string;
  conferenceVersion: number;
}

const servers: ConferenceServer[] = [];
const stops: Array<() => void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  for (const server of servers.splice(0)) await server.close();
});

async function setup(options: Partial<ServerOptions>) {
  const server = await startTestServer({ eventWaitMs: 100, ...options });
  servers.push(server);
  const api = new ApiCaller(server.url);
  const [alice, bob, service] = await Promise.all([api.as('alice'), api.as('bob'), api.asClient()]);
  const conferenceId = 'ghost-room';
  await service.post('create', { conferenceId });
  return { server, api, alice, bob, service, conferenceId };
}

/** Polls events as `caller` until stopped, collecting them; `stop()` ends the loop. */
function follow(caller: UserCaller, conferenceId: string): SeenEvent[] {
  const seen: SeenEvent[] = [];
  let running = true;
  stops.push(() => (running = false));
  void (async () => {
    let v = 0;
    while (running) {
      const answer = await caller.events(conferenceId, v).catch(() => undefined);
      if (!answer || answer.status !== 200) break;
      for (const event of answer.body as SeenEvent[]) seen.push(event);
      v = seen.length === 0 ? v : seen[seen.length - 1]!.conferenceVersion + 1;
    }
  })();
  return seen;
}

const about = (seen: SeenEvent[], endpoint: string) => seen.filter((e) => e.userEndpointId === endpoint && e.type !== 'ConferenceJoinedEvent');

describe('ghost rule', () => {
  it('marks a silent endpoint SICK, then removes it with a ConferenceLeftEvent saying why', async () => {
    const { alice, service, conferenceId } = await setup({ ghostSickAfterMs: 200, ghostRemoveAfterMs: 300 });
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    const seen = follow(service, conferenceId);
    await waitFor(() => seen.some((e) => e.type === 'ConferenceLeftEvent'), 'the ghost to be removed');
    expect(about(seen, 'a1').map((e) => [e.type, e.state ?? e.reason])).toEqual([
      ['ConferenceEndpointStateChangedEvent', 'SICK'],
      ['ConferenceLeftEvent', 'ghost: no event poll and no request for 0.5 s'],
    ]);
    expect((await service.conference(conferenceId)).body.participants).toEqual([]);
  });

  it('keeps an endpoint whose user keeps polling, while a silent one is removed', async () => {
    // Generous against a loaded machine: a gap of a second between two polls of the same process.
    const { alice, bob, service, conferenceId } = await setup({ ghostSickAfterMs: 1_000, ghostRemoveAfterMs: 1_000 });
    await bob.post('join', { conferenceId, userEndpointId: 'b1' });
    follow(bob, conferenceId);
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    const seen = follow(service, conferenceId);
    // By the time a1 (joined after b1) is a ghost, b1 would be one too if its polls did not count.
    await waitFor(() => seen.some((e) => e.type === 'ConferenceLeftEvent' && e.userEndpointId === 'a1'), 'a1 to be removed');
    expect(about(seen, 'b1')).toEqual([]);
    const { body } = await service.conference(conferenceId);
    expect(body.participants).toEqual([expect.objectContaining({ id: 'b1', state: 'HEALTHY' })]);
  });

  it('gives an endpoint whose waiting poll was hung up the short timings: SICK, then removed, saying why', async () => {
    const { alice, service, conferenceId } = await setup({ eventWaitMs: 60_000, ghostSickAfterMs: 60_000, ghostRemoveAfterMs: 60_000, ghostHungUpSickAfterMs: 200, ghostHungUpRemoveAfterMs: 300 });
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    const seen = follow(service, conferenceId);
    // The client vanishes while its poll waits: the connection closes under the waiting poll.
    await alice.events(conferenceId, 1_000, AbortSignal.timeout(100)).catch(() => undefined);
    await waitFor(() => seen.some((e) => e.type === 'ConferenceLeftEvent'), 'the hung-up endpoint to be removed');
    expect(about(seen, 'a1').map((e) => [e.type, e.state ?? e.reason])).toEqual([
      ['ConferenceEndpointStateChangedEvent', 'SICK'],
      ['ConferenceLeftEvent', 'ghost: its event poll was hung up, then no event poll and no request for 0.5 s'],
    ]);
  });

  it('forgets a hang-up when the client polls again', async () => {
    const { alice, service, conferenceId } = await setup({ ghostSickAfterMs: 60_000, ghostRemoveAfterMs: 60_000, ghostHungUpSickAfterMs: 300, ghostHungUpRemoveAfterMs: 300 });
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    const seen = follow(service, conferenceId);
    await alice.events(conferenceId, 1_000, AbortSignal.timeout(50)).catch(() => undefined);
    const again = alice.events(conferenceId, 1_000);
    // Longer than the hung-up timings (600 ms): nothing may happen to a client that came back.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(about(seen, 'a1')).toEqual([]);
    await again;
  });

  it('makes a SICK endpoint HEALTHY again when its user polls, and does not remove it', async () => {
    const { alice, service, conferenceId } = await setup({ ghostSickAfterMs: 150, ghostRemoveAfterMs: 60_000 });
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    const seen = follow(service, conferenceId);
    await waitFor(() => about(seen, 'a1').length === 1, 'a1 to turn SICK');
    expect((await service.conference(conferenceId)).body.participants[0].state).toBe('SICK');
    await alice.events(conferenceId, 0);
    await waitFor(() => about(seen, 'a1').length === 2, 'a1 to recover');
    expect(about(seen, 'a1').map((e) => e.state)).toEqual(['SICK', 'HEALTHY']);
    expect((await service.conference(conferenceId)).body.participants[0].state).toBe('HEALTHY');
  });

  it('counts a request naming the endpoint as a sign of life', async () => {
    const { alice, service, conferenceId } = await setup({ ghostSickAfterMs: 150, ghostRemoveAfterMs: 60_000 });
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    const seen = follow(service, conferenceId);
    await waitFor(() => about(seen, 'a1').length === 1, 'a1 to turn SICK');
    await alice.post('updateParticipantMetadata', { conferenceId, userEndpointId: 'a1', newMetadata: { name: 'A' } });
    await waitFor(() => about(seen, 'a1').some((e) => e.state === 'HEALTHY'), 'a1 to recover');
  });

  it("follows the media plane's health, one event per change, without removing a polling endpoint", async () => {
    let callbacks: MediaRouterCallbacks | undefined;
    const { alice, bob, service, conferenceId } = await setup({
      ghostSickAfterMs: 1_000,
      ghostRemoveAfterMs: 1_000,
      createMediaRouter: (given) => {
        callbacks = given;
        return new WeriftMediaRouter({ loopback: true }, given);
      },
    });
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    follow(alice, conferenceId);
    const seen = follow(service, conferenceId);
    // The router names conferences by organization and id.
    const mediaKey = `default/${conferenceId}`;
    callbacks!.onEndpointHealth(mediaKey, 'a1', 'SICK');
    callbacks!.onEndpointHealth(mediaKey, 'a1', 'SICK');
    await waitFor(() => about(seen, 'a1').length === 1, 'the SICK event');
    expect((await service.conference(conferenceId)).body.participants[0].state).toBe('SICK');
    // A silent endpoint joined after the media failure is removed first: the polling one outlives it.
    await bob.post('join', { conferenceId, userEndpointId: 'b1' });
    await waitFor(() => seen.some((e) => e.type === 'ConferenceLeftEvent' && e.userEndpointId === 'b1'), 'b1 to be removed');
    expect(about(seen, 'a1').map((e) => e.state)).toEqual(['SICK']);
    callbacks!.onEndpointHealth(mediaKey, 'a1', 'HEALTHY');
    await waitFor(() => about(seen, 'a1').length === 2, 'the HEALTHY event');
    expect(about(seen, 'a1').map((e) => e.state)).toEqual(['SICK', 'HEALTHY']);
    // Reports about unknown conferences or endpoints are ignored.
    callbacks!.onEndpointHealth(mediaKey, 'nobody', 'SICK');
    callbacks!.onEndpointHealth('default/none', 'a1', 'SICK');
    expect((await service.conference(conferenceId)).body.participants.map((p: { state: string }) => p.state)).toEqual(['HEALTHY']);
  });

  it('clears every liveness timer (on Redis: every deadline) on leave and on close', async () => {
    const redisKeyPrefix = `ghost-timers-${Date.now()}:`;
    const { server, alice, conferenceId } = await setup({ redisKeyPrefix });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const redisUrl = testRedisUrl();
    const redis = redisUrl === undefined ? undefined : new Redis(redisUrl);
    try {
      // In memory one timer per endpoint; on Redis one deadline per endpoint, and no timer.
      const liveness = async () => (redis ? redis.zcard(`${redisKeyPrefix}liveness`) : timers() - before);
      for (let i = 0; i < 20; i++) await alice.post('join', { conferenceId, userEndpointId: `a${i}` });
      // The count is the whole process's: HTTP keep-alive and client timers come and go by a few either way.
      expect(await liveness()).toBeGreaterThanOrEqual(redis ? 20 : 20 - 3);
      for (let i = 0; i < 10; i++) await alice.post('leave', { conferenceId, userEndpointId: `a${i}` });
      expect(server.stats().endpoints).toBe(10);
      await waitFor(async () => (await liveness()) <= (redis ? 10 : 10 + 5), 'the timers of the leavers to be cleared');
      await server.close();
      await waitFor(() => timers() <= before, 'every timer to be cleared');
    } finally {
      redis?.disconnect();
    }
  });
});
