import { ConferenceError, ignoreGone } from '../api/ConferenceError.js';
import { ReconnectPolicy } from '../util/ReconnectPolicy.js';
import { SerialQueue } from '../util/SerialQueue.js';
import { uuid } from '../util/uuid.js';
import { kindsOf } from './mediaKinds.js';
import type { MediaKind } from './mediaKinds.js';
import { PeerSession } from './PeerSession.js';
import type { PeerSessionOptions } from './PeerSession.js';
import type { RemoteStream } from './RemoteStream.js';
import { acceptedKinds } from './sdp.js';
import { LayerChannel } from './simulcast.js';
import { mayBeDropped, recoveringSessionOptions, restartInPlace, StreamConnection } from './StreamConnection.js';
import type { IceRestartOutcome, Presence, StreamConnectionState, StreamOwnerOptions } from './StreamConnection.js';

/** What a Viewer needs. @internal */
export interface ViewerOptions extends StreamOwnerOptions {
  stream: RemoteStream;
  /** Viewing failed in a way retrying cannot fix (e.g. 403). */
  onError: (error: ConferenceError) => void;
  /** The stream's connection state changed (also readable as `stream.connectionState`). */
  onConnectionStateChange?: ((stream: RemoteStream, state: StreamConnectionState) => void) | undefined;
  /** A stats sample of the receiving connection (also readable as `stream.stats`). */
  onStats?: ((stream: RemoteStream) => void) | undefined;
  /** A connection prepared before the stream was known, for the stream's kinds (its offer made during the join); the first attempt takes it. */
  prepared?: ViewerConnection | undefined;
}

/** What a viewer's PeerSession reports to the viewer that takes it. @internal */
type ViewerBinding = Pick<PeerSessionOptions, 'sendCandidates' | 'onCandidateError' | 'onStateChange' | 'onLost' | 'onStats'>;

/**
 * A viewer's peer connection before it knows its stream: recvonly transceivers of `kinds` and, when
 * it receives video, the `confer-layers` data channel, both before the offer. Its session reports to
 * the viewer bound to it, so a connection prepared while the join is in flight is the same as one a
 * viewer opens for itself. @internal
 */
export class ViewerConnection {
  readonly session: PeerSession;
  readonly transceivers: RTCRtpTransceiver[];
  readonly channel: RTCDataChannel | undefined;
  private binding: ViewerBinding | undefined;

  constructor(
    options: Pick<StreamOwnerOptions, 'createPeerConnection' | 'rtcConfiguration' | 'disconnectedGraceMs'>,
    readonly kinds: readonly MediaKind[],
  ) {
    let pc: RTCPeerConnection | undefined;
    this.session = new PeerSession({
      // PeerSession keeps its connection to itself; the layer channel must be in the first offer.
      createPeerConnection: (configuration) => (pc = options.createPeerConnection(configuration)),
      rtcConfiguration: options.rtcConfiguration,
      disconnectedGraceMs: options.disconnectedGraceMs,
      // Candidates go out once the answer is set, and the viewer binds itself before it sends the offer.
      sendCandidates: (candidates) => this.binding?.sendCandidates(candidates) ?? Promise.resolve(),
      onCandidateError: (error) => this.binding?.onCandidateError(error),
      onStateChange: (state) => this.binding?.onStateChange(state),
      onLost: () => this.binding?.onLost(),
      onStats: (stats) => this.binding?.onStats?.(stats),
    });
    this.transceivers = kinds.map((kind) => this.session.addTransceiver(kind, { direction: 'recvonly' }));
    this.channel = pc && kinds.includes('video') ? pc.createDataChannel('confer-layers') : undefined;
  }

  /** Whether it receives exactly `kinds`, in that order. */
  fits(kinds: readonly MediaKind[]): boolean {
    return kinds.length === this.kinds.length && kinds.every((kind, i) => this.kinds[i] === kind);
  }

  /** Routes the session's reports to the viewer that takes this connection. */
  bind(binding: ViewerBinding): void {
    this.binding = binding;
  }

  /** Closes the connection (and its channel); idempotent, no network. */
  close(): void {
    this.session.close();
  }
}

/**
 * Receives one remote stream over one recvonly PeerSession: offer → viewStream → answer, ICE trickled
 * after the answer. Each step runs through its own queue, so events about the stream never race its
 * negotiation. A lost connection is first restarted in place (an ICE restart sent as a viewStream under
 * the same viewer id, used when the server keeps its DTLS fingerprint); otherwise it is viewed again at
 * once over a new PeerSession under the same viewer
 * id (a server that supports it takes the viewer over; one that answers 409 gets a stopViewStream and
 * a new viewer id), then with backoff, for as long as it is not closed. The stream's `mediaStream` stays
 * the same object throughout; its tracks are swapped in place. @internal
 */
export class Viewer {
  private readonly controller = new AbortController();
  private readonly queue = new SerialQueue();
  private session: PeerSession | undefined;
  private layers: LayerChannel | undefined;
  /** The viewer id of the current attempt, once viewStream has been sent for it. */
  private requestedViewerId: string | undefined;
  private readonly retries: ReconnectPolicy;
  private readonly connection: StreamConnection;

  constructor(private readonly options: ViewerOptions) {
    this.retries = new ReconnectPolicy(options.backoff, options.random);
    const { stream } = options;
    stream.setConnectionState('connecting');
    this.connection = new StreamConnection((state) => {
      stream.setConnectionState(state);
      options.onConnectionStateChange?.(stream, state);
    });
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
    const session = this.openSession(viewerId, this.options.prepared);
    return this.queue.push(() => this.attempt(session, viewerId));
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
    this.connection.interrupted();
    void this.queue.push(() => this.viewAgain());
  }

  /** Samples the current connection's stats (the room's clock calls this). */
  async sampleStats(): Promise<void> {
    await this.session?.sampleStats();
  }

  /** Closes the peer connection, timers and pending requests; idempotent, no network. */
  close(): void {
    if (this.closed) return;
    this.controller.abort();
    this.retries.cancel();
    this.closeSession();
  }

  /** Replaces the PeerSession (closing the old one) with one whose receiver tracks are in the stream at once; `prepared` is used instead of a new one. */
  private openSession(viewerId: string, prepared?: ViewerConnection): PeerSession {
    this.closeSession();
    const { stream, api, conferenceId, userEndpointId } = this.options;
    const connection = prepared ?? new ViewerConnection(this.options, kindsOf(stream.type));
    const { session, transceivers, channel } = connection;
    const recovery = recoveringSessionOptions({ options: this.options, label: `viewer ${stream.streamId}`, recovery: 'viewing again', retries: this.retries, connection: this.connection, recover: () => this.recover() });
    connection.bind({
      onCandidateError: recovery.onCandidateError,
      onStateChange: recovery.onStateChange,
      onLost: recovery.onLost,
      sendCandidates: (iceCandidates) =>
        api.addViewStreamIceCandidates(
          { conferenceId, userEndpointId, streamId: { id: stream.streamId }, viewerId, iceCandidates },
          { signal: this.controller.signal },
        ),
      onStats: (stats) => {
        stream.setStats(stats);
        this.options.onStats?.(stream);
      },
    });
    stream.setTracks(transceivers.map((t) => t.receiver.track));
    if (channel) {
      const send = () => layers.send({ type: 'videoPreference', ...stream.videoPreference });
      const layers = new LayerChannel(channel, send, (message) => {
        if (message.type === 'layer') stream.setVideoLayer({ rid: message.rid, width: message.width, height: message.height });
      });
      stream.onVideoPreference = send;
      this.layers = layers;
    }
    stream.setStatsSource(() => session.getStats(), transceivers.find((t) => t.receiver.track.kind === 'audio')?.receiver);
    this.session = session;
    return session;
  }

  /** Negotiates `session` unless it was replaced or closed meanwhile; rejects with a ConferenceError. */
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
      throw ConferenceError.from(caught, (cause) => ConferenceError.negotiation(`viewing ${stream.streamId} failed`, cause));
    }
  }

  /** One attempt; every failure ends in a retry, a quiet stop, a wait for the room's rejoin, or `onError`. */
  private async attempt(session: PeerSession, viewerId: string): Promise<void> {
    try {
      await this.negotiate(session, viewerId);
    } catch (caught) {
      if (!session.closed) await this.onFailure(caught as ConferenceError);
    }
  }

  private async onFailure(error: ConferenceError): Promise<void> {
    const { logger, stream } = this.options;
    logger.debug(`viewer ${stream.streamId}: ${error.message}`);
    if (mayBeDropped(error)) {
      const presence = await (this.options.checkPresence?.() ?? Promise.resolve<Presence>('present'));
      // Dropped: the room joins again and restarts this viewer.
      if (this.closed || presence === 'absent') return;
      // Still in the conference: a 404 means the stream went away (its unpublished event closes this viewer).
      if (presence === 'present' && error.status === 404) return;
      if (presence === 'unknown') return this.scheduleRetry();
    } else if (error.isTransient || error.code === 'negotiation' || error.status === 409) {
      return this.scheduleRetry();
    }
    this.connection.failed();
    this.options.onError(error);
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.retries.schedule(() => void this.queue.push(() => this.viewAgain()));
  }

  /** The connection was lost: an ICE restart on it first, then viewing again over a new one. */
  private recover(): void {
    if (this.closed) return;
    this.retries.cancel();
    this.connection.interrupted();
    void this.queue.push(() => this.viewAgain(true));
  }

  /** An ICE restart of the current connection, its offer sent as a viewStream under the current viewer id (see `restartInPlace`). */
  private restartIce(): Promise<IceRestartOutcome> {
    const viewerId = this.requestedViewerId;
    const { api, conferenceId, userEndpointId, stream } = this.options;
    if (!viewerId) return Promise.resolve('replace');
    const exchange = async (sdpOffer: string) =>
      (await api.viewStream({ conferenceId, userEndpointId, streamId: { id: stream.streamId }, viewerId, sdpOffer }, { signal: this.controller.signal })).sdpAnswer;
    return restartInPlace(this.session, exchange, { label: `viewer ${stream.streamId}`, operation: 'viewStream', options: this.options, signal: this.controller.signal });
  }

  /** Views again over a new connection under the same viewer id; on 409 (the server will not take it over) stops it and uses a new one. */
  private async viewAgain(iceRestartFirst = false): Promise<void> {
    if (this.closed) return;
    if (iceRestartFirst) {
      const outcome = await this.restartIce();
      if (this.closed || outcome === 'restarted') return;
      if (outcome === 'unreachable') return this.retries.schedule(() => void this.queue.push(() => this.viewAgain(true)));
    }
    const previous = this.requestedViewerId;
    const first = previous ?? uuid();
    let session = this.openSession(first);
    try {
      try {
        await this.negotiate(session, first);
      } catch (caught) {
        if (session.closed || !previous || (caught as ConferenceError).status !== 409) throw caught;
        this.requestedViewerId = undefined;
        await this.stopOnServer(previous, this.controller.signal);
        const viewerId = uuid();
        session = this.openSession(viewerId);
        await this.negotiate(session, viewerId);
      }
    } catch (caught) {
      if (!session.closed) await this.onFailure(caught as ConferenceError);
    }
  }

  private async stopOnServer(viewerId: string, signal?: AbortSignal): Promise<void> {
    const { api, conferenceId, userEndpointId, stream } = this.options;
    await ignoreGone(api.stopViewStream({ conferenceId, userEndpointId, streamId: { id: stream.streamId }, viewerId }, signal ? { signal } : {}), this.options.logger);
  }

  private closeSession(): void {
    if (!this.session) return;
    this.layers?.close();
    this.layers = undefined;
    this.options.stream.onVideoPreference = undefined;
    this.options.stream.setVideoLayer(undefined);
    this.session.close();
    this.session = undefined;
    this.options.stream.setStatsSource(undefined, undefined);
  }
}
