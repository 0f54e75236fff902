import type { ConferenceError } from '../api/ConferenceError.js';
import { uuid } from '../util/uuid.js';
import { LocalStream } from './LocalStream.js';
import type { MediaKind } from './mediaKinds.js';
import { Publisher } from './Publisher.js';
import type { PublisherOptions, PublisherStopReason } from './Publisher.js';
import type { StreamConnectionState } from './StreamConnection.js';

/** What every publisher of a room shares, and whom the set tells when an announced stream stops. @internal */
export interface PublisherSetOptions extends Omit<PublisherOptions, 'streamId' | 'type' | 'mediaStream' | 'ownedTracks' | 'videoBitrate' | 'metadata' | 'simulcast' | 'dynacast' | 'onStopped' | 'onConnectionStateChange' | 'onStats'> {
  /** Captures a camera or microphone for `LocalStream.switchDevice`. */
  captureTrack: (kind: MediaKind, deviceId: string) => Promise<MediaStreamTrack>;
  /** A stream that `publish()` resolved with has stopped, whatever the reason. */
  onStopped: (local: LocalStream, reason: PublisherStopReason, error: ConferenceError | undefined) => void;
  /** The connection state of a stream that `publish()` resolved with changed. */
  onConnectionStateChange: (local: LocalStream, state: StreamConnectionState) => void;
  /** A stats sample of a stream that `publish()` resolved with. */
  onStats: (local: LocalStream) => void;
}

/** What one `publish()` sends. @internal */
export type PublishRequest = Pick<PublisherOptions, 'type' | 'mediaStream' | 'ownedTracks' | 'videoBitrate' | 'metadata' | 'simulcast' | 'dynacast'>;

interface Entry {
  publisher: Publisher;
  local: LocalStream;
  /** Set once `publish()` resolved: only then does the application know the stream. */
  announced: boolean;
}

/** The publishers of one room session, by stream id; each forgets itself when it stops. @internal */
export class PublisherSet {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: PublisherSetOptions) {}

  /** The streams whose `publish()` resolved and that still run. */
  get localStreams(): LocalStream[] {
    return [...this.entries.values()].filter((entry) => entry.announced).map((entry) => entry.local);
  }

  /** Publishes a new stream under a fresh id; rejects (and forgets it) when the first attempt fails. */
  async publish(request: PublishRequest): Promise<LocalStream> {
    const { captureTrack, onStopped: _onStopped, onConnectionStateChange, onStats, ...shared } = this.options;
    const streamId = uuid();
    const publisher = new Publisher({
      ...shared,
      ...request,
      streamId,
      onStopped: (reason, error) => this.onStopped(streamId, reason, error),
      onConnectionStateChange: (state) => {
        if (entry.announced) onConnectionStateChange(entry.local, state);
      },
      onStats: () => {
        if (entry.announced) onStats(entry.local);
      },
    });
    const entry: Entry = { publisher, local: new LocalStream(publisher, captureTrack), announced: false };
    this.entries.set(streamId, entry);
    await publisher.publish();
    entry.announced = true;
    return entry.local;
  }

  /** Unpublishes every stream: all closed before this returns, the promise settles once the server was told. */
  unpublishAll(signal: AbortSignal): Promise<void> {
    return Promise.all([...this.entries.values()].map(({ publisher }) => publisher.unpublish({ signal }))).then(() => undefined);
  }

  /** Publishes everything again under the same stream ids with new peer connections (after the room joined again). */
  restartAll(): void {
    for (const { publisher } of this.entries.values()) publisher.restart();
  }

  /** The server unpublished one of our streams without our asking (its event, at `version`): its publisher publishes it again unless the event is stale. */
  serverUnpublished(streamId: string, version: number | undefined): void {
    this.entries.get(streamId)?.publisher.serverUnpublished(version);
  }

  /** Samples the stats of every running stream's connection. */
  sampleAll(): void {
    for (const { publisher } of this.entries.values()) void publisher.sampleStats();
  }

  /** Closes every publisher without telling the server. */
  closeAll(): void {
    for (const { publisher } of [...this.entries.values()]) publisher.close();
    this.entries.clear();
  }

  private onStopped(streamId: string, reason: PublisherStopReason, error: ConferenceError | undefined): void {
    const entry = this.entries.get(streamId);
    if (!entry) return;
    this.entries.delete(streamId);
    if (entry.announced) this.options.onStopped(entry.local, reason, error);
  }
}
