import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConferenceServer } from '../../src/startServer.js';
import { ApiCaller, type Answer, type UserCaller } from './support/ApiCaller.js';
import { bodySchema, invalidBodies, resolve } from './support/schemaFuzz.js';
import { sdpOffer } from './support/sdpOffers.js';
import { startTestServer } from './support/testServer.js';

const RUNS = 25;
const CONFERENCE = 'fuzz';
let server: ConferenceServer;
let api: ApiCaller;
let alice: UserCaller;
let bob: UserCaller;
let service: UserCaller;
let samples: Record<string, Record<string, unknown>>;
let snapshot: string;

/** Everything a bad request must leave as it was: the aggregate, the event count, the media and the server. */
async function state(): Promise<string> {
  const aggregate = await service.conference(CONFERENCE);
  const conferences = await service.conference('fuzz-never-created');
  return JSON.stringify([aggregate.body, conferences.status, server.media.counters(), server.stats()]);
}

function expectClientError(answer: Answer, what: string): void {
  expect(answer.status, what).toBeGreaterThanOrEqual(400);
  expect(answer.status, what).toBeLessThan(500);
  expect(answer.body, what).toEqual({ status: answer.status, error: expect.any(String), message: expect.any(String), ...(answer.status === 410 ? { oldestVersion: expect.any(Number) } : {}) });
  expect(answer.body.message.length, what).toBeGreaterThan(0);
}

beforeAll(async () => {
  server = await startTestServer({ eventWaitMs: 20, ghostSickAfterMs: 600_000 });
  api = new ApiCaller(server.url);
  [alice, bob, service] = await Promise.all([api.as('alice'), api.as('bob'), api.asClient()]);
  await alice.post('create', { conferenceId: CONFERENCE });
  await alice.post('join', { conferenceId: CONFERENCE, userEndpointId: 'a1', metadata: { name: 'Alice' } });
  await bob.post('join', { conferenceId: CONFERENCE, userEndpointId: 'b1' });
  await alice.post('updateMetadata', { conferenceId: CONFERENCE, userEndpointId: 'a1', key: 'topic', operation: 'SET', value: 'fuzz' });
  const [publishOffer, viewOffer] = await Promise.all([sdpOffer('sendonly'), sdpOffer('recvonly')]);
  const published = await alice.post('publishStream', { conferenceId: CONFERENCE, userEndpointId: 'a1', conferenceStreamType: 'MIC_AND_CAM', sdpOffer: publishOffer, streamId: { id: 's1' } });
  expect(published.status).toBe(200);
  const viewed = await bob.post('viewStream', { conferenceId: CONFERENCE, userEndpointId: 'b1', streamId: { id: 's1' }, sdpOffer: viewOffer, viewerId: 'v1' });
  expect(viewed.status).toBe(200);

  const c = { conferenceId: CONFERENCE };
  const candidates = [{ candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 }];
  // A valid body per operation, naming the fixture's ids; the fuzzer breaks one thing at a time.
  samples = {
    create: { conferenceId: 'fuzz-never-created', creatorEndpoint: 'a1', metadata: { topic: 'x' }, mode: 'ROUTER', organizationId: 'default' },
    join: { ...c, userEndpointId: 'a1', metadata: { name: 'Alice' } },
    leave: { ...c, userEndpointId: 'a1', reason: 'bye' },
    end: { ...c, userEndpointId: 'a1', reason: 'over' },
    updateMetadata: { ...c, userEndpointId: 'a1', key: 'topic', operation: 'SET', value: 'fuzz' },
    updateParticipantMetadata: { ...c, userEndpointId: 'a1', newMetadata: { name: 'Alice' } },
    updateStreamMetadata: { ...c, userEndpointId: 'a1', streamId: { id: 's1' }, newMetadata: {} },
    updatePublishedStreamBitrate: { ...c, userEndpointId: 'a1', streamId: { id: 's1' }, videoBitrate: 500_000 },
    sendEvent: { ...c, event: { type: 'ParticipantKickedEvent', timestamp: '2011-12-03T10:15:30Z', who: 'b1' }, masks: ['$.who'], qos: 'BEST_EFFORT' },
    publishStream: { ...c, userEndpointId: 'a1', conferenceStreamType: 'MIC_AND_CAM', sdpOffer: publishOffer, streamId: { id: 's2' }, metadata: {}, videoBitrate: 500_000 },
    addPublishStreamIceCandidates: { ...c, userEndpointId: 'a1', streamId: { id: 's1' }, iceCandidates: candidates },
    unpublishStream: { ...c, userEndpointId: 'a1', streamId: { id: 's1' } },
    viewStream: { ...c, userEndpointId: 'b1', streamId: { id: 's1' }, sdpOffer: viewOffer, viewerId: 'v2', metadata: { q: 'hd' } },
    addViewStreamIceCandidates: { ...c, userEndpointId: 'b1', streamId: { id: 's1' }, viewerId: 'v1', iceCandidates: candidates },
    stopViewStream: { ...c, userEndpointId: 'b1', streamId: { id: 's1' }, viewerId: 'v1' },
  };
  snapshot = await state();
});

afterAll(() => server.close());

const OPERATIONS = [
  'create',
  'join',
  'leave',
  'end',
  'updateMetadata',
  'updateParticipantMetadata',
  'updateStreamMetadata',
  'updatePublishedStreamBitrate',
  'sendEvent',
  'publishStream',
  'addPublishStreamIceCandidates',
  'unpublishStream',
  'viewStream',
  'addViewStreamIceCandidates',
  'stopViewStream',
];

/** The caller whose endpoint the sample names (sendEvent needs the service). */
const callerFor = (operation: string) => (operation === 'sendEvent' ? service : ['viewStream', 'addViewStreamIceCandidates', 'stopViewStream'].includes(operation) ? bob : alice);

describe('bad-input fuzzing of every route', () => {
  it('every operation of the contract is fuzzed', async () => {
    const { OpenApiDocument } = await import('../../src/http/OpenApiDocument.js');
    const posts = OpenApiDocument.load()
      .operations()
      .filter((s) => s.method === 'POST' && s.operationId !== 'issueToken')
      .map((s) => s.operationId);
    expect([...posts].sort()).toEqual([...OPERATIONS].sort());
  });

  it.each(OPERATIONS)('%s: bodies the contract refuses are a 4xx with the error body, state unchanged', async (operation) => {
    await fc.assert(
      fc.asyncProperty(invalidBodies(operation, samples[operation]!), async (body) => {
        const answer = await callerFor(operation).post(operation, body);
        expectClientError(answer, `${operation} ${JSON.stringify(body).slice(0, 300)}`);
      }),
      { numRuns: RUNS },
    );
    expect(await state()).toBe(snapshot);
  });

  it.each(OPERATIONS)('%s: raw text that is not JSON, or JSON of another shape, is a 4xx', async (operation) => {
    const required = resolve(bodySchema(operation)).required ?? [];
    const notJson = fc.string().filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    });
    // Random JSON rarely has the required fields; the rare value that has them all is skipped.
    const otherJson = fc.jsonValue().filter((v) => required.length > 0 && !(v && typeof v === 'object' && !Array.isArray(v) && required.every((k) => k in v)));
    const otherObjectForCreate = fc.jsonValue().filter((v) => !(v && typeof v === 'object' && !Array.isArray(v)));
    const json = operation === 'create' ? otherObjectForCreate : otherJson;
    await fc.assert(
      fc.asyncProperty(fc.oneof(notJson, json.map((v) => JSON.stringify(v))), fc.constantFrom('application/json', 'text/plain', 'application/octet-stream'), async (text, type) => {
        const answer = await callerFor(operation).postRaw(operation, text, type);
        expectClientError(answer, `${operation} ${type} ${text.slice(0, 200)}`);
      }),
      { numRuns: RUNS },
    );
    expect(await state()).toBe(snapshot);
  });

  // Ids that fit the schema but name nothing: 404 (or 403), never a change. Only fields that must name
  // something existing are varied (a new streamId or viewerId would publish or view).
  const ID_FIELDS: Record<string, string[]> = {
    leave: ['conferenceId', 'userEndpointId'],
    end: ['conferenceId', 'userEndpointId'],
    updateMetadata: ['conferenceId', 'userEndpointId'],
    updateParticipantMetadata: ['conferenceId', 'userEndpointId'],
    updateStreamMetadata: ['conferenceId', 'userEndpointId', 'streamId'],
    updatePublishedStreamBitrate: ['conferenceId', 'userEndpointId', 'streamId'],
    sendEvent: ['conferenceId'],
    publishStream: ['conferenceId', 'userEndpointId'],
    addPublishStreamIceCandidates: ['conferenceId', 'userEndpointId', 'streamId'],
    unpublishStream: ['conferenceId', 'userEndpointId', 'streamId'],
    viewStream: ['conferenceId', 'userEndpointId', 'streamId'],
    addViewStreamIceCandidates: ['conferenceId', 'userEndpointId', 'streamId', 'viewerId'],
    stopViewStream: ['conferenceId', 'userEndpointId', 'streamId', 'viewerId'],
  };
  const KNOWN = new Set([CONFERENCE, 'a1', 'b1', 's1', 's2', 'v1', 'v2']);

  it.each(Object.keys(ID_FIELDS))('%s: unknown ids are a 404 or 403, state unchanged', async (operation) => {
    const id = fc.string({ minLength: 1, maxLength: 128 }).filter((s) => !KNOWN.has(s));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ID_FIELDS[operation]!), id, async (field, value) => {
        const body = { ...samples[operation]!, [field]: field === 'streamId' ? { id: value } : value };
        const answer = await callerFor(operation).post(operation, body);
        expectClientError(answer, `${operation} ${field}=${JSON.stringify(value)}`);
        expect([403, 404]).toContain(answer.status);
      }),
      { numRuns: 25 },
    );
    expect(await state()).toBe(snapshot);
  });

  it('GET routes: arbitrary conference ids are a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s !== CONFERENCE), fc.constantFrom('', '/simpleView', '/events?v=0'), async (id, suffix) => {
        const answer = await alice.get(`${encodeURIComponent(id)}${suffix}`);
        expectClientError(answer, `GET ${id}${suffix}`);
      }),
      { numRuns: 60 },
    );
    expect(await state()).toBe(snapshot);
  });

  it('GET events: a v that is not a whole number of at least 0 is a 400', async () => {
    const valid = (s: string) => /^\d+$/.test(s) && Number.isSafeInteger(Number(s));
    const lookalikes = fc.constantFrom(' ', '-Infinity', 'Infinity', 'NaN', '0x10', '1e3', '+1', '1.0', ' 1', '1_000', '٣');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), lookalikes, fc.double().map(String), fc.integer({ max: -1 }).map(String)).filter((s) => !valid(s)), async (v) => {
        const answer = await alice.get(`${CONFERENCE}/events?v=${encodeURIComponent(v)}`);
        expectClientError(answer, `v=${JSON.stringify(v)}`);
        expect(answer.status).toBe(400);
      }),
      { numRuns: 60 },
    );
  });

  it('the token endpoint: arbitrary forms without valid credentials are a 4xx OAuth error', async () => {
    const key = fc.oneof(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'user_id', 'scope'), fc.string());
    const form = fc.dictionary(key, fc.oneof(fc.string(), fc.constantFrom('client_credentials', 'demo', 'any')), { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(form.filter((f) => f.client_secret !== 'demo' && f.client_secret !== 'service'), async (fields) => {
        const answer = await api.tokenRequest(fields);
        expect(answer.status, JSON.stringify(fields)).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expect(answer.body).toMatchObject({ status: answer.status, error: expect.any(String), error_description: expect.any(String), message: expect.any(String) });
      }),
      { numRuns: 60 },
    );
  });

  it('still answers, with the fixture intact, after all of that', async () => {
    const { body } = await alice.conference(CONFERENCE);
    expect(body).toMatchObject({ version: 4, participants: [{ id: 'a1', streams: [{ id: { id: 's1' } }] }, { id: 'b1' }] });
    expect(server.media.counters()).toMatchObject({ publishers: 1, viewers: 1 });
  });
});
