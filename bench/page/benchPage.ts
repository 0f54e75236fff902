/**
 * The benchmark page: drives `Room`s from the package entry with an instrumented `fetch` and
 * `createPeerConnection` (both are constructor options of Room), so every HTTP request and every
 * peer-connection state change is time-stamped inside the page, on the same clock as
 * `requestVideoFrameCallback`. Benchmarks call `window.bench` through Playwright; each call does a
 * whole measured step in the page, so Playwright round trips never fall inside a measurement.
 */
import { Room } from 'confer';
import type { LocalStream, RemoteStream } from 'confer';

/** One HTTP request the library made. */
export interface RequestRecord {
  /** The operation: the last path segment (`join`, `viewStream`, `events`, `token`...). */
  op: string;
  method: string;
  start: number;
  /** When the response headers arrived. */
  end: number;
  status: number;
  requestBytes: number;
  /** The stream id named in the body, for per-stream attribution. */
  streamId?: string;
}

/** Time stamps of one peer connection. */
export interface PeerRecord {
  createdAt: number;
  iceConnectedAt?: number;
  connectedAt?: number;
  /** The stream it carries, once known. */
  streamId?: string;
}

/** Time stamps of one remote stream as this page saw it. */
export interface RemoteRecord {
  streamId: string;
  addedAt: number;
  firstFrameAt?: number;
}

/** Inbound video statistics of one viewed stream. */
export interface InboundSample {
  streamId: string;
  at: number;
  framesDecoded: number;
  framesDropped: number;
  frameWidth: number;
  frameHeight: number;
  totalDecodeTime: number;
  bytesReceived: number;
}

/** Remote videos as tiles of a grid: played with `attach()` in elements of this CSS size, with adaptive stream on or off. */
export interface GridTile {
  width: number;
  height: number;
  adaptiveStream: boolean;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across pages and Node. */
const now = () => performance.timeOrigin + performance.now();

function operationOf(url: string): string {
  const path = new URL(url).pathname;
  if (path.endsWith('/oauth/token')) return 'token';
  return path.slice(path.lastIndexOf('/') + 1);
}

/** One instrumented Room and everything recorded about it. */
class BenchRoom {
  readonly requests: RequestRecord[] = [];
  readonly peers: { pc: RTCPeerConnection; record: PeerRecord }[] = [];
  readonly remotes = new Map<string, RemoteRecord>();
  readonly locals = new Map<string, LocalStream>();
  readonly room: Room;
  private readonly videos = new Map<string, HTMLVideoElement>();
  private readonly ownTracks: MediaStreamTrack[] = [];

  constructor(
    baseUrl: string,
    userId: string,
    private readonly renderVideo: boolean,
    private readonly tile?: GridTile,
  ) {
    this.room = new Room({
      baseUrl,
      ...(tile ? { adaptiveStream: tile.adaptiveStream } : {}),
      auth: { clientId: 'demo', clientSecret: 'demo', userId },
      fetch: (input, init) => this.fetch(input, init),
      createPeerConnection: (configuration) => this.createPeerConnection(configuration),
    });
    this.room.on('streamAdded', (stream) => this.onStreamAdded(stream));
    this.room.on('streamRemoved', (stream) => {
      this.videos.get(stream.streamId)?.remove();
      this.videos.delete(stream.streamId);
    });
  }

  /** Captures the fake camera and microphone at `video` size, then publishes; the timing starts after capture. */
  async publish(video: MediaTrackConstraints): Promise<{ streamId: string; start: number; answeredAt: number; connectedAt: number }> {
    const mediaStream = await navigator.mediaDevices.getUserMedia({ video, audio: true });
    this.ownTracks.push(...mediaStream.getTracks());
    const start = now();
    const local = await this.room.publish({ type: 'MIC_AND_CAM', mediaStream });
    this.locals.set(local.streamId, local);
    const answeredAt = this.requests.find((r) => r.op === 'publishStream' && r.streamId === local.streamId)?.end ?? Number.NaN;
    const peer = this.peers.find((p) => p.record.createdAt >= start);
    if (peer) peer.record.streamId = local.streamId;
    const connectedAt = peer ? await this.connected(peer) : Number.NaN;
    return { streamId: local.streamId, start, answeredAt, connectedAt };
  }

  /** Resolves when `streamId` has shown a frame (or after `timeoutMs`, rejecting). */
  firstFrame(streamId: string, timeoutMs: number): Promise<RemoteRecord> {
    return waitFor(() => {
      const remote = this.remotes.get(streamId);
      return remote?.firstFrameAt !== undefined ? remote : undefined;
    }, timeoutMs, `no frame of ${streamId}`);
  }

  /** Resolves once `count` remote streams have each shown a frame. */
  allFirstFrames(count: number, timeoutMs: number): Promise<RemoteRecord[]> {
    return waitFor(() => {
      const shown = [...this.remotes.values()].filter((r) => r.firstFrameAt !== undefined);
      return shown.length >= count ? shown : undefined;
    }, timeoutMs, `fewer than ${count} remote streams showed a frame`);
  }

  peerOf(streamId: string): PeerRecord | undefined {
    return this.peers.find((p) => p.record.streamId === streamId)?.record;
  }

  async inboundVideo(): Promise<InboundSample[]> {
    const samples: InboundSample[] = [];
    for (const { pc, record } of this.peers) {
      if (!record.streamId || pc.connectionState === 'closed' || !this.remotes.has(record.streamId)) continue;
      const stats = await pc.getStats();
      stats.forEach((report: Record<string, unknown>) => {
        if (report.type !== 'inbound-rtp' || report.kind !== 'video') return;
        samples.push({
          streamId: record.streamId!,
          at: now(),
          framesDecoded: Number(report.framesDecoded ?? 0),
          framesDropped: Number(report.framesDropped ?? 0),
          frameWidth: Number(report.frameWidth ?? 0),
          frameHeight: Number(report.frameHeight ?? 0),
          totalDecodeTime: Number(report.totalDecodeTime ?? 0),
          bytesReceived: Number(report.bytesReceived ?? 0),
        });
      });
    }
    return samples;
  }

  async leave(): Promise<void> {
    await this.room.leave();
    for (const video of this.videos.values()) video.remove();
    this.videos.clear();
    for (const track of this.ownTracks.splice(0)) track.stop();
  }

  private async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = input instanceof Request ? input : new Request(input, init);
    const body = request.method === 'GET' ? '' : await request.clone().text();
    const record: RequestRecord = { op: operationOf(request.url), method: request.method, start: now(), end: Number.NaN, status: 0, requestBytes: body.length };
    const streamId = /"streamId":\{"id":"([^"]+)"/.exec(body)?.[1];
    if (streamId) record.streamId = streamId;
    this.requests.push(record);
    const response = await fetch(request);
    record.end = now();
    record.status = response.status;
    return response;
  }

  private createPeerConnection(configuration: RTCConfiguration): RTCPeerConnection {
    const pc = new RTCPeerConnection(configuration);
    const record: PeerRecord = { createdAt: now() };
    pc.addEventListener('iceconnectionstatechange', () => {
      if ((pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') && record.iceConnectedAt === undefined) record.iceConnectedAt = now();
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected' && record.connectedAt === undefined) record.connectedAt = now();
    });
    this.peers.push({ pc, record });
    return pc;
  }

  private onStreamAdded(stream: RemoteStream): void {
    const record: RemoteRecord = { streamId: stream.streamId, addedAt: now() };
    this.remotes.set(stream.streamId, record);
    // The Viewer creates its peer connection before streamAdded, so the stream's tracks name it.
    const trackIds = new Set(stream.mediaStream.getTracks().map((t) => t.id));
    const peer = this.peers.find(({ pc }) => pc.getReceivers().some((r) => trackIds.has(r.track.id)));
    if (peer) peer.record.streamId = stream.streamId;
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    if (this.tile) {
      video.style.cssText = `width: ${this.tile.width}px; height: ${this.tile.height}px`;
      void stream.attach(video);
    } else {
      video.srcObject = stream.mediaStream;
    }
    video.requestVideoFrameCallback((frameNow) => {
      record.firstFrameAt = performance.timeOrigin + frameNow;
      // With rendering off only the first frame is wanted: detach so decoded frames are not painted.
      if (!this.renderVideo) video.style.display = 'none';
    });
    document.getElementById('remote')!.append(video);
    this.videos.set(stream.streamId, video);
  }

  private connected(peer: { pc: RTCPeerConnection; record: PeerRecord }): Promise<number> {
    return waitFor(() => peer.record.connectedAt, 15_000, 'publisher did not connect');
  }
}

function waitFor<T>(probe: () => T | undefined, timeoutMs: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = now() + timeoutMs;
    const check = () => {
      const value = probe();
      if (value !== undefined) return resolve(value);
      if (now() > deadline) return reject(new Error(message));
      setTimeout(check, 2);
    };
    check();
  });
}

/** What benchmarks call in the page. */
class BenchApi {
  private readonly rooms = new Map<string, BenchRoom>();

  now(): number {
    return now();
  }

  /** Creates a room under `key` (replacing a left one); with `tile`, remote videos are grid tiles of that size. */
  create(key: string, baseUrl: string, userId: string, renderVideo = true, tile?: GridTile): void {
    this.rooms.set(key, new BenchRoom(baseUrl, userId, renderVideo, tile));
  }

  /** `room.prepare()`: what an application calls while its page loads (the token now, the first view's offer during the join). */
  async prepare(key: string): Promise<void> {
    await this.get(key).room.prepare();
  }

  async join(key: string, conferenceId: string): Promise<{ start: number; end: number }> {
    const start = now();
    await this.get(key).room.join(conferenceId, { create: true, metadata: { name: key } });
    return { start, end: now() };
  }

  publish(key: string, video: MediaTrackConstraints) {
    return this.get(key).publish(video);
  }

  async unpublish(key: string, streamId: string): Promise<void> {
    const room = this.get(key);
    await room.locals.get(streamId)?.unpublish();
    room.locals.delete(streamId);
  }

  /**
   * Joins `conferenceId`, where one stream is already published, and waits for its first frame.
   * Answers the time stamps of every phase.
   */
  async joinToFirstFrame(key: string, conferenceId: string, timeoutMs: number) {
    const bench = this.get(key);
    const start = now();
    await bench.room.join(conferenceId, { metadata: { name: key } });
    const joinedAt = now();
    const [remote] = await bench.allFirstFrames(1, timeoutMs);
    const streamId = remote!.streamId;
    // A token fetched before (by prepare()) is no part of this join.
    const token = bench.requests.find((r) => r.op === 'token' && r.start >= start);
    const join = bench.requests.find((r) => r.op === 'join');
    const view = bench.requests.find((r) => r.op === 'viewStream' && r.streamId === streamId);
    const peer = bench.peerOf(streamId);
    return {
      start,
      tokenEnd: token?.end ?? start,
      joinEnd: join?.end ?? Number.NaN,
      joinedAt,
      streamAdded: remote!.addedAt,
      viewStart: view?.start ?? Number.NaN,
      viewEnd: view?.end ?? Number.NaN,
      iceConnected: peer?.iceConnectedAt ?? Number.NaN,
      connected: peer?.connectedAt ?? Number.NaN,
      firstFrame: remote!.firstFrameAt!,
      requests: bench.requests.filter((r) => r.start <= remote!.firstFrameAt!),
    };
  }

  /** When `streamId` was announced, viewed, connected and showed its first frame in room `key`. */
  async remoteTimeline(key: string, streamId: string, timeoutMs: number) {
    const bench = this.get(key);
    const remote = await bench.firstFrame(streamId, timeoutMs);
    const view = bench.requests.find((r) => r.op === 'viewStream' && r.streamId === streamId);
    const peer = bench.peerOf(streamId);
    return {
      streamAdded: remote.addedAt,
      viewStart: view?.start ?? Number.NaN,
      viewEnd: view?.end ?? Number.NaN,
      iceConnected: peer?.iceConnectedAt ?? Number.NaN,
      connected: peer?.connectedAt ?? Number.NaN,
      firstFrame: remote.firstFrameAt!,
    };
  }

  /** Waits until `count` remote streams showed a frame; answers the stream ids. */
  async waitForStreams(key: string, count: number, timeoutMs: number): Promise<string[]> {
    return (await this.get(key).allFirstFrames(count, timeoutMs)).map((r) => r.streamId);
  }

  requests(key: string): RequestRecord[] {
    return this.get(key).requests;
  }

  peers(key: string): PeerRecord[] {
    return this.get(key).peers.map((p) => p.record);
  }

  inboundVideo(key: string): Promise<InboundSample[]> {
    return this.get(key).inboundVideo();
  }

  /** Per remote stream: what it asks the server for, and the layer the server says it forwards. */
  videoLayers(key: string): { streamId: string; preference: unknown; layer: unknown }[] {
    return this.get(key).room.remoteStreams.map((stream) => ({ streamId: stream.streamId, preference: stream.videoPreference, layer: stream.videoLayer }));
  }

  async leave(key: string): Promise<void> {
    await this.rooms.get(key)?.leave();
    this.rooms.delete(key);
  }

  async leaveAll(): Promise<void> {
    await Promise.all([...this.rooms.keys()].map((key) => this.leave(key)));
  }

  private get(key: string): BenchRoom {
    const room = this.rooms.get(key);
    if (!room) throw new Error(`bench page: no room ${key}`);
    return room;
  }
}

declare global {
  interface Window {
    bench: BenchApi;
  }
}

window.bench = new BenchApi();
