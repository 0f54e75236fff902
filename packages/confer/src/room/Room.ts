import { createNanoEvents } from 'nanoevents';
import type { Unsubscribe } from 'nanoevents';
import { ApiClient } from '../api/ApiClient.js';
import { ConferenceError } from '../api/ConferenceError.js';
import type { Conference, ConferenceEvent, Metadata } from '../api/types.js';
import { EventLoop } from '../events/EventLoop.js';
import type { EventLoopStop } from '../events/EventLoop.js';
import { browserDefaults } from '../media/browser.js';
import { captureDevice, captureStream } from '../media/capture.js';
import { LocalStream } from '../media/LocalStream.js';
import { Publisher } from '../media/Publisher.js';
import type { PublisherStopReason } from '../media/Publisher.js';
import type { RemoteStream } from '../media/RemoteStream.js';
import { ViewerSet } from '../media/ViewerSet.js';
import { ReconnectPolicy, sleep } from '../util/ReconnectPolicy.js';
import { safeEmit } from '../util/safeEmit.js';
import { uuid } from '../util/uuid.js';
import type { RoomEvents } from './events.js';
import type { Participant } from './Participant.js';
import type { ModelChange } from './RoomModel.js';
import { RoomModel } from './RoomModel.js';
import type { JoinOptions, PublishOptions, ResolvedRoomOptions, RoomOptions } from './RoomOptions.js';
import { resolveRoomOptions } from './RoomOptions.js';
import type { RoomState } from './RoomState.js';
import { ALLOWED, isInConference } from './RoomState.js';

/** One endpoint in one conference: join, publish, view others, leave. */
export class Room {
  private readonly emitter = createNanoEvents<RoomEvents>();
  private readonly api: ApiClient;
  private readonly config: ResolvedRoomOptions;
  private currentState: RoomState = 'idle';
  private controller = new AbortController();
  private id: string | undefined;
  private joinMetadata: Metadata | undefined;
  private model: RoomModel | undefined;
  private eventLoop: EventLoop | undefined;
  private rejoining = false;
  private readonly publishers = new Map<string, { publisher: Publisher; local: LocalStream; announced: boolean }>();
  private readonly viewers = new ViewerSet(() => ({ ...this.mediaOptions(), onError: (error) => this.emitError(error) }));

  constructor(options: RoomOptions) {
    const defaults = browserDefaults();
    this.api = new ApiClient({ baseUrl: options.baseUrl, auth: options.auth, ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.config = resolveRoomOptions(options, defaults);
    this.config.logger.debug(`confer: ${defaults.browser}, endpoint ${this.config.userEndpointId}`);
  }

  /** Listens to a room event; returns the function that stops listening. */
  on<K extends keyof RoomEvents>(event: K, listener: RoomEvents[K]): Unsubscribe {
    return this.emitter.on(event, listener);
  }

  /** Where the room is in its life. */
  get state(): RoomState {
    return this.currentState;
  }

  /** The conference joined (or being joined). */
  get conferenceId(): string | undefined {
    return this.id;
  }

  /** This endpoint's id in the conference. */
  get userEndpointId(): string {
    return this.config.userEndpointId;
  }

  /** The conferenceVersion of the next event expected (the number of events applied so far). */
  get version(): number | undefined {
    return this.eventLoop?.version;
  }

  /** The other endpoints in the conference. */
  get participants(): Participant[] {
    return [...(this.model?.participants.values() ?? [])];
  }

  /** Every stream the other endpoints publish. */
  get remoteStreams(): RemoteStream[] {
    return [...(this.model?.streams.values() ?? [])];
  }

  /** The streams this room publishes. */
  get localStreams(): LocalStream[] {
    return [...this.publishers.values()].filter((entry) => entry.announced).map((entry) => entry.local);
  }

  /** The conference metadata, key by key. */
  get metadata(): Record<string, string> {
    return Object.fromEntries(this.model?.metadata ?? []);
  }

  /** Joins `conferenceId` (creating it with `create: true`), then follows its events until leave or end. */
  async join(conferenceId: string, options: JoinOptions = {}): Promise<void> {
    if (!conferenceId) throw ConferenceError.invalidState('join() needs a conference id');
    if (this.currentState !== 'idle') throw ConferenceError.invalidState(`join() needs an idle room; this one is ${this.currentState}`);
    this.id = conferenceId;
    this.joinMetadata = options.metadata;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.setState('joining');
    this.config.window?.addEventListener('pagehide', () => this.leaveOnPagehide(), { signal });
    try {
      if (options.create) await this.createIfMissing(conferenceId, signal);
      const conference = await this.joinOnServer(signal);
      this.model = new RoomModel(this.config.userEndpointId, () => this.config.createMediaStream([]));
      const changes = this.model.applyAggregate(conference);
      this.startEventLoop(conference.version ?? 0);
      this.setState('joined');
      this.apply(changes.filter((change) => change.type !== 'selfRemoved'));
    } catch (caught) {
      const error = ConferenceError.from(caught, (cause) => ConferenceError.network('join', cause));
      // An aborted join was closed by leave() or pagehide; any other failure leaves the room ready to try again.
      if (!signal.aborted) {
        this.controller.abort();
        this.setState('idle');
      }
      throw error;
    }
  }

  /** Captures (unless `mediaStream` is given) and publishes a stream. */
  async publish(options: PublishOptions): Promise<LocalStream> {
    this.assertInConference('publish');
    if (!['MIC_AND_CAM', 'MIC', 'CAM', 'SCREEN'].includes(options.type)) throw ConferenceError.invalidState(`unknown stream type ${String(options.type)}`);
    const mediaStream = options.mediaStream ?? (await captureStream(this.config.mediaDevices, options.type, options));
    const owned = options.mediaStream ? [] : mediaStream.getTracks();
    if (!isInConference(this.currentState)) {
      for (const track of owned) track.stop();
      throw ConferenceError.invalidState(`the room was ${this.currentState} while capturing`);
    }
    const streamId = uuid();
    const publisher = new Publisher({
      ...this.mediaOptions(),
      streamId,
      type: options.type,
      mediaStream,
      ownedTracks: owned,
      videoBitrate: options.videoBitrate,
      metadata: options.metadata,
      onStopped: (reason, error) => this.onPublisherStopped(streamId, reason, error),
    });
    const local = new LocalStream(publisher, (kind, deviceId) => captureDevice(this.config.mediaDevices, kind, deviceId));
    const entry = { publisher, local, announced: false };
    this.publishers.set(streamId, entry);
    await publisher.publish();
    entry.announced = true;
    return local;
  }

  /** Starts viewing a remote stream (with `autoView: false`, or after `stopView`); resolves after the first attempt. */
  async view(streamId: string): Promise<RemoteStream> {
    this.assertInConference('view');
    const stream = this.model?.streams.get(streamId);
    if (!stream) throw ConferenceError.invalidState(`no remote stream ${streamId}`);
    if (!this.viewers.has(streamId)) await this.viewers.start(stream);
    return stream;
  }

  /** Stops viewing a remote stream; it stays in `remoteStreams`. */
  async stopView(streamId: string): Promise<void> {
    this.assertInConference('stopView');
    await this.viewers.stop(streamId, this.controller.signal);
  }

  /** Replaces this participant's metadata (others get `metadataChanged`). */
  async setMetadata(metadata: Metadata): Promise<void> {
    const conferenceId = this.assertInConference('setMetadata');
    await this.api.updateParticipantMetadata({ conferenceId, userEndpointId: this.config.userEndpointId, newMetadata: metadata }, { signal: this.controller.signal });
    this.joinMetadata = metadata;
  }

  /** Sets (or with `undefined` removes) one conference metadata key. */
  async setConferenceMetadata(key: string, value: string | undefined): Promise<void> {
    const conferenceId = this.assertInConference('setConferenceMetadata');
    const body = value === undefined ? { operation: 'REMOVE' as const } : { operation: 'SET' as const, value };
    await this.api.updateMetadata({ conferenceId, userEndpointId: this.config.userEndpointId, key, ...body }, { signal: this.controller.signal });
  }

  /**
   * Unpublishes, stops viewing and leaves, as the cloud service's clients do. Local media stops at
   * once; the server is told within `leaveTimeoutMs`. Afterwards no peer connection, track, timer or
   * listener of the room remains. Idempotent.
   */
  async leave(reason?: string): Promise<void> {
    const conferenceId = this.id;
    if (!conferenceId || this.currentState === 'idle' || this.currentState === 'left' || this.currentState === 'ended') return;
    const goodbye = new AbortController();
    const timer = setTimeout(() => goodbye.abort(), this.config.leaveTimeoutMs);
    const signal = goodbye.signal;
    // unpublish() and stop() close locally before their first await, so all media stops right here.
    const requests = [
      ...[...this.publishers.values()].map(({ publisher }) => publisher.unpublish({ signal })),
      this.viewers.stopAll(signal),
    ];
    this.close('left');
    try {
      await Promise.all(requests);
      await this.api.leave({ conferenceId, userEndpointId: this.config.userEndpointId, ...(reason ? { reason } : {}) }, { signal });
    } catch (error) {
      this.config.logger.warn('leave: the server was not told', error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the conference for everyone and closes the room. */
  async end(reason?: string): Promise<void> {
    const conferenceId = this.assertInConference('end');
    await this.api.end({ conferenceId, userEndpointId: this.config.userEndpointId, ...(reason ? { reason } : {}) }, { signal: this.controller.signal });
    this.close('ended', reason);
  }

  private async createIfMissing(conferenceId: string, signal: AbortSignal): Promise<void> {
    try {
      await this.api.create({ conferenceId }, { signal });
    } catch (error) {
      if (!(error instanceof ConferenceError && error.status === 409)) throw error;
    }
  }

  /** Joins on the server; the cloud service answers `{}`, so the aggregate is then read separately. */
  private async joinOnServer(signal: AbortSignal): Promise<Conference> {
    const conferenceId = this.id!;
    const metadata = this.joinMetadata;
    const joined = await this.api.join({ conferenceId, userEndpointId: this.config.userEndpointId, ...(metadata ? { metadata } : {}) }, { signal });
    return typeof joined?.version === 'number' ? joined : this.api.getConference(conferenceId, { signal });
  }

  private startEventLoop(fromVersion: number): void {
    this.eventLoop?.close();
    const loop = new EventLoop({
      api: this.api,
      conferenceId: this.id!,
      fromVersion,
      logger: this.config.logger,
      backoff: this.config.backoff,
      onEvent: (event) => this.onEvent(event),
      onResync: (conference) => this.apply(this.model!.applyAggregate(conference)),
      onConnectionChange: (connected) => {
        if (this.rejoining) return;
        if (!connected && this.currentState === 'joined') this.setState('reconnecting');
        if (connected && this.currentState === 'reconnecting') this.setState('joined');
      },
      onStop: (stop) => this.onEventLoopStop(stop),
    });
    this.eventLoop = loop;
    void loop.start();
  }

  private onEvent(event: ConferenceEvent): void {
    this.apply(this.model!.applyEvent(event));
    safeEmit(this.emitter, this.config.logger, 'event', event);
  }

  private onEventLoopStop(stop: EventLoopStop): void {
    // The server answers 403 to the polls of an endpoint it removed (e.g. during a long outage): join again.
    if (stop.kind === 'failed' && stop.error.status === 403) {
      void this.rejoin();
    } else if (stop.kind === 'failed') {
      this.emitError(stop.error);
      this.close('left');
    } else {
      this.close('ended', stop.kind === 'ended' ? stop.reason : 'the conference no longer exists');
    }
  }

  /** Turns model changes into viewer actions and events. */
  private apply(changes: ModelChange[]): void {
    for (const change of changes) {
      if (!isInConference(this.currentState)) return;
      switch (change.type) {
        case 'streamAdded':
          if (this.config.autoView) void this.viewers.start(change.stream);
          safeEmit(this.emitter, this.config.logger, 'streamAdded', change.stream);
          break;
        case 'streamRemoved':
          void this.viewers.stop(change.stream.streamId, this.controller.signal);
          safeEmit(this.emitter, this.config.logger, 'streamRemoved', change.stream);
          break;
        case 'streamMuteChanged':
          safeEmit(this.emitter, this.config.logger, 'streamMuteChanged', change.stream, change.kind, change.muted);
          break;
        case 'metadataChanged':
          safeEmit(this.emitter, this.config.logger, 'metadataChanged', change.change);
          break;
        case 'selfRemoved':
          void this.rejoin();
          break;
        default:
          safeEmit(this.emitter, this.config.logger, change.type, change.participant);
      }
    }
  }

  /**
   * The server removed this endpoint (e.g. it stopped polling during a long outage): join again
   * under the same endpoint id, then publish and view everything again.
   */
  private async rejoin(): Promise<void> {
    if (this.rejoining) return;
    this.rejoining = true;
    this.setState('reconnecting');
    this.eventLoop?.close();
    const signal = this.controller.signal;
    const policy = new ReconnectPolicy(this.config.backoff);
    while (isInConference(this.currentState)) {
      try {
        const conference = await this.joinOnServer(signal);
        if (!isInConference(this.currentState)) return;
        const changes = this.model!.applyAggregate(conference).filter((change) => change.type !== 'selfRemoved');
        this.rejoining = false;
        this.startEventLoop(conference.version ?? 0);
        this.setState('joined');
        this.viewers.restartAll();
        for (const { publisher } of this.publishers.values()) publisher.restart();
        this.apply(changes);
        return;
      } catch (caught) {
        if (!isInConference(this.currentState)) return;
        const error = ConferenceError.from(caught, (cause) => ConferenceError.network('join', cause));
        if (error.status === 404) return this.close('ended', 'the conference no longer exists');
        if (!error.isTransient) {
          this.emitError(error);
          return this.close('left');
        }
        await sleep(policy.next(), signal);
      }
    }
  }

  private onPublisherStopped(streamId: string, reason: PublisherStopReason, error: ConferenceError | undefined): void {
    const entry = this.publishers.get(streamId);
    if (!entry) return;
    this.publishers.delete(streamId);
    if (!entry.announced || !isInConference(this.currentState)) return;
    if (error) this.emitError(error);
    if (reason === 'track-ended' || reason === 'failed') safeEmit(this.emitter, this.config.logger, 'localStreamRemoved', entry.local);
  }

  /** `pagehide` may be the last chance to say goodbye: a keepalive request outlives the page. */
  private leaveOnPagehide(): void {
    const conferenceId = this.id;
    if (!conferenceId) return;
    this.api.leave({ conferenceId, userEndpointId: this.config.userEndpointId, reason: 'pagehide' }, { keepalive: true }).catch(() => undefined);
    this.close('left');
  }

  /** Closes everything the room owns, synchronously; idempotent. */
  private close(next: 'left' | 'ended', reason?: string): void {
    if (this.currentState === 'left' || this.currentState === 'ended') return;
    this.controller.abort();
    this.eventLoop?.close();
    this.viewers.closeAll();
    for (const { publisher } of [...this.publishers.values()]) publisher.close();
    this.publishers.clear();
    this.setState(next);
    if (next === 'ended') safeEmit(this.emitter, this.config.logger, 'ended', reason);
  }

  private setState(next: RoomState): void {
    const previous = this.currentState;
    if (previous === next) return;
    if (!ALLOWED[previous].includes(next)) {
      this.config.logger.warn(`room: refused state change ${previous} -> ${next}`);
      return;
    }
    this.currentState = next;
    this.config.logger.debug(`room: ${previous} -> ${next}`);
    safeEmit(this.emitter, this.config.logger, 'stateChanged', next, previous);
  }

  private emitError(error: ConferenceError): void {
    this.config.logger.warn(error.message, error);
    safeEmit(this.emitter, this.config.logger, 'error', error);
  }

  private assertInConference(method: string): string {
    if (!isInConference(this.currentState) || !this.id) throw ConferenceError.invalidState(`${method}() needs a joined room; this one is ${this.currentState}`);
    return this.id;
  }

  private mediaOptions() {
    return {
      api: this.api,
      conferenceId: this.id!,
      userEndpointId: this.config.userEndpointId,
      createPeerConnection: this.config.createPeerConnection,
      rtcConfiguration: this.config.rtcConfiguration,
      logger: this.config.logger,
      backoff: this.config.backoff,
    };
  }
}
