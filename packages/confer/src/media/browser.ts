/** Creates a peer connection; tests pass a fake. */
export type CreatePeerConnection = (configuration: RTCConfiguration) => RTCPeerConnection;

/** Creates a MediaStream from tracks; tests pass a fake. */
export type CreateMediaStream = (tracks: MediaStreamTrack[]) => MediaStream;

/** What `listDevices` and the device events need of `navigator.mediaDevices` (each optional: without them there are no device events). */
export type DeviceListLike = Partial<Pick<MediaDevices, 'enumerateDevices' | 'addEventListener' | 'removeEventListener'>>;

/** The capture and device functions the library calls; tests pass fakes. */
export type MediaDevicesLike = Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'> & DeviceListLike;

/**
 * The first WebRTC interface the library needs that `scope` lacks, or undefined when it has them all: a
 * peer connection, and transceivers (every stream is sent and received through `addTransceiver`). @internal
 */
export function missingWebRtc(scope: object = globalThis): string | undefined {
  return ['RTCPeerConnection', 'RTCRtpTransceiver'].find((name) => typeof (scope as Record<string, unknown>)[name] !== 'function');
}

/**
 * The browser defaults of every injectable, resolved when a Room is created (never at import, so the
 * package loads in Node). No shim library: the browsers we support (Chromium 103+, Firefox 115+,
 * Safari 15.4+) have natively every API we call, and their remaining quirks are handled where we call
 * the API (see the README's "Supported browsers"). @internal
 */
export function browserDefaults(): {
  createPeerConnection: CreatePeerConnection;
  createMediaStream: CreateMediaStream;
  mediaDevices: MediaDevicesLike | undefined;
  /** The user agent, for the debug log. */
  browser: string;
} {
  const page = typeof navigator === 'undefined' ? undefined : navigator;
  return {
    createPeerConnection: (configuration) => new RTCPeerConnection(configuration),
    createMediaStream: (tracks) => new MediaStream(tracks),
    mediaDevices: page?.mediaDevices,
    browser: page?.userAgent ?? 'no navigator',
  };
}
