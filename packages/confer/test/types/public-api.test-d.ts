import { describe, expectTypeOf, it } from 'vitest';
import { ApiClient, Room } from 'confer';
import type {
  ConferenceError,
  ConferenceErrorCode,
  ConferenceEvent,
  EndedCause,
  LocalStream,
  MediaKind,
  MetadataChange,
  Participant,
  RemoteStream,
  RoomEvents,
  RoomState,
  StreamConnectionState,
  StreamType,
} from 'confer';

declare const room: Room;

describe('Room options', () => {
  it('accepts the three kinds of auth', () => {
    new Room({ baseUrl: 'http://127.0.0.1:8080', auth: { clientId: 'demo', clientSecret: 'demo', userId: 'alice' } });
    new Room({ baseUrl: 'https://cloud.example', auth: { token: 'eyJ…' } });
    new Room({ baseUrl: 'https://cloud.example', auth: { getToken: async () => 'eyJ…' }, autoView: false });
    new Room({ baseUrl: 'x', auth: { token: 't' }, requestTimeoutMs: 8000, pollTimeoutMs: 5000, disconnectedGraceMs: 1500 });
    // @ts-expect-error auth is required
    new Room({ baseUrl: 'http://127.0.0.1:8080' });
    // @ts-expect-error client credentials need a secret
    new Room({ baseUrl: 'x', auth: { clientId: 'demo' } });
  });
});

describe('Room methods', () => {
  it('join, publish and leave have the documented shapes', () => {
    expectTypeOf(room.join).parameters.toEqualTypeOf<[string, ({ metadata?: Record<string, unknown>; name?: string; avatarUrl?: string; create?: boolean } | undefined)?]>();
    expectTypeOf(room.join('c', { metadata: { name: 'Alice' }, create: true })).toEqualTypeOf<Promise<void>>();
    expectTypeOf(room.publish({ type: 'MIC_AND_CAM' })).toEqualTypeOf<Promise<LocalStream>>();
    expectTypeOf(room.leave()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(room.end()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(room.view('s')).toEqualTypeOf<Promise<RemoteStream>>();
    // @ts-expect-error UNKNOWN cannot be published
    void room.publish({ type: 'UNKNOWN' });
  });

  it('exposes the documented getters', () => {
    expectTypeOf(room.participants).toEqualTypeOf<Participant[]>();
    expectTypeOf(room.remoteStreams).toEqualTypeOf<RemoteStream[]>();
    expectTypeOf(room.localStreams).toEqualTypeOf<LocalStream[]>();
    expectTypeOf(room.state).toEqualTypeOf<RoomState>();
    expectTypeOf(room.version).toEqualTypeOf<number | undefined>();
    expectTypeOf(room.conferenceId).toEqualTypeOf<string | undefined>();
    expectTypeOf<RoomState>().toEqualTypeOf<'idle' | 'joining' | 'joined' | 'reconnecting' | 'left' | 'ended'>();
  });
});

describe('Room events', () => {
  it('types each listener from the event map and returns an unbind function', () => {
    const unbind = room.on('streamAdded', (remote) => {
      expectTypeOf(remote).toEqualTypeOf<RemoteStream>();
      expectTypeOf(remote.mediaStream).toMatchTypeOf<HTMLVideoElement['srcObject']>();
      expectTypeOf(remote.type).toEqualTypeOf<StreamType>();
      expectTypeOf(remote.userId).toEqualTypeOf<string | undefined>();
    });
    expectTypeOf(unbind).toEqualTypeOf<() => void>();
    room.on('stateChanged', (state, previous) => {
      expectTypeOf(state).toEqualTypeOf<RoomState>();
      expectTypeOf(previous).toEqualTypeOf<RoomState>();
    });
    room.on('participantJoined', (p) => expectTypeOf(p).toEqualTypeOf<Participant>());
    room.on('streamMuteChanged', (_stream, kind, muted) => {
      expectTypeOf(kind).toEqualTypeOf<MediaKind>();
      expectTypeOf(muted).toEqualTypeOf<boolean>();
    });
    room.on('event', (event) => expectTypeOf(event).toEqualTypeOf<ConferenceEvent>());
    room.on('error', (error) => expectTypeOf(error).toEqualTypeOf<ConferenceError>());
    room.on('ended', (reason) => expectTypeOf(reason).toEqualTypeOf<string | undefined>());
    room.on('ended', (_reason, cause) => expectTypeOf(cause).toEqualTypeOf<EndedCause>());
    expectTypeOf<EndedCause>().toEqualTypeOf<'ended' | 'not-found'>();
    room.on('localStreamConnectionStateChanged', (stream, state) => {
      expectTypeOf(stream).toEqualTypeOf<LocalStream>();
      expectTypeOf(state).toEqualTypeOf<StreamConnectionState>();
    });
    room.on('remoteStreamConnectionStateChanged', (stream, state) => {
      expectTypeOf(stream).toEqualTypeOf<RemoteStream>();
      expectTypeOf(state).toEqualTypeOf<StreamConnectionState>();
    });
    expectTypeOf<StreamConnectionState>().toEqualTypeOf<'connecting' | 'connected' | 'reconnecting' | 'failed'>();
    room.on('metadataChanged', (change) => {
      if (change.target === 'conference') expectTypeOf(change.value).toEqualTypeOf<string | undefined>();
      if (change.target === 'stream') expectTypeOf(change.stream).toEqualTypeOf<RemoteStream>();
    });
    expectTypeOf<keyof RoomEvents>().toEqualTypeOf<
      | 'activeSpeakersChanged'
      | 'connectionQualityChanged'
      | 'localConnectionQualityChanged'
      | 'statsUpdated'
      | 'audioPlaybackBlocked'
      | 'onHoldChanged'
      | 'recordingChanged'
      | 'speakingWhileMutedChanged'
      | 'stateChanged'
      | 'participantJoined'
      | 'participantLeft'
      | 'participantStateChanged'
      | 'streamAdded'
      | 'streamRemoved'
      | 'streamMuteChanged'
      | 'localStreamRemoved'
      | 'localStreamConnectionStateChanged'
      | 'remoteStreamConnectionStateChanged'
      | 'metadataChanged'
      | 'ended'
      | 'event'
      | 'error'
    >();
    expectTypeOf<MetadataChange['target']>().toEqualTypeOf<'conference' | 'participant' | 'stream'>();
  });

  it('rejects unknown events and mistyped listeners', () => {
    // @ts-expect-error no such event
    room.on('trackAdded', () => undefined);
    // @ts-expect-error streamAdded gives a RemoteStream, not a string
    room.on('streamAdded', (id: string) => id);
  });
});

describe('LocalStream', () => {
  it('offers bitrate, mute and unpublish', () => {
    const local = {} as LocalStream;
    expectTypeOf(local.setVideoBitrate(300_000)).toEqualTypeOf<Promise<void>>();
    expectTypeOf(local.setMuted('audio', true)).toEqualTypeOf<Promise<void>>();
    expectTypeOf(local.unpublish()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(local.streamId).toEqualTypeOf<string>();
    expectTypeOf(local.connectionState).toEqualTypeOf<StreamConnectionState>();
    expectTypeOf(({} as RemoteStream).connectionState).toEqualTypeOf<StreamConnectionState>();
    // @ts-expect-error only audio or video can be muted
    void local.setMuted('screen', true);
  });
});

describe('errors and the API client', () => {
  it('has string codes and typed details', () => {
    expectTypeOf<ConferenceErrorCode>().toEqualTypeOf<'invalid-state' | 'api' | 'network' | 'aborted' | 'timeout' | 'negotiation' | 'media' | 'unsupported'>();
    const error = {} as ConferenceError;
    expectTypeOf(error.status).toEqualTypeOf<number | undefined>();
    expectTypeOf(error.operation).toEqualTypeOf<string | undefined>();
    expectTypeOf(error.serverMessage).toEqualTypeOf<string | undefined>();
  });

  it('types request bodies from the OpenAPI contract', () => {
    const api = new ApiClient({ baseUrl: 'x', auth: { token: 't' } });
    void api.viewStream({ conferenceId: 'c', userEndpointId: 'e', streamId: { id: 's' }, sdpOffer: 'v=0' });
    // @ts-expect-error streamId is an object { id } in the API
    void api.viewStream({ conferenceId: 'c', userEndpointId: 'e', streamId: 's', sdpOffer: 'v=0' });
  });
});
