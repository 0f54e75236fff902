import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCaller } from '../api/support/ApiCaller.js';
import { sdpOffer } from '../api/support/sdpOffers.js';
import { freePort, startRedis, type TestRedis } from './support/redisServer.js';

interface SeenEvent {
  type: string;
  conferenceVersion: number;
}

interface Aggregate {
  version: number;
  participants: Array<{ id: string; state: string; metadata: unknown; streams: unknown[] }>;
}

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

let redis: TestRedis;
let port: number;
const processes: ChildProcess[] = [];

/** `npm run server` as its own process on the test's Redis and port; resolves once it listens. */
function startProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, REDIS_URL: redis.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', RTC_LOOPBACK: '1', CONFER_EVENT_WAIT_MS: '60000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the server process exited (${code}) before listening:\n${output}`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

beforeAll(async () => {
  redis = await startRedis();
  port = await freePort();
});
afterAll(async () => {
  for (const child of processes) await kill(child);
  await redis.stop();
});

describe('a server process on Redis killed mid-call and started again', () => {
  it('loses nothing: conference, endpoints, metadata, events and tokens survive, versions go on; its lost media unpublishes its streams saying so', async () => {
    await startProcess();
    const api = new ApiCaller(`http://127.0.0.1:${port}`);
    const [alice, bob, service] = await Promise.all([api.as('alice'), api.as('bob'), api.asClient()]);
    const conferenceId = 'mid-call';
    await alice.post('create', { conferenceId, metadata: { topic: 'restart' } });
    await alice.post('join', { conferenceId, userEndpointId: 'a1', metadata: { name: 'Alice' } });
    await bob.post('join', { conferenceId, userEndpointId: 'b1' });
    const published = await alice.post('publishStream', {
      conferenceId,
      userEndpointId: 'a1',
      conferenceStreamType: 'MIC_AND_CAM',
      sdpOffer: await sdpOffer('sendonly'),
      streamId: { id: 'alice-cam' },
      metadata: { label: 'camera' },
    });
    expect(published.status).toBe(200);
    await bob.post('updateMetadata', { conferenceId, userEndpointId: 'b1', key: 'mood', operation: 'SET', value: 'calm' });
    expect((await service.post('sendEvent', { conferenceId, event: { type: 'ChatMessageEvent', timestamp: '2030-01-01T00:00:00Z', text: 'hello' } })).status).toBe(200);
    const before = (await bob.conference(conferenceId)).body as Aggregate;
    expect(before.participants[0]!.streams).toHaveLength(1);
    const eventsBefore = (await bob.events(conferenceId, 0)).body as Array<{ conferenceVersion: number }>;
    expect(eventsBefore).toHaveLength(5);
    // A poll waiting when the process dies: the client sees its connection fail and polls again.
    const cut = bob.events(conferenceId, eventsBefore.length).catch((error: Error) => error);

    await kill(processes[0]!);
    expect(await cut).toBeInstanceOf(Error);
    await startProcess();

    // Same tokens (the development secret is in Redis), same state, same events. The media of the
    // dead process is gone: the cluster reports it lost, and its stream is unpublished saying so
    // (the library publishes again); everything else is as it was.
    const withoutStreams = (aggregate: Aggregate) => ({ ...aggregate, version: undefined, participants: aggregate.participants.map((p) => ({ ...p, streams: undefined })) });
    expect(withoutStreams((await bob.conference(conferenceId)).body as Aggregate)).toEqual(withoutStreams(before));
    expect(((await bob.events(conferenceId, 0)).body as unknown[]).slice(0, eventsBefore.length)).toEqual(eventsBefore);
    // The call goes on from where it was: versions continue, no gap, one event per change.
    await alice.post('updateParticipantMetadata', { conferenceId, userEndpointId: 'a1', newMetadata: { name: 'Alice', back: true } });
    const next: SeenEvent[] = [];
    while (!next.some((e) => e.type === 'ConferenceParticipantMetadataUpdatedEvent')) {
      next.push(...((await bob.events(conferenceId, eventsBefore.length + next.length)).body as SeenEvent[]));
    }
    expect(next.map((e) => e.conferenceVersion)).toEqual(next.map((_, i) => eventsBefore.length + i));
    for (const event of next.filter((e) => e.type !== 'ConferenceParticipantMetadataUpdatedEvent')) {
      expect(event).toMatchObject({ type: 'ConferenceStreamUnpublishedEvent', streamId: 'alice-cam', reason: expect.stringMatching(/media node .* stopped answering/) });
    }
    const after = (await service.conference(conferenceId)).body as Aggregate;
    expect(after.version).toBe(eventsBefore.length + next.length);
    expect(after.participants.map((p) => [p.id, p.state, p.metadata])).toEqual([
      ['a1', 'HEALTHY', { name: 'Alice', back: true }],
      ['b1', 'HEALTHY', {}],
    ]);
  }, 60_000);
});
