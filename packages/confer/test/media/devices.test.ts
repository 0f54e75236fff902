import { describe, expect, it, vi } from 'vitest';
import { capturedByLibrary } from '../../src/media/capture.js';
import { createLocalStream, listDevices, watchDevices } from '../../src/media/devices.js';
import { Playback } from '../../src/media/Playback.js';
import type { RemoteStream } from '../../src/media/RemoteStream.js';
import { fakeMediaDevices } from '../fakes/media.js';
import type { FakeTrack } from '../fakes/media.js';
import { waitFor } from '../fakes/waitFor.js';
import { roomHarness } from '../room/roomHarness.js';

const device = (kind: MediaDeviceKind, deviceId: string) => ({ kind, deviceId, label: deviceId, groupId: 'g' }) as MediaDeviceInfo;

class FakeDevices extends EventTarget {
  list = [device('audioinput', 'mic'), device('videoinput', 'cam')];
  enumerateDevices = async () => this.list;
}

describe('devices', () => {
  it('lists devices, by kind if asked, before any room exists', async () => {
    const devices = new FakeDevices();
    expect((await listDevices(undefined, devices)).map((d) => d.deviceId)).toEqual(['mic', 'cam']);
    expect((await listDevices('videoinput', devices)).map((d) => d.deviceId)).toEqual(['cam']);
    await expect(listDevices('audioinput', {})).rejects.toMatchObject({ code: 'media' });
  });

  it('captures a preview stream that publish() will own', async () => {
    const stream = await createLocalStream({ type: 'MIC' }, fakeMediaDevices());
    expect(capturedByLibrary(stream)).toBe(true);
    expect(stream.getAudioTracks()).toHaveLength(1);
  });

  it('watchDevices reports devicechange until stopped, and removes its listener', async () => {
    const devices = new FakeDevices();
    const { room } = roomHarness();
    const seen: string[][] = [];
    const stop = watchDevices(room, { mediaDevices: devices, onChange: (list) => seen.push(list.map((d) => d.deviceId)) });
    devices.list = [device('audioinput', 'mic')];
    devices.dispatchEvent(new Event('devicechange'));
    await vi.waitFor(() => expect(seen).toEqual([['mic']]));
    stop();
    devices.dispatchEvent(new Event('devicechange'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toHaveLength(1);
  });

  it('watchDevices moves a stream whose device is gone to the default one, and stops when the room leaves', async () => {
    const devices = new FakeDevices();
    const { room, devices: capture } = roomHarness();
    const seen: string[] = [];
    watchDevices(room, { mediaDevices: devices, onChange: () => seen.push('change'), onFallback: (stream, kind, lost) => seen.push(`fallback ${stream.streamId === local.streamId} ${kind} ${lost}`) });
    await room.join('c1');
    const local = await room.publish({ type: 'MIC' });
    const [microphone] = local.mediaStream.getAudioTracks() as unknown as (FakeTrack & { getSettings?: () => MediaTrackSettings })[];
    microphone!.getSettings = () => ({ deviceId: 'usb-mic' });
    devices.list = [device('audioinput', 'mic')];
    devices.dispatchEvent(new Event('devicechange'));
    await waitFor(() => seen.length === 2, 'the fallback');
    expect(seen).toEqual(['change', 'fallback true audio usb-mic']);
    expect(capture.calls.at(-1)).toEqual({ method: 'getUserMedia', constraints: { audio: true } });
    expect(local.mediaStream.getAudioTracks()[0]).not.toBe(microphone);
    expect(microphone!.readyState).toBe('ended');
    await room.leave();
    devices.dispatchEvent(new Event('devicechange'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toHaveLength(2);
  });
});

describe('Playback', () => {
  const stream = {} as RemoteStream;
  const element = (play: () => Promise<void>) => ({ play: vi.fn(play) }) as unknown as HTMLMediaElement & { play: ReturnType<typeof vi.fn> };

  it('reports an autoplay refusal and resumes it from startAudio', async () => {
    const blocked: HTMLMediaElement[] = [];
    const playback = new Playback((_stream, el) => blocked.push(el));
    let allowed = false;
    const video = element(async () => {
      if (!allowed) throw new DOMException('needs a gesture', 'NotAllowedError');
    });
    await playback.play(stream, video);
    expect(blocked).toEqual([video]);
    expect(playback.isBlocked).toBe(true);
    allowed = true;
    await playback.resume();
    expect(playback.isBlocked).toBe(false);
    expect(video.play).toHaveBeenCalledTimes(2);
  });

  it('ignores an AbortError (detached before playing)', async () => {
    const playback = new Playback(() => expect.unreachable());
    await playback.play(stream, element(async () => Promise.reject(new DOMException('aborted', 'AbortError'))));
    expect(playback.isBlocked).toBe(false);
  });
});
