import { ConferenceError, ignoreGone } from '../api/ConferenceError.js';
import type { Metadata, StreamType } from '../api/types.js';
import { ReconnectPolicy } from '../util/ReconnectPolicy.js';
import { SerialQueue } from '../util/SerialQueue.js';
import type { MediaKind } from './mediaKinds.js';
import { muteKey } from './mediaKinds.js';
import { PeerSession } from './PeerSession.js';
import { acceptedKinds } from './sdp.js';
import { SenderEncodings } from './SenderEncodings.js';
import { QualityTracker } from '../stats/connectionQuality.js';
import type { ConnectionQuality } from '../stats/connectionQuality.js';
import type { StreamStats } from '../stats/streamStats.js';
import { mayBeDropped, recoveringSessionOptions, restartInPlace, StreamConnection } from './StreamConnection.js';
import type { IceRestartOutcome, Presence, StreamConnectionState, StreamOwnerOptions } from './StreamConnection.js';

/** Why a publisher stopped: `unpublish()`, the browser ended a screen share, republishing gave up, or the room closed. @internal */
export type PublisherStopReason = 'unpublished' | 'track-ended' | 'failed' | 'closed';

/** What a Publisher needs. @internal */
export interface PublisherOptions extends StreamOwnerOptions {
  streamId: string;
  type: StreamType;
  mediaStream: MediaStream;
  /** Tracks the library captured and therefore stops; tracks passed in by the application are left running. */
  ownedTracks: Iterable<MediaStreamTrack>;
  videoBitrate?: number | undefined;
  metadata?: Metadata | undefined;
  /** Send the video in the three simulcast layers (when the server's answer accepts them). */
  simulcast?: boolean | undefined;
  /** Let the server switch off the layers nobody views (the `confer-dynacast` data channel). */
  dynacast?: boolean | undefined;
  /** The room's next expected conference version: an unpublish event below the one current when a publish was accepted is older than that publish. */
  currentVersion?: (() => number | undefined) | undefined;
  /** Called once, synchronously, when the publisher closes, whatever the reason. */
  onStopped: (reason: PublisherStopReason, error?: ConferenceError) => void;
  /** The stream's connection state changed. */
  onConnectionStateChange?: ((state: StreamConnectionState) => void) | undefined;
  /** A stats sample of the sending connection (also readable as `stats`). */
  onStats?: ((stats: StreamStats) => void) | undefined;
}

/**
 * Sends one local stream over one sendonly PeerSession: offer → publishStream → answer, ICE trickled
 * after the answer. Bitrate, mute, track replacement and the layers dynacast switches off act on the
 * live connection without renegotiating. A lost connection is first restarted in place (an ICE restart, sent as the
 * reconnection below, used when the server keeps its DTLS fingerprint); otherwise it is published again at once under
 * the same stream id over a new PeerSession (then with backoff while that fails): as a reconnection the server may take over
 * without detaching viewers, or, where it answers 409, by unpublishing first. A 404 or 403 asks the
 * room whether we were dropped; the stream stays published meanwhile. A stream the server unpublished
 * by itself (e.g. its media node died) is published again at once as well, without waiting for the
 * connection to fail. @internal
 */
export class Publisher {
  private readonly controller = new AbortController();
  private readonly queue = new SerialQueue();
  private readonly owned: Set<MediaStreamTrack>;
  private readonly mutedKinds: Record<MediaKind, boolean> = { audio: false, video: false };
  private readonly announcedMuteKeys = new Set<string>();
  private session: PeerSession | undefined;
  private bitrate: number | undefined;
  private readonly retries: ReconnectPolicy;
  private readonly connection: StreamConnection;
  private latestStats: StreamStats | undefined;
  private readonly quality = new QualityTracker();
  /** The current session's encodings (layers, bitrate cap, dynacast), replaced with it. */
  private encodings: SenderEncodings | undefined;
  /** The room's next expected event version when the current publication was accepted: older unpublish events are stale. */
  private acceptedVersion: number | undefined;
  /** Unpublish requests of our own (the 409 fallback) whose events are still to come: those are no server-side unpublish. */
  private ownUnpublishes = 0;

  constructor(private readonly options: PublisherOptions) {
    this.retries = new ReconnectPolicy(options.backoff, options.random);
    this.connection = new StreamConnection(options.onConnectionStateChange);
    this.owned = new Set(options.ownedTracks);
    this.bitrate = options.videoBitrate;
  }

  get streamId(): string {
    return this.options.streamId;
  }

  get type(): StreamType {
    return this.options.type;
  }

  get mediaStream(): MediaStream {
    return this.options.mediaStream;
  }

  get videoBitrate(): number | undefined {
    return this.bitrate;
  }

  /** The sending connection's statistics, or undefined while no connection is open. */
  async getStats(): Promise<RTCStatsReport | undefined> {
    return this.session?.getStats();
  }

  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /** The last stats sample of the current connection. */
  get stats(): StreamStats | undefined {
    return this.latestStats;
  }

  /** `lost` while the connection is being replaced or gave up, else the sampled quality. */
  get connectionQuality(): ConnectionQuality {
    const state = this.connection.state;
    return state === 'reconnecting' || state === 'failed' ? 'lost' : this.quality.quality;
  }

  /** Samples the current connection's stats (the room's clock calls this). */
  async sampleStats(): Promise<void> {
    await this.session?.sampleStats();
  }

  get connectionState(): StreamConnectionState {
    return this.connection.state;
  }

  isMuted(kind: MediaKind): boolean {
    return this.mutedKinds[kind];
  }

  /** Publishes the stream; rejects (and closes) when the first attempt fails. */
  async publish(): Promise<void> {
    if (this.options.mediaStream.getTracks().length === 0) throw ConferenceError.media(`nothing to publish: the ${this.options.type} stream has no track`);
    // The browser's "Stop sharing" button ends the track: that is an unpublish.
    if (this.options.type === 'SCREEN') {
      for (const track of this.options.mediaStream.getTracks()) {
        track.addEventListener('ended', () => void this.stopOnServer('track-ended'), { signal: this.controller.signal });
      }
    }
    const session = this.openSession();
    try {
      await this.queue.push(() => this.negotiate(session));
    } catch (caught) {
      const error = caught as ConferenceError;
      // The server may hold the stream already (e.g. the answer was unusable): take it back.
      if (error.code === 'aborted' || this.closed) this.close('failed', error);
      else await this.stopOnServer('failed', undefined, error);
      throw error;
    }
  }

  /** Caps the video bitrate: sender encodings now, and the server's cap (REMB) through updatePublishedStreamBitrate. */
  async setVideoBitrate(bitsPerSecond: number): Promise<void> {
    if (!Number.isInteger(bitsPerSecond) || bitsPerSecond <= 0) throw ConferenceError.invalidState(`videoBitrate must be a positive integer, got ${bitsPerSecond}`);
    this.assertOpen();
    this.bitrate = bitsPerSecond;
    await this.encodings?.update();
    const { api, conferenceId, userEndpointId, streamId } = this.options;
    await api.updatePublishedStreamBitrate({ conferenceId, userEndpointId, streamId: { id: streamId }, videoBitrate: bitsPerSecond }, { signal: this.controller.signal });
  }

  /** Disables or enables the tracks of `kind` and announces it in the TRACK_MUTED conference metadata. */
  async setMuted(kind: MediaKind, muted: boolean): Promise<void> {
    this.assertOpen();
    this.mutedKinds[kind] = muted;
    for (const track of this.options.mediaStream.getTracks()) if (track.kind === kind) track.enabled = !muted;
    const { api, conferenceId, userEndpointId, streamId } = this.options;
    const key = muteKey(kind, streamId);
    this.announcedMuteKeys.add(key);
    // Unmuting removes the key, as the cloud's own clients do; readers take a missing key or "false" alike.
    // A key that is not there (404: never muted, or removed by someone else) is what unmuting wants.
    const change = muted ? ({ operation: 'SET', value: 'true' } as const) : ({ operation: 'REMOVE' } as const);
    await api.updateMetadata({ conferenceId, userEndpointId, key, ...change }, { signal: this.controller.signal }).catch((error: unknown) => {
      if (muted || (error as ConferenceError).status !== 404) throw error;
    });
  }

  /**
   * Sends `track` instead of the current track of its kind, without renegotiation (a camera or
   * microphone switch). `owned` says whether the library should stop it at the end.
   */
  async replaceTrack(track: MediaStreamTrack, owned = false): Promise<void> {
    this.assertOpen();
    const kind = track.kind as MediaKind;
    const old = this.options.mediaStream.getTracks().find((t) => t.kind === kind);
    if (!old) throw ConferenceError.invalidState(`this ${this.options.type} stream has no ${kind} track to replace`);
    track.enabled = !this.mutedKinds[kind];
    const sender = this.session?.getSenders().find((s) => s.track === old);
    await sender?.replaceTrack(track);
    this.options.mediaStream.removeTrack(old);
    this.options.mediaStream.addTrack(track);
    if (this.owned.delete(old)) old.stop();
    if (owned) this.owned.add(track);
  }

  /** Closes locally at once, then unpublishes on the server (a 404 means it is already gone). */
  async unpublish(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.stopOnServer('unpublished', options.signal);
  }

  /** Publishes again at once with a new peer connection (after the room rejoined, or the server unpublished the stream). */
  restart(): void {
    if (this.closed) return;
    this.retries.cancel();
    this.connection.interrupted();
    void this.queue.push(() => this.reconnect());
  }

  /** The connection was lost: an ICE restart on it first, then publishing again over a new one. */
  private recover(): void {
    if (this.closed) return;
    this.retries.cancel();
    this.connection.interrupted();
    void this.queue.push(() => this.reconnect(true));
  }

  /**
   * The server unpublished this stream without our asking (its event, at `version`): publish it again at
   * once under the same id (the server no longer holds it, so this is a fresh publish). Ignored after
   * close (our own unpublish closes first), for the event of our own 409 fallback, and for an event
   * older than the current publication. An event that the loop delivers only after a publish accepted
   * meanwhile cannot be told apart by version: it costs one more publishStream, which the server then
   * takes as a reconnection (no event), so it cannot loop.
   */
  serverUnpublished(version: number | undefined): void {
    if (this.closed) return;
    if (this.ownUnpublishes > 0) {
      this.ownUnpublishes--;
      return;
    }
    if (version !== undefined && this.acceptedVersion !== undefined && version < this.acceptedVersion) {
      this.options.logger.debug(`publisher ${this.options.streamId}: unpublished at v=${version}, before the current publish (v=${this.acceptedVersion}); ignored`);
      return;
    }
    this.options.logger.debug(`publisher ${this.options.streamId}: the server unpublished it (v=${version}); publishing again`);
    this.restart();
  }

  /** Closes the peer connection, timers and listeners and stops owned tracks; idempotent, no network. */
  close(reason: PublisherStopReason = 'closed', error?: ConferenceError): void {
    if (this.closed) return;
    this.controller.abort();
    this.retries.cancel();
    this.encodings?.close();
    this.session?.close();
    this.session = undefined;
    for (const track of this.owned) track.stop();
    this.owned.clear();
    if (reason === 'failed') this.connection.failed();
    this.options.onStopped(reason, error);
  }

  private async stopOnServer(reason: PublisherStopReason, signal?: AbortSignal, error?: ConferenceError): Promise<void> {
    if (this.closed) return;
    this.close(reason, error);
    const { api, conferenceId, userEndpointId, streamId } = this.options;
    const requestOptions = signal ? { signal } : {};
    await ignoreGone(api.unpublishStream({ conferenceId, userEndpointId, streamId: { id: streamId } }, requestOptions), this.options.logger);
    // Mute keys describe a stream that no longer exists: take them out of the conference metadata.
    for (const key of this.announcedMuteKeys) {
      await ignoreGone(api.updateMetadata({ conferenceId, userEndpointId, key, operation: 'REMOVE' }, requestOptions), this.options.logger);
    }
  }

  /** Replaces the PeerSession (closing the old one) with a new one that sends every track of the stream. */
  private openSession(): PeerSession {
    this.encodings?.close();
    this.session?.close();
    this.latestStats = undefined;
    this.quality.update(undefined, false);
    const { api, conferenceId, userEndpointId, streamId, mediaStream, logger } = this.options;
    let pc: RTCPeerConnection | undefined;
    const session = new PeerSession({
      ...recoveringSessionOptions({ options: this.options, label: `publisher ${streamId}`, recovery: 'publishing again', retries: this.retries, connection: this.connection, recover: () => this.recover() }),
      // PeerSession keeps its connection to itself; the dynacast channel must be in the first offer.
      createPeerConnection: (configuration) => (pc = this.options.createPeerConnection(configuration)),
      sendCandidates: (iceCandidates) =>
        api.addPublishStreamIceCandidates({ conferenceId, userEndpointId, streamId: { id: streamId }, iceCandidates }, { signal: this.controller.signal }),
      onStats: (stats) => {
        this.latestStats = stats;
        this.quality.update(stats, false);
        this.options.onStats?.(stats);
      },
    });
    const simulcast = this.options.simulcast === true && mediaStream.getVideoTracks().length > 0;
    this.encodings = new SenderEncodings(session, pc, { mediaStream, simulcast, dynacast: this.options.dynacast === true, bitrate: () => this.bitrate, logger, label: `publisher ${streamId}` });
    this.session = session;
    return session;
  }

  private requestPublish(sdpOffer: string): ReturnType<PublisherOptions['api']['publishStream']> {
    const { api, conferenceId, userEndpointId, streamId, type, metadata } = this.options;
    return api.publishStream(
      {
        conferenceId,
        userEndpointId,
        streamId: { id: streamId },
        conferenceStreamType: type,
        sdpOffer,
        ...(this.bitrate !== undefined ? { videoBitrate: this.bitrate } : {}),
        ...(metadata ? { metadata } : {}),
      },
      { signal: this.controller.signal },
    );
  }

  private async negotiate(session: PeerSession): Promise<void> {
    const { streamId } = this.options;
    try {
      const sdpOffer = await session.createOffer();
      this.assertCurrent(session);
      const answer = await this.requestPublish(sdpOffer);
      this.assertCurrent(session);
      if (!answer.sdpAnswer || acceptedKinds(answer.sdpAnswer).size === 0) {
        throw ConferenceError.negotiation(`publishStream ${streamId}: the answer accepts no media`);
      }
      await session.setAnswer(answer.sdpAnswer);
      this.assertCurrent(session);
      this.acceptedVersion = this.options.currentVersion?.();
      await this.encodings?.accept(answer.sdpAnswer).catch((error: unknown) => this.options.logger.warn(`publisher ${streamId}: setParameters failed`, error));
    } catch (caught) {
      if (this.closed) throw ConferenceError.aborted('publishStream');
      throw ConferenceError.from(caught, (cause) => ConferenceError.negotiation(`publishing ${streamId} failed`, cause));
    }
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.retries.schedule(() => void this.queue.push(() => this.reconnect()));
  }

  /**
   * Publishes again under the same stream id over a new connection: first as a reconnection (a server
   * that supports it keeps the viewers attached); a 409 (the server still holds the stream and does
   * not take it over) unpublishes it first, as a fresh publish.
   */
  private async reconnect(iceRestartFirst = false): Promise<void> {
    if (this.closed) return;
    if (iceRestartFirst) {
      const outcome = await this.restartIce();
      if (this.closed || outcome === 'restarted') return;
      if (outcome === 'unreachable') return this.retries.schedule(() => void this.queue.push(() => this.reconnect(true)));
    }
    const { api, conferenceId, userEndpointId, streamId, logger } = this.options;
    try {
      try {
        await this.negotiate(this.openSession());
      } catch (caught) {
        if (this.closed || (caught as ConferenceError).status !== 409) throw caught;
        logger.debug(`publisher ${streamId}: the server keeps the old stream; unpublishing it first`);
        // Counted before the request: its event may arrive before the answer.
        this.ownUnpublishes++;
        const unpublished = api.unpublishStream({ conferenceId, userEndpointId, streamId: { id: streamId } }, { signal: this.controller.signal }).catch((error: unknown) => {
          this.ownUnpublishes--;
          throw error;
        });
        await ignoreGone(unpublished, logger);
        await this.negotiate(this.openSession());
      }
    } catch (caught) {
      if (!this.closed) await this.onReconnectFailure(caught as ConferenceError);
    }
  }

  /** An ICE restart of the current connection, its offer sent as the reconnection publishStream (see `restartInPlace`). */
  private restartIce(): Promise<IceRestartOutcome> {
    const { streamId } = this.options;
    const exchange = async (sdpOffer: string) => (await this.requestPublish(sdpOffer)).sdpAnswer;
    return restartInPlace(this.session, exchange, { label: `publisher ${streamId}`, operation: 'publishStream', options: this.options, signal: this.controller.signal });
  }

  /** Retries what may heal, waits for the room when we may have been dropped, and gives up on the rest. */
  private async onReconnectFailure(error: ConferenceError): Promise<void> {
    this.options.logger.debug(`publisher ${this.options.streamId}: publishing again failed (${error.message})`);
    if (mayBeDropped(error)) {
      const presence = await (this.options.checkPresence?.() ?? Promise.resolve<Presence>('present'));
      // Dropped: the room joins again and restarts this publisher; the stream stays.
      if (this.closed || presence === 'absent') return;
      // 403 while we are in the conference is a refusal; a 404 (or no answer) may be a race with the server.
      if (error.status === 404 || presence === 'unknown') return this.scheduleReconnect();
    } else if (error.isTransient || error.code === 'negotiation' || error.status === 409) {
      return this.scheduleReconnect();
    }
    await this.stopOnServer('failed', undefined, error);
  }

  /** A replaced or closed session (the publisher closes its own on close) must not go on negotiating. */
  private assertCurrent(session: PeerSession): void {
    if (session.closed) throw ConferenceError.aborted('publishStream');
  }

  private assertOpen(): void {
    if (this.closed) throw ConferenceError.invalidState(`stream ${this.options.streamId} is no longer published`);
  }
}
