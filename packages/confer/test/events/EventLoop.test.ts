import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../src/index.js';
import type { Conference, ConferenceEvent } from '../../src/index.js';
import { EventLoop } from '../../src/events/EventLoop.js';
import type { EventLoopStop } from '../../src/events/EventLoop.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeApi, httpError, json } from '../fakes/FakeApi.js';

const event = (conferenceVersion: number, type = 'ConferenceMetadataUpdatedEvent'): ConferenceEvent => ({
  id: `e${conferenceVersion}`,
  type,
  conferenceId: 'c1',
  conferenceVersion,
  organizationId: 'org',
  timestamp: new Date(0).toISOString(),
});

/** Runs a loop against a fake API and records what it reports. */
function harness(api: FakeApi, options: { fromVersion?: number | null; pollTimeoutMs?: number; auth?: ConstructorParameters<typeof ApiClient>[0]['auth'] } = {}) {
  const client = new ApiClient({ baseUrl: 'http://server.test', auth: options.auth ?? { token: 't' }, fetch: api.fetch });
  const delivered: number[] = [];
  const resyncs: Conference[] = [];
  const connection: boolean[] = [];
  const stops: EventLoopStop[] = [];
  const loop = new EventLoop({
    api: client,
    conferenceId: 'c1',
    fromVersion: options.fromVersion === null ? undefined : (options.fromVersion ?? 0),
    onEvent: (e) => delivered.push(e.conferenceVersion),
    onResync: (c) => resyncs.push(c),
    onConnectionChange: (c) => connection.push(c),
    onStop: (s) => stops.push(s),
    logger: silentLogger,
    backoff: { initialMs: 2, maxMs: 8 },
    random: () => 0.5,
    ...(options.pollTimeoutMs ? { pollTimeoutMs: options.pollTimeoutMs } : {}),
  });
  const done = loop.start();
  return { loop, done, delivered, resyncs, connection, stops, polledVersions: () => api.callsOf('getEvents').map((c) => Number(c.url.searchParams.get('v'))) };
}

describe('EventLoop', () => {
  it('delivers events in conferenceVersion order, from the join version, once each', async () => {
    const api = new FakeApi();
    let batch = 0;
    // Unordered batches with duplicates and already-seen events, as a retrying server might send.
    const batches = [[event(3), event(2)], [event(2), event(3), event(4)], [event(5), event(4), event(6)]];
    api.on('getEvents', () => (batch < batches.length ? json(batches[batch++]) : undefined));
    const run = harness(api, { fromVersion: 2 });
    await api.polling();
    run.loop.close();
    await run.done;
    expect(run.delivered).toEqual([2, 3, 4, 5, 6]);
    expect(run.polledVersions()).toEqual([2, 4, 5, 7]);
    expect(run.stops).toEqual([]);
  });

  it('re-reads the aggregate on a gap and continues from its version', async () => {
    const api = new FakeApi();
    api.on('getEvents', (call) => (call.url.searchParams.get('v') === '0' ? json([event(0), event(2)]) : undefined));
    api.on('getConference', () => json({ id: 'c1', version: 3, participants: [] }));
    const run = harness(api);
    await api.polling();
    run.loop.close();
    await run.done;
    expect(run.delivered).toEqual([0]);
    expect(run.resyncs.map((c) => c.version)).toEqual([3]);
    expect(run.polledVersions()).toEqual([0, 3]);
  });

  it('re-reads the aggregate on 410 Gone', async () => {
    const api = new FakeApi();
    api.on('getEvents', () => httpError(410, 'v=0 is gone', { oldestVersion: 7 }), { once: true });
    api.on('getConference', () => json({ id: 'c1', version: 9, participants: [] }));
    const run = harness(api);
    await api.polling();
    run.loop.close();
    await run.done;
    expect(run.resyncs).toHaveLength(1);
    expect(run.polledVersions()).toEqual([0, 9]);
  });

  it('backs off on network errors and 5xx, reports the outage, and resumes from the last version', async () => {
    const api = new FakeApi();
    const script: (ReturnType<typeof json> | 'throw')[] = [json([event(0)]), httpError(503), 'throw', httpError(500), json([event(1)])];
    api.on('getEvents', () => {
      const next = script.shift();
      if (next === 'throw') throw new TypeError('connection reset');
      return next;
    });
    const run = harness(api);
    await api.polling();
    run.loop.close();
    await run.done;
    expect(run.delivered).toEqual([0, 1]);
    expect(run.polledVersions()).toEqual([0, 1, 1, 1, 1, 2]);
    expect(run.connection).toEqual([false, true]);
  });

  it('aborts a poll unanswered 3 s after the server\'s wait and counts it as a failure', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const api = new FakeApi();
      // The first poll is lost on the way (a dropped TCP path): it never answers, whatever its signal says.
      api.on('getEvents', () => new Promise(() => undefined), { once: true });
      const run = harness(api, { pollTimeoutMs: 2000 });
      await vi.advanceTimersByTimeAsync(4999);
      expect(run.connection).toEqual([]);
      expect(api.callsOf('getEvents')).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(run.connection).toEqual([false]);
      expect(api.callsOf('getEvents')[0]?.signal.aborted).toBe(true);
      await vi.advanceTimersByTimeAsync(10);
      expect(run.polledVersions()).toEqual([0, 0]);
      api.push({ type: 'ConferenceMetadataUpdatedEvent' });
      await vi.advanceTimersByTimeAsync(10);
      expect(run.delivered).toEqual([0]);
      expect(run.connection).toEqual([false, true]);
      run.loop.close();
      await run.done;
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refreshes the token on 401 and goes on', async () => {
    const api = new FakeApi();
    api.on('getEvents', (call) => (call.authorization === 'Bearer token-1' ? httpError(401, 'expired') : undefined));
    api.push({ type: 'ConferenceJoinedEvent', userEndpointId: 'x', metadata: {} });
    const run = harness(api, { auth: { clientId: 'demo', clientSecret: 'demo' } });
    await api.polling();
    run.loop.close();
    await run.done;
    expect(run.delivered).toEqual([0]);
    expect(api.callsOf('issueToken')).toHaveLength(2);
    expect(run.stops).toEqual([]);
  });

  it('stops after ConferenceEndedEvent without polling again', async () => {
    const api = new FakeApi();
    api.on('getEvents', () => json([event(0), { ...event(1, 'ConferenceEndedEvent'), reason: 'bye' }, event(2)]));
    const run = harness(api);
    await run.done;
    expect(run.delivered).toEqual([0, 1]);
    expect(run.stops).toEqual([{ kind: 'ended', reason: 'bye' }]);
    expect(api.callsOf('getEvents')).toHaveLength(1);
  });

  it('stops on 404 and on errors that retrying cannot fix', async () => {
    const gone = new FakeApi().on('getEvents', () => httpError(404));
    const first = harness(gone);
    await first.done;
    expect(first.stops).toEqual([{ kind: 'not-found' }]);

    const forbidden = new FakeApi().on('getEvents', () => httpError(403, 'not a participant'));
    const refused = harness(forbidden);
    await refused.done;
    expect(refused.stops).toMatchObject([{ kind: 'failed', error: { status: 403, serverMessage: 'not a participant' } }]);

    const invalid = new FakeApi().on('getEvents', () => httpError(400, 'bad v'));
    const second = harness(invalid);
    await second.done;
    expect(second.stops).toMatchObject([{ kind: 'failed', error: { status: 400, serverMessage: 'bad v' } }]);
  });

  it('works with an exclusive v (events after v, as the cloud answers): nothing skipped, nothing twice, one version\'s events all applied', async () => {
    const api = new FakeApi();
    api.exclusivePolls = true;
    // The aggregate's version is the last event's: the loop starts there and asks v=2 first.
    for (let v = 0; v <= 2; v++) api.push({ type: 'ConferenceMetadataUpdatedEvent' });
    const run = harness(api, { fromVersion: 2 });
    await api.polling();
    api.pushAll([
      { id: 'a', type: 'ConferenceMetadataUpdatedEvent', conferenceVersion: 3 },
      { id: 'b', type: 'ConferenceMetadataUpdatedEvent', conferenceVersion: 3 },
    ]);
    await api.polling();
    api.push({ id: 'c', type: 'ConferenceMetadataUpdatedEvent', conferenceVersion: 4 });
    await vi.waitFor(() => expect(run.delivered).toEqual([3, 3, 4]));
    await api.polling();
    expect(run.resyncs).toEqual([]);
    expect(run.polledVersions()).toEqual([2, 3, 4]);
    run.loop.close();
    await run.done;
  });

  it('works with an inclusive v: learns it from the answer and asks one version later, so an idle poll waits', async () => {
    const api = new FakeApi();
    const run = harness(api, { fromVersion: 0 });
    await api.polling();
    api.push({ type: 'ConferenceMetadataUpdatedEvent' });
    await api.polling();
    api.pushAll([{ type: 'ConferenceMetadataUpdatedEvent' }, { type: 'ConferenceMetadataUpdatedEvent' }]);
    await vi.waitFor(() => expect(run.delivered).toEqual([0, 1, 2]));
    await api.polling();
    expect(run.polledVersions()).toEqual([0, 1, 3]);
    run.loop.close();
    await run.done;
  });

  it('never replays the history when no version was told: the first answer only says where the conference is', async () => {
    const api = new FakeApi();
    for (let v = 0; v < 3; v++) api.push({ type: 'ConferenceMetadataUpdatedEvent' });
    const run = harness(api, { fromVersion: null });
    await api.polling();
    expect(run.delivered).toEqual([]);
    api.push({ type: 'ConferenceMetadataUpdatedEvent' });
    await vi.waitFor(() => expect(run.delivered).toEqual([3]));
    expect(run.resyncs).toEqual([]);
    run.loop.close();
    await run.done;
  });

  it('applies events without a conferenceVersion first, in arrival order, once each, and a gap is only a missing version', async () => {
    const api = new FakeApi();
    const seen: string[] = [];
    const noVersion = (id: string) => ({ ...event(0), id, conferenceVersion: null as unknown as number });
    const batches = [[noVersion('x'), event(5), noVersion('y'), event(5), { ...event(6), id: 'e6' }], [noVersion('y'), { ...event(6), id: 'e6' }, event(7)]];
    let batch = 0;
    api.on('getEvents', () => (batch < batches.length ? json(batches[batch++]) : undefined));
    api.on('getEvents', () => undefined);
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch });
    const loop = new EventLoop({
      api: client,
      conferenceId: 'c1',
      fromVersion: 4,
      onEvent: (e) => seen.push(e.id ?? '?'),
      onResync: () => seen.push('resync'),
      onConnectionChange: () => undefined,
      onStop: () => undefined,
      logger: silentLogger,
    });
    const done = loop.start();
    await api.polling();
    loop.close();
    await done;
    expect(seen).toEqual(['x', 'y', 'e5', 'e6', 'e7']);
  });

  it('close() aborts the pending long poll and reports nothing', async () => {
    const api = new FakeApi();
    const run = harness(api);
    await api.polling();
    run.loop.close();
    await run.done;
    expect(api.callsOf('getEvents')[0]?.signal.aborted).toBe(true);
    expect(run.stops).toEqual([]);
    expect(run.connection).toEqual([]);
  });

  it('stops delivering when the event handler closes the loop mid-batch', async () => {
    const api = new FakeApi().on('getEvents', () => json([event(0), event(1)]));
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch });
    const delivered: number[] = [];
    const loop: EventLoop = new EventLoop({
      api: client,
      conferenceId: 'c1',
      fromVersion: 0,
      onEvent: (e) => {
        delivered.push(e.conferenceVersion);
        loop.close();
      },
      onResync: () => undefined,
      onConnectionChange: () => undefined,
      onStop: () => undefined,
      logger: silentLogger,
    });
    await loop.start();
    expect(delivered).toEqual([0]);
  });
});
