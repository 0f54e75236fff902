import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@confer/server';
import type { ConferenceServer } from '@confer/server';
import { ApiClient, ConferenceError } from '../../src/index.js';
import type { Conference } from '../../src/index.js';
import { EventLoop } from '../../src/events/EventLoop.js';
import { silentLogger } from '../../src/util/logger.js';
import { uuid } from '../../src/util/uuid.js';
import { waitFor } from '../fakes/waitFor.js';

/** The reference server in its default mode and in strict mode (only what the documentation promises, like the cloud service). */
const MODES = [
  { mode: 'default', strict: false },
  { mode: 'strict', strict: true },
];

describe.each(MODES)('ApiClient against the reference server ($mode mode)', ({ strict }) => {
  let server: ConferenceServer;

  beforeAll(async () => {
    server = await startServer({ port: 0, logLevel: 'silent', announce: () => undefined, eventWaitMs: 500, eventRetention: 5, strict });
  });

  afterAll(async () => {
    await server?.close();
  });

  const userClient = (userId: string) => new ApiClient({ baseUrl: server.url, auth: { clientId: 'demo', clientSecret: 'demo', userId } });
  const serviceClient = () => new ApiClient({ baseUrl: server.url, auth: { clientId: 'service', clientSecret: 'service' } });

  async function rejection(promise: Promise<unknown>): Promise<ConferenceError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConferenceError);
    return error as ConferenceError;
  }

  describe('ApiClient against the reference server', () => {
    it('creates, joins (the aggregate answer; strict: {}), and reports a second create as 409 (strict: 403)', async () => {
      const alice = userClient('alice');
      const conferenceId = uuid();
      const summary = await alice.create({ conferenceId });
      expect(summary.id).toBe(conferenceId);
      const joined: Conference = await alice.join({ conferenceId, userEndpointId: 'alice-1', metadata: { name: 'Alice' } });
      if (strict) expect(joined).toEqual({});
      const state = strict ? await alice.simpleView(conferenceId) : joined;
      expect(typeof state.version).toBe('number');
      expect(state.participants?.map((p) => [p.id, p.userId, p.metadata])).toEqual([['alice-1', 'alice', { name: 'Alice' }]]);
      const conflict = await rejection(alice.create({ conferenceId }));
      expect(conflict).toMatchObject({ code: 'api', operation: 'create', status: strict ? 403 : 409 });
      expect(conflict.serverMessage).toContain(conferenceId);
      await alice.leave({ conferenceId, userEndpointId: 'alice-1' });
    });

    it('turns server errors into ConferenceError with the message naming the culprit', async () => {
      const alice = userClient('alice');
      const missing = await rejection(alice.getConference('no-such-conference'));
      expect(missing).toMatchObject({ code: 'api', operation: 'getConference', status: 404 });
      expect(missing.serverMessage).toContain('no-such-conference');

      const conferenceId = uuid();
      await alice.create({ conferenceId });
      await alice.join({ conferenceId, userEndpointId: 'alice-2' });
      const bad = await rejection(alice.publishStream({ conferenceId, userEndpointId: 'alice-2', conferenceStreamType: 'CAM', sdpOffer: '' }));
      expect(bad).toMatchObject({ status: 400, operation: 'publishStream' });
      expect(bad.serverMessage).toMatch(/sdpOffer/);

      const refused = await rejection(new ApiClient({ baseUrl: server.url, auth: { clientId: 'demo', clientSecret: 'wrong' } }).getConference(conferenceId));
      expect(refused).toMatchObject({ operation: 'issueToken', status: 401 });
      expect(refused.details.body).toMatchObject({ error: 'invalid_client' });
    });

    it('long-polls events in order, custom events included in the same version sequence', async () => {
      const alice = userClient('alice');
      const conferenceId = uuid();
      await alice.create({ conferenceId });
      await alice.join({ conferenceId, userEndpointId: 'alice-3' });
      const { version = 0 } = await alice.getConference(conferenceId);
      // Polling from the aggregate's version answers what the aggregate does not show, in both modes.
      const first = strict ? version + 1 : version;
      await alice.updateMetadata({ conferenceId, userEndpointId: 'alice-3', key: 'topic', operation: 'SET', value: 'demo' });
      const sent = await serviceClient().sendEvent({ conferenceId, event: { type: 'ParticipantKickedEvent', timestamp: new Date().toISOString(), who: 'nobody' } });
      expect(sent.eventsSent).toBeGreaterThanOrEqual(1);
      const events = await alice.getEvents(conferenceId, version);
      expect(events.map((e) => [e.type, e.conferenceVersion])).toEqual([
        ['ConferenceMetadataUpdatedEvent', first],
        ['ParticipantKickedEvent', first + 1],
      ]);
      expect(events[1]).toMatchObject({ who: 'nobody' });
      expect((await alice.getConference(conferenceId)).metadata?.topic?.value).toBe('demo');
    });

    it('retries with a new token after a 401', async () => {
      const alice = userClient('alice');
      const conferenceId = uuid();
      await alice.create({ conferenceId });
      await alice.join({ conferenceId, userEndpointId: 'alice-5' });
      const tokens = ['forged.token.value'];
      const viaCallback = new ApiClient({
        baseUrl: server.url,
        auth: {
          getToken: async () => tokens.shift() ?? (await alice.issueToken({ clientId: 'demo', clientSecret: 'demo', userId: 'alice' })).access_token,
        },
      });
      const conference = await viaCallback.getConference(conferenceId);
      expect(conference.id).toBe(conferenceId);
      expect(tokens).toEqual([]);
    });

    it('the event loop resyncs from the aggregate when its version is no longer kept (410)', async () => {
      const alice = userClient('alice');
      const conferenceId = uuid();
      await alice.create({ conferenceId });
      await alice.join({ conferenceId, userEndpointId: 'alice-4' });
      for (let i = 0; i < 8; i++) await alice.updateMetadata({ conferenceId, userEndpointId: 'alice-4', key: `k${i}`, operation: 'SET', value: String(i) });
      const gone = await rejection(alice.getEvents(conferenceId, 0));
      expect(gone.status).toBe(410);
      const resyncs: Conference[] = [];
      const delivered: string[] = [];
      const loop = new EventLoop({
        api: alice,
        conferenceId,
        fromVersion: 0,
        onEvent: (e) => delivered.push(String(e.key ?? e.type)),
        onResync: (c) => resyncs.push(c),
        onConnectionChange: () => undefined,
        onStop: () => undefined,
        logger: silentLogger,
      });
      const done = loop.start();
      await waitFor(() => resyncs.length === 1, 'the resync');
      expect(Object.keys(resyncs[0]?.metadata ?? {})).toHaveLength(8);
      await alice.updateMetadata({ conferenceId, userEndpointId: 'alice-4', key: 'after', operation: 'SET', value: 'x' });
      await waitFor(() => delivered.includes('after'), 'the event after the resync');
      expect(delivered).toEqual(['after']);
      loop.close();
      await done;
    });
  });
});
