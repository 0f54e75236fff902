import type { components } from '@confer/contract';
import type { EndpointHealth, StreamType } from '../media/MediaRouter.js';
import type { EndpointLiveness } from './EndpointLiveness.js';

/** Free-form metadata of a participant or a stream. */
export type AnyMetadata = components['schemas']['AnyMetadata'];

/** A stream an endpoint publishes; its id is unique inside the conference. */
export interface StreamRecord {
  id: string;
  userEndpointId: string;
  type: StreamType;
  metadata: AnyMetadata;
  videoBitrate?: number;
}

/** A viewer of a stream; `userEndpointId` is the endpoint that views, not the publisher. */
export interface ViewerRecord {
  id: string;
  userEndpointId: string;
  streamId: string;
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
    readonly liveness: EndpointLiveness,
  ) {}
}
