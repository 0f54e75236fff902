import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaRouterError, type MediaRouter } from '../../src/media/MediaRouter.js';
import { WeriftMediaRouter } from '../../src/media/WeriftMediaRouter.js';
import type { ConferenceServer } from '../../src/startServer.js';
import { ApiCaller, type UserCaller } from './support/ApiCaller.js';
import { sdpOffer } from './support/sdpOffers.js';
import { startTestServer } from './support/testServer.js';

const errorBody = (status: number, message: string | RegExp) => ({
  status,
  error: expect.any(String),
  message: typeof message === 'string' ? message : expect.stringMatching(message),
});

describe('malformed requests', () => {
  let server: ConferenceServer;
  let api: ApiCaller;
  let alice: UserCaller;
  beforeAll(async () => {
    server = await startTestServer({ bodyLimitBytes: 100_000 });
    api = new ApiCaller(server.url);
    alice = await api.as('alice');
    await alice.post('create', { conferenceId: 'http' });
    await alice.post('join', { conferenceId: 'http', userEndpointId: 'a1' });
  });
  afterAll(() => server.close());

  it.each([
    ['malformed JSON', '{"conferenceId": "http",', 'application/json', 400, /^body is not valid JSON: ./],
    ['an empty JSON body', '', 'application/json', 400, 'body is empty but content-type is application/json'],
    ['a JSON array', '[1,2]', 'application/json', 400, 'body must be an object'],
    ['a JSON string', '"join"', 'application/json', 400, 'body must be an object'],
    ['JSON null', 'null', 'application/json', 400, 'body must be an object'],
    ['text/plain', 'conferenceId=http', 'text/plain', 400, 'body must be an object'],
    ['a form', 'conferenceId=http&userEndpointId=a1', 'application/x-www-form-urlencoded', 415, 'content-type application/x-www-form-urlencoded is not accepted here'],
    ['an unknown content type', '<join/>', 'application/xml', 415, 'content-type application/xml is not accepted here'],
    ['a __proto__ key', '{"conferenceId":"http","userEndpointId":"a1","metadata":{"__proto__":{"x":1}}}', 'application/json', 400, 'body.metadata.__proto__ is a forbidden key'],
    ['a constructor.prototype key', '{"conferenceId":"http","userEndpointId":"a1","metadata":{"a":[{"constructor":{"prototype":1}}]}}', 'application/json', 400, 'body.metadata.a[0].constructor is a forbidden key'],
    ['a number for a string', '{"conferenceId":5,"userEndpointId":"a1"}', 'application/json', 400, 'body.conferenceId must be a string'],
    ['a nested wrong type', '{"conferenceId":"http","userEndpointId":"a1","streamId":{"id":[]},"conferenceStreamType":"CAM","sdpOffer":"x"}', 'application/json', 400, 'body.streamId.id must be a string'],
  ])('400/415 for %s, state unchanged', async (_name, body, contentType, status, message) => {
    const before = (await alice.conference('http')).body;
    const op = _name.includes('nested') ? 'publishStream' : 'join';
    const answer = await alice.postRaw(op, body, contentType);
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual(errorBody(status, message));
    expect((await alice.conference('http')).body).toEqual(before);
  });

  it('413 for a body over the limit', async () => {
    const answer = await alice.post('join', { conferenceId: 'http', userEndpointId: 'a2', metadata: { blob: 'x'.repeat(200_000) } });
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ status: 413, error: 'Payload Too Large', message: 'body is larger than 100000 bytes' });
  });

  it('400 for JSON nested too deeply to be served back safely', async () => {
    const deep = `{"conferenceId":"http","userEndpointId":"a2","metadata":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`;
    const answer = await alice.postRaw('join', deep);
    expect(answer.body).toEqual(errorBody(400, 'body is nested more than 64 levels deep'));
    const shallow = `{"conferenceId":"http","userEndpointId":"a2","metadata":${'{"a":'.repeat(50)}1${'}'.repeat(50)}}`;
    expect((await alice.postRaw('join', shallow)).status).toBe(200);
    await alice.post('leave', { conferenceId: 'http', userEndpointId: 'a2' });
  });

  it('the error body for unknown routes and methods (404) and unusable URLs (400, 414)', async () => {
    const unknown = await api.fetch('/nope?x=1');
    expect(unknown.body).toEqual({ status: 404, error: 'Not Found', message: 'no route GET /nope' });
    const method = await api.fetch('/rtc-api/conferences/create', { method: 'PUT', headers: { authorization: `Bearer ${alice.token}` } });
    expect(method.body).toEqual(errorBody(404, 'no route PUT /rtc-api/conferences/create'));
    const tooLong = await alice.get(`${'x'.repeat(2000)}/events?v=0`);
    expect(tooLong.body).toEqual({ status: 414, error: 'URI Too Long', message: 'a path segment of the URL is too long' });
    const badUrl = await alice.get('%E0%A4%A/simpleView');
    expect(badUrl.body).toEqual({ status: 400, error: 'Bad Request', message: 'the URL is malformed' });
  });
});

describe('media router errors', () => {
  let server: ConferenceServer;
  let alice: UserCaller;
  let offer: string;
  beforeAll(async () => {
    server = await startTestServer({
      createMediaRouter: (callbacks) => {
        const router = new WeriftMediaRouter({ loopback: true }, callbacks);
        return Object.assign(Object.create(router) as MediaRouter, {
          publish: async (request: { streamId: string }) => {
            const [code, message] = request.streamId.split(':') as ['bad-request' | 'not-found' | 'internal', string];
            throw new MediaRouterError(code, message);
          },
        });
      },
    });
    alice = await new ApiCaller(server.url).as('alice');
    await alice.post('create', { conferenceId: 'errors' });
    await alice.post('join', { conferenceId: 'errors', userEndpointId: 'a1' });
    offer = await sdpOffer('sendonly');
  });
  afterAll(() => server.close());

  it.each([
    ['bad-request', 400],
    ['not-found', 404],
    ['internal', 500],
  ] as const)('maps %s to %i with the error body, state unchanged', async (code, status) => {
    const answer = await alice.post('publishStream', {
      conferenceId: 'errors',
      userEndpointId: 'a1',
      conferenceStreamType: 'CAM',
      sdpOffer: offer,
      streamId: { id: `${code}:the router says no` },
    });
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual(errorBody(status, 'media: the router says no'));
    expect((await alice.conference('errors')).body).toMatchObject({ version: 1, participants: [{ streams: [] }] });
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/rtc-api/conferences/join`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('allows any origin by default, on API, token and error answers', async () => {
    const server = await startTestServer();
    try {
      const answer = await preflight(server.url, 'http://localhost:5173');
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe('*');
      expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
      expect(answer.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
      const unauthorized = await fetch(`${server.url}/rtc-api/conferences/x`, { headers: { origin: 'https://app.example' } });
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.headers.get('access-control-allow-origin')).toBe('*');
      // A draining node's 503 says when to retry: the page's script may read it.
      expect(unauthorized.headers.get('access-control-expose-headers')).toBe('Retry-After');
      const token = await fetch(`${server.url}/security/oauth/token`, {
        method: 'POST',
        headers: { origin: 'https://app.example', 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa('demo:demo')}` },
        body: 'grant_type=client_credentials',
      });
      expect(token.status).toBe(200);
      expect(token.headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      await server.close();
    }
  });

  it('allows only the configured origins when given', async () => {
    const server = await startTestServer({ corsOrigins: ['http://localhost:5173'] });
    try {
      const allowed = await preflight(server.url, 'http://localhost:5173');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      const other = await preflight(server.url, 'https://evil.example');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await server.close();
    }
  });
});
