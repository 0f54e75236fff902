import adapter from 'webrtc-adapter';

/** Creates a peer connection; tests pass a fake. */
export type CreatePeerConnection = (configuration: RTCConfiguration) => RTCPeerConnection;

/** Creates a MediaStream from tracks; tests pass a fake. */
export type CreateMediaStream = (tracks: MediaStreamTrack[]) => MediaStream;

/** What `listDevices` and the device events need of `navigator.mediaDevices` (each optional: without them there are no device events). */
export type DeviceListLike = Partial<Pick<MediaDevices, 'enumerateDevices' | 'addEventListener' | 'removeEventListener'>>;

/** The capture and device functions the library calls; tests pass fakes. */
export type MediaDevicesLike = Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'> & DeviceListLike;

/**
 * The browser defaults of every injectable, resolved when a Room is created (never at import, so
 * the package loads in Node). `webrtc-adapter` is imported here and only here: importing it shims
 * the browser's WebRTC globals once, and naming `adapter.browserDetails` keeps bundlers from
 * dropping the import as unused. @internal
 */
export function browserDefaults(): {
  createPeerConnection: CreatePeerConnection;
  createMediaStream: CreateMediaStream;
  mediaDevices: MediaDevicesLike | undefined;
  browser: string;
} {
  // Bundlers load webrtc-adapter's ES module; Node's ESM loader gets its CommonJS build, whose
  // default export is wrapped once more ({ default: adapter }).
  const details = adapter.browserDetails ?? (adapter as unknown as { default?: typeof adapter }).default?.browserDetails;
  const { browser, version } = details ?? { browser: undefined, version: undefined };
  return {
    createPeerConnection: (configuration) => new RTCPeerConnection(configuration),
    createMediaStream: (tracks) => new MediaStream(tracks),
    mediaDevices: typeof navigator === 'undefined' ? undefined : navigator.mediaDevices,
    browser: `${browser ?? 'unknown'} ${version ?? ''}`.trim(),
  };
}
