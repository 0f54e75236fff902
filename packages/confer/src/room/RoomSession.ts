import type { ApiClient } from '../api/ApiClient.js';
import { ConferenceError } from '../api/ConferenceError.js';
import type { Conference, ConferenceEvent, Metadata } from '../api/types.js';
import { EventLoop } from '../events/EventLoop.js';
import type { EventLoopStop } from '../events/EventLoop.js';
import { captureDevice } from '../media/capture.js';
import type { LocalStream } from '../media/LocalStream.js';
import { kindsOf } from '../media/mediaKinds.js';
import type { PublisherStopReason } from '../media/Publisher.js';
import type { RemoteStream } from '../media/RemoteStream.js';
import { PublisherSet } from '../media/PublisherSet.js';
import type { Presence, StreamConnectionState } from '../media/StreamConnection.js';
import { ViewerSet } from '../media/ViewerSet.js';
import type { Playback } from '../media/Playback.js';
import { MutedSpeech, openLevelMeter } from '../stats/MutedSpeech.js';
import { StatsClock } from '../stats/StatsSampler.js';
import { ReconnectPolicy, sleep } from '../util/ReconnectPolicy.js';
import type { ModelChange } from './RoomModel.js';
import { RoomModel } from './RoomModel.js';
import type { ResolvedRoomOptions } from './RoomOptions.js';

/** What a RoomSession needs from its Room, and the callbacks through which it reports. @internal */
export interface RoomSessionOptions {
  api: ApiClient;
  config: ResolvedRoomOptions;
  conferenceId: string;
  /** This participant's metadata, sent with the join and every rejoin. */
  metadata: Metadata | undefined;
  /** The room was joined with `create: true`: a conference that disappears (404) is created again on rejoin. */
  create: boolean;
  /** `room.prepare()` was called: the join prepares the first view's connection and offer while its request is in flight. */
  prepareView?: boolean;
  /** One conference event, in order, and what it changed in the model. */
  onEvent: (event: ConferenceEvent, changes: ModelChange[]) => void;
  /** What a re-read aggregate (after a gap or a 410) changed in the model. */
  onResync: (changes: ModelChange[]) => void;
  /** The event poll failed (false) or works again (true). */
  onConnectionChange: (connected: boolean) => void;
  /** The event loop stopped by itself. */
  onStop: (stop: EventLoopStop) => void;
  /** A stream could not be viewed, and retrying cannot fix it. */
  onViewerError: (error: ConferenceError) => void;
  /** A stream `publish()` resolved with has stopped. */
  onPublisherStopped: (local: LocalStream, reason: PublisherStopReason, error: ConferenceError | undefined) => void;
  /** The connection state of one of our streams changed. */
  onLocalConnectionStateChange: (local: LocalStream, state: StreamConnectionState) => void;
  /** The connection state of a viewed stream changed. */
  onRemoteConnectionStateChange: (stream: RemoteStream, state: StreamConnectionState) => void;
  /** Plays remote streams in the page's elements (for `RemoteStream.attach`). */
  playback: Playback;
  /** What a stats or audio-level sample changed about the others (stats, quality, speakers). */
  onSample: (changes: ModelChange[]) => void;
  /** A stats sample of one of our streams. */
  onLocalStats: (local: LocalStream) => void;
  /** One of our muted microphones started or stopped hearing speech. */
  onSpeakingWhileMuted: (local: LocalStream) => void;
  /** A presence check found this endpoint no longer in the conference (`dropped`), or the conference gone (`not-found`). */
  onGone: (what: 'dropped' | 'not-found') => void;
}

/**
 * Everything one `join()` owns until the room closes: the conference id, the model, the event loop,
 * the publishers and viewers, and the AbortController of their requests and listeners. A Room makes a
 * new one per join; `close()` ends it for good. @internal
 */
export class RoomSession {
  /** The conference as this session sees it. */
  readonly model: RoomModel;
  /** The streams this session publishes. */
  readonly publishers: PublisherSet;
  /** The remote streams this session views. */
  readonly viewers: ViewerSet;
  /** The participant metadata sent with a rejoin: the last one the server accepted. */
  metadata: Metadata | undefined;
  private readonly controller = new AbortController();
  private loop: EventLoop | undefined;
  private isRejoining = false;
  /** Counts the joins: an answer about an earlier one says nothing about the current one. */
  private generation = 0;
  private presence: Promise<Presence> | undefined;
  /** Grows while polls are refused (403) with no answer since the last rejoin: joining again at once cannot help. */
  private readonly refusals: ReconnectPolicy;
  /** The wait before the next rejoin, set by a refused poll. */
  private refusedDelayMs = 0;
  /** The one timer of every stats sampler and of the audio levels, running while someone listens. */
  private readonly clock = new StatsClock((withStats) => this.tick(withStats));
  /** Measures our muted microphones while `watchingMutedSpeech` (and sampling) is set. */
  private readonly mutedSpeech: MutedSpeech<LocalStream>;
  private watchingMutedSpeech = false;
  /** Stops the reachability probe (a read of this conference) when the session closes. */
  private readonly unwatch: () => void;

  constructor(private readonly options: RoomSessionOptions) {
    const { api, config, conferenceId } = options;
    const media = {
      api,
      conferenceId,
      userEndpointId: config.userEndpointId,
      createPeerConnection: config.createPeerConnection,
      rtcConfiguration: config.rtcConfiguration,
      logger: config.logger,
      backoff: { ...config.backoff, reachability: api.reachability },
      disconnectedGraceMs: config.disconnectedGraceMs,
      checkPresence: () => this.checkPresence(),
    };
    this.metadata = options.metadata;
    this.mutedSpeech = new MutedSpeech((track) => openLevelMeter(track, config.createAudioContext, config.createMediaStream));
    this.unwatch = api.reachability.watch((timeoutMs) => api.probe(conferenceId, { signal: this.signal, timeoutMs }));
    this.refusals = new ReconnectPolicy(config.backoff);
    this.model = new RoomModel(config.userEndpointId, () => config.createMediaStream([]), options.playback);
    this.viewers = new ViewerSet({
      ...media,
      onError: options.onViewerError,
      onConnectionStateChange: (stream, state) => {
        options.onRemoteConnectionStateChange(stream, state);
        options.onSample(this.model.applyStreamStats(stream, false));
      },
      onStats: (stream) => options.onSample(this.model.applyStreamStats(stream, true)),
    });
    this.publishers = new PublisherSet({
      ...media,
      captureTrack: (kind, deviceId) => captureDevice(config.mediaDevices, kind, deviceId),
      currentVersion: () => this.version,
      onStopped: options.onPublisherStopped,
      onConnectionStateChange: options.onLocalConnectionStateChange,
      onStats: options.onLocalStats,
    });
  }

  /** Samples stats and audio levels while true (someone listens to a sampled event); stopped by `close()`. */
  set sampling(on: boolean) {
    this.clock.running = on;
    if (!on) this.mutedSpeech.close();
  }

  /** Measures muted microphones on each sample while true (someone listens to `speakingWhileMutedChanged`). */
  set mutedSpeechWatched(on: boolean) {
    this.watchingMutedSpeech = on;
    if (!on) this.mutedSpeech.close();
  }

  /** The conference joined (or being joined). */
  get conferenceId(): string {
    return this.options.conferenceId;
  }

  /** Aborts with `close()`: every request and listener of the session goes with it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once closed: by leave, end, pagehide, a failure, or a join that failed. */
  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /** Whether a conference that disappears may be created again (the room was joined with `create: true`). */
  get create(): boolean {
    return this.options.create;
  }

  /** True while `rejoin()` is trying. */
  get rejoining(): boolean {
    return this.isRejoining;
  }

  /** The conferenceVersion of the next event expected; undefined until joined. */
  get version(): number | undefined {
    return this.loop?.version;
  }

  /** Joins on the server, reads the conference into the model and follows its events; answers what the model gained. */
  async join(): Promise<ModelChange[]> {
    // The first view's offer (createOffer + setLocalDescription, tens of ms on a fresh page) is made
    // while the join is in flight; a camera with its microphone is the usual first stream.
    if (this.options.prepareView && this.options.config.autoView) this.viewers.prepare(kindsOf('MIC_AND_CAM'));
    const conference = await this.joinCreatingIfMissing();
    const changes = this.model.applyAggregate(conference).filter((change) => change.type !== 'selfRemoved');
    // Nothing to view yet: the prepared connection would only wait.
    if (this.model.streams.size === 0) this.viewers.dropPrepared();
    this.startEventLoop(conference.version);
    return changes;
  }

  /**
   * Joins again under the same endpoint id (the server removed it, e.g. during a long outage), with
   * backoff while failures are transient; a conference that is gone (404, e.g. a server restart forgot
   * it) is created again first when the room was joined with `create: true`. Then follows the events
   * again and republishes (same stream ids) and views everything again. Answers what the model changed
   * meanwhile; rejects with the failure retrying cannot fix, or (`aborted`) when the session closes.
   */
  async rejoin(): Promise<ModelChange[]> {
    this.isRejoining = true;
    this.loop?.close();
    const policy = new ReconnectPolicy({ ...this.options.config.backoff, reachability: this.options.api.reachability });
    try {
      if (this.refusedDelayMs && !(await sleep(this.refusedDelayMs, this.signal))) throw ConferenceError.aborted('join');
      this.refusedDelayMs = 0;
      for (;;) {
        try {
          const conference = await this.joinCreatingIfMissing();
          if (this.closed) throw ConferenceError.aborted('join');
          this.generation++;
          const changes = this.model.applyAggregate(conference).filter((change) => change.type !== 'selfRemoved');
          this.startEventLoop(conference.version);
          this.viewers.restartAll((streamId) => this.model.streams.has(streamId));
          this.publishers.restartAll();
          return changes;
        } catch (caught) {
          const error = ConferenceError.from(caught, (cause) => ConferenceError.network('join', cause));
          if (this.closed) throw error;
          if (!error.isTransient) throw error;
          if (!(await policy.wait(this.signal))) throw ConferenceError.aborted('join');
        }
      }
    } finally {
      this.isRejoining = false;
    }
  }

  /**
   * Asks the server whether this endpoint is still in the conference, after a publisher's or viewer's
   * request was answered 404 or 403 (concurrent askers share one request). An endpoint the aggregate
   * does not list (or a 403) is reported as `dropped`, a conference that is gone as `not-found`; then
   * the answer is `absent`: the room rejoins and restarts every publisher and viewer.
   */
  checkPresence(): Promise<Presence> {
    this.presence ??= this.askPresence().finally(() => (this.presence = undefined));
    return this.presence;
  }

  /** Unpublishes and stops viewing everything: media stops at once, the promise settles once the server was told. */
  stopMedia(signal: AbortSignal): Promise<void> {
    return Promise.all([this.publishers.unpublishAll(signal), this.viewers.stopAll(signal)]).then(() => undefined);
  }

  /** Aborts pending requests and listeners, stops the event loop, closes every publisher and viewer; idempotent, no network. */
  close(): void {
    if (this.closed) return;
    this.controller.abort();
    this.unwatch();
    this.clock.close();
    this.mutedSpeech.close();
    this.loop?.close();
    this.viewers.closeAll();
    this.publishers.closeAll();
  }

  private tick(withStats: boolean): void {
    if (withStats) {
      this.publishers.sampleAll();
      this.viewers.sampleAll();
    }
    const now = performance.now();
    const changes = this.model.applyAudioLevels(now);
    if (changes.length > 0) this.options.onSample(changes);
    if (!this.watchingMutedSpeech) return;
    for (const local of this.mutedSpeech.sample(this.publishers.localStreams, now)) this.options.onSpeakingWhileMuted(local);
  }

  private async askPresence(): Promise<Presence> {
    const { api, config, conferenceId, onGone } = this.options;
    const generation = this.generation;
    // "absent" also when a rejoin is under way or happened meanwhile: it restarts the askers anyway.
    const stale = () => this.closed || this.isRejoining || generation !== this.generation;
    if (stale()) return 'absent';
    try {
      const conference = await api.getConference(conferenceId, { signal: this.signal });
      if (stale()) return 'absent';
      if (conference.participants?.some((endpoint) => endpoint.id === config.userEndpointId)) return 'present';
      onGone('dropped');
    } catch (caught) {
      if (stale()) return 'absent';
      const status = (caught as ConferenceError).status;
      if (status !== 403 && status !== 404) return 'unknown';
      onGone(status === 403 ? 'dropped' : 'not-found');
    }
    return 'absent';
  }

  /**
   * Joins; with `create: true` a conference that does not exist (404) is created and joined then. Joining
   * first means an existing room never sees a `create`, whatever a service answers for an existing id
   * (the reference server 409, others 200 or 403). A create that fails because someone else created the
   * conference meanwhile is fine: the second join decides, and only if it still finds nothing is the
   * create's failure the one reported.
   */
  private async joinCreatingIfMissing(): Promise<Conference> {
    const { api, config, conferenceId, create } = this.options;
    try {
      return await this.joinOnServer();
    } catch (caught) {
      if (!(create && caught instanceof ConferenceError && caught.status === 404)) throw caught;
    }
    config.logger.debug(`conference ${conferenceId} does not exist; creating it`);
    let createFailure: ConferenceError | undefined;
    try {
      await api.create({ conferenceId }, { signal: this.signal });
    } catch (caught) {
      // Only an answer from the server can mean "it exists already"; no answer at all is retried by the caller.
      if (!(caught instanceof ConferenceError) || caught.status === undefined) throw caught;
      createFailure = caught;
    }
    try {
      return await this.joinOnServer();
    } catch (caught) {
      if (createFailure && caught instanceof ConferenceError && caught.status === 404) throw createFailure;
      throw caught;
    }
  }

  /** Joins on the server; the cloud service answers `{}`, so the state and its version are then read from the simple view. */
  private async joinOnServer(): Promise<Conference> {
    const { api, config, conferenceId } = this.options;
    const signal = this.signal;
    const metadata = this.metadata;
    const joined = await api.join({ conferenceId, userEndpointId: config.userEndpointId, ...(metadata ? { metadata } : {}) }, { signal });
    return typeof joined?.version === 'number' ? joined : api.simpleView(conferenceId, { signal });
  }

  private startEventLoop(fromVersion: number | undefined): void {
    this.loop?.close();
    const { api, config, conferenceId, onConnectionChange, onStop } = this.options;
    const loop: EventLoop = (this.loop = new EventLoop({
      api,
      conferenceId,
      fromVersion,
      logger: config.logger,
      backoff: config.backoff,
      pollTimeoutMs: config.pollTimeoutMs,
      onEvent: (event) => this.options.onEvent(event, this.model.applyEvent(event)),
      onResync: (conference) => this.options.onResync(this.model.applyAggregate(conference)),
      onConnectionChange,
      onStop: (stop) => {
        if (stop.kind === 'failed' && stop.error.status === 403) {
          if (loop.polled) this.refusals.reset();
          this.refusedDelayMs = this.refusals.next();
        }
        onStop(stop);
      },
    }));
    void loop.start();
  }
}
