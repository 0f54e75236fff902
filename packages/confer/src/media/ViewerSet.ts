import { kindsOf } from './mediaKinds.js';
import type { MediaKind } from './mediaKinds.js';
import type { RemoteStream } from './RemoteStream.js';
import { Viewer, ViewerConnection } from './Viewer.js';
import type { ViewerOptions } from './Viewer.js';

/** The viewers of one room session, at most one per remote stream; each negotiates on its own, all concurrently. @internal */
export class ViewerSet {
  private readonly viewers = new Map<string, Viewer>();
  /** The first view's connection, its offer made ahead (while the join is in flight), until a start takes or drops it. */
  private prepared: ViewerConnection | undefined;

  constructor(private readonly options: Omit<ViewerOptions, 'stream' | 'prepared'>) {}

  /** Opens the next view's connection for `kinds` and makes its offer now; the next `start()` takes it if its stream has these kinds, else closes it. */
  prepare(kinds: readonly MediaKind[]): void {
    this.dropPrepared();
    this.prepared = new ViewerConnection(this.options, kinds);
    this.prepared.session.prepareOffer();
  }

  /** Closes the prepared connection, if no start took it. */
  dropPrepared(): void {
    this.prepared?.close();
    this.prepared = undefined;
  }

  has(streamId: string): boolean {
    return this.viewers.has(streamId);
  }

  /** Starts viewing `stream` (tracks are in its mediaStream at once); settles after the first attempt. */
  start(stream: RemoteStream): Promise<void> {
    this.viewers.get(stream.streamId)?.close();
    const prepared = this.prepared?.fits(kindsOf(stream.type)) ? this.prepared : undefined;
    if (!prepared) this.dropPrepared();
    this.prepared = undefined;
    const viewer = new Viewer({ ...this.options, stream, prepared });
    this.viewers.set(stream.streamId, viewer);
    return viewer.start();
  }

  /** Stops viewing one stream: closed at once, the server told afterwards. */
  async stop(streamId: string, signal: AbortSignal): Promise<void> {
    const viewer = this.viewers.get(streamId);
    if (!viewer) return;
    this.viewers.delete(streamId);
    await viewer.stop({ signal });
  }

  /** The stream is gone on the server, and its views with it: closes its viewer without a request that could only fail. */
  drop(streamId: string): void {
    this.viewers.get(streamId)?.close();
    this.viewers.delete(streamId);
  }

  /** Stops every view (all closed before this returns); the promise settles when the server was told. */
  stopAll(signal: AbortSignal): Promise<void> {
    this.dropPrepared();
    const stopping = [...this.viewers.values()].map((viewer) => viewer.stop({ signal }));
    this.viewers.clear();
    return Promise.all(stopping).then(() => undefined);
  }

  /** Views again, with new peer connections, every stream that `keep` accepts (after the room joined again). */
  restartAll(keep: (streamId: string) => boolean): void {
    for (const [streamId, viewer] of this.viewers) if (keep(streamId)) viewer.restart();
  }

  /** Samples the stats of every view's connection. */
  sampleAll(): void {
    for (const viewer of this.viewers.values()) void viewer.sampleStats();
  }

  /** Closes every viewer without telling the server. */
  closeAll(): void {
    this.dropPrepared();
    for (const viewer of this.viewers.values()) viewer.close();
    this.viewers.clear();
  }
}
