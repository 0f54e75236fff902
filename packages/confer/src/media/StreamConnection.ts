import type { ApiClient } from '../api/ApiClient.js';
import type { Logger } from '../util/logger.js';
import type { RetryOptions } from '../util/ReconnectPolicy.js';
import type { ReconnectPolicy } from '../util/ReconnectPolicy.js';
import { ConferenceError } from '../api/ConferenceError.js';
import type { CreatePeerConnection } from './browser.js';
import { ICE_RESTART_TIMEOUT_MS } from './PeerSession.js';
import type { PeerSession, PeerSessionOptions } from './PeerSession.js';

/** A stream's media connection as the application sees it, across the peer connections that carry it in turn. */
export type StreamConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed';

/** How an ICE restart attempt ended: connected again; the server out of reach (the restart is tried again, the server still holds the connection); or the connection must be replaced. @internal */
export type IceRestartOutcome = 'restarted' | 'unreachable' | 'replace';

/** What a check of this endpoint's membership found: still in the conference, not (the room rejoins), or no answer. @internal */
export type Presence = 'present' | 'absent' | 'unknown';

/** What a Publisher and a Viewer share: the endpoint, the peer connection factory and how they recover. @internal */
export interface StreamOwnerOptions {
  api: ApiClient;
  conferenceId: string;
  userEndpointId: string;
  createPeerConnection: CreatePeerConnection;
  rtcConfiguration: RTCConfiguration;
  logger: Logger;
  /** Asks the room whether this endpoint is still in the conference (after a 404 or 403); `absent` means the room rejoins and restarts us. */
  checkPresence?: (() => Promise<Presence>) | undefined;
  disconnectedGraceMs?: number | undefined;
  backoff?: RetryOptions;
  random?: () => number;
}

/**
 * Derives a stream's connection state from its successive peer connections: `connecting` until one
 * connects, `reconnecting` whenever a connected stream loses its connection until another connects,
 * `failed` when its owner gives up. Reports each change once. @internal
 */
export class StreamConnection {
  private current: StreamConnectionState = 'connecting';
  private everConnected = false;

  constructor(private readonly onChange: (state: StreamConnectionState) => void = () => undefined) {}

  get state(): StreamConnectionState {
    return this.current;
  }

  /** A peer connection of the stream connected. */
  connected(): void {
    this.everConnected = true;
    this.set('connected');
  }

  /** The connection was lost or is being replaced. */
  interrupted(): void {
    this.set(this.everConnected ? 'reconnecting' : 'connecting');
  }

  /** The owner gave up. */
  failed(): void {
    this.set('failed');
  }

  private set(next: StreamConnectionState): void {
    if (next === this.current) return;
    this.current = next;
    this.onChange(next);
  }
}

/** Whether an API failure may mean this endpoint (or its conference) is gone: a 404 or 403 for our own request. @internal */
export function mayBeDropped(error: unknown): boolean {
  const status = (error as { status?: number } | undefined)?.status;
  return (error as { code?: string } | undefined)?.code === 'api' && (status === 404 || status === 403);
}

/** How a stream owner's PeerSession is wired; the same for a Publisher and a Viewer. @internal */
export interface StreamOwnerRecovery {
  options: StreamOwnerOptions;
  /** Names the owner in log lines, e.g. `viewer <streamId>`. */
  label: string;
  /** What a lost connection leads to, for the log line, e.g. `viewing again`. */
  recovery: string;
  retries: ReconnectPolicy;
  connection: StreamConnection;
  /** Heals the lost connection: an ICE restart on it first, then a new connection. */
  recover: () => void;
}

/**
 * The PeerSession options a stream owner shares with every other: a connected session resets the
 * retries and reports `connected`, a lost one is recovered by the owner, a refused ICE batch asks whether
 * this endpoint was dropped. @internal
 */
export function recoveringSessionOptions(
  owner: StreamOwnerRecovery,
): Pick<PeerSessionOptions, 'createPeerConnection' | 'rtcConfiguration' | 'onCandidateError' | 'onStateChange' | 'onLost' | 'disconnectedGraceMs'> {
  const { options, label, retries, connection } = owner;
  return {
    createPeerConnection: options.createPeerConnection,
    rtcConfiguration: options.rtcConfiguration,
    onCandidateError: (error) => {
      options.logger.warn(`${label}: sending ICE candidates failed`, error);
      if (mayBeDropped(error)) void options.checkPresence?.();
    },
    onStateChange: (state) => {
      if (state !== 'connected') return;
      retries.reset();
      connection.connected();
    },
    onLost: () => {
      options.logger.debug(`${label}: connection lost, ${owner.recovery}`);
      owner.recover();
    },
    disconnectedGraceMs: options.disconnectedGraceMs,
  };
}

/**
 * Restarts ICE on `session`, its offer sent by `exchange` as the owner's reconnection request (which
 * answers the SDP answer): `restarted` once it is connected again (or was by itself); `unreachable` when
 * the request got no answer (the server keeps the connection: the restart is tried again); `replace`
 * (a new connection) when the server answered with another fingerprint (it made a new connection),
 * refused, or the connection was not back within ICE_RESTART_TIMEOUT_MS. A restart needs the server:
 * while it is out of reach this waits, and the path may heal meanwhile. @internal
 */
export async function restartInPlace(
  session: PeerSession | undefined,
  exchange: (sdpOffer: string) => Promise<string | undefined>,
  context: { label: string; operation: string; options: StreamOwnerOptions; signal: AbortSignal },
): Promise<IceRestartOutcome> {
  const { label, operation, options, signal } = context;
  if (!session?.canRestartIce) return 'replace';
  if (!(await options.api.reachability.whenReachable(signal))) return 'replace';
  try {
    const restarted = await session.restartIce(async (sdpOffer) => {
      const answer = await exchange(sdpOffer);
      if (!answer) throw ConferenceError.negotiation(`${operation}: the ICE restart of ${label} was answered without SDP`);
      return answer;
    });
    if (restarted) {
      options.logger.debug(`${label}: ICE restarted on the same connection`);
      return 'restarted';
    }
    options.logger.debug(`${label}: ICE restart not taken or not connected within ${ICE_RESTART_TIMEOUT_MS} ms; a new connection`);
  } catch (caught) {
    const error = ConferenceError.from(caught, (cause) => ConferenceError.negotiation(`restarting ICE of ${label} failed`, cause));
    if (error.isTransient) {
      options.logger.debug(`${label}: the ICE restart got no answer (${error.message}); trying it again`);
      return 'unreachable';
    }
    options.logger.debug(`${label}: ICE restart refused (${error.message}); a new connection`);
  }
  return 'replace';
}
