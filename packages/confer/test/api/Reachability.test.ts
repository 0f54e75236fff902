import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../src/index.js';
import type { ConferenceError } from '../../src/index.js';
import { Reachability } from '../../src/api/Reachability.js';
import { ReconnectPolicy } from '../../src/util/ReconnectPolicy.js';
import { FakeApi, json } from '../fakes/FakeApi.js';

const never = () => new Promise<undefined>(() => undefined);

describe('Reachability', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('turns dark when a request gets no answer and nothing was answered since it left; any answer turns it back', () => {
    let now = 0;
    const reachability = new Reachability({}, () => now);
    const changes: boolean[] = [];
    reachability.subscribe((reachable) => changes.push(reachable));
    const early = reachability.begin(() => undefined);
    now = 10;
    const late = reachability.begin(() => undefined);
    reachability.answered(late, 200);
    // Answered after `early` left: the server is there, `early` alone was lost.
    reachability.unanswered(early);
    expect(reachability.dark).toBe(false);
    now = 20;
    const lost = reachability.begin(() => undefined);
    reachability.unanswered(lost);
    expect(reachability.dark).toBe(true);
    expect(reachability.timeoutFor(10_000)).toBe(2000);
    expect(reachability.timeoutFor(0)).toBe(2000);
    expect(reachability.delayFor(8000)).toBe(1000);
    reachability.answered(reachability.begin(() => undefined), 404);
    expect(reachability.dark).toBe(false);
    expect(reachability.timeoutFor(10_000)).toBe(10_000);
    expect(changes).toEqual([false, true]);
    expect(reachability.recoveries).toBe(1);
  });

  it('abandons the requests sent into the dark before the one that got through, and only those', () => {
    let now = 0;
    const reachability = new Reachability({}, () => now);
    reachability.unanswered(reachability.begin(() => undefined));
    const abandoned: string[] = [];
    reachability.begin(() => abandoned.push('before'));
    now = 5;
    const probe = reachability.begin(() => abandoned.push('probe'));
    now = 6;
    const after = reachability.begin(() => abandoned.push('after'));
    reachability.answered(probe, 200);
    expect(abandoned).toEqual(['before']);
    reachability.answered(after, 200);
    expect(abandoned).toEqual(['before']);
  });

  it('probes after probeAfterMs of silence while a request is outstanding, and while dark lets probes wait, one more at each offset of the schedule', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const api = new FakeApi();
    let answering = true;
    // While the path is down a probe waits; when it is back, the waiting ones get their answers.
    const waiting: (() => void)[] = [];
    api.on('getConference', () => (answering ? json({ id: 'c1' }) : new Promise((resolve) => waiting.push(() => resolve(json({ id: 'c1' }))))));
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch });
    const unwatch = client.reachability.watch((timeoutMs) => client.probe('c1', { timeoutMs }));
    // One probe when watching starts (it caches the probe's CORS preflight), then none while no request is outstanding.
    await vi.advanceTimersByTimeAsync(5000);
    expect(api.callsOf('getConference')).toHaveLength(1);
    const poll = client.getEvents('c1', 0).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(2990);
    expect(api.callsOf('getConference')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(api.callsOf('getConference')).toHaveLength(2);
    // Answered: the next probe comes 3 s after that answer.
    await vi.advanceTimersByTimeAsync(2980);
    expect(api.callsOf('getConference')).toHaveLength(2);
    answering = false;
    await vi.advanceTimersByTimeAsync(30);
    expect(api.callsOf('getConference')).toHaveLength(3);
    expect(client.reachability.dark).toBe(false);
    await vi.advanceTimersByTimeAsync(1500);
    expect(client.reachability.dark).toBe(true);
    // Dark: one probe at a time, given up after 1.5 s for the first 5 s (0.75 s and 3 s in), then one that waits
    // 15 s (5.25 s in); a second waiting one joins it 9 s in.
    await vi.advanceTimersByTimeAsync(8000);
    expect(api.callsOf('getConference')).toHaveLength(6);
    await vi.advanceTimersByTimeAsync(1100);
    const probes = api.callsOf('getConference');
    expect(probes).toHaveLength(7);
    expect(probes.slice(3).map((call) => call.signal.aborted)).toEqual([true, true, false, false]);
    // Nothing but probes goes out while dark: a request waits for the first answer.
    const held = client.getEvents('c1', 0);
    await vi.advanceTimersByTimeAsync(500);
    expect(api.callsOf('getEvents')).toHaveLength(1);
    answering = true;
    for (const answer of waiting.splice(0)) answer();
    await vi.advanceTimersByTimeAsync(10);
    expect(client.reachability.dark).toBe(false);
    // The held request goes out at once.
    expect(api.callsOf('getEvents')).toHaveLength(2);
    api.push({ type: 'ConferenceMetadataUpdatedEvent' });
    await held;
    // The poll left before the darkness: it is not given up; its own timeout (10 s) is.
    const failure = await poll;
    expect((failure as ConferenceError).code).toBe('timeout');
    // While the server answers, a probe refreshes the preflight every 5 minutes.
    const before = api.callsOf('getConference').length;
    await vi.advanceTimersByTimeAsync(300_000);
    expect(api.callsOf('getConference').length - before).toBe(1);
    unwatch();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('replaces a dark probe that failed fast (connection refused) after darkProbeIntervalMs, not at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let refused = 0;
    const reachability = new Reachability({ darkProbeIntervalMs: 750 });
    reachability.watch(async () => {
      refused++;
      reachability.unanswered(reachability.begin(() => undefined));
      throw new TypeError('Failed to fetch');
    });
    reachability.unanswered(reachability.begin(() => undefined));
    await vi.advanceTimersByTimeAsync(10);
    expect(refused).toBe(1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(refused).toBe(5);
    reachability.answered(reachability.begin(() => undefined), 200);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(refused).toBe(5);
  });

  it('gives a request sent into the dark up with a network error when a newer one is answered', async () => {
    const api = new FakeApi();
    let answering = false;
    api.on('leave', () => (answering ? undefined : never()));
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch, requestTimeoutMs: 300 });
    const first = await client.leave({ conferenceId: 'c1', userEndpointId: 'e1' }).catch((error: unknown) => error as ConferenceError);
    expect(first?.code).toBe('timeout');
    expect(client.reachability.dark).toBe(true);
    const stuck = client.leave({ conferenceId: 'c1', userEndpointId: 'e1' }).catch((error: unknown) => error as ConferenceError);
    await vi.waitFor(() => expect(api.callsOf('leave')).toHaveLength(2));
    answering = true;
    await client.leave({ conferenceId: 'c1', userEndpointId: 'e1' });
    const abandoned = await stuck;
    expect(abandoned?.code).toBe('network');
    expect(abandoned?.isTransient).toBe(true);
    expect(abandoned?.operation).toBe('leave');
  });
});

describe('ApiClient while the server is dark', () => {
  it('holds every request but probes and keepalive ones until a probe is answered, and fails it with timeout if none is in time', async () => {
    const api = new FakeApi();
    const waiting: (() => void)[] = [];
    let answering = false;
    api.on('leave', () => (answering ? undefined : never())).on('getConference', () => (answering ? json({ id: 'c1' }) : new Promise((resolve) => waiting.push(() => resolve(json({ id: 'c1' }))))));
    const client = new ApiClient({
      baseUrl: 'http://server.test',
      auth: { token: 't' },
      fetch: api.fetch,
      requestTimeoutMs: 50,
      reachability: { darkTimeoutMs: 100, darkProbeIntervalMs: 10 },
    });
    const unwatch = client.reachability.watch((timeoutMs) => client.probe('c1', { timeoutMs }));
    await client.leave({ conferenceId: 'c1', userEndpointId: 'e1' }).catch(() => undefined);
    expect(client.reachability.dark).toBe(true);
    const body = { conferenceId: 'c1', userEndpointId: 'e1', streamId: { id: 's1' }, conferenceStreamType: 'MIC' as const, sdpOffer: 'v=0' };
    const held = await client.publishStream(body).catch((error: unknown) => error as ConferenceError);
    expect((held as ConferenceError).code).toBe('timeout');
    expect(api.callsOf('publishStream')).toHaveLength(0);
    // The pagehide leave cannot wait: it goes out at once (into the dark, here).
    await client.leave({ conferenceId: 'c1', userEndpointId: 'e1' }, { keepalive: true }).catch(() => undefined);
    expect(api.callsOf('leave')).toHaveLength(2);
    const publishing = client.publishStream(body);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(api.callsOf('publishStream')).toHaveLength(0);
    answering = true;
    for (const answer of waiting.splice(0)) answer();
    await publishing;
    expect(api.callsOf('publishStream')).toHaveLength(1);
    unwatch();
  });

  it('sends requests into the dark when nothing probes, so the first answer can come from one of them', async () => {
    const api = new FakeApi();
    let answering = false;
    api.on('leave', () => (answering ? undefined : never()));
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch, requestTimeoutMs: 50 });
    await client.leave({ conferenceId: 'c1', userEndpointId: 'e1' }).catch(() => undefined);
    expect(client.reachability.dark).toBe(true);
    answering = true;
    await client.leave({ conferenceId: 'c1', userEndpointId: 'e1' });
    expect(client.reachability.dark).toBe(false);
  });
});

describe('ReconnectPolicy with a reachability watch', () => {
  it('caps delays while dark, wakes a pending retry when the server answers, and retries the next failure at once', async () => {
    const reachability = new Reachability({ darkMaxDelayMs: 5 });
    const policy = new ReconnectPolicy({ initialMs: 1000, maxMs: 60_000, reachability }, () => 1);
    expect(policy.next()).toBe(1000);
    reachability.unanswered(reachability.begin(() => undefined));
    expect(policy.next()).toBe(5);
    const runs: string[] = [];
    policy.schedule(() => runs.push('woken'));
    const controller = new AbortController();
    const waiting = new ReconnectPolicy({ initialMs: 60_000, maxMs: 60_000, reachability }).wait(controller.signal);
    reachability.answered(reachability.begin(() => undefined), 200);
    expect(runs).toEqual(['woken']);
    expect(await waiting).toBe(true);
    // A policy with nothing pending at the recovery retries its next failure at once, then backs off from the start.
    const idle = new ReconnectPolicy({ initialMs: 1000, maxMs: 60_000, reachability: new Reachability() }, () => 1);
    const other = new ReconnectPolicy({ initialMs: 1000, maxMs: 60_000, reachability }, () => 1);
    reachability.unanswered(reachability.begin(() => undefined));
    reachability.answered(reachability.begin(() => undefined), 200);
    expect(other.next()).toBe(0);
    expect(other.next()).toBe(1000);
    expect(idle.next()).toBe(1000);
  });
});
