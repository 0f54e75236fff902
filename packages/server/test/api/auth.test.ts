import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConferenceServer } from '../../src/startServer.js';
import { DEVELOPMENT_CLIENTS_NOTICE } from '../../src/startServer.js';
import { ApiCaller } from './support/ApiCaller.js';
import { startTestServer } from './support/testServer.js';

const SECRET = 'test-secret-of-at-least-thirty-two-bytes!';
const GRANT = { grant_type: 'client_credentials' };

const API_ROUTES: Array<[method: 'GET' | 'POST', path: string]> = [
  ...[
    'addPublishStreamIceCandidates',
    'addViewStreamIceCandidates',
    'create',
    'end',
    'join',
    'leave',
    'publishStream',
    'sendEvent',
    'stopViewStream',
    'unpublishStream',
    'updateMetadata',
    'updateParticipantMetadata',
    'updatePublishedStreamBitrate',
    'updateStreamMetadata',
    'viewStream',
  ].map((op): ['POST', string] => ['POST', `/rtc-api/conferences/${op}`]),
  ['GET', '/rtc-api/conferences/room'],
  ['GET', '/rtc-api/conferences/room/events?v=0'],
  ['GET', '/rtc-api/conferences/room/simpleView'],
];

describe('token endpoint with the development clients', () => {
  let server: ConferenceServer;
  let api: ApiCaller;
  const notices: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ tokenSecret: SECRET, tokenTtlSeconds: 120, announce: (m) => notices.push(m) });
    api = new ApiCaller(server.url);
  });
  afterAll(() => server.close());

  it('says on start-up that the development clients are in use', () => {
    expect(notices).toEqual([DEVELOPMENT_CLIENTS_NOTICE]);
  });

  it('issues a bearer JWT to demo/demo by HTTP Basic, for the user named by user_id', async () => {
    const answer = await api.tokenRequest({ ...GRANT, user_id: 'alice' }, { id: 'demo', secret: 'demo' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 120 });
    const claims = decodeJwt(answer.body.access_token);
    expect(claims).toMatchObject({ sub: 'alice', roles: ['USER'], org: 'default', cid: 'demo' });
    expect(claims.exp! - claims.iat!).toBe(120);
  });

  it('accepts the client in the form fields, and defaults the demo user to "demo"', async () => {
    const answer = await api.tokenRequest({ ...GRANT, client_id: 'demo', client_secret: 'demo' });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token)).toMatchObject({ sub: 'demo', roles: ['USER'] });
  });

  it('gives service/service the SERVICE role', async () => {
    const answer = await api.tokenRequest(GRANT, { id: 'service', secret: 'service' });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token)).toMatchObject({ sub: 'service', roles: ['SERVICE'], org: 'default' });
  });

  it('echoes the scope "any" or "global" (the cloud clients\' scope) when asked for it, and refuses any other scope', async () => {
    const ok = await api.tokenRequest({ ...GRANT, scope: 'any' }, { id: 'demo', secret: 'demo' });
    expect(ok.body.scope).toBe('any');
    const global = await api.tokenRequest({ ...GRANT, scope: 'global' }, { id: 'demo', secret: 'demo' });
    expect(global.status).toBe(200);
    expect(global.body.scope).toBe('global');
    const bad = await api.tokenRequest({ ...GRANT, scope: 'admin' }, { id: 'demo', secret: 'demo' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_scope');
  });

  it.each([
    ['a wrong secret', { ...GRANT }, { id: 'demo', secret: 'nope' }, 401, 'invalid_client'],
    ['an unknown client', { ...GRANT }, { id: 'mallory', secret: 'demo' }, 401, 'invalid_client'],
    ['no client authentication', { ...GRANT }, undefined, 401, 'invalid_client'],
    ['a form client with a wrong secret', { ...GRANT, client_id: 'demo', client_secret: 'x' }, undefined, 401, 'invalid_client'],
    ['both Basic and form credentials', { ...GRANT, client_id: 'demo', client_secret: 'demo' }, { id: 'demo', secret: 'demo' }, 400, 'invalid_request'],
    ['no grant_type', {}, { id: 'demo', secret: 'demo' }, 400, 'invalid_request'],
    ['another grant type', { grant_type: 'password' }, { id: 'demo', secret: 'demo' }, 400, 'unsupported_grant_type'],
    ['user_id from the service client', { ...GRANT, user_id: 'alice' }, { id: 'service', secret: 'service' }, 400, 'unauthorized_client'],
    ['an empty user_id', { ...GRANT, user_id: '' }, { id: 'demo', secret: 'demo' }, 400, 'invalid_request'],
  ] as const)('refuses %s with the RFC 6749 error body', async (_name, form, basic, status, code) => {
    const answer = await api.tokenRequest(form, basic);
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ status, error: code, error_description: expect.any(String), message: answer.body.error_description });
    if (status === 401) expect(answer.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('refuses a JSON body, a repeated field and a malformed Basic header', async () => {
    const json = await api.fetch('/security/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}` },
      body: JSON.stringify(GRANT),
    });
    expect(json.status).toBe(400);
    expect(json.body).toMatchObject({ error: 'invalid_request', message: expect.stringContaining('x-www-form-urlencoded') });

    const repeated = await api.fetch('/security/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}` },
      body: 'grant_type=client_credentials&user_id=a&user_id=b',
    });
    expect(repeated.status).toBe(400);
    expect(repeated.body).toMatchObject({ error: 'invalid_request', message: 'form.user_id must be a string' });

    const malformed = await api.tokenRequest(GRANT, undefined, { authorization: 'Basic %%%' });
    expect(malformed.status).toBe(401);
    expect(malformed.body.error).toBe('invalid_client');
  });

  describe('bearer tokens on every /rtc-api route', () => {
    const expectUnauthorized = async (token: string | undefined, pattern: RegExp) => {
      for (const [method, path] of API_ROUTES) {
        const answer = await api.fetch(path, {
          method,
          headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), 'content-type': 'application/json' },
          ...(method === 'POST' ? { body: '{}' } : {}),
        });
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(answer.body).toEqual({ status: 401, error: 'Unauthorized', message: expect.stringMatching(pattern) });
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      }
    };

    it('401 without a token', () => expectUnauthorized(undefined, /missing bearer token/));

    it('401 for a token signed with another key', async () => {
      const forged = await new SignJWT({ roles: ['SERVICE'], org: 'default', cid: 'service' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('service')
        .setIssuer('confer-reference-server')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('another-secret-another-secret-another'));
      await expectUnauthorized(forged, /invalid/);
    });

    it('401 for an unsigned (alg none) token', async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', roles: ['SERVICE'], org: 'default', cid: 'x', exp: 9e9 })}.`;
      await expectUnauthorized(unsigned, /invalid/);
    });

    it('401 for an expired token signed with the right key', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ roles: ['USER'], org: 'default', cid: 'demo' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setIssuer('confer-reference-server')
        .setIssuedAt(now - 7200)
        .setExpirationTime(now - 3600)
        .sign(new TextEncoder().encode(SECRET));
      await expectUnauthorized(expired, /expired/);
    });

    it('401 for garbage and for a token without the roles claim', async () => {
      await expectUnauthorized('not-a-jwt', /invalid/);
      const rolesless = await new SignJWT({ org: 'default', cid: 'demo' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setIssuer('confer-reference-server')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET));
      await expectUnauthorized(rolesless, /lacks/);
    });

    it('401 for a Basic header instead of a bearer token', async () => {
      const answer = await api.fetch('/rtc-api/conferences/room', { headers: { authorization: 'Basic ZGVtbzpkZW1v' } });
      expect(answer.status).toBe(401);
    });

    it('admits a token the server issued', async () => {
      const token = await api.userToken('alice');
      const answer = await api.fetch('/rtc-api/conferences/room', { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(404);
    });
  });
});

describe('clients file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'confer-clients-'));
  const write = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('replaces the development clients, with roles, organization, default user and user_id permission', async () => {
    const clientsFile = write('clients.json', {
      clients: [
        { clientId: 'web', clientSecret: 'w3b', organizationId: 'acme', allowUserId: true },
        { clientId: 'backend', clientSecret: 'b4ck', roles: ['SERVICE'], organizationId: 'acme', userId: 'ops' },
      ],
    });
    const notices: string[] = [];
    const server = await startTestServer({ clientsFile, announce: (m) => notices.push(m) });
    try {
      const api = new ApiCaller(server.url);
      expect(notices).toEqual([]);
      expect((await api.tokenRequest(GRANT, { id: 'demo', secret: 'demo' })).status).toBe(401);
      const web = await api.tokenRequest({ ...GRANT, user_id: 'carol' }, { id: 'web', secret: 'w3b' });
      expect(decodeJwt(web.body.access_token)).toMatchObject({ sub: 'carol', roles: ['USER'], org: 'acme', cid: 'web' });
      const backend = await api.tokenRequest(GRANT, { id: 'backend', secret: 'b4ck' });
      expect(decodeJwt(backend.body.access_token)).toMatchObject({ sub: 'ops', roles: ['SERVICE'], org: 'acme' });
      const named = await api.tokenRequest({ ...GRANT, user_id: 'x' }, { id: 'backend', secret: 'b4ck' });
      expect(named.body.error).toBe('unauthorized_client');
    } finally {
      await server.close();
    }
  });

  it.each([
    ['not JSON', '{nope', /clients file .*JSON/],
    ['no clients', { clients: [] }, /clients file .*clients/],
    ['an unknown role', { clients: [{ clientId: 'a', clientSecret: 'b', roles: ['ADMIN'] }] }, /roles/],
    ['a "/" in organizationId', { clients: [{ clientId: 'a', clientSecret: 'b', organizationId: 'a/b' }] }, /organizationId/],
    ['a duplicate clientId', { clients: [{ clientId: 'a', clientSecret: 'b' }, { clientId: 'a', clientSecret: 'c' }] }, /twice/],
  ])('stops start-up for %s', async (name, content, pattern) => {
    const clientsFile = write(`${name.replace(/\W/g, '_')}.json`, content);
    await expect(startTestServer({ clientsFile })).rejects.toThrow(pattern);
  });

  it('stops start-up when the file is missing', async () => {
    await expect(startTestServer({ clientsFile: join(dir, 'missing.json') })).rejects.toThrow(/missing\.json/);
  });
});
