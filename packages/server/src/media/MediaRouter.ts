import type { components } from '@confer/contract';

type Schemas = components['schemas'];

/** One trickled ICE candidate, as the API carries it. */
export type IceCandidate = Schemas['IceCandidate'];

/** The stream types a publisher may announce. */
export type StreamType = Schemas['ConferenceStreamType'];

/** An endpoint's media health, as the aggregate shows it. */
export type EndpointHealth = 'HEALTHY' | 'SICK';

/** Identifies one published stream: stream ids are only unique inside a conference. */
export interface StreamRef {
  conferenceId: string;
  streamId: string;
}

/** What the control plane asks of the media plane when a stream is published. */
export interface PublishRequest extends StreamRef {
  userEndpointId: string;
  streamType: StreamType;
  sdpOffer: string;
  /** Cap in bits per second, fed back to the publisher as REMB; the router's default when absent (kept, on a reconnection). */
  videoBitrate?: number;
  /**
   * The endpoint already publishes this stream and reconnects it: a new peer connection replaces
   * the old one, viewers stay attached. Same endpoint, stream type and codecs, else `bad-request`.
   */
  reconnect?: boolean;
}

/** What the control plane asks of the media plane when an endpoint views a stream. */
export interface ViewRequest extends StreamRef {
  viewerId: string;
  userEndpointId: string;
  sdpOffer: string;
  /** The viewer of this id reconnects: a new peer connection replaces its old one once answered. */
  reconnect?: boolean;
}

/** Counts of live media resources, so tests can prove that nothing outlives its owner. */
export interface MediaCounters {
  publishers: number;
  viewers: number;
  peerConnections: number;
  udpSockets: number;
  timers: number;
}

/** Callbacks from the media plane to the control plane. */
export interface MediaRouterCallbacks {
  /**
   * An endpoint's connections failed or its media stopped (SICK), or recovered (HEALTHY). Called on
   * a later microtask, never from inside a router call; only changes are reported.
   */
  onEndpointHealth(conferenceId: string, userEndpointId: string, health: EndpointHealth): void;
  /**
   * Every stream of this conference (its media key) lost its media node, e.g. a dead node of a
   * cluster: unpublish them all, one ConferenceStreamUnpublishedEvent each carrying `reason`, so
   * clients publish and view again on the node the conference is placed on next. Called once
   * cluster-wide; optional because a single-node router never loses its own media.
   */
  onMediaLost?(conferenceMediaKey: string, reason: string): void;
}

/**
 * The media plane behind publishStream, viewStream, the ICE operations, stopViewStream and
 * unpublishStream. The control plane has already checked ids, ownership and existence; the router
 * owns peer connections and RTP forwarding. It throws {@link MediaRouterError} for input it cannot use.
 */
export interface MediaRouter {
  /** Answers a publisher's offer (recvonly, every server candidate already in the SDP), or its reconnection's. */
  publish(request: PublishRequest): Promise<{ sdpAnswer: string }>;
  /** Adds candidates trickled by a publisher. */
  addPublishCandidates(stream: StreamRef, candidates: IceCandidate[]): Promise<void>;
  /** Changes the cap fed back to a publisher. */
  setVideoBitrate(stream: StreamRef, videoBitrate: number): void;
  /** Closes a publisher and every viewer of it. */
  unpublish(stream: StreamRef): void;
  /** Answers a viewer's offer (sendonly), fed by the publisher's RTP; a reconnection replaces the viewer's connection. */
  view(request: ViewRequest): Promise<{ sdpAnswer: string }>;
  /** Adds candidates trickled by a viewer. */
  addViewCandidates(stream: StreamRef, viewerId: string, candidates: IceCandidate[]): Promise<void>;
  /** Closes one viewer. */
  stopView(stream: StreamRef, viewerId: string): void;
  /** Live resources, for tests and benchmarks. */
  counters(): MediaCounters;
  /** Closes everything; the router cannot be used afterwards. */
  close(): Promise<void>;
}

/** Why the media plane refused a request; the control plane maps `bad-request` to 400. */
export class MediaRouterError extends Error {
  constructor(
    readonly code: 'bad-request' | 'not-found' | 'internal',
    message: string,
  ) {
    super(message);
    this.name = 'MediaRouterError';
  }
}
