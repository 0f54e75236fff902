import { ConferenceError } from '../api/ConferenceError.js';
import type { Room } from '../room/Room.js';
import type { DeviceListLike, MediaDevicesLike } from './browser.js';
import { captureStream, markCaptured } from './capture.js';
import type { CaptureOptions, PublishType } from './capture.js';
import type { LocalStream } from './LocalStream.js';
import type { MediaKind } from './mediaKinds.js';

/** Options of `createLocalStream`: the stream type and the capture constraints, as `room.publish()` takes them. */
export interface LocalStreamOptions extends CaptureOptions {
  type: PublishType;
}

/** What `watchDevices` reports, and where it listens. */
export interface DeviceWatchOptions {
  /** The browser's device list changed (`devicechange`). */
  onChange?: (devices: MediaDeviceInfo[]) => void;
  /** The camera or microphone a stream used went away; the stream now sends the default device. */
  onFallback?: (stream: LocalStream, kind: MediaKind, lostDeviceId: string) => void;
  /** Listing the devices or capturing the default one failed. */
  onError?: (error: ConferenceError) => void;
  /** `navigator.mediaDevices` by default. */
  mediaDevices?: DeviceListLike;
}

const pageDevices = (): MediaDevicesLike | undefined => (typeof navigator === 'undefined' ? undefined : navigator.mediaDevices);

/** Lists cameras (`videoinput`), microphones (`audioinput`) and speakers (`audiooutput`); works before join. Labels stay empty until the page was granted a capture. */
export async function listDevices(kind?: MediaDeviceKind, mediaDevices: DeviceListLike | undefined = pageDevices()): Promise<MediaDeviceInfo[]> {
  if (!mediaDevices?.enumerateDevices) throw ConferenceError.media('no mediaDevices.enumerateDevices in this page');
  const devices = await mediaDevices.enumerateDevices();
  return kind ? devices.filter((device) => device.kind === kind) : devices;
}

/** Captures a stream before joining (preview, device test); `room.publish({ type, mediaStream })` then sends it without asking again and stops its tracks when it is unpublished. */
export async function createLocalStream(options: LocalStreamOptions, mediaDevices: MediaDevicesLike | undefined = pageDevices()): Promise<MediaStream> {
  return markCaptured(await captureStream(mediaDevices, options.type, options));
}

/**
 * Follows `devicechange` for a room: reports the new list, and moves each of the room's camera or
 * microphone tracks whose device is gone (or whose track ended) to the default device. Stops when the
 * returned function is called or the room leaves or ends; the listener goes with its own AbortController.
 */
export function watchDevices(room: Room, options: DeviceWatchOptions = {}): () => void {
  const { onChange, onFallback, onError, mediaDevices = pageDevices() } = options;
  const controller = new AbortController();
  const { signal } = controller;
  const stop = () => {
    controller.abort();
    unbind();
  };
  const unbind = room.on('stateChanged', (state) => (state === 'left' || state === 'ended') && stop());
  const report = (error: unknown, message: string) => onError?.(ConferenceError.from(error, (cause) => ConferenceError.media(message, cause)));
  mediaDevices?.addEventListener?.(
    'devicechange',
    () =>
      void listDevices(undefined, mediaDevices).then(
        (devices) => {
          if (signal.aborted) return;
          onChange?.(devices);
          fallBack(room, devices, onFallback, report);
        },
        (error: unknown) => !signal.aborted && report(error, 'listing devices failed'),
      ),
    { signal },
  );
  return stop;
}

/** A camera or microphone in use that is gone is replaced by the default one. */
function fallBack(room: Room, devices: MediaDeviceInfo[], onFallback: DeviceWatchOptions['onFallback'], report: (error: unknown, message: string) => void): void {
  for (const local of room.localStreams) {
    if (local.type === 'SCREEN') continue;
    for (const track of local.mediaStream.getTracks()) {
      const deviceId = track.getSettings?.().deviceId ?? '';
      const present = devices.some((device) => device.deviceId === deviceId && device.kind === `${track.kind}input`);
      if (track.readyState !== 'ended' && (present || !deviceId)) continue;
      const kind = track.kind as MediaKind;
      local.switchDevice(kind, '').then(
        () => onFallback?.(local, kind, deviceId),
        (error: unknown) => report(error, `falling back from ${kind} device ${deviceId} failed`),
      );
    }
  }
}
