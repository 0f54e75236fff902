/** A MediaStreamTrack stand-in: kind, enabled, stop(), and an `ended` event like the browser's. */
export class FakeTrack extends EventTarget {
  enabled = true;
  readyState: 'live' | 'ended' = 'live';
  contentHint = '';
  static count = 0;
  readonly id = `track-${++FakeTrack.count}`;

  constructor(readonly kind: 'audio' | 'video') {
    super();
  }

  stop(): void {
    this.readyState = 'ended';
  }

  /** What the browser does when the user presses "Stop sharing". */
  endFromBrowser(): void {
    this.readyState = 'ended';
    this.dispatchEvent(new Event('ended'));
  }
}

/** A MediaStream stand-in holding tracks. */
export class FakeMediaStream {
  private readonly tracks: MediaStreamTrack[];

  constructor(tracks: (FakeTrack | MediaStreamTrack)[] = []) {
    this.tracks = [...(tracks as MediaStreamTrack[])];
  }

  getTracks(): MediaStreamTrack[] {
    return [...this.tracks];
  }

  getAudioTracks(): MediaStreamTrack[] {
    return this.tracks.filter((t) => t.kind === 'audio');
  }

  getVideoTracks(): MediaStreamTrack[] {
    return this.tracks.filter((t) => t.kind === 'video');
  }

  addTrack(track: MediaStreamTrack): void {
    if (!this.tracks.includes(track)) this.tracks.push(track);
  }

  removeTrack(track: MediaStreamTrack): void {
    const index = this.tracks.indexOf(track);
    if (index >= 0) this.tracks.splice(index, 1);
  }
}

/** A stream of fresh fake tracks of the given kinds, typed as the browser's. */
export function fakeStream(...kinds: ('audio' | 'video')[]): MediaStream {
  return new FakeMediaStream(kinds.map((kind) => new FakeTrack(kind))) as unknown as MediaStream;
}

/** Fake capture functions that record their constraints and hand out fake streams. */
export function fakeMediaDevices() {
  const calls: { method: 'getUserMedia' | 'getDisplayMedia'; constraints: MediaStreamConstraints | undefined }[] = [];
  const kindsOf = (c: MediaStreamConstraints | undefined) =>
    [c?.audio ? 'audio' : undefined, c?.video ? 'video' : undefined].filter((k): k is 'audio' | 'video' => k !== undefined);
  return {
    calls,
    getUserMedia: async (constraints?: MediaStreamConstraints) => {
      calls.push({ method: 'getUserMedia', constraints });
      return fakeStream(...kindsOf(constraints));
    },
    getDisplayMedia: async (constraints?: DisplayMediaStreamOptions) => {
      calls.push({ method: 'getDisplayMedia', constraints });
      return fakeStream(...kindsOf(constraints));
    },
  };
}

/** The createMediaStream option for tests. */
export const createFakeMediaStream = (tracks: MediaStreamTrack[]) => new FakeMediaStream(tracks) as unknown as MediaStream;

/** A window stand-in that counts its live listeners (removed ones and those whose signal aborted do not count). */
export class FakeWindow extends EventTarget {
  private live = 0;

  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: AddEventListenerOptions | boolean): void {
    super.addEventListener(type, listener, options);
    const signal = typeof options === 'object' ? options.signal : undefined;
    if (signal?.aborted) return;
    this.live++;
    signal?.addEventListener('abort', () => this.live--, { once: true });
  }

  /** How many listeners are still registered. */
  get listenerCount(): number {
    return this.live;
  }
}
