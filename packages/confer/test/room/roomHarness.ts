import { Room } from '../../src/index.js';
import type { ConferenceParticipant, RoomEvents, RoomOptions } from '../../src/index.js';
import { FakeApi } from '../fakes/FakeApi.js';
import { createFakeMediaStream, fakeMediaDevices, FakeWindow } from '../fakes/media.js';
import { FakePeerConnectionFactory } from '../fakes/FakePeerConnection.js';

/** Another endpoint in the fake conference, with the given published stream ids. */
export function participant(id: string, streams: string[] = [], metadata: Record<string, unknown> = {}): ConferenceParticipant {
  return { id, userId: `${id}-user`, metadata, state: 'HEALTHY', streams: streams.map((s) => ({ id: { id: s }, type: 'MIC_AND_CAM', metadata: {} })) };
}

/** A Room wired to a fake API, fake peer connections, fake capture and a fake window; every event is logged. */
export function roomHarness(options: Partial<RoomOptions> = {}) {
  const api = new FakeApi();
  api.conference = { id: 'c1', participants: [], metadata: {} };
  const pcs = new FakePeerConnectionFactory();
  const devices = fakeMediaDevices();
  const window = new FakeWindow();
  const room = new Room({
    baseUrl: 'http://server.test',
    auth: { clientId: 'demo', clientSecret: 'demo', userId: 'me' },
    userEndpointId: 'me',
    fetch: api.fetch,
    createPeerConnection: pcs.create,
    createMediaStream: createFakeMediaStream,
    mediaDevices: devices,
    window,
    backoff: { initialMs: 1, maxMs: 4 },
    ...options,
  });
  const log: string[] = [];
  const names: (keyof RoomEvents)[] = [
    'stateChanged',
    'participantJoined',
    'participantLeft',
    'participantStateChanged',
    'streamAdded',
    'streamRemoved',
    'streamMuteChanged',
    'localStreamRemoved',
    'localStreamConnectionStateChanged',
    'remoteStreamConnectionStateChanged',
    'metadataChanged',
    'ended',
    'event',
    'error',
  ];
  for (const name of names) {
    room.on(name, (...args: unknown[]) => log.push(`${name}:${describe(args[0])}${args.length > 1 && name !== 'stateChanged' ? `:${args.slice(1).join(':')}` : ''}`));
  }
  return { api, pcs, devices, window, room, log, logOf: (name: string) => log.filter((l) => l.startsWith(`${name}:`)) };
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object' || value === null) return String(value);
  const v = value as Record<string, unknown>;
  if ('streamId' in v && 'mediaStream' in v) return String(v.streamId);
  if ('userEndpointId' in v && 'streams' in v) return String(v.userEndpointId);
  if ('target' in v) return v.target === 'conference' ? `conference:${String(v.key)}=${String(v.value)}` : `${String(v.target)}`;
  if ('conferenceVersion' in v) return String(v.type);
  if ('code' in v) return `${String(v.code)}:${String(v.status)}`;
  return JSON.stringify(value);
}
