import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConferenceServer } from '../../src/startServer.js';
import { ApiCaller, type UserCaller } from './support/ApiCaller.js';
import { startTestServer } from './support/testServer.js';

let server: ConferenceServer;
let alice: UserCaller;
let bob: UserCaller;
let service: UserCaller;
const logLines: string[] = [];
let counter = 0;

beforeAll(async () => {
  server = await startTestServer({ eventWaitMs: 100, logLevel: 'info', logStream: { write: (line) => logLines.push(line) } });
  const api = new ApiCaller(server.url);
  [alice, bob, service] = await Promise.all([api.as('alice'), api.as('bob'), api.asClient()]);
});
afterAll(() => server.close());

/** A conference with alice (a1) and bob (b1) joined; events start at version 2. */
async function room(): Promise<string> {
  const conferenceId = `meta-${++counter}`;
  await alice.post('create', { conferenceId });
  await alice.post('join', { conferenceId, userEndpointId: 'a1' });
  await bob.post('join', { conferenceId, userEndpointId: 'b1' });
  return conferenceId;
}

describe('updateMetadata', () => {
  it('SET keeps value, author and time; REMOVE deletes; one event each', async () => {
    const conferenceId = await room();
    const set = { conferenceId, userEndpointId: 'a1', key: 'TRACK_MUTED/audio/s1', operation: 'SET', value: 'true' };
    expect((await alice.post('updateMetadata', set)).status).toBe(204);
    expect((await bob.post('updateMetadata', { ...set, userEndpointId: 'b1', value: 'false' })).status).toBe(204);
    let aggregate = (await alice.conference(conferenceId)).body;
    expect(aggregate.metadata).toEqual({
      'TRACK_MUTED/audio/s1': { value: 'false', userId: 'bob', userEndpointId: 'b1', lastModified: expect.any(String) },
    });
    expect((await alice.post('updateMetadata', { conferenceId, userEndpointId: 'a1', key: 'TRACK_MUTED/audio/s1', operation: 'REMOVE' })).status).toBe(204);
    aggregate = (await alice.conference(conferenceId)).body;
    expect(aggregate.metadata).toEqual({});
    expect(aggregate.version).toBe(5);
    expect((await alice.events(conferenceId, 2)).body).toEqual([
      expect.objectContaining({ type: 'ConferenceMetadataUpdatedEvent', conferenceVersion: 2, userId: 'alice', userEndpointId: 'a1', key: 'TRACK_MUTED/audio/s1', operation: 'SET', value: 'true' }),
      expect.objectContaining({ type: 'ConferenceMetadataUpdatedEvent', conferenceVersion: 3, userId: 'bob', operation: 'SET', value: 'false' }),
      expect.objectContaining({ type: 'ConferenceMetadataUpdatedEvent', conferenceVersion: 4, operation: 'REMOVE' }),
    ]);
  });

  it('treats __proto__ and constructor as ordinary keys', async () => {
    const conferenceId = await room();
    for (const key of ['__proto__', 'constructor', 'toString']) {
      expect((await alice.post('updateMetadata', { conferenceId, userEndpointId: 'a1', key, operation: 'SET', value: key })).status).toBe(204);
    }
    const { body } = await alice.conference(conferenceId);
    expect(Object.keys(body.metadata).sort()).toEqual(['__proto__', 'constructor', 'toString']);
  });

  it.each([
    [{ operation: 'SET' }, 400, 'body.value is required when body.operation is SET'],
    [{ operation: 'UNKNOWN', value: 'x' }, 400, 'body.operation must be SET or REMOVE'],
    [{ operation: 'TOGGLE', value: 'x' }, 400, 'body.operation must be one of REMOVE, SET, UNKNOWN'],
    [{ operation: 'REMOVE', key: 'missing' }, 404, 'metadata key missing not found in conference'],
    [{ operation: 'SET', value: 'x', key: '' }, 400, 'body.key must be at least 1 character long'],
    [{ operation: 'SET', value: 'x', userEndpointId: 'b1' }, 403, 'userEndpointId b1 belongs to another user'],
  ])('refuses %j (%i), state unchanged', async (change, status, message) => {
    const conferenceId = await room();
    const before = (await alice.conference(conferenceId)).body;
    const answer = await alice.post('updateMetadata', { conferenceId, userEndpointId: 'a1', key: 'k', ...change });
    expect(answer.status).toBe(status);
    expect(answer.body.message).toContain(message);
    expect((await alice.conference(conferenceId)).body).toEqual(before);
  });
});

describe('updateParticipantMetadata', () => {
  it('replaces the endpoint metadata with one event; absent means empty', async () => {
    const conferenceId = await room();
    const newMetadata = { name: 'Alice', avatar: { url: 'https://example.test/a.png' }, tags: ['host'] };
    expect((await alice.post('updateParticipantMetadata', { conferenceId, userEndpointId: 'a1', newMetadata })).status).toBe(204);
    expect((await alice.conference(conferenceId)).body.participants[0].metadata).toEqual(newMetadata);
    expect((await alice.post('updateParticipantMetadata', { conferenceId, userEndpointId: 'a1' })).status).toBe(204);
    expect((await alice.conference(conferenceId)).body.participants[0].metadata).toEqual({});
    expect((await bob.events(conferenceId, 2)).body).toEqual([
      expect.objectContaining({ type: 'ConferenceParticipantMetadataUpdatedEvent', userEndpointId: 'a1', newMetadata }),
      expect.objectContaining({ type: 'ConferenceParticipantMetadataUpdatedEvent', userEndpointId: 'a1', newMetadata: {} }),
    ]);
  });

  it("403 for another user's endpoint, 404 for an unknown one, 400 for non-object metadata", async () => {
    const conferenceId = await room();
    expect((await alice.post('updateParticipantMetadata', { conferenceId, userEndpointId: 'b1', newMetadata: {} })).status).toBe(403);
    expect((await alice.post('updateParticipantMetadata', { conferenceId, userEndpointId: 'zz', newMetadata: {} })).status).toBe(404);
    const bad = await alice.post('updateParticipantMetadata', { conferenceId, userEndpointId: 'a1', newMetadata: ['x'] });
    expect(bad.body).toEqual({ status: 400, error: 'Bad Request', message: 'body.newMetadata must be an object' });
    expect((await alice.conference(conferenceId)).body.version).toBe(2);
  });
});

describe('sendEvent', () => {
  const event = (fields: Record<string, unknown> = {}) => ({ type: 'ParticipantKickedEvent', timestamp: '2011-12-03T10:15:30Z', ...fields });

  it('appends the event with its own type and fields; eventsSent counts joined endpoints', async () => {
    const conferenceId = await room();
    const answer = await service.post('sendEvent', { conferenceId, event: event({ target: 'b1', details: { by: 'ops' } }), qos: 'AT_LEAST_ONCE' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ eventsSent: 2 });
    const [sent] = (await bob.events(conferenceId, 2)).body;
    expect(sent).toEqual({
      id: expect.any(String),
      type: 'ParticipantKickedEvent',
      conferenceId,
      conferenceVersion: 2,
      organizationId: 'default',
      timestamp: '2011-12-03T10:15:30Z',
      userId: 'service',
      target: 'b1',
      details: { by: 'ops' },
    });
    expect((await alice.conference(conferenceId)).body.version).toBe(3);
  });

  it('keeps the server fields its own: id, conferenceId, conferenceVersion, organizationId', async () => {
    const conferenceId = await room();
    await service.post('sendEvent', { conferenceId, event: event({ id: 'x', conferenceId: 'other', conferenceVersion: 99, organizationId: 'evil' }) });
    const [sent] = (await bob.events(conferenceId, 2)).body;
    expect(sent).toMatchObject({ conferenceId, conferenceVersion: 2, organizationId: 'default' });
    expect(sent.id).not.toBe('x');
  });

  it('is for the SERVICE role only (403), and 404 for an unknown conference', async () => {
    const conferenceId = await room();
    const user = await alice.post('sendEvent', { conferenceId, event: event() });
    expect(user.status).toBe(403);
    expect(user.body.message).toBe('sendEvent needs the SERVICE role');
    expect((await service.post('sendEvent', { conferenceId: 'nope', event: event() })).status).toBe(404);
    expect((await alice.conference(conferenceId)).body.version).toBe(2);
  });

  it.each([
    ['participantKickedEvent', 'body.event.type must begin with a capital letter'],
    ['ParticipantKicked', 'body.event.type must begin with a capital letter'],
    ['KickedEvent', 'body.event.type must begin with a capital letter'],
    ['Participant_KickedEvent', 'body.event.type must begin with a capital letter'],
  ])('400 for the type %s', async (type, message) => {
    const conferenceId = await room();
    const answer = await service.post('sendEvent', { conferenceId, event: event({ type }) });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain(message);
  });

  it.each(['yesterday', '2011-12-03', '2011-12-03T10:15:30', '2011-13-03T10:15:30Z'])('400 for the timestamp %s', async (timestamp) => {
    const conferenceId = await room();
    const answer = await service.post('sendEvent', { conferenceId, event: event({ timestamp }) });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('body.event.timestamp must be an ISO-8601 instant such as 2011-12-03T10:15:30Z');
  });

  it('400 without type or timestamp', async () => {
    const conferenceId = await room();
    expect((await service.post('sendEvent', { conferenceId, event: { timestamp: '2011-12-03T10:15:30Z' } })).body.message).toBe('body.event.type is required');
    expect((await service.post('sendEvent', { conferenceId, event: { type: 'ParticipantKickedEvent' } })).body.message).toBe('body.event.timestamp is required');
  });

  it('a custom event cannot pose as a built-in one (400 saying so), nor speak for another user or endpoint', async () => {
    const conferenceId = await room();
    const posing = await service.post('sendEvent', { conferenceId, event: event({ type: 'ConferenceLeftEvent', userEndpointId: 'a1' }) });
    expect(posing.status).toBe(400);
    expect(posing.headers.get('content-type')).toMatch(/^application\/json/);
    expect(posing.body.message).toBe('body.event.type ConferenceLeftEvent is a built-in event type; a custom event needs its own type');
    expect((await alice.conference(conferenceId)).body.version).toBe(2);
    await service.post('sendEvent', { conferenceId, event: event({ userId: 'alice', userEndpointId: 'a1' }) });
    const [sent] = (await bob.events(conferenceId, 2)).body;
    expect(sent.userId).toBe('service');
    expect(sent).not.toHaveProperty('userEndpointId');
  });

  it.each(['BEST_EFFORT', 'AT_LEAST_ONCE', undefined])('qos %s: the event is stored and delivered to a waiting poll and to a later one', async (qos) => {
    const conferenceId = await room();
    const waiting = bob.events(conferenceId, 2);
    await service.post('sendEvent', { conferenceId, event: event(), ...(qos ? { qos } : {}) });
    expect((await waiting).body.map((e: { type: string }) => e.type)).toEqual(['ParticipantKickedEvent']);
    expect((await alice.events(conferenceId, 2)).body.map((e: { type: string }) => e.type)).toEqual(['ParticipantKickedEvent']);
    expect((await alice.conference(conferenceId)).body.version).toBe(3);
  });

  it('serves and stores a masked field masked: it never leaves the server unmasked, nor reaches the log', async () => {
    const conferenceId = await room();
    const secret = 'SECRET-4111111111111111';
    await service.post('sendEvent', { conferenceId, event: event({ type: 'CardChargedEvent', card: { number: secret } }), masks: ['$.card.number'] });
    const [served] = (await bob.events(conferenceId, 2)).body;
    expect(served.card.number).toBe('*'.repeat(secret.length));
    expect(JSON.stringify((await alice.events(conferenceId, 0)).body)).not.toContain(secret);
    expect(logLines.join('\n')).not.toContain(secret);
  });

  it('never writes a masked value to the log, nor serves it', async () => {
    const conferenceId = await room();
    const secret = 'SECRET-4111111111111111';
    const other = 'OTHER-SECRET-VALUE';
    const answer = await service.post('sendEvent', {
      conferenceId,
      event: event({ type: 'PaymentReceivedEvent', card: { number: secret, holder: 'A. Person' }, notes: [{ pin: other }] }),
      masks: ['$.card.number', '$.notes[*].pin', '$.missing.path'],
    });
    expect(answer.status).toBe(200);
    const [delivered] = (await bob.events(conferenceId, 2)).body;
    expect(delivered.card).toEqual({ number: '*'.repeat(secret.length), holder: 'A. Person' });
    const eventLines = logLines.filter((line) => line.includes('PaymentReceivedEvent'));
    expect(eventLines).toHaveLength(1);
    expect(eventLines[0]).not.toContain(secret);
    expect(eventLines[0]).not.toContain(other);
    const logged = JSON.parse(eventLines[0]!).event;
    expect(logged.card).toEqual({ number: '*'.repeat(secret.length), holder: 'A. Person' });
    expect(logged.notes).toEqual([{ pin: '*'.repeat(other.length) }]);
    expect(logLines.join('\n')).not.toContain(secret);
  });

  it.each([
    [['$.card'], 'body.masks[0]: $.card points at an object, not a string'],
    [['$..'], 'body.masks[0]: $..: expected a name after "."'],
    [['$.a', '$[x]'], 'body.masks[1]: $[x]: expected'],
    [['card.number'], 'body.masks[0] must be a JSON path beginning with $'],
    [['$'], 'body.masks[0] must be at least 2 characters long'],
  ])('400 for the masks %j before anything is stored', async (masks, message) => {
    const conferenceId = await room();
    const answer = await service.post('sendEvent', { conferenceId, event: event({ card: { number: '1' } }), masks });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain(message);
    expect((await alice.conference(conferenceId)).body.version).toBe(2);
  });
});
