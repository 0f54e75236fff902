import type { ApiClient } from '../api/ApiClient.js';
import { ConferenceError, ignoreGone } from '../api/ConferenceError.js';
import type { Metadata, StreamType } from '../api/types.js';
import type { Logger } from '../util/logger.js';
import type { BackoffOptions } from '../util/ReconnectPolicy.js';
import { ReconnectPolicy } from '../util/ReconnectPolicy.js';
import { SerialQueue } from '../util/SerialQueue.js';
import type { CreatePeerConnection } from './browser.js';
import type { MediaKind } from './mediaKinds.js';
import { muteKey } from './mediaKinds.js';
import { PeerSession } from './PeerSession.js';
import { acceptedKinds } from './sdp.js';

/** Why a publisher stopped: `unpublish()`, the browser ended a screen share, republishing gave up, or the room closed. @internal */
export type PublisherStopReason = 'unpublished' | 'track-ended' | 'failed' | 'closed';

/** What a Publisher needs. @internal */
export interface PublisherOptions {
  api: ApiClient;
  conferenceId: string;
  userEndpointId: string;
  streamId: string;
  type: StreamType;
  mediaStream: MediaStream;
  /** Tracks the library captured and therefore stops; tracks passed in by the application are left running. */
  ownedTracks: Iterable<MediaStreamTrack>;
  videoBitrate?: number | undefined;
  metadata?: Metadata | undefined;
  createPeerConnection: CreatePeerConnection;
  rtcConfiguration: RTCConfiguration;
  logger: Logger;
  /** Called once, synchronously, when the publisher closes, whatever the reason. */
  onStopped: (reason: PublisherStopReason, error?: ConferenceError) => void;
  backoff?: BackoffOptions;
  random?: () => number;
}

/**
 * Sends one local stream over one sendonly PeerSession: offer → publishStream → answer, ICE trickled
 * after the answer. Bitrate, mute and track replacement act on the live connection without
 * renegotiating; a failed connection is published again (same stream id, new PeerSession) with
 * backoff. @internal
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

  constructor(private readonly options: PublisherOptions) {
    this.retries = new ReconnectPolicy(options.backoff, options.random);
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
    await this.applyBitrate();
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
    await api.updateMetadata({ conferenceId, userEndpointId, key, operation: 'SET', value: String(muted) }, { signal: this.controller.signal });
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

  /** Publishes again at once with a new peer connection (after the room rejoined). */
  restart(): void {
    if (this.closed) return;
    this.retries.cancel();
    void this.queue.push(() => this.republish());
  }

  /** Closes the peer connection, timers and listeners and stops owned tracks; idempotent, no network. */
  close(reason: PublisherStopReason = 'closed', error?: ConferenceError): void {
    if (this.closed) return;
    this.controller.abort();
    this.retries.cancel();
    this.session?.close();
    this.session = undefined;
    for (const track of this.owned) track.stop();
    this.owned.clear();
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
    this.session?.close();
    const { api, conferenceId, userEndpointId, streamId, mediaStream, logger } = this.options;
    const session = new PeerSession({
      createPeerConnection: this.options.createPeerConnection,
      rtcConfiguration: this.options.rtcConfiguration,
      sendCandidates: (iceCandidates) =>
        api.addPublishStreamIceCandidates({ conferenceId, userEndpointId, streamId: { id: streamId }, iceCandidates }, { signal: this.controller.signal }),
      onCandidateError: (error) => logger.warn(`publisher ${streamId}: sending ICE candidates failed`, error),
      onStateChange: (state) => {
        if (state === 'connected') this.retries.reset();
        if (state === 'failed') {
          logger.debug(`publisher ${streamId}: connection failed, publishing again`);
          this.scheduleRepublish();
        }
      },
    });
    for (const track of mediaStream.getTracks()) session.addTransceiver(track, { direction: 'sendonly', streams: [mediaStream] });
    this.session = session;
    return session;
  }

  private async negotiate(session: PeerSession): Promise<void> {
    const { api, conferenceId, userEndpointId, streamId, type, metadata } = this.options;
    const signal = this.controller.signal;
    try {
      const sdpOffer = await session.createOffer();
      this.assertCurrent(session);
      const answer = await api.publishStream(
        {
          conferenceId,
          userEndpointId,
          streamId: { id: streamId },
          conferenceStreamType: type,
          sdpOffer,
          ...(this.bitrate !== undefined ? { videoBitrate: this.bitrate } : {}),
          ...(metadata ? { metadata } : {}),
        },
        { signal },
      );
      this.assertCurrent(session);
      if (!answer.sdpAnswer || acceptedKinds(answer.sdpAnswer).size === 0) {
        throw ConferenceError.negotiation(`publishStream ${streamId}: the answer accepts no media`);
      }
      await session.setAnswer(answer.sdpAnswer);
      this.assertCurrent(session);
      await this.applyBitrate().catch((error: unknown) => this.options.logger.warn(`publisher ${streamId}: setParameters failed`, error));
    } catch (caught) {
      if (this.closed) throw ConferenceError.aborted('publishStream');
      throw ConferenceError.from(caught, (cause) => ConferenceError.negotiation(`publishing ${streamId} failed`, cause));
    }
  }

  private async applyBitrate(): Promise<void> {
    const sender = this.session?.getSenders().find((s) => s.track?.kind === 'video');
    if (!sender || this.bitrate === undefined) return;
    const parameters = sender.getParameters();
    // Firefox answers no encodings until the first negotiation completes; one default encoding is what it will use.
    if (!parameters.encodings || parameters.encodings.length === 0) parameters.encodings = [{}];
    for (const encoding of parameters.encodings) encoding.maxBitrate = this.bitrate;
    await sender.setParameters(parameters);
  }

  private scheduleRepublish(): void {
    if (this.closed) return;
    this.retries.schedule(() => void this.queue.push(() => this.republish()));
  }

  /** Unpublishes the failed connection (the server may still hold it) and publishes again under the same id. */
  private async republish(): Promise<void> {
    if (this.closed) return;
    const { api, conferenceId, userEndpointId, streamId } = this.options;
    const session = this.openSession();
    await ignoreGone(api.unpublishStream({ conferenceId, userEndpointId, streamId: { id: streamId } }, { signal: this.controller.signal }), this.options.logger);
    try {
      await this.negotiate(session);
    } catch (caught) {
      if (this.closed) return;
      const error = caught as ConferenceError;
      // A 409 means the server still holds the old stream: the unpublish above did not get through yet.
      if (error.isTransient || error.code === 'negotiation' || error.status === 409) {
        this.options.logger.debug(`publisher ${streamId}: republish failed (${error.message}); retrying`);
        this.scheduleRepublish();
      } else {
        await this.stopOnServer('failed', undefined, error);
      }
    }
  }

  /** A replaced or closed session (the publisher closes its own on close) must not go on negotiating. */
  private assertCurrent(session: PeerSession): void {
    if (session.closed) throw ConferenceError.aborted('publishStream');
  }

  private assertOpen(): void {
    if (this.closed) throw ConferenceError.invalidState(`stream ${this.options.streamId} is no longer published`);
  }
}
