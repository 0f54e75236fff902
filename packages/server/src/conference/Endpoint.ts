import type { components } from '@confer/contract';
import type { EndpointHealth, StreamType } from '../media/MediaRouter.js';

/** Free-form metadata of a participant or a stream. */
export type AnyMetadata = components['schemas']['AnyMetadata'];

/** A stream an endpoint publishes; its id is unique inside the conference. */
export interface StreamRecord {
  id: string;
  userEndpointId: string;
  type: StreamType;
  metadata: AnyMetadata;
  videoBitrate?: number;
  /** Set by the conference: tells this stream from one published again under its id. */
  serial?: number;
}

/** A viewer of a stream; `userEndpointId` is the endpoint that views, not the publisher. */
export interface ViewerRecord {
  id: string;
  userEndpointId: string;
  streamId: string;
  /** Set by the conference: tells this viewer from one added again under its id. */
  serial?: number;
}

/** The ghost rule's memory of an endpoint, saved with the conference when it lives in a shared store. */
export interface LivenessFlags {
  /** The media plane said SICK. */
  mediaSick: boolean;
  /** Silent past the SICK deadline: the next deadline removes it. */
  silent: boolean;
  /** Its user's waiting poll was hung up: the short timings apply. */
  hungUp: boolean;
}

/** The ghost rule of one endpoint, as the services drive it (timers in memory, deadlines in Redis). */
export interface Liveness {
  /** The endpoint or its user just did something; `busyMs`: a poll of its user now waits up to that long. */
  touch(busyMs?: number): void;
  /** Its user's waiting poll was hung up by the client. */
  hangUp(): void;
  /** The media plane's verdict on the endpoint's connections. */
  setMediaHealth(health: EndpointHealth): void;
  /** Stops the rule; nothing happens afterwards. */
  close(): void;
  /** What must survive a reload of the conference. */
  flags(): LivenessFlags;
}

/** A user endpoint joined to a conference (a browser tab, in practice). */
export class Endpoint {
  state: EndpointHealth = 'HEALTHY';

  constructor(
    /** The user endpoint id, chosen by the client. */
    readonly id: string,
    /** The user who joined with it; only that user may act on it. */
    readonly userId: string,
    public metadata: AnyMetadata,
    readonly liveness: Liveness,
    /** Tells this endpoint from one that joined again with its id. */
    readonly serial = 0,
  ) {}
}
