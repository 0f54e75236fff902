import { createLocalStream, listDevices as listMediaDevices } from 'confer/devices';

/**
 * The pre-join screen's devices, through the library: `listDevices()` for the pickers and
 * `createLocalStream()` for the preview, whose stream `room.publish({ mediaStream })` then sends
 * without asking again (and stops when it is unpublished).
 */

/** The devices of each kind, as the pickers list them. */
export interface DeviceLists {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
}

/** Lists the devices (labels are empty until the page has been allowed to capture once). */
export async function listDevices(): Promise<DeviceLists> {
  const all = await listMediaDevices().catch(() => []);
  // Chromium lists a "communications" alias besides the real devices and the "default" one; "default" is enough.
  const of = (kind: MediaDeviceKind) => all.filter((device) => device.kind === kind && device.deviceId !== 'communications');
  return { cameras: of('videoinput'), microphones: of('audioinput'), speakers: of('audiooutput') };
}

/** What the preview asks for: each kind on or off, and which device. */
export interface CaptureChoice {
  camera: boolean;
  microphone: boolean;
  cameraId?: string;
  microphoneId?: string;
}

/** The outcome of capturing a preview: the stream got, and the error of each kind that failed. */
export interface Captured {
  stream: MediaStream;
  cameraError?: unknown;
  microphoneError?: unknown;
}

/**
 * Captures the preview with one `createLocalStream` (one permission prompt, one stream to publish).
 * When that fails, each kind is asked for on its own, so a denied camera still leaves the microphone
 * (and the other way round) and the page can say which one failed.
 */
export async function capturePreview(choice: CaptureChoice): Promise<Captured> {
  const video = choice.cameraId ? { deviceId: { exact: choice.cameraId } } : true;
  const audio = choice.microphoneId ? { deviceId: { exact: choice.microphoneId } } : true;
  if (!choice.camera && !choice.microphone) return { stream: new MediaStream() };
  const type = choice.camera && choice.microphone ? 'MIC_AND_CAM' : choice.camera ? 'CAM' : 'MIC';
  try {
    return { stream: await createLocalStream({ type, video, audio }) };
  } catch (error) {
    if (type !== 'MIC_AND_CAM') return { stream: new MediaStream(), ...(type === 'CAM' ? { cameraError: error } : { microphoneError: error }) };
  }
  const [camera, microphone] = await Promise.allSettled([createLocalStream({ type: 'CAM', video }), createLocalStream({ type: 'MIC', audio })]);
  const result: Captured = { stream: new MediaStream() };
  if (camera.status === 'fulfilled' && microphone.status === 'fulfilled') {
    // Both work alone but not together (rare): one stream of both, which the call then owns and stops.
    result.stream = new MediaStream([...camera.value.getTracks(), ...microphone.value.getTracks()]);
    return result;
  }
  if (camera.status === 'fulfilled') result.stream = camera.value;
  else result.cameraError = camera.reason;
  if (microphone.status === 'fulfilled') result.stream = microphone.value;
  else result.microphoneError = microphone.reason;
  return result;
}

/** Whether this browser can route audio to a chosen speaker (`HTMLMediaElement.setSinkId`; not Firefox < 116, not Safari). */
export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/** Routes an element's audio to `deviceId` where supported; a refusal keeps the current output. */
export async function routeAudio(element: HTMLMediaElement, deviceId: string | undefined): Promise<void> {
  if (!deviceId || !canChooseSpeaker()) return;
  const sink = element as HTMLMediaElement & { setSinkId(id: string): Promise<void> };
  await sink.setSinkId(deviceId).catch(() => undefined);
}
