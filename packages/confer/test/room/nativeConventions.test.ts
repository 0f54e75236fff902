import { describe, expect, it } from 'vitest';
import { isPortrait, participantMetadata, readOnHold, readRecording, streamMetadata } from '../../src/room/nativeConventions.js';
import { FakeMediaStream, FakeTrack } from '../fakes/media.js';

const metadata = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('the native clients’ conference metadata', () => {
  it('is on hold while any ON_HOLD… key holds a value other than empty, false, 0 or null', () => {
    expect(readOnHold(metadata({}))).toBe(false);
    expect(readOnHold(metadata({ topic: 'true', HOLD: 'true' }))).toBe(false);
    for (const off of ['', 'false', 'FALSE', ' 0 ', 'null']) expect(readOnHold(metadata({ ON_HOLD: off })), off).toBe(false);
    for (const on of ['true', '1', 'alice', '{"by":"alice"}']) expect(readOnHold(metadata({ ON_HOLD: on })), on).toBe(true);
    expect(readOnHold(metadata({ 'ON_HOLD/alice': 'false', 'ON_HOLD/bob': 'true' }))).toBe(true);
  });

  it('records while a RECORDER… key is present, unless its value or its JSON state says it stopped', () => {
    expect(readRecording(metadata({ topic: 'x' }))).toEqual({ recording: false, state: undefined });
    expect(readRecording(metadata({ RECORDER: '' }))).toEqual({ recording: true, state: undefined });
    expect(readRecording(metadata({ RECORDER: 'true' }))).toEqual({ recording: true, state: undefined });
    expect(readRecording(metadata({ RECORDER: 'false' }))).toEqual({ recording: false, state: undefined });
    expect(readRecording(metadata({ RECORDER_abc: '{"state":"RECORDING","startedAt":1}' }))).toEqual({ recording: true, state: 'RECORDING' });
    expect(readRecording(metadata({ RECORDER_abc: '{"state":"STOPPED"}' }))).toEqual({ recording: false, state: 'STOPPED' });
    expect(readRecording(metadata({ RECORDER: '{"recording":false}' }))).toEqual({ recording: false, state: undefined });
    // Not JSON after all: present means recording.
    expect(readRecording(metadata({ RECORDER: '{oops' }))).toEqual({ recording: true, state: undefined });
  });

  it('joins with name and avatarUrl under the caller’s own keys', () => {
    expect(participantMetadata(undefined, undefined, undefined)).toBeUndefined();
    expect(participantMetadata({ team: 'blue' }, undefined, undefined)).toEqual({ team: 'blue' });
    expect(participantMetadata({ team: 'blue' }, 'Alice', 'https://x.test/a.png')).toEqual({ name: 'Alice', avatarUrl: 'https://x.test/a.png', team: 'blue' });
    expect(participantMetadata({ name: 'Explicit' }, 'Alice', undefined)).toEqual({ name: 'Explicit' });
  });

  it('publishes correlationId, primary, portraitMode and participantName with each stream', () => {
    const conventions = { correlationId: 'c-1', primary: true, portraitMode: false, participantName: 'Alice' };
    expect(streamMetadata(conventions, undefined)).toEqual({ correlationId: 'c-1', primary: true, portraitMode: false, participantName: 'Alice' });
    expect(streamMetadata({ ...conventions, participantName: undefined }, { label: 'main', primary: false })).toEqual({
      correlationId: 'c-1',
      primary: false,
      portraitMode: false,
      label: 'main',
    });
  });

  it('reads portrait mode from the video track’s settings', () => {
    const video = (width?: number, height?: number) => Object.assign(new FakeTrack('video'), { getSettings: () => ({ width, height }) });
    const stream = (...tracks: FakeTrack[]) => new FakeMediaStream(tracks) as unknown as MediaStream;
    expect(isPortrait(stream(video(480, 640)))).toBe(true);
    expect(isPortrait(stream(video(640, 480)))).toBe(false);
    expect(isPortrait(stream(video()))).toBe(false);
    expect(isPortrait(stream(new FakeTrack('audio')))).toBe(false);
  });
});
