import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ConferenceError } from '../../src/index.js';
import { FakeApi, httpError, json } from '../fakes/FakeApi.js';

const credentials = { clientId: 'demo', clientSecret: 's3cr:t', userId: 'alice' };
const leaveBody = { conferenceId: 'c1', userEndpointId: 'e1' };

function caught(promise: Promise<unknown>): Promise<ConferenceError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(ConferenceError);
      return error as ConferenceError;
    },
  );
}

describe('ApiClient', () => {
  it('gets a client-credentials token with HTTP Basic and a form body, then sends it as bearer', async () => {
    const api = new FakeApi();
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: credentials, fetch: api.fetch });
    await client.leave(leaveBody);
    const [token, leave] = api.calls;
    expect(token?.operation).toBe('issueToken');
    expect(token?.authorization).toBe(`Basic ${btoa('demo:s3cr%3At')}`);
    expect(token?.body).toEqual({ grant_type: 'client_credentials', user_id: 'alice' });
    expect(leave?.operation).toBe('leave');
    expect(leave?.authorization).toBe('Bearer token-1');
    expect(leave?.body).toEqual(leaveBody);
  });

  it('caches the token and shares one token request among concurrent calls', async () => {
    const api = new FakeApi();
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: credentials, fetch: api.fetch });
    await Promise.all([client.leave(leaveBody), client.leave(leaveBody), client.getConference('c1')]);
    await client.leave(leaveBody);
    expect(api.callsOf('issueToken')).toHaveLength(1);
    expect(new Set(api.calls.slice(1).map((c) => c.authorization))).toEqual(new Set(['Bearer token-1']));
  });

  it('refreshes the token before it expires', async () => {
    const api = new FakeApi().on('issueToken', () => json({ access_token: `t${api.callsOf('issueToken').length}`, token_type: 'bearer', expires_in: 100 }));
    let now = 1_000_000;
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: credentials, fetch: api.fetch, now: () => now });
    await client.leave(leaveBody);
    now += 79_000; // inside the lifetime minus the 20 s early-renewal margin
    await client.leave(leaveBody);
    expect(api.callsOf('issueToken')).toHaveLength(1);
    now += 2_000;
    await client.leave(leaveBody);
    expect(api.callsOf('issueToken')).toHaveLength(2);
    expect(api.callsOf('leave').map((c) => c.authorization)).toEqual(['Bearer t1', 'Bearer t1', 'Bearer t2']);
  });

  it('reuses a token answered without expires_in until a 401, and sends the scope as given', async () => {
    const api = new FakeApi().on('issueToken', () => json({ access_token: `t${api.callsOf('issueToken').length}`, token_type: 'bearer' }));
    let now = 1_000_000;
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { ...credentials, scope: 'global' }, fetch: api.fetch, now: () => now });
    await client.leave(leaveBody);
    now += 86_400_000;
    await client.leave(leaveBody);
    expect(api.callsOf('issueToken')).toHaveLength(1);
    expect(api.callsOf('issueToken')[0]?.body).toMatchObject({ grant_type: 'client_credentials', scope: 'global' });
    api.on('leave', () => httpError(401, 'expired'), { once: true });
    await client.leave(leaveBody);
    expect(api.callsOf('leave').map((c) => c.authorization)).toEqual(['Bearer t1', 'Bearer t1', 'Bearer t1', 'Bearer t2']);
  });

  it('on a 401 gets a new token and retries once', async () => {
    const api = new FakeApi().on('leave', () => httpError(401, 'expired'), { once: true });
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: credentials, fetch: api.fetch });
    await client.leave(leaveBody);
    expect(api.calls.map((c) => `${c.operation} ${c.authorization}`)).toEqual([
      `issueToken Basic ${btoa('demo:s3cr%3At')}`,
      'leave Bearer token-1',
      `issueToken Basic ${btoa('demo:s3cr%3At')}`,
      'leave Bearer token-2',
    ]);
  });

  it('gives up after the second 401 with the server message', async () => {
    const api = new FakeApi().on('leave', () => httpError(401, 'token revoked'));
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: credentials, fetch: api.fetch });
    const error = await caught(client.leave(leaveBody));
    expect(error).toMatchObject({ code: 'api', operation: 'leave', status: 401, serverMessage: 'token revoked' });
    expect(api.callsOf('leave')).toHaveLength(2);
  });

  it('reports a refused token request as an issueToken error', async () => {
    const api = new FakeApi().on('issueToken', () => json({ status: 401, error: 'invalid_client', error_description: 'bad secret', message: 'bad secret' }, 401));
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: credentials, fetch: api.fetch });
    const error = await caught(client.getConference('c1'));
    expect(error).toMatchObject({ code: 'api', operation: 'issueToken', status: 401, serverMessage: 'bad secret' });
    expect(error.details.body).toMatchObject({ error: 'invalid_client' });
  });

  it('uses a static token as is and does not retry its 401', async () => {
    const api = new FakeApi().on('leave', () => httpError(401));
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 'static' }, fetch: api.fetch });
    const error = await caught(client.leave(leaveBody));
    expect(error.status).toBe(401);
    expect(api.calls.map((c) => c.authorization)).toEqual(['Bearer static']);
  });

  it('asks a token callback again after a 401', async () => {
    const api = new FakeApi().on('leave', () => httpError(401), { once: true });
    let issued = 0;
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { getToken: async () => `cb${++issued}` }, fetch: api.fetch });
    await client.leave(leaveBody);
    await client.leave(leaveBody);
    expect(api.calls.map((c) => c.authorization)).toEqual(['Bearer cb1', 'Bearer cb2', 'Bearer cb2']);
  });

  it('turns HTTP errors into ConferenceError with operation, status and message', async () => {
    const api = new FakeApi().on('join', () => httpError(404, 'conference c1 not found'));
    const client = new ApiClient({ baseUrl: 'http://server.test/', auth: { token: 't' }, fetch: api.fetch });
    const error = await caught(client.join({ conferenceId: 'c1', userEndpointId: 'e1' }));
    expect(error).toMatchObject({ code: 'api', operation: 'join', status: 404, serverMessage: 'conference c1 not found' });
    expect(error.message).toBe('join failed with HTTP 404: conference c1 not found');
    expect(error.isTransient).toBe(false);
    expect(api.calls[0]?.url.href).toBe('http://server.test/rtc-api/conferences/join');
  });

  it('turns a thrown fetch into a network error, and an aborted one into aborted', async () => {
    const failing = new ApiClient({
      baseUrl: 'http://server.test',
      auth: { token: 't' },
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const network = await caught(failing.getConference('c1'));
    expect(network).toMatchObject({ code: 'network', operation: 'getConference', status: undefined });
    expect(network.isTransient).toBe(true);

    const api = new FakeApi();
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch });
    const controller = new AbortController();
    const poll = client.getEvents('c1', 0, { signal: controller.signal });
    await api.polling();
    controller.abort();
    expect(await caught(poll)).toMatchObject({ code: 'aborted', operation: 'getEvents' });
  });

  it('answers typed data and void for 204', async () => {
    const api = new FakeApi();
    api.push({ type: 'ConferenceJoinedEvent', userEndpointId: 'e1', metadata: {} });
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch });
    const events = await client.getEvents('c1', 0);
    expect(events.map((e) => e.type)).toEqual(['ConferenceJoinedEvent']);
    expect(api.calls[0]?.url.search).toBe('?v=0');
    await expect(client.unpublishStream({ conferenceId: 'c1', userEndpointId: 'e1', streamId: { id: 's1' } })).resolves.toBeUndefined();
  });

  it('marks 5xx as transient', async () => {
    const api = new FakeApi().on('getConference', () => httpError(503));
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch });
    expect((await caught(client.getConference('c1'))).isTransient).toBe(true);
  });

  it('passes keepalive through for the pagehide leave', async () => {
    const api = new FakeApi();
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch });
    await client.leave(leaveBody, { keepalive: true });
    expect(api.calls[0]?.keepalive).toBe(true);
  });

  it('sends a keepalive request at once with the cached token, whatever its age; a 401 then gets a new one', async () => {
    const api = new FakeApi().on('issueToken', () => json({ access_token: `t${api.callsOf('issueToken').length}`, token_type: 'bearer', expires_in: 100 }));
    let now = 1_000_000;
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: credentials, fetch: api.fetch, now: () => now });
    await client.getConference('c1');
    now += 95_000; // past the early-renewal point: an ordinary request would fetch a new token first
    expect(client.cachedToken()).toBe('t1');
    await client.leave(leaveBody, { keepalive: true });
    expect(api.callsOf('issueToken')).toHaveLength(1);
    expect(api.callsOf('leave')[0]).toMatchObject({ authorization: 'Bearer t1', keepalive: true });

    api.on('leave', (call) => (call.authorization === 'Bearer t1' ? httpError(401, 'expired') : undefined));
    await client.leave(leaveBody, { keepalive: true });
    expect(api.callsOf('leave').slice(1).map((c) => c.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
  });

  it('probes with the cached token whatever its age, and takes any answer, a 401 too, as the server answering', async () => {
    const api = new FakeApi().on('issueToken', () => json({ access_token: `t${api.callsOf('issueToken').length}`, token_type: 'bearer', expires_in: 100 }));
    let now = 1_000_000;
    const client = new ApiClient({ baseUrl: 'http://server.test', auth: credentials, fetch: api.fetch, now: () => now });
    await client.getConference('c1');
    now += 200_000; // expired: a token request would wait for the server just like the probe
    api.on('getConference', () => httpError(401, 'expired'));
    await client.probe('c1');
    expect(api.callsOf('issueToken')).toHaveLength(1);
    expect(api.callsOf('getConference').map((c) => c.authorization)).toEqual(['Bearer t1', 'Bearer t1']);
  });

  it('calls fetch as a plain function, for requests and probes alike (window.fetch called as a method throws Illegal invocation)', async () => {
    const api = new FakeApi();
    const receivers: unknown[] = [];
    const strictFetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit) {
      receivers.push(this);
      return api.fetch(input, init);
    } as typeof fetch;
    const client = new ApiClient({ baseUrl: 'http://server.test/', auth: { token: 't' }, fetch: strictFetch });
    await client.getConference('c1');
    await client.probe('c1');
    expect(receivers).toEqual([undefined, undefined]);
    expect(api.callsOf('getConference').map((c) => [c.url.href, c.authorization])).toEqual([
      ['http://server.test/rtc-api/conferences/c1', 'Bearer t'],
      ['http://server.test/rtc-api/conferences/c1', 'Bearer t'],
    ]);
  });

  it('fails a request unanswered within requestTimeoutMs with code timeout naming the operation', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const api = new FakeApi().on('publishStream', () => new Promise(() => undefined));
      const client = new ApiClient({ baseUrl: 'http://server.test', auth: { token: 't' }, fetch: api.fetch, requestTimeoutMs: 4000 });
      const publishing = caught(client.publishStream({ conferenceId: 'c1', userEndpointId: 'e1', streamId: { id: 's' }, conferenceStreamType: 'MIC', sdpOffer: 'v=0' }));
      await vi.advanceTimersByTimeAsync(3999);
      expect(api.callsOf('publishStream')[0]?.signal.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const error = await publishing;
      expect(error).toMatchObject({ code: 'timeout', operation: 'publishStream' });
      expect(error.isTransient).toBe(true);
      expect(api.callsOf('publishStream')[0]?.signal.aborted).toBe(true);
      // A per-request timeout wins, and a caller's abort stays an abort.
      const slow = caught(client.getConference('c1', { timeoutMs: 100 }));
      api.on('getConference', () => new Promise(() => undefined));
      await vi.advanceTimersByTimeAsync(100);
      expect(await slow).toMatchObject({ code: 'timeout', operation: 'getConference' });
      const controller = new AbortController();
      const aborted = caught(client.getConference('c1', { signal: controller.signal }));
      controller.abort();
      expect(await aborted).toMatchObject({ code: 'aborted', operation: 'getConference' });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
