/**
 * The demo's own access to cameras, microphones and speakers, for the pre-join preview and the
 * device pickers. SEAM: the library is gaining `listDevices()` / `devicesChanged` and
 * `createLocalStream()`; when they land, these two functions become calls to them.
 */

/** The devices of each kind, as the pickers list them. */
export interface DeviceLists {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
}

/** Lists the devices (labels are empty until the page has been allowed to capture once). */
export async function listDevices(mediaDevices: MediaDevices = navigator.mediaDevices): Promise<DeviceLists> {
  const all = await mediaDevices.enumerateDevices().catch(() => []);
  // Chromium lists a "default" and a "communications" alias besides the real devices; the alias is enough.
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

/** The outcome of capturing a preview: the tracks got, and the error of each kind that failed. */
export interface Captured {
  stream: MediaStream;
  cameraError?: unknown;
  microphoneError?: unknown;
}

/**
 * Captures camera and microphone for the preview. Each kind is asked for on its own, so a denied
 * camera still leaves the microphone (and the other way round), and the page can say which failed.
 */
export async function capturePreview(choice: CaptureChoice, mediaDevices: MediaDevices = navigator.mediaDevices): Promise<Captured> {
  const result: Captured = { stream: new MediaStream() };
  const constraint = (deviceId: string | undefined): MediaTrackConstraints | boolean => (deviceId ? { deviceId: { exact: deviceId } } : true);
  const [video, audio] = await Promise.allSettled([
    choice.camera ? mediaDevices.getUserMedia({ video: constraint(choice.cameraId) }) : Promise.resolve(undefined),
    choice.microphone ? mediaDevices.getUserMedia({ audio: constraint(choice.microphoneId) }) : Promise.resolve(undefined),
  ]);
  if (video.status === 'fulfilled') video.value?.getTracks().forEach((track) => result.stream.addTrack(track));
  else result.cameraError = video.reason;
  if (audio.status === 'fulfilled') audio.value?.getTracks().forEach((track) => result.stream.addTrack(track));
  else result.microphoneError = audio.reason;
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
