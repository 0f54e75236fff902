import { ConferenceError } from '../api/ConferenceError.js';
import type { MediaDevicesLike } from './browser.js';
import type { MediaKind } from './mediaKinds.js';
import { kindsOf } from './mediaKinds.js';

/** The stream types `room.publish()` accepts. */
export type PublishType = 'MIC_AND_CAM' | 'MIC' | 'CAM' | 'SCREEN';

/** Capture constraints for the tracks the library captures itself. */
export interface CaptureOptions {
  /** getUserMedia/getDisplayMedia audio constraints; `true` by default when the type has audio (false for SCREEN). */
  audio?: boolean | MediaTrackConstraints;
  /** Video constraints; `true` by default when the type has video. */
  video?: boolean | MediaTrackConstraints;
}

/** Streams `createLocalStream` captured: `room.publish()` takes their tracks over (and stops them at the end). */
const capturedStreams = new WeakSet<MediaStream>();

/** Marks a stream `createLocalStream` captured. @internal */
export function markCaptured(stream: MediaStream): MediaStream {
  capturedStreams.add(stream);
  return stream;
}

/** Whether `createLocalStream` captured this stream. @internal */
export function capturedByLibrary(stream: MediaStream): boolean {
  return capturedStreams.has(stream);
}

/** Captures what a stream type needs: camera and/or microphone, or the screen. @internal */
export async function captureStream(devices: MediaDevicesLike | undefined, type: PublishType, options: CaptureOptions): Promise<MediaStream> {
  if (!devices) throw ConferenceError.media('no mediaDevices: pass { mediaStream } to publish() or { mediaDevices } to the Room');
  try {
    if (type === 'SCREEN') {
      const stream = await devices.getDisplayMedia({ video: options.video ?? true, audio: options.audio ?? false });
      // "detail" tells the encoder to keep text sharp and drop frames rather than resolution.
      for (const track of stream.getVideoTracks()) if ('contentHint' in track) track.contentHint = 'detail';
      return stream;
    }
    const kinds = kindsOf(type);
    return await devices.getUserMedia({
      audio: kinds.includes('audio') ? (options.audio ?? true) : false,
      video: kinds.includes('video') ? (options.video ?? true) : false,
    });
  } catch (cause) {
    throw ConferenceError.media(`capturing ${type} failed: ${(cause as Error)?.message ?? String(cause)}`, cause);
  }
}

/** Captures one camera or microphone by device id (empty: the default one), for a device switch or fallback. @internal */
export async function captureDevice(devices: MediaDevicesLike | undefined, kind: MediaKind, deviceId: string): Promise<MediaStreamTrack> {
  if (!devices) throw ConferenceError.media('no mediaDevices to capture from');
  let stream: MediaStream;
  try {
    stream = await devices.getUserMedia({ [kind]: deviceId ? { deviceId: { exact: deviceId } } : true });
  } catch (cause) {
    throw ConferenceError.media(`capturing ${kind} device ${deviceId || '(default)'} failed: ${(cause as Error)?.message ?? String(cause)}`, cause);
  }
  const [track] = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
  if (!track) throw ConferenceError.media(`device ${deviceId} gave no ${kind} track`);
  return track;
}
