import { ConferenceError } from '../api/ConferenceError.js';
import type { DeviceListLike, MediaDevicesLike } from './browser.js';
import { captureStream } from './capture.js';
import type { CaptureOptions, PublishType } from './capture.js';

/** Options of `createLocalStream`: the stream type and the capture constraints, as `room.publish()` takes them. */
export interface LocalStreamOptions extends CaptureOptions {
  type: PublishType;
}

const pageDevices = (): MediaDevicesLike | undefined => (typeof navigator === 'undefined' ? undefined : navigator.mediaDevices);

/** Streams `createLocalStream` captured: `room.publish()` takes their tracks over (and stops them at the end). */
const capturedStreams = new WeakSet<MediaStream>();

/** Lists cameras (`videoinput`), microphones (`audioinput`) and speakers (`audiooutput`); works before join. Labels stay empty until the page was granted a capture. */
export async function listDevices(kind?: MediaDeviceKind, mediaDevices: DeviceListLike | undefined = pageDevices()): Promise<MediaDeviceInfo[]> {
  if (!mediaDevices?.enumerateDevices) throw ConferenceError.media('no mediaDevices.enumerateDevices in this page');
  const devices = await mediaDevices.enumerateDevices();
  return kind ? devices.filter((device) => device.kind === kind) : devices;
}

/** Captures a stream before joining (preview, device test); `room.publish({ type, mediaStream })` then sends it without asking again and stops its tracks when it is unpublished. */
export async function createLocalStream(options: LocalStreamOptions, mediaDevices: MediaDevicesLike | undefined = pageDevices()): Promise<MediaStream> {
  const stream = await captureStream(mediaDevices, options.type, options);
  capturedStreams.add(stream);
  return stream;
}

/** Whether `createLocalStream` captured this stream. @internal */
export function capturedByLibrary(stream: MediaStream): boolean {
  return capturedStreams.has(stream);
}

/**
 * Listens to `devicechange` while `watching` is set and reports the new device list. The listener
 * goes with an AbortController of its own, so stopping removes it. @internal
 */
export class DeviceWatcher {
  private controller: AbortController | undefined;

  constructor(
    private readonly mediaDevices: DeviceListLike | undefined,
    private readonly onChange: (devices: MediaDeviceInfo[]) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Adds or removes the `devicechange` listener. */
  set watching(on: boolean) {
    if (on && !this.controller && this.mediaDevices?.addEventListener) {
      const controller = new AbortController();
      this.controller = controller;
      this.mediaDevices.addEventListener('devicechange', () => void this.refresh(controller.signal), { signal: controller.signal });
    } else if (!on && this.controller) {
      this.controller.abort();
      this.controller = undefined;
    }
  }

  private async refresh(signal: AbortSignal): Promise<void> {
    try {
      const devices = await listDevices(undefined, this.mediaDevices);
      if (!signal.aborted) this.onChange(devices);
    } catch (error) {
      if (!signal.aborted) this.onError(error);
    }
  }
}
