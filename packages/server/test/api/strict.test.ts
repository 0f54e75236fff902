import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverOptionsFromEnv } from '../../src/ServerOptions.js';
import type { ConferenceServer } from '../../src/startServer.js';
import { ApiCaller, type UserCaller } from './support/ApiCaller.js';
import { startTestServer } from './support/testServer.js';

let server: ConferenceServer;
let alice: UserCaller;
let bob: UserCaller;
let counter = 0;

beforeAll(async () => {
  server = await startTestServer({ strict: true, eventWaitMs: 300, eventRetention: 3 });
  const api = new ApiCaller(server.url);
  [alice, bob] = await Promise.all([api.as('alice'), api.as('bob')]);
});
afterAll(() => server.close());

async function room(): Promise<string> {
  const conferenceId = `strict-${++counter}`;
  expect((await alice.post('create', { conferenceId })).body).toEqual({ id: conferenceId, mode: 'ROUTER', version: 0 });
  return conferenceId;
}

const versions = (answer: { body: Array<{ conferenceVersion: number }> }) => answer.body.map((e) => e.conferenceVersion);

describe('strict mode (CONFER_STRICT=1): only what the documentation promises', () => {
  it('is read from CONFER_STRICT', () => {
    expect(serverOptionsFromEnv({ CONFER_STRICT: '1' }).strict).toBe(true);
    expect(serverOptionsFromEnv({ CONFER_STRICT: '0' }).strict).toBe(false);
    expect(serverOptionsFromEnv({}).strict).toBeUndefined();
    expect(() => serverOptionsFromEnv({ CONFER_STRICT: 'yes' })).toThrow('CONFER_STRICT must be 1 or 0');
  });

  it('join answers {} (a new endpoint and a repeated join alike)', async () => {
    const conferenceId = await room();
    const joined = await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    expect([joined.status, joined.body]).toEqual([200, {}]);
    expect((await alice.post('join', { conferenceId, userEndpointId: 'a1' })).body).toEqual({});
  });

  it('create of a taken id answers 403 (documented; 409 is not among create\'s answers)', async () => {
    const conferenceId = await room();
    const again = await bob.post('create', { conferenceId });
    expect(again.status).toBe(403);
    expect(again.body.message).toBe(`conference ${conferenceId} already exists`);
  });

  it('the aggregate and simpleView carry the version of the last event; v is exclusive (the events after it)', async () => {
    const conferenceId = await room();
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    await bob.post('join', { conferenceId, userEndpointId: 'b1' });
    const aggregate = (await alice.conference(conferenceId)).body;
    expect(aggregate.version).toBe(2);
    expect((await alice.get(`${conferenceId}/simpleView`)).body.version).toBe(2);
    expect(versions(await alice.events(conferenceId, 0))).toEqual([1, 2]);
    expect(versions(await alice.events(conferenceId, 1))).toEqual([2]);
    // Polling from the aggregate's version waits for the next event, and it carries version 3.
    const poll = alice.events(conferenceId, aggregate.version);
    await bob.post('updateMetadata', { conferenceId, userEndpointId: 'b1', key: 'k', operation: 'SET', value: 'v' });
    expect(versions(await poll)).toEqual([3]);
    expect((await alice.conference(conferenceId)).body.version).toBe(3);
  });

  it('410 names the v that asks for the oldest event kept', async () => {
    const conferenceId = await room();
    await alice.post('join', { conferenceId, userEndpointId: 'a1' });
    for (const key of ['a', 'b', 'c']) await alice.post('updateMetadata', { conferenceId, userEndpointId: 'a1', key, operation: 'SET', value: key });
    // Four events, three kept: versions 2..4, asked for with v=1.
    const gone = await alice.events(conferenceId, 0);
    expect([gone.status, gone.body.oldestVersion]).toEqual([410, 1]);
    expect(versions(await alice.events(conferenceId, gone.body.oldestVersion))).toEqual([2, 3, 4]);
  });
});
