import type { AuthOptions } from '../api/auth.js';
import type { Metadata } from '../api/types.js';
import type { browserDefaults, CreateMediaStream, CreatePeerConnection, MediaDevicesLike } from '../media/browser.js';
import type { CaptureOptions, PublishType } from '../media/capture.js';
import type { CreateAudioContext } from '../stats/MutedSpeech.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../api/ApiClient.js';
import { DEFAULT_POLL_TIMEOUT_MS } from '../events/EventLoop.js';
import { DEFAULT_DISCONNECTED_GRACE_MS } from '../media/PeerSession.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import type { BackoffOptions } from '../util/ReconnectPolicy.js';
import { DEFAULT_BACKOFF } from '../util/ReconnectPolicy.js';
import { uuid } from '../util/uuid.js';

/** How to reach the conference API, and (for tests or unusual pages) the browser pieces to use. */
export interface RoomOptions {
  /** The API origin: the reference server's URL, or the cloud service's origin. */
  baseUrl: string;
  /** Client credentials, a static `token`, or a `getToken` callback. */
  auth: AuthOptions;
  /** View every remote stream as it appears (default true); false leaves it to `room.view()`. */
  autoView?: boolean;
  /** Ask for the video layer that fits the size and visibility of the elements a stream is `attach()`ed to (default true). */
  adaptiveStream?: boolean;
  /** Stop encoding the simulcast layers no viewer receives, as the server says (default true). */
  dynacast?: boolean;
  /** This endpoint's id in the conference; a random UUID by default. */
  userEndpointId?: string;
  /** Passed to every RTCPeerConnection (e.g. `iceServers`); `bundlePolicy: 'max-bundle'` by default. */
  rtcConfiguration?: RTCConfiguration;
  /** Diagnostics (pass `console`); silent by default. */
  logger?: Logger;
  /** Retry delays of the event loop, the rejoin, viewers and publishers (default 500 ms doubling to 10 s, jittered). */
  backoff?: BackoffOptions;
  /** How long `leave()` waits for the server to acknowledge (default 5000 ms). */
  leaveTimeoutMs?: number;
  /** How long any request may wait for its answer before it fails with code `timeout` and is retried where it can be (default 10 000 ms). */
  requestTimeoutMs?: number;
  /** How long the server holds an event poll that has no event (reference server: 5000 ms, the default); a poll unanswered 3 s after that counts as a lost connection. */
  pollTimeoutMs?: number;
  /** How long a media connection may stay `disconnected` before it is replaced (default 2000 ms), instead of waiting 15-30 s for `failed`. */
  disconnectedGraceMs?: number;
  /** `globalThis.fetch` by default. */
  fetch?: typeof fetch;
  /** `(config) => new RTCPeerConnection(config)` by default. */
  createPeerConnection?: CreatePeerConnection;
  /** `(tracks) => new MediaStream(tracks)` by default. */
  createMediaStream?: CreateMediaStream;
  /** `navigator.mediaDevices` by default. */
  mediaDevices?: MediaDevicesLike;
  /** `() => new AudioContext()` by default; made only to measure a muted microphone for `speakingWhileMutedChanged`. */
  createAudioContext?: CreateAudioContext;
  /** Where `pagehide` is listened for while joined: `window` by default, `null` for none. */
  window?: Pick<EventTarget, 'addEventListener'> | null;
}

/** Options of `room.join()`. */
export interface JoinOptions {
  /** This participant's metadata, e.g. `{ team: 'blue' }`. */
  metadata?: Metadata;
  /** The display name, sent as metadata `name` (the native clients show it) and with each stream as `participantName`. */
  name?: string;
  /** A picture URL, sent as metadata `avatarUrl`. */
  avatarUrl?: string;
  /** Create the conference first when it does not exist (an existing one is joined as is). */
  create?: boolean;
}

/** Options of `room.publish()`. */
export interface PublishOptions extends CaptureOptions {
  type: PublishType;
  /** Tracks to send instead of capturing; they stay the caller's (the library does not stop them). */
  mediaStream?: MediaStream;
  /** Video bitrate cap in bits per second (with simulcast, of each layer). */
  videoBitrate?: number;
  /** Send the camera in three layers (default true for CAM and MIC_AND_CAM, false for SCREEN). */
  simulcast?: boolean;
  /** Stream metadata remote participants see. */
  metadata?: Metadata;
}

/** RoomOptions with every default filled in. @internal */
export type ResolvedRoomOptions = Required<Pick<RoomOptions, 'autoView' | 'adaptiveStream' | 'dynacast' | 'userEndpointId' | 'rtcConfiguration' | 'logger' | 'backoff' | 'leaveTimeoutMs' | 'requestTimeoutMs' | 'pollTimeoutMs' | 'disconnectedGraceMs'>> & {
  createPeerConnection: CreatePeerConnection;
  createMediaStream: CreateMediaStream;
  createAudioContext: CreateAudioContext;
  mediaDevices: MediaDevicesLike | undefined;
  window: Pick<EventTarget, 'addEventListener'> | undefined;
};

/** Fills in the defaults of every option. @internal */
export function resolveRoomOptions(options: RoomOptions, defaults: ReturnType<typeof browserDefaults>): ResolvedRoomOptions {
  const pageWindow = typeof window === 'undefined' ? undefined : window;
  return {
    autoView: options.autoView ?? true,
    adaptiveStream: options.adaptiveStream ?? true,
    dynacast: options.dynacast ?? true,
    userEndpointId: options.userEndpointId ?? uuid(),
    rtcConfiguration: { bundlePolicy: 'max-bundle', ...options.rtcConfiguration },
    logger: options.logger ?? silentLogger,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    leaveTimeoutMs: options.leaveTimeoutMs ?? 5000,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    pollTimeoutMs: options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS,
    disconnectedGraceMs: options.disconnectedGraceMs ?? DEFAULT_DISCONNECTED_GRACE_MS,
    createPeerConnection: options.createPeerConnection ?? defaults.createPeerConnection,
    createMediaStream: options.createMediaStream ?? defaults.createMediaStream,
    createAudioContext: options.createAudioContext ?? (() => new AudioContext()),
    mediaDevices: options.mediaDevices ?? defaults.mediaDevices,
    window: options.window === null ? undefined : (options.window ?? pageWindow),
  };
}
