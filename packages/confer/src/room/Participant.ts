import type { EndpointState, Metadata } from '../api/types.js';
import type { RemoteStream } from '../media/RemoteStream.js';
import type { ConnectionQuality } from '../stats/connectionQuality.js';
import { stringField } from './nativeConventions.js';

/** Another endpoint in the conference (the local one is not listed). */
export class Participant {
  /** @internal */
  readonly streamMap = new Map<string, RemoteStream>();

  /** @internal */
  constructor(
    /** The endpoint id (one browser tab); a user may have several. */
    readonly userEndpointId: string,
    /** The user behind the endpoint, when the server names one. */
    readonly userId: string | undefined,
    /** The participant's own metadata, e.g. `{ name: 'Alice' }`. */
    public metadata: Metadata,
    /** HEALTHY, or SICK while its media connections are failing. */
    public state: EndpointState,
  ) {}

  /** The worst quality among its viewed streams (`connectionQualityChanged` says when it changes); `unknown` until sampled. */
  connectionQuality: ConnectionQuality = 'unknown';

  /** The display name from its metadata's `name` (the native clients' convention), when it is a string. */
  get name(): string | undefined {
    return stringField(this.metadata, 'name');
  }

  /** The picture URL from its metadata's `avatarUrl` (the native clients' convention), when it is a string. */
  get avatarUrl(): string | undefined {
    return stringField(this.metadata, 'avatarUrl');
  }

  /** The loudest of its streams' `audioLevel`s, 0..1. */
  get audioLevel(): number {
    return Math.max(0, ...this.streams.map((stream) => stream.audioLevel));
  }

  /** The streams this participant publishes. */
  get streams(): RemoteStream[] {
    return [...this.streamMap.values()];
  }
}
