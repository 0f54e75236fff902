import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConferenceServer } from '../../src/startServer.js';
import { ApiCaller, type UserCaller } from './support/ApiCaller.js';
import { sdpOffer } from './support/sdpOffers.js';
import { startTestServer } from './support/testServer.js';

type Who = 'alice' | 'bob' | 'carol' | 'service';

let server: ConferenceServer;
let callers: Record<Who, UserCaller>;
let offers: { publish: string; view: string };
const C = 'matrix';
const candidates = [{ candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 }];

beforeAll(async () => {
  server = await startTestServer({ eventWaitMs: 50 });
  const api = new ApiCaller(server.url);
  const [alice, bob, carol, service] = await Promise.all([api.as('alice'), api.as('bob'), api.as('carol'), api.asClient()]);
  callers = { alice, bob, carol, service };
  offers = { publish: await sdpOffer('sendonly'), view: await sdpOffer('recvonly') };
  // alice: endpoint a1, stream sA, viewer vA of sB; bob: endpoint b1, stream sB, viewer vB of sA; carol and the service have no endpoint.
  await alice.post('create', { conferenceId: C });
  await alice.post('join', { conferenceId: C, userEndpointId: 'a1' });
  await bob.post('join', { conferenceId: C, userEndpointId: 'b1' });
  for (const [caller, endpoint, stream] of [[alice, 'a1', 'sA'], [bob, 'b1', 'sB']] as const) {
    const answer = await caller.post('publishStream', { conferenceId: C, userEndpointId: endpoint, conferenceStreamType: 'MIC_AND_CAM', sdpOffer: offers.publish, streamId: { id: stream } });
    expect(answer.status).toBe(200);
  }
  await alice.post('viewStream', { conferenceId: C, userEndpointId: 'a1', streamId: { id: 'sB' }, sdpOffer: offers.view, viewerId: 'vA' });
  await bob.post('viewStream', { conferenceId: C, userEndpointId: 'b1', streamId: { id: 'sA' }, sdpOffer: offers.view, viewerId: 'vB' });
});
afterAll(() => server.close());

/** Every operation that names an endpoint, with a body acting on alice's endpoint a1 and her own stream and viewer. */
const onAlicesEndpoint = (): Array<[string, Record<string, unknown>]> => [
  ['join', { conferenceId: C, userEndpointId: 'a1' }],
  ['leave', { conferenceId: C, userEndpointId: 'a1' }],
  ['end', { conferenceId: C, userEndpointId: 'a1' }],
  ['updateMetadata', { conferenceId: C, userEndpointId: 'a1', key: 'k', operation: 'SET', value: 'v' }],
  ['updateParticipantMetadata', { conferenceId: C, userEndpointId: 'a1', newMetadata: {} }],
  ['updateStreamMetadata', { conferenceId: C, userEndpointId: 'a1', streamId: { id: 'sA' }, newMetadata: {} }],
  ['updatePublishedStreamBitrate', { conferenceId: C, userEndpointId: 'a1', streamId: { id: 'sA' }, videoBitrate: 300_000 }],
  ['publishStream', { conferenceId: C, userEndpointId: 'a1', conferenceStreamType: 'MIC_AND_CAM', sdpOffer: offers.publish }],
  ['addPublishStreamIceCandidates', { conferenceId: C, userEndpointId: 'a1', streamId: { id: 'sA' }, iceCandidates: candidates }],
  ['unpublishStream', { conferenceId: C, userEndpointId: 'a1', streamId: { id: 'sA' } }],
  ['viewStream', { conferenceId: C, userEndpointId: 'a1', streamId: { id: 'sB' }, sdpOffer: offers.view }],
  ['addViewStreamIceCandidates', { conferenceId: C, userEndpointId: 'a1', streamId: { id: 'sB' }, viewerId: 'vA', iceCandidates: candidates }],
  ['stopViewStream', { conferenceId: C, userEndpointId: 'a1', streamId: { id: 'sB' }, viewerId: 'vA' }],
];

const snapshot = async () => JSON.stringify([(await callers.service.conference(C)).body, server.media.counters()]);

describe('authorization matrix', () => {
  it.each(['bob', 'carol', 'service'] as const)("%s may not act on alice's endpoint: 403 for every operation, nothing changes", async (who) => {
    const before = await snapshot();
    for (const [operation, body] of onAlicesEndpoint()) {
      const answer = await callers[who].post(operation, body);
      expect(answer.status, `${who} ${operation}`).toBe(403);
      expect(answer.body.message, `${who} ${operation}`).toBe('userEndpointId a1 belongs to another user');
    }
    expect(await snapshot()).toBe(before);
  });

  it("bob may not name alice's stream or viewer through his own endpoint (403)", async () => {
    const before = await snapshot();
    const own = { conferenceId: C, userEndpointId: 'b1' };
    const attempts: Array<[string, Record<string, unknown>, string]> = [
      ['updateStreamMetadata', { ...own, streamId: { id: 'sA' }, newMetadata: {} }, 'streamId sA is published by another endpoint than b1'],
      ['updatePublishedStreamBitrate', { ...own, streamId: { id: 'sA' }, videoBitrate: 1 }, 'streamId sA is published by another endpoint than b1'],
      ['addPublishStreamIceCandidates', { ...own, streamId: { id: 'sA' }, iceCandidates: candidates }, 'streamId sA is published by another endpoint than b1'],
      ['unpublishStream', { ...own, streamId: { id: 'sA' } }, 'streamId sA is published by another endpoint than b1'],
      ['addViewStreamIceCandidates', { ...own, streamId: { id: 'sB' }, viewerId: 'vA', iceCandidates: candidates }, 'viewerId vA belongs to another endpoint than b1'],
      ['stopViewStream', { ...own, streamId: { id: 'sB' }, viewerId: 'vA' }, 'viewerId vA belongs to another endpoint than b1'],
    ];
    for (const [operation, body, message] of attempts) {
      const answer = await callers.bob.post(operation, body);
      expect(answer.status, operation).toBe(403);
      expect(answer.body.message, operation).toBe(message);
    }
    expect(await snapshot()).toBe(before);
  });

  it.each([
    ['alice', 200],
    ['bob', 200],
    ['carol', 403],
    ['service', 200],
  ] as const)('%s reading the conference (aggregate, simple view, events): %i', async (who, status) => {
    for (const path of [C, `${C}/simpleView`, `${C}/events?v=0`]) {
      expect((await callers[who].get(path)).status, path).toBe(status);
    }
  });

  it.each([
    ['alice', 403],
    ['carol', 403],
    ['service', 200],
  ] as const)('%s sending an event: %i', async (who, status) => {
    const answer = await callers[who].post('sendEvent', { conferenceId: C, event: { type: 'MatrixCheckedEvent', timestamp: '2030-01-01T00:00:00Z' } });
    expect(answer.status).toBe(status);
  });

  it.each(['alice', 'carol', 'service'] as const)('%s may create a conference', async (who) => {
    expect((await callers[who].post('create', { conferenceId: `made-by-${who}` })).status).toBe(200);
  });

  it('alice may do all of it on her own endpoint', async () => {
    const all = onAlicesEndpoint();
    // leave, then join again, then end: each needs the endpoint in the conference.
    const ordered = [...all.filter(([op]) => op !== 'leave' && op !== 'end'), ...all.filter(([op]) => op === 'leave'), ...all.filter(([op]) => op === 'join' || op === 'end')];
    for (const [operation, body] of ordered) {
      const answer = await callers.alice.post(operation, body);
      expect(answer.status, `${operation} ${JSON.stringify(answer.body)}`).toBeLessThan(300);
    }
    expect((await callers.service.conference(C)).status).toBe(404);
  });
});
