import type { ApiClient } from '../api/ApiClient.js';
import { ConferenceError, ignoreGone } from '../api/ConferenceError.js';
import type { Logger } from '../util/logger.js';
import type { BackoffOptions } from '../util/ReconnectPolicy.js';
import { ReconnectPolicy } from '../util/ReconnectPolicy.js';
import { SerialQueue } from '../util/SerialQueue.js';
import { uuid } from '../util/uuid.js';
import type { CreatePeerConnection } from './browser.js';
import { kindsOf } from './mediaKinds.js';
import { PeerSession } from './PeerSession.js';
import type { RemoteStream } from './RemoteStream.js';
import { acceptedKinds } from './sdp.js';

/** What a Viewer needs. @internal */
export interface ViewerOptions {
  api: ApiClient;
  conferenceId: string;
  userEndpointId: string;
  stream: RemoteStream;
  createPeerConnection: CreatePeerConnection;
  rtcConfiguration: RTCConfiguration;
  logger: Logger;
  /** Viewing failed in a way retrying cannot fix (e.g. 403). */
  onError: (error: ConferenceError) => void;
  backoff?: BackoffOptions;
  random?: () => number;
}

/**
 * Receives one remote stream over one recvonly PeerSession: offer → viewStream → answer, ICE trickled
 * after the answer. Each step runs through its own queue, so events about the stream never race its
 * negotiation; when the connection fails it views the stream again (new PeerSession, new viewer id)
 * with backoff, for as long as it is not closed. @internal
 */
export class Viewer {
  private readonly controller = new AbortController();
  private readonly queue = new SerialQueue();
  private session: PeerSession | undefined;
  /** The viewer id of the current attempt, once viewStream has been sent for it. */
  private requestedViewerId: string | undefined;
  private readonly retries: ReconnectPolicy;

  constructor(private readonly options: ViewerOptions) {
    this.retries = new ReconnectPolicy(options.backoff, options.random);
  }

  /** The stream this viewer receives. */
  get stream(): RemoteStream {
    return this.options.stream;
  }

  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /**
   * Creates the peer connection now, so the stream's `mediaStream` holds its (still silent) tracks
   * before anyone hears of it, and negotiates in the background. The promise settles after the
   * first attempt and never rejects.
   */
  start(): Promise<void> {
    const viewerId = uuid();
    const session = this.openSession(viewerId);
    return this.queue.push(() => this.negotiate(session, viewerId));
  }

  /** Closes locally, then tells the server (a 404 means the stream or viewer is already gone). */
  async stop(options: { signal?: AbortSignal } = {}): Promise<void> {
    const viewerId = this.requestedViewerId;
    this.close();
    if (viewerId) await this.stopOnServer(viewerId, options.signal);
  }

  /** Views the stream again at once with a new peer connection (after the room rejoined). */
  restart(): void {
    if (this.closed) return;
    this.retries.cancel();
    void this.queue.push(() => this.viewAgain());
  }

  /** Closes the peer connection, timers and pending requests; idempotent, no network. */
  close(): void {
    if (this.closed) return;
    this.controller.abort();
    this.retries.cancel();
    this.closeSession();
  }

  /** Replaces the PeerSession (closing the old one) with one whose receiver tracks are in the stream at once. */
  private openSession(viewerId: string): PeerSession {
    this.closeSession();
    const { stream, api, conferenceId, userEndpointId, logger } = this.options;
    const session = new PeerSession({
      createPeerConnection: this.options.createPeerConnection,
      rtcConfiguration: this.options.rtcConfiguration,
      sendCandidates: (iceCandidates) =>
        api.addViewStreamIceCandidates(
          { conferenceId, userEndpointId, streamId: { id: stream.streamId }, viewerId, iceCandidates },
          { signal: this.controller.signal },
        ),
      onCandidateError: (error) => logger.warn(`viewer ${stream.streamId}: sending ICE candidates failed`, error),
      onStateChange: (state) => {
        if (state === 'connected') this.retries.reset();
        if (state === 'failed') {
          logger.debug(`viewer ${stream.streamId}: connection failed`);
          this.scheduleRetry();
        }
      },
    });
    const transceivers = kindsOf(stream.type).map((kind) => session.addTransceiver(kind, { direction: 'recvonly' }));
    stream.setTracks(transceivers.map((t) => t.receiver.track));
    stream.setStatsSource(() => session.getStats());
    this.session = session;
    return session;
  }

  /** Negotiates `session` unless it was replaced or closed meanwhile; every failure ends in a retry, a quiet stop or `onError`. */
  private async negotiate(session: PeerSession, viewerId: string): Promise<void> {
    const { api, conferenceId, userEndpointId, stream } = this.options;
    if (session.closed) return;
    try {
      const sdpOffer = await session.createOffer();
      if (session.closed) return;
      this.requestedViewerId = viewerId;
      const answer = await api.viewStream({ conferenceId, userEndpointId, streamId: { id: stream.streamId }, viewerId, sdpOffer }, { signal: this.controller.signal });
      if (session.closed) return;
      if (!answer.sdpAnswer) throw ConferenceError.negotiation(`viewStream answered no SDP for ${stream.streamId}`);
      await session.setAnswer(answer.sdpAnswer);
      if (session.closed) return;
      const kinds = acceptedKinds(answer.sdpAnswer);
      stream.setTracks(session.getTransceivers().flatMap((t) => (kinds.has(t.receiver.track.kind as 'audio' | 'video') ? [t.receiver.track] : [])));
    } catch (caught) {
      if (session.closed) return;
      const error = ConferenceError.from(caught, (cause) => ConferenceError.negotiation(`viewing ${stream.streamId} failed`, cause));
      if (error.code === 'api' && error.status === 404) {
        // The stream went away while we asked for it; its unpublished event closes this viewer.
        this.options.logger.debug(`viewer ${stream.streamId}: stream is gone`);
        return;
      }
      if (error.isTransient || error.code === 'negotiation' || (error.code === 'api' && error.status === 409)) {
        this.options.logger.debug(`viewer ${stream.streamId}: ${error.message}; retrying`);
        this.scheduleRetry();
        return;
      }
      this.options.onError(error);
    }
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.retries.schedule(() => void this.queue.push(() => this.viewAgain()));
  }

  private async viewAgain(): Promise<void> {
    if (this.closed) return;
    const previous = this.requestedViewerId;
    const viewerId = uuid();
    const session = this.openSession(viewerId);
    this.requestedViewerId = undefined;
    if (previous) await this.stopOnServer(previous, this.controller.signal);
    await this.negotiate(session, viewerId);
  }

  private async stopOnServer(viewerId: string, signal?: AbortSignal): Promise<void> {
    const { api, conferenceId, userEndpointId, stream } = this.options;
    await ignoreGone(api.stopViewStream({ conferenceId, userEndpointId, streamId: { id: stream.streamId }, viewerId }, signal ? { signal } : {}), this.options.logger);
  }

  private closeSession(): void {
    if (!this.session) return;
    this.session.close();
    this.session = undefined;
    this.options.stream.setStatsSource(undefined);
  }
}
