import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConferenceServer } from '../../src/startServer.js';
import { ApiCaller, type UserCaller } from './support/ApiCaller.js';
import { startTestServer } from './support/testServer.js';

let server: ConferenceServer;
let api: ApiCaller;
let alice: UserCaller;
let bob: UserCaller;
let carol: UserCaller;
let service: UserCaller;
let counter = 0;
const newId = (prefix: string) => `${prefix}-${++counter}`;

beforeAll(async () => {
  server = await startTestServer({ eventWaitMs: 200 });
  api = new ApiCaller(server.url);
  [alice, bob, carol, service] = await Promise.all([api.as('alice'), api.as('bob'), api.as('carol'), api.asClient()]);
});
afterAll(() => server.close());

/** A conference with alice joined as `a1`. */
async function aliceIn(metadata: Record<string, unknown> = { name: 'Alice' }): Promise<string> {
  const conferenceId = newId('room');
  expect((await alice.post('create', { conferenceId })).status).toBe(200);
  expect((await alice.post('join', { conferenceId, userEndpointId: 'a1', metadata })).status).toBe(200);
  return conferenceId;
}

const eventTypes = async (caller: UserCaller, conferenceId: string, v = 0) =>
  ((await caller.events(conferenceId, v)).body as Array<{ type: string }>).map((e) => e.type);

describe('create', () => {
  it('uses the given id, defaults to ROUTER and answers the summary at version 0', async () => {
    const conferenceId = newId('room');
    const answer = await alice.post('create', { conferenceId });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id: conferenceId, mode: 'ROUTER', version: 0 });
  });

  it('generates an id when none is given, or an empty one ("better leave this empty and let the server produce one")', async () => {
    const first = await alice.post('create', {});
    const second = await alice.post('create', { mode: 'ROUTER' });
    const empty = await alice.post('create', { conferenceId: '' });
    expect(first.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.body.id).not.toBe(first.body.id);
    expect(empty.status).toBe(200);
    expect(empty.body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps the metadata with its author, and the creator', async () => {
    const conferenceId = newId('room');
    await alice.post('create', { conferenceId, creatorEndpoint: 'a1', metadata: { topic: 'Standup' } });
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    const { body } = await alice.conference(conferenceId);
    expect(body).toMatchObject({ id: conferenceId, creator: 'alice', creatorEndpoint: 'a1', organizationId: 'default', mode: 'ROUTER' });
    expect(body.metadata.topic).toEqual({ value: 'Standup', userId: 'alice', userEndpointId: 'a1', lastModified: expect.any(String) });
    expect(new Date(body.metadata.topic.lastModified).getTime()).not.toBeNaN();
  });

  it('409 for an id in use', async () => {
    const conferenceId = newId('room');
    await alice.post('create', { conferenceId });
    const again = await bob.post('create', { conferenceId });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ status: 409, error: 'Conflict', message: `conference ${conferenceId} already exists` });
  });

  it.each(['P2P', 'UNKNOWN'])('400 for mode %s: only ROUTER is supported', async (mode) => {
    const conferenceId = newId('room');
    const answer = await alice.post('create', { conferenceId, mode });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/only ROUTER is supported/);
    expect((await service.conference(conferenceId)).status).toBe(404);
  });

  it('400 for a mode outside the enum, 403 for another organization', async () => {
    expect((await alice.post('create', { mode: 'MESH' })).body.message).toBe('body.mode must be one of P2P, ROUTER, UNKNOWN');
    const other = await alice.post('create', { organizationId: 'acme' });
    expect(other.status).toBe(403);
    expect(other.body.message).toMatch(/organizationId acme/);
    expect((await alice.post('create', { conferenceId: newId('room'), organizationId: 'default' })).status).toBe(200);
  });
});

describe('join', () => {
  it('answers the aggregate right after the join, with the version to poll from', async () => {
    const conferenceId = newId('room');
    await alice.post('create', { conferenceId });
    const joined = await alice.post('join', { conferenceId, userEndpointId: 'a1', metadata: { name: 'Alice' } });
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({
      id: conferenceId,
      empty: false,
      version: 1,
      participants: [{ id: 'a1', userId: 'alice', metadata: { name: 'Alice' }, state: 'HEALTHY', streams: [] }],
    });
    const bobJoined = await bob.post('join', { conferenceId, userEndpointId: 'b1' });
    expect(bobJoined.body.version).toBe(2);
    expect(bobJoined.body.participants.map((p: { id: string }) => p.id)).toEqual(['a1', 'b1']);
    const events = (await bob.events(conferenceId, 0)).body;
    expect(events).toHaveLength(2);
    expect(events[0]).toEqual({
      id: expect.any(String),
      type: 'ConferenceJoinedEvent',
      conferenceId,
      conferenceVersion: 0,
      organizationId: 'default',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      userId: 'alice',
      userEndpointId: 'a1',
      metadata: { name: 'Alice' },
    });
    expect(events[1]).toMatchObject({ type: 'ConferenceJoinedEvent', conferenceVersion: 1, userId: 'bob', userEndpointId: 'b1', metadata: {} });
    expect((await bob.events(conferenceId, bobJoined.body.version)).body).toEqual([]);
  });

  it('is idempotent for the same endpoint: no second event, same aggregate', async () => {
    const conferenceId = await aliceIn();
    const again = await alice.post('join', { conferenceId, userEndpointId: 'a1', metadata: { name: 'Other' } });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(1);
    expect(again.body.participants).toEqual([expect.objectContaining({ id: 'a1', metadata: { name: 'Alice' } })]);
  });

  it('lets one user join with several endpoints', async () => {
    const conferenceId = await aliceIn();
    const second = await alice.post('join', { conferenceId, userEndpointId: 'a2' });
    expect(second.body.participants.map((p: { id: string }) => p.id)).toEqual(['a1', 'a2']);
  });

  it("403 for another user's endpoint id, 404 for an unknown conference", async () => {
    const conferenceId = await aliceIn();
    const stolen = await bob.post('join', { conferenceId, userEndpointId: 'a1' });
    expect(stolen.status).toBe(403);
    expect(stolen.body.message).toBe('userEndpointId a1 belongs to another user');
    const unknown = await bob.post('join', { conferenceId: 'no-such-room', userEndpointId: 'b1' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('conference no-such-room not found');
  });
});

describe('leave', () => {
  it('removes the endpoint with a ConferenceLeftEvent carrying the reason', async () => {
    const conferenceId = await aliceIn();
    await bob.post('join', { conferenceId, userEndpointId: 'b1' });
    expect((await bob.post('leave', { conferenceId, userEndpointId: 'b1', reason: 'bye' })).status).toBe(204);
    const events = (await alice.events(conferenceId, 2)).body;
    expect(events).toEqual([expect.objectContaining({ type: 'ConferenceLeftEvent', conferenceVersion: 2, userId: 'bob', userEndpointId: 'b1', reason: 'bye' })]);
    const { body } = await alice.conference(conferenceId);
    expect(body.participants.map((p: { id: string }) => p.id)).toEqual(['a1']);
    expect(body.version).toBe(3);
    // Left, bob may no longer read the conference.
    expect((await bob.conference(conferenceId)).status).toBe(403);
  });

  it('names a default reason, and the conference stays (empty) after the last one leaves', async () => {
    const conferenceId = await aliceIn();
    await alice.post('leave', { conferenceId, userEndpointId: 'a1' });
    const { body } = await service.conference(conferenceId);
    expect(body).toMatchObject({ empty: true, participants: [], version: 2 });
    expect((await service.events(conferenceId, 1)).body[0]).toMatchObject({ type: 'ConferenceLeftEvent', reason: 'left' });
  });

  it("404 for an endpoint that has not joined, 403 for another user's, state unchanged", async () => {
    const conferenceId = await aliceIn();
    const unknown = await alice.post('leave', { conferenceId, userEndpointId: 'zz' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe(`userEndpointId zz has not joined conference ${conferenceId}`);
    await bob.post('join', { conferenceId, userEndpointId: 'b1' });
    const before = (await alice.conference(conferenceId)).body;
    const foreign = await bob.post('leave', { conferenceId, userEndpointId: 'a1' });
    expect(foreign.status).toBe(403);
    expect((await alice.conference(conferenceId)).body).toEqual(before);
  });
});

describe('end', () => {
  it('appends ConferenceEndedEvent, answers a waiting poll with it, then the conference is gone', async () => {
    const conferenceId = await aliceIn();
    await bob.post('join', { conferenceId, userEndpointId: 'b1' });
    const waiting = bob.events(conferenceId, 2);
    expect((await alice.post('end', { conferenceId, userEndpointId: 'a1', reason: 'done' })).status).toBe(204);
    expect((await waiting).body).toEqual([
      expect.objectContaining({ type: 'ConferenceEndedEvent', conferenceVersion: 2, userId: 'alice', userEndpointId: 'a1', reason: 'done' }),
    ]);
    for (const answer of [
      await alice.conference(conferenceId),
      await alice.get(`${conferenceId}/simpleView`),
      await alice.events(conferenceId, 0),
      await alice.post('join', { conferenceId, userEndpointId: 'a1' }),
      await alice.post('updateMetadata', { conferenceId, userEndpointId: 'a1', key: 'k', operation: 'SET', value: 'v' }),
      await alice.post('end', { conferenceId, userEndpointId: 'a1' }),
    ]) {
      expect(answer.status).toBe(404);
    }
    // The id is free again.
    expect((await alice.post('create', { conferenceId })).body.version).toBe(0);
  });

  it('needs an own endpoint from a user, and any endpoint id from a service', async () => {
    const conferenceId = await aliceIn();
    expect((await bob.post('end', { conferenceId, userEndpointId: 'b1' })).status).toBe(404);
    expect((await bob.post('end', { conferenceId, userEndpointId: 'a1' })).status).toBe(403);
    expect((await service.post('end', { conferenceId, userEndpointId: 'a1' })).status).toBe(403);
    expect((await service.post('end', { conferenceId, userEndpointId: 'ops-console' })).status).toBe(204);
    expect((await alice.conference(conferenceId)).status).toBe(404);
  });
});

describe('reading a conference', () => {
  it('simpleView groups endpoints by user', async () => {
    const conferenceId = await aliceIn();
    await alice.post('join', { conferenceId, userEndpointId: 'a2', metadata: { name: 'Alice (phone)' } });
    await bob.post('join', { conferenceId, userEndpointId: 'b1' });
    await alice.post('updateMetadata', { conferenceId, userEndpointId: 'a1', key: 'topic', operation: 'SET', value: 'x' });
    const { status, body } = await bob.get(`${conferenceId}/simpleView`);
    expect(status).toBe(200);
    expect(body).toEqual({
      id: conferenceId,
      mode: 'ROUTER',
      metadata: { topic: expect.objectContaining({ value: 'x', userId: 'alice', userEndpointId: 'a1' }) },
      participants: [
        {
          id: 'alice',
          endpoints: [
            { id: 'a1', metadata: { name: 'Alice' }, state: 'HEALTHY', streams: [] },
            { id: 'a2', metadata: { name: 'Alice (phone)' }, state: 'HEALTHY', streams: [] },
          ],
        },
        { id: 'bob', endpoints: [{ id: 'b1', metadata: {}, state: 'HEALTHY', streams: [] }] },
      ],
      version: 4,
    });
  });

  it('needs an endpoint in it or the SERVICE role (403), for the aggregate, the simple view and the events', async () => {
    const conferenceId = await aliceIn();
    for (const path of [conferenceId, `${conferenceId}/simpleView`, `${conferenceId}/events?v=0`]) {
      const outsider = await carol.get(path);
      expect(outsider.status, path).toBe(403);
      expect(outsider.body.message).toBe(`user carol has no endpoint in conference ${conferenceId} (join it first)`);
      expect((await service.get(path)).status, path).toBe(200);
      expect((await alice.get(path)).status, path).toBe(200);
    }
  });

  it('404 for an unknown conference, 400 for an id longer than 128 characters', async () => {
    expect((await service.conference('nope')).body).toEqual({ status: 404, error: 'Not Found', message: 'conference nope not found' });
    const long = await service.conference('x'.repeat(129));
    expect(long.status).toBe(400);
    expect(long.body.message).toBe('path.id must be at most 128 characters long');
  });

  it('ids are opaque strings: spaces, slashes and unicode round-trip', async () => {
    const conferenceId = 'Weekly / Sync ✓ #1?';
    expect((await alice.post('create', { conferenceId })).status).toBe(200);
    await alice.post('join', { conferenceId, userEndpointId: 'ä/1' });
    const { body } = await alice.conference(conferenceId);
    expect(body).toMatchObject({ id: conferenceId, participants: [{ id: 'ä/1' }] });
    expect(await eventTypes(alice, conferenceId)).toEqual(['ConferenceJoinedEvent']);
  });
});

describe('organizations', () => {
  it('isolates conferences: same ids, separate namespaces, each invisible to the other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'confer-orgs-'));
    const clientsFile = join(dir, 'clients.json');
    writeFileSync(
      clientsFile,
      JSON.stringify({
        clients: [
          { clientId: 'acme-web', clientSecret: 'a', organizationId: 'acme', allowUserId: true },
          { clientId: 'acme-ops', clientSecret: 'a', organizationId: 'acme', roles: ['SERVICE'] },
          { clientId: 'globex-web', clientSecret: 'g', organizationId: 'globex', allowUserId: true },
        ],
      }),
    );
    const orgServer = await startTestServer({ clientsFile });
    try {
      const orgApi = new ApiCaller(orgServer.url);
      const acme = await orgApi.userToken('alice', { id: 'acme-web', secret: 'a' });
      const globex = await orgApi.userToken('alice', { id: 'globex-web', secret: 'g' });
      const acmeOps = await orgApi.clientToken({ id: 'acme-ops', secret: 'a' });
      const call = (token: string, op: string, body: unknown) =>
        orgApi.fetch(`/rtc-api/conferences/${op}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const read = (token: string, path: string) => orgApi.fetch(`/rtc-api/conferences/${path}`, { headers: { authorization: `Bearer ${token}` } });

      expect((await call(acme, 'create', { conferenceId: 'shared' })).status).toBe(200);
      expect((await call(acme, 'join', { conferenceId: 'shared', userEndpointId: 'e1' })).status).toBe(200);
      // Same user id, other organization: the conference does not exist there.
      expect((await read(globex, 'shared')).status).toBe(404);
      expect((await call(globex, 'join', { conferenceId: 'shared', userEndpointId: 'e2' })).status).toBe(404);
      expect((await call(globex, 'create', { conferenceId: 'shared' })).status).toBe(200);
      expect((await call(globex, 'join', { conferenceId: 'shared', userEndpointId: 'e1' })).status).toBe(200);
      const acmeView = await read(acmeOps, 'shared');
      expect(acmeView.body).toMatchObject({ organizationId: 'acme', participants: [{ id: 'e1' }], version: 1 });
      expect((await read(globex, 'shared')).body).toMatchObject({ organizationId: 'globex', version: 1 });
      expect((await read(acme, 'shared/events?v=0')).body).toEqual([expect.objectContaining({ organizationId: 'acme' })]);
    } finally {
      await orgServer.close();
    }
  });
});
