import { createRequire } from 'node:module';
import type * as Wrtc from '@roamhq/wrtc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@confer/server';
import type { ConferenceServer } from '@confer/server';
import { ApiClient, Room } from '../../src/index.js';
import type { ConferenceEvent, RoomOptions } from '../../src/index.js';
import { uuid } from '../../src/util/uuid.js';
import { createFakeMediaStream, FakeWindow } from '../fakes/media.js';
import { waitFor } from '../fakes/waitFor.js';

/** libwebrtc for Node (CommonJS with named-only typings), for the one test that publishes. */
const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as typeof Wrtc;

/** The reference server in its default mode and in strict mode (only what the documentation promises, like the cloud service). */
const MODES = [
  { mode: 'default', strict: false },
  { mode: 'strict', strict: true },
];

describe.each(MODES)('Room against the reference server ($mode mode)', ({ strict }) => {
  let server: ConferenceServer;
  const rooms: Room[] = [];

  beforeAll(async () => {
    server = await startServer({ port: 0, logLevel: 'silent', announce: () => undefined, eventWaitMs: 500, strict });
  });

  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((room) => room.leave()));
  });

  afterAll(async () => {
    await server?.close();
  });

  /** A room without media: no peer connection may be created (these tests publish nothing and view nothing). */
  function room(userId: string, options: Partial<RoomOptions> = {}): Room {
    const created = new Room({
      baseUrl: server.url,
      auth: { clientId: 'demo', clientSecret: 'demo', userId },
      autoView: false,
      window: null,
      createMediaStream: createFakeMediaStream,
      createPeerConnection: () => {
        throw new Error('no media in these tests');
      },
      ...options,
    });
    rooms.push(created);
    return created;
  }

  describe('Room against the reference server (no media)', () => {
    it('join with create, see each other, metadata and custom events, leave, end', async () => {
      const conferenceId = uuid();
      const alice = room('alice');
      const bob = room('bob');
      const aliceLog: string[] = [];
      alice.on('participantJoined', (p) => aliceLog.push(`joined ${p.userId} ${JSON.stringify(p.metadata)}`));
      alice.on('participantLeft', (p) => aliceLog.push(`left ${p.userId}`));
      alice.on('metadataChanged', (change) =>
        aliceLog.push(change.target === 'conference' ? `conference ${change.key}=${change.value}` : `${change.target} ${JSON.stringify(change.target === 'participant' ? change.participant.metadata : {})}`),
      );
      const aliceEvents: ConferenceEvent[] = [];
      alice.on('event', (e) => aliceEvents.push(e));

      await alice.join(conferenceId, { metadata: { name: 'Alice' }, create: true });
      expect(alice.state).toBe('joined');
      await bob.join(conferenceId, { metadata: { name: 'Bob' }, create: true });
      expect(bob.participants.map((p) => p.userId)).toEqual(['alice']);
      await waitFor(() => alice.participants.length === 1, 'alice to see bob');

      await bob.setConferenceMetadata('topic', 'planning');
      await bob.setMetadata({ name: 'Robert' });
      await new ApiClient({ baseUrl: server.url, auth: { clientId: 'service', clientSecret: 'service' } }).sendEvent({
        conferenceId,
        event: { type: 'ParticipantKickedEvent', timestamp: new Date().toISOString(), target: 'nobody' },
      });
      await waitFor(() => aliceEvents.some((e) => e.type === 'ParticipantKickedEvent'), 'the custom event');
      expect(alice.metadata).toEqual({ topic: 'planning' });
      expect(alice.participants[0]?.metadata).toEqual({ name: 'Robert' });

      const versionBefore = alice.version!;
      await bob.leave();
      expect(bob.state).toBe('left');
      await waitFor(() => alice.participants.length === 0, 'bob to be gone');
      expect(aliceLog).toEqual(['joined bob {"name":"Bob"}', 'conference topic=planning', 'participant {"name":"Robert"}', 'left bob']);
      // Versions are contiguous: every event was applied once, in order.
      expect(aliceEvents.map((e) => e.conferenceVersion)).toEqual(aliceEvents.map((_, i) => aliceEvents[0]!.conferenceVersion + i));
      expect(alice.version).toBeGreaterThan(versionBefore);

      const endedWith: (string | undefined)[] = [];
      const carol = room('carol');
      carol.on('ended', (reason) => endedWith.push(reason));
      await carol.join(conferenceId);
      await alice.end('done');
      expect(alice.state).toBe('ended');
      await waitFor(() => carol.state === 'ended', 'carol to see the end');
      expect(endedWith).toEqual(['done']);
    });

    it('the native clients’ conventions: name and avatarUrl, ON_HOLD… and RECORDER… conference metadata', async () => {
      const conferenceId = uuid();
      const alice = room('alice');
      const bob = room('bob');
      const seen: string[] = [];
      alice.on('onHoldChanged', (onHold) => seen.push(`onHold:${onHold}`));
      alice.on('recordingChanged', (recording, state) => seen.push(`recording:${recording}:${state}`));
      await alice.join(conferenceId, { create: true });
      await bob.join(conferenceId, { name: 'Bob', avatarUrl: 'https://example.test/bob.png' });
      await waitFor(() => alice.participants.length === 1, 'alice to see bob');
      expect([alice.participants[0]!.name, alice.participants[0]!.avatarUrl]).toEqual(['Bob', 'https://example.test/bob.png']);

      // What a native client would set: keys starting with ON_HOLD and RECORDER.
      await bob.setConferenceMetadata('ON_HOLD_bob', 'true');
      await bob.setConferenceMetadata('RECORDER_1', JSON.stringify({ state: 'RECORDING' }));
      await waitFor(() => alice.onHold && alice.recording, 'alice to see the hold and the recorder');
      await bob.setConferenceMetadata('ON_HOLD_bob', undefined);
      await bob.setConferenceMetadata('RECORDER_1', undefined);
      await waitFor(() => !alice.onHold && !alice.recording, 'alice to see both end');
      expect(seen).toEqual(['onHold:true', 'recording:true:RECORDING', 'onHold:false', 'recording:false:undefined']);

      // A participant joining later reads the state from the aggregate.
      await bob.setConferenceMetadata('ON_HOLD_bob', 'true');
      const carol = room('carol');
      await carol.join(conferenceId);
      expect(carol.onHold).toBe(true);
    });

    it('publishes the native clients’ stream metadata, which the others read from the server', async () => {
      const conferenceId = uuid();
      const alice = room('alice');
      const bob = room('bob', { createPeerConnection: (configuration) => new wrtc.RTCPeerConnection(configuration) as unknown as RTCPeerConnection });
      await alice.join(conferenceId, { create: true });
      await bob.join(conferenceId, { name: 'Bob' });
      const microphone = new wrtc.nonstandard.RTCAudioSource().createTrack();
      const published = await bob.publish({ type: 'MIC', mediaStream: new wrtc.MediaStream([microphone]) as unknown as MediaStream, metadata: { label: 'mic' } });
      await waitFor(() => alice.remoteStreams.length === 1, 'alice to see the stream');
      expect(alice.remoteStreams[0]!.streamId).toBe(published.streamId);
      expect(alice.remoteStreams[0]!.metadata).toEqual({
        correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        primary: true,
        portraitMode: false,
        participantName: 'Bob',
        label: 'mic',
      });
      await bob.leave();
      microphone.stop();
    });

    it('a failed join (no such conference) leaves the room idle with a 404 error', async () => {
      const alice = room('alice');
      await expect(alice.join(uuid())).rejects.toMatchObject({ code: 'api', operation: 'join', status: 404 });
      expect(alice.state).toBe('idle');
    });

    it('pagehide leaves with a keepalive request', async () => {
      const conferenceId = uuid();
      const page = new FakeWindow();
      const alice = room('alice', { window: page });
      const bob = room('bob');
      await alice.join(conferenceId, { create: true });
      await bob.join(conferenceId);
      expect(page.listenerCount).toBe(1);
      page.dispatchEvent(new Event('pagehide'));
      expect(alice.state).toBe('left');
      expect(page.listenerCount).toBe(0);
      await waitFor(() => bob.participants.length === 0, 'the server to see alice leave');
    });
  });

  describe('Room through a network outage (reference server ghost rule)', () => {
    let ghostServer: ConferenceServer;

    beforeAll(async () => {
      ghostServer = await startServer({
        port: 0,
        logLevel: 'silent',
        announce: () => undefined,
        eventWaitMs: 100,
        ghostSickAfterMs: 400,
        ghostRemoveAfterMs: 400,
        strict,
      });
    });

    afterAll(async () => {
      await ghostServer?.close();
    });

    it('joins again under the same endpoint id after the server removed it as a ghost', async () => {
      let offline = false;
      const flakyFetch = ((input: RequestInfo | URL, init?: RequestInit) =>
        offline ? Promise.reject(new TypeError('network is down')) : fetch(input, init)) as typeof fetch;
      const conferenceId = uuid();
      const alice = room('alice', { baseUrl: ghostServer.url, fetch: flakyFetch, backoff: { initialMs: 20, maxMs: 50 } });
      const bob = room('bob', { baseUrl: ghostServer.url });
      const aliceStates: string[] = [];
      alice.on('stateChanged', (state) => aliceStates.push(state));
      const bobSaw: string[] = [];
      bob.on('participantJoined', (p) => bobSaw.push(`joined ${p.userEndpointId}`));
      bob.on('participantLeft', (p) => bobSaw.push(`left ${p.userEndpointId}`));

      await alice.join(conferenceId, { metadata: { name: 'Alice' }, create: true });
      await bob.join(conferenceId);
      bobSaw.length = 0;
      offline = true;
      await waitFor(() => bobSaw.includes(`left ${alice.userEndpointId}`), 'the server to remove alice', 10_000);
      expect(alice.state).toBe('reconnecting');
      offline = false;
      await waitFor(() => alice.state === 'joined' && bobSaw.length === 2, 'alice to be back', 10_000);
      expect(bobSaw).toEqual([`left ${alice.userEndpointId}`, `joined ${alice.userEndpointId}`]);
      expect(bob.participants.map((p) => [p.userEndpointId, p.metadata])).toEqual([[alice.userEndpointId, { name: 'Alice' }]]);
      expect(aliceStates).toEqual(['joining', 'joined', 'reconnecting', 'joined']);
    });
  });
});
