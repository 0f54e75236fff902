import { describe, expect, it, vi } from 'vitest';
import { capturedByLibrary, createLocalStream, DeviceWatcher, listDevices } from '../../src/media/devices.js';
import { Playback } from '../../src/media/Playback.js';
import type { RemoteStream } from '../../src/media/RemoteStream.js';
import { fakeMediaDevices } from '../fakes/media.js';

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

  it('reports devicechange only while watching, and removes its listener when stopped', async () => {
    const devices = new FakeDevices();
    const seen: string[][] = [];
    const watcher = new DeviceWatcher(devices, (list) => seen.push(list.map((d) => d.deviceId)), () => undefined);
    devices.dispatchEvent(new Event('devicechange'));
    watcher.watching = true;
    devices.list = [device('audioinput', 'mic')];
    devices.dispatchEvent(new Event('devicechange'));
    await vi.waitFor(() => expect(seen).toEqual([['mic']]));
    watcher.watching = false;
    devices.dispatchEvent(new Event('devicechange'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toHaveLength(1);
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
