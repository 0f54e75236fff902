import { createNanoEvents } from 'nanoevents';
import type { Unsubscribe } from 'nanoevents';
import { ApiClient } from '../api/ApiClient.js';
import { ConferenceError } from '../api/ConferenceError.js';
import type { Metadata } from '../api/types.js';
import type { EventLoopStop } from '../events/EventLoop.js';
import { browserDefaults, missingWebRtc } from '../media/browser.js';
import { capturedByLibrary, captureStream } from '../media/capture.js';
import type { LocalStream } from '../media/LocalStream.js';
import { Playback } from '../media/Playback.js';
import type { PublisherStopReason } from '../media/Publisher.js';
import type { RemoteStream } from '../media/RemoteStream.js';
import { worstQuality } from '../stats/connectionQuality.js';
import type { ConnectionQuality } from '../stats/connectionQuality.js';
import { safeEmit } from '../util/safeEmit.js';
import { uuid } from '../util/uuid.js';
import type { EndedCause, RoomEvents } from './events.js';
import { isPortrait, participantMetadata, streamMetadata, stringField } from './nativeConventions.js';
import type { Participant } from './Participant.js';
import type { ModelChange } from './RoomModel.js';
import type { JoinOptions, PublishOptions, ResolvedRoomOptions, RoomOptions } from './RoomOptions.js';
import { resolveRoomOptions } from './RoomOptions.js';
import { RoomSession } from './RoomSession.js';
import type { RoomState } from './RoomState.js';
import { ALLOWED, isInConference } from './RoomState.js';

/** The events whose listeners make the room sample stats and audio levels (one shared timer, only while one is bound). */
const SAMPLED_EVENTS: readonly (keyof RoomEvents)[] = ['statsUpdated', 'activeSpeakersChanged', 'connectionQualityChanged', 'localConnectionQualityChanged', 'speakingWhileMutedChanged'];

/** One endpoint in one conference: join, publish, view others, leave. */
export class Room {
  private readonly emitter = createNanoEvents<RoomEvents>();
  private readonly api: ApiClient;
  private readonly config: ResolvedRoomOptions;
  private currentState: RoomState = 'idle';
  /** The session of the last join; a closed one stays readable (conference id, metadata, version; its participants and streams are removed). */
  private session: RoomSession | undefined;
  private readonly playback = new Playback((stream, element) => this.emit('audioPlaybackBlocked', stream, element));
  private localQuality: ConnectionQuality = 'unknown';
  /** `prepare()` was called: a join prepares its first view while its request is in flight. */
  private fastStart = false;
  /** The WebRTC interface this browser lacks; only asked when the room makes its own peer connections. */
  private readonly missingWebRtc: string | undefined;

  constructor(options: RoomOptions) {
    const defaults = browserDefaults();
    this.config = resolveRoomOptions(options, defaults);
    this.playback.adaptiveStream = this.config.adaptiveStream;
    const { requestTimeoutMs } = this.config;
    this.api = new ApiClient({ baseUrl: options.baseUrl, auth: options.auth, requestTimeoutMs, ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.missingWebRtc = options.createPeerConnection ? undefined : missingWebRtc();
    this.config.logger.debug(`confer: ${defaults.browser}, endpoint ${this.config.userEndpointId}`);
  }

  /** Listens to a room event; returns the function that stops listening. */
  on<K extends keyof RoomEvents>(event: K, listener: RoomEvents[K]): Unsubscribe {
    const unbind = this.emitter.on(event, listener);
    this.watch();
    return () => {
      unbind();
      this.watch();
    };
  }

  /** Where the room is in its life. */
  get state(): RoomState {
    return this.currentState;
  }

  /** The conference joined (or being joined). */
  get conferenceId(): string | undefined {
    return this.session?.conferenceId;
  }

  /** This endpoint's id in the conference. */
  get userEndpointId(): string {
    return this.config.userEndpointId;
  }

  /** The conferenceVersion of the next event expected (the number of events applied so far). */
  get version(): number | undefined {
    return this.session?.version;
  }

  /** The other endpoints in the conference. */
  get participants(): Participant[] {
    return [...(this.session?.model.participants.values() ?? [])];
  }

  /** Every stream the other endpoints publish. */
  get remoteStreams(): RemoteStream[] {
    return [...(this.session?.model.streams.values() ?? [])];
  }

  /** The streams this room publishes. */
  get localStreams(): LocalStream[] {
    return this.session?.publishers.localStreams ?? [];
  }

  /** The participants speaking now, loudest first (not this endpoint); kept current while someone listens to `activeSpeakersChanged`. */
  get activeSpeakers(): Participant[] {
    return this.session?.model.speakers.speakers ?? [];
  }

  /** The worst connection quality of our own streams; `unknown` until sampled. */
  get localConnectionQuality(): ConnectionQuality {
    return this.localQuality;
  }

  /** Whether some `attach()`ed element waits for `startAudio()` (the browser refused to autoplay it). */
  get audioPlaybackBlocked(): boolean {
    return this.playback.isBlocked;
  }

  /** Plays every remote element the autoplay policy refused; call it from a user gesture (a click). */
  startAudio(): Promise<void> {
    return this.playback.resume();
  }

  /** Whether the call is on hold: an `ON_HOLD…` conference metadata key, as the cloud service's native clients set it (`onHoldChanged`). */
  get onHold(): boolean {
    return this.session?.model.onHold ?? false;
  }

  /** Whether a recorder runs: a `RECORDER…` conference metadata key, as the cloud service's native clients read it (`recordingChanged`). */
  get recording(): boolean {
    return this.session?.model.recording.recording ?? false;
  }

  /** The conference metadata, key by key. */
  get metadata(): Record<string, string> {
    return Object.fromEntries(this.session?.model.metadata ?? []);
  }

  /**
   * Gets ready for a fast join; optional, call it while the page loads: fetches the token now, and
   * makes the next `join()` prepare its first view's connection and offer while the join request is in flight.
   */
  async prepare(): Promise<void> {
    if (this.currentState !== 'idle') throw ConferenceError.invalidState(`prepare() needs an idle room; this one is ${this.currentState}`);
    this.fastStart = true;
    await this.api.prepare();
  }

  /** Joins `conferenceId` (creating it with `create: true`), then follows its events until leave or end. */
  async join(conferenceId: string, options: JoinOptions = {}): Promise<void> {
    if (!conferenceId) throw ConferenceError.invalidState('join() needs a conference id');
    if (this.currentState !== 'idle') throw ConferenceError.invalidState(`join() needs an idle room; this one is ${this.currentState}`);
    // Refused before the server hears of us: a participant that can neither send nor receive would only be a ghost in the room.
    if (this.missingWebRtc) throw ConferenceError.unsupported(`join() needs WebRTC, and this browser has no ${this.missingWebRtc}`);
    const session: RoomSession = new RoomSession({
      api: this.api,
      config: this.config,
      conferenceId,
      metadata: participantMetadata(options.metadata, options.name, options.avatarUrl),
      create: options.create === true,
      prepareView: this.fastStart,
      onEvent: (event, changes) => {
        this.apply(session, changes);
        safeEmit(this.emitter, this.config.logger, 'event', event);
      },
      onResync: (changes) => this.apply(session, changes),
      onConnectionChange: (connected) => {
        if (session.rejoining) return;
        if (!connected && this.currentState === 'joined') this.setState('reconnecting');
        if (connected && this.currentState === 'reconnecting') this.setState('joined');
      },
      onStop: (stop) => this.onEventLoopStop(session, stop),
      onViewerError: (error) => this.emitError(error),
      onPublisherStopped: (local, reason, error) => this.onPublisherStopped(local, reason, error),
      onLocalConnectionStateChange: (local, state) => {
        if (isInConference(this.currentState)) safeEmit(this.emitter, this.config.logger, 'localStreamConnectionStateChanged', local, state);
        this.updateLocalQuality();
      },
      onRemoteConnectionStateChange: (stream, state) => {
        if (isInConference(this.currentState)) safeEmit(this.emitter, this.config.logger, 'remoteStreamConnectionStateChanged', stream, state);
      },
      onGone: (what) => (what === 'dropped' ? void this.rejoin(session) : this.onConferenceGone(session)),
      playback: this.playback,
      onSample: (changes) => this.apply(session, changes),
      onLocalStats: (local) => {
        if (local.stats) this.emit('statsUpdated', local, local.stats);
        this.updateLocalQuality();
      },
      onSpeakingWhileMuted: (local) => {
        if (isInConference(this.currentState)) this.emit('speakingWhileMutedChanged', local, local.speakingWhileMuted);
      },
    });
    this.session = session;
    this.setState('joining');
    this.config.window?.addEventListener('pagehide', () => this.leaveOnPagehide(session), { signal: session.signal });
    try {
      const changes = await session.join();
      this.setState('joined');
      this.apply(session, changes);
    } catch (caught) {
      const error = ConferenceError.from(caught, (cause) => ConferenceError.network('join', cause));
      // A closed session was closed by leave() or pagehide; any other failure leaves the room ready to try again.
      if (!session.closed) {
        session.close();
        this.setState('idle');
      }
      throw error;
    }
  }

  /** Captures (unless `mediaStream` is given) and publishes a stream. */
  async publish(options: PublishOptions): Promise<LocalStream> {
    const session = this.assertInConference('publish');
    if (!['MIC_AND_CAM', 'MIC', 'CAM', 'SCREEN'].includes(options.type)) throw ConferenceError.invalidState(`unknown stream type ${String(options.type)}`);
    const mediaStream = options.mediaStream ?? (await captureStream(this.config.mediaDevices, options.type, options));
    const ownedTracks = options.mediaStream && !capturedByLibrary(options.mediaStream) ? [] : mediaStream.getTracks();
    if (!isInConference(this.currentState)) {
      for (const track of ownedTracks) track.stop();
      throw ConferenceError.invalidState(`the room was ${this.currentState} while capturing`);
    }
    const { type, videoBitrate } = options;
    // The native clients' stream metadata; one object per publish, so a reconnection sends the same correlationId.
    const conventions = {
      correlationId: uuid(),
      primary: type !== 'SCREEN' && !session.publishers.localStreams.some((local) => local.type !== 'SCREEN'),
      portraitMode: isPortrait(mediaStream),
      participantName: stringField(session.metadata ?? {}, 'name'),
    };
    const metadata = streamMetadata(conventions, options.metadata);
    const simulcast = options.simulcast ?? type !== 'SCREEN';
    return session.publishers.publish({ type, mediaStream, ownedTracks, videoBitrate, metadata, simulcast, dynacast: this.config.dynacast });
  }

  /** Starts viewing a remote stream (with `autoView: false`, or after `stopView`); resolves after the first attempt. */
  async view(streamId: string): Promise<RemoteStream> {
    const session = this.assertInConference('view');
    const stream = session.model.streams.get(streamId);
    if (!stream) throw ConferenceError.invalidState(`no remote stream ${streamId}`);
    if (!session.viewers.has(streamId)) await session.viewers.start(stream);
    return stream;
  }

  /** Stops viewing a remote stream; it stays in `remoteStreams`. */
  async stopView(streamId: string): Promise<void> {
    const session = this.assertInConference('stopView');
    await session.viewers.stop(streamId, session.signal);
  }

  /** Replaces this participant's metadata (others get `metadataChanged`). */
  async setMetadata(metadata: Metadata): Promise<void> {
    const session = this.assertInConference('setMetadata');
    const { conferenceId, signal } = session;
    await this.api.updateParticipantMetadata({ conferenceId, userEndpointId: this.config.userEndpointId, newMetadata: metadata }, { signal });
    session.metadata = metadata;
  }

  /** Sets (or with `undefined` removes) one conference metadata key. */
  async setConferenceMetadata(key: string, value: string | undefined): Promise<void> {
    const { conferenceId, signal } = this.assertInConference('setConferenceMetadata');
    const body = value === undefined ? { operation: 'REMOVE' as const } : { operation: 'SET' as const, value };
    await this.api.updateMetadata({ conferenceId, userEndpointId: this.config.userEndpointId, key, ...body }, { signal });
  }

  /**
   * Unpublishes, stops viewing and leaves, as the cloud service's clients do. Local media stops at
   * once; the server is told within `leaveTimeoutMs`. Afterwards no peer connection, track, timer or
   * listener of the room remains. Idempotent.
   */
  async leave(reason?: string): Promise<void> {
    const session = this.session;
    if (!session || this.currentState === 'idle' || this.currentState === 'left' || this.currentState === 'ended') return;
    const goodbye = new AbortController();
    const timer = setTimeout(() => goodbye.abort(), this.config.leaveTimeoutMs);
    const signal = goodbye.signal;
    // unpublish() and stop() close locally before their first await, so all media stops right here.
    const stopping = session.stopMedia(signal);
    this.close('left');
    try {
      await stopping;
      await this.api.leave({ conferenceId: session.conferenceId, userEndpointId: this.config.userEndpointId, ...(reason ? { reason } : {}) }, { signal });
    } catch (error) {
      this.config.logger.warn('leave: the server was not told', error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the conference for everyone and closes the room. */
  async end(reason?: string): Promise<void> {
    const { conferenceId, signal } = this.assertInConference('end');
    await this.api.end({ conferenceId, userEndpointId: this.config.userEndpointId, ...(reason ? { reason } : {}) }, { signal });
    this.close('ended', reason);
  }

  private onEventLoopStop(session: RoomSession, stop: EventLoopStop): void {
    // The server answers 403 to the polls of an endpoint it removed (e.g. during a long outage): join again.
    if (stop.kind === 'failed' && stop.error.status === 403) {
      void this.rejoin(session);
    } else if (stop.kind === 'failed') {
      this.emitError(stop.error);
      this.close('left');
    } else if (stop.kind === 'ended') {
      this.close('ended', stop.reason);
    } else {
      this.onConferenceGone(session);
    }
  }

  /** The conference is gone without an end (e.g. the server restarted and forgot it): create it again if we may, else end. */
  private onConferenceGone(session: RoomSession): void {
    if (session.create) void this.rejoin(session);
    else this.close('ended', 'not-found', 'not-found');
  }

  /** Turns model changes into viewer actions and events. */
  private apply(session: RoomSession, changes: ModelChange[]): void {
    for (const change of changes) {
      if (!isInConference(this.currentState)) return;
      switch (change.type) {
        case 'streamAdded':
          if (this.config.autoView) void session.viewers.start(change.stream);
          safeEmit(this.emitter, this.config.logger, 'streamAdded', change.stream);
          break;
        case 'streamRemoved':
          session.viewers.drop(change.stream.streamId);
          safeEmit(this.emitter, this.config.logger, 'streamRemoved', change.stream);
          break;
        case 'streamMuteChanged':
          safeEmit(this.emitter, this.config.logger, 'streamMuteChanged', change.stream, change.kind, change.muted);
          break;
        case 'metadataChanged':
          safeEmit(this.emitter, this.config.logger, 'metadataChanged', change.change);
          break;
        case 'selfRemoved':
          void this.rejoin(session);
          break;
        case 'ownStreamUnpublished':
          session.publishers.serverUnpublished(change.streamId, change.version);
          break;
        case 'statsUpdated':
          if (change.stream.stats) this.emit('statsUpdated', change.stream, change.stream.stats);
          break;
        case 'connectionQualityChanged':
          this.emit('connectionQualityChanged', change.participant, change.participant.connectionQuality);
          break;
        case 'activeSpeakersChanged':
          this.emit('activeSpeakersChanged', change.speakers);
          break;
        case 'onHoldChanged':
          this.emit('onHoldChanged', change.onHold);
          break;
        case 'recordingChanged':
          this.emit('recordingChanged', change.recording.recording, change.recording.state);
          break;
        default:
          safeEmit(this.emitter, this.config.logger, change.type, change.participant);
      }
    }
  }

  /** The server removed this endpoint: reconnecting while the session joins again, then joined, or closed when it cannot. */
  private async rejoin(session: RoomSession): Promise<void> {
    if (session.rejoining) return;
    const rejoined = session.rejoin();
    this.setState('reconnecting');
    try {
      const changes = await rejoined;
      this.setState('joined');
      this.apply(session, changes);
    } catch (caught) {
      if (session.closed) return;
      const error = caught as ConferenceError;
      if (error.status === 404) return this.close('ended', 'not-found', 'not-found');
      this.emitError(error);
      this.close('left');
    }
  }

  private onPublisherStopped(local: LocalStream, reason: PublisherStopReason, error: ConferenceError | undefined): void {
    if (!isInConference(this.currentState)) return;
    if (error) this.emitError(error);
    if (reason === 'track-ended' || reason === 'failed') safeEmit(this.emitter, this.config.logger, 'localStreamRemoved', local);
  }

  /**
   * `pagehide` may be the last chance to say goodbye: a keepalive request outlives the page. keepalive
   * also makes the client send it at once with the cached token, whatever its age: asking for a new
   * one first would die with the page.
   */
  private leaveOnPagehide(session: RoomSession): void {
    this.api.leave({ conferenceId: session.conferenceId, userEndpointId: this.config.userEndpointId, reason: 'pagehide' }, { keepalive: true }).catch(() => undefined);
    this.close('left');
  }

  /**
   * Closes the session and everything it owns, synchronously; idempotent. Everyone else is removed
   * before the state changes and the removals are reported after it, so no listener sees a closed
   * room that still lists participants or streams.
   */
  private close(next: 'left' | 'ended', reason?: string, cause: EndedCause = 'ended'): void {
    if (this.currentState === 'left' || this.currentState === 'ended') return;
    const removed = this.session?.model.clear() ?? [];
    this.session?.close();
    this.playback.clear();
    this.setState(next);
    for (const change of removed) {
      if (change.type === 'streamRemoved') safeEmit(this.emitter, this.config.logger, 'streamRemoved', change.stream);
      else if (change.type === 'participantLeft') safeEmit(this.emitter, this.config.logger, 'participantLeft', change.participant);
    }
    if (next === 'ended') safeEmit(this.emitter, this.config.logger, 'ended', reason, cause);
  }

  private setState(next: RoomState): void {
    const previous = this.currentState;
    if (previous === next) return;
    if (!ALLOWED[previous].includes(next)) {
      this.config.logger.warn(`room: refused state change ${previous} -> ${next}`);
      return;
    }
    this.currentState = next;
    this.watch();
    this.config.logger.debug(`room: ${previous} -> ${next}`);
    safeEmit(this.emitter, this.config.logger, 'stateChanged', next, previous);
  }

  private emit<K extends keyof RoomEvents>(event: K, ...args: Parameters<RoomEvents[K]>): void {
    safeEmit(this.emitter, this.config.logger, event, ...args);
  }

  /** Samples while someone listens to a sampled event, never after close. */
  private watch(): void {
    const listening = (event: keyof RoomEvents) => (this.emitter.events[event]?.length ?? 0) > 0;
    const inConference = isInConference(this.currentState);
    if (this.session) {
      this.session.sampling = inConference && SAMPLED_EVENTS.some(listening);
      this.session.mutedSpeechWatched = inConference && listening('speakingWhileMutedChanged');
    }
  }

  private updateLocalQuality(): void {
    const quality = worstQuality(this.localStreams.map((local) => local.connectionQuality));
    if (quality === this.localQuality) return;
    this.localQuality = quality;
    if (isInConference(this.currentState)) this.emit('localConnectionQualityChanged', quality);
  }

  private emitError(error: ConferenceError): void {
    this.config.logger.warn(error.message, error);
    safeEmit(this.emitter, this.config.logger, 'error', error);
  }

  private assertInConference(method: string): RoomSession {
    const session = this.session;
    if (!isInConference(this.currentState) || !session) throw ConferenceError.invalidState(`${method}() needs a joined room; this one is ${this.currentState}`);
    return session;
  }
}
