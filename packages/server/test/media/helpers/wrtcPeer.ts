import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Wrtc from '@roamhq/wrtc';

/** @internal libwebrtc for Node; loaded with require because the package is CommonJS with named-only typings. */
export const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as typeof Wrtc;

/** @internal A trickled candidate in the API's shape. */
export interface TrickledCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** @internal Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** @internal Resolves once ICE gathering is complete, so localDescription carries every candidate. */
export function gatheringComplete(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
}

/** @internal What both Node peers share: one libwrtc connection, its trickled candidates and the offer/answer steps. */
abstract class WrtcPeer {
  readonly pc: RTCPeerConnection;
  readonly candidates: TrickledCandidate[] = [];

  constructor() {
    this.pc = new wrtc.RTCPeerConnection({ iceServers: [] }) as unknown as RTCPeerConnection;
    this.pc.addEventListener('icecandidate', (e) => {
      if (e.candidate) this.candidates.push({ candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex });
    });
  }

  /** The offer without candidates (they trickle into `candidates`). */
  async createOffer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    return offer.sdp!;
  }

  /** The offer with every candidate in it. */
  async createFullOffer(): Promise<string> {
    await this.createOffer();
    await gatheringComplete(this.pc);
    return this.pc.localDescription!.sdp;
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }
}

/**
 * @internal A Node publisher: synthetic I420 video at `fps` (a moving bar, so the encoder has
 * work) and a 440 Hz tone, sent on a sendonly connection.
 */
export class SyntheticPublisher extends WrtcPeer {
  framesSent = 0;
  /** While true no frame or audio sample is produced, so no media RTP is sent. */
  paused = false;
  /** Messages received on the `confer-dynacast` channel (with `simulcast`), parsed. */
  readonly dynacast: Array<{ type: string; rids: string[] }> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly tracks: MediaStreamTrack[] = [];

  /**
   * With `simulcast`, video goes out as the wire protocol's three layers (q, h, f) and the dynacast
   * channel is opened. Its messages are recorded, not acted on: this libwebrtc build refuses any
   * `setParameters` on a simulcast sender ("modified SSRC", its getParameters omits the SSRCs), so
   * pausing encodings is left to the library's test in Chromium.
   */
  constructor(
    readonly kinds: { audio: boolean; video: boolean },
    readonly video = { width: 640, height: 480, fps: 30 },
    readonly simulcast = false,
  ) {
    super();
    if (simulcast) {
      const channel = this.pc.createDataChannel('confer-dynacast');
      channel.onmessage = (e: MessageEvent) => this.dynacast.push(JSON.parse(String(e.data)) as never);
    }
    if (kinds.audio) this.startAudio();
    if (kinds.video) this.startVideo();
  }

  /** Outbound RTP statistics of one kind. */
  async outbound(kind: 'audio' | 'video'): Promise<{ packetsSent: number; bytesSent: number; framesEncoded?: number; keyFramesEncoded?: number } | undefined> {
    const report = await this.pc.getStats();
    let found: { packetsSent: number; bytesSent: number; framesEncoded?: number; keyFramesEncoded?: number } | undefined;
    report.forEach((s: { type: string; kind?: string; mediaType?: string }) => {
      if (s.type === 'outbound-rtp' && (s.kind ?? s.mediaType) === kind) found = s as never;
    });
    return found;
  }

  /** The send-side bandwidth estimate (availableOutgoingBitrate of the selected pair), which REMB caps. */
  async availableOutgoingBitrate(): Promise<number | undefined> {
    const report = await this.pc.getStats();
    let bitrate: number | undefined;
    report.forEach((s: { type: string; nominated?: boolean; state?: string; availableOutgoingBitrate?: number }) => {
      if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate !== undefined) bitrate = s.availableOutgoingBitrate;
    });
    return bitrate;
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const t of this.tracks) t.stop();
    this.pc.close();
  }

  private startVideo(): void {
    const { width, height, fps } = this.video;
    const source = new wrtc.nonstandard.RTCVideoSource();
    const track = source.createTrack();
    this.tracks.push(track as unknown as MediaStreamTrack);
    const sendEncodings = this.simulcast
      ? [
          { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
          { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
          { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_700_000 },
        ]
      : undefined;
    this.pc.addTransceiver(track as unknown as MediaStreamTrack, { direction: 'sendonly', ...(sendEncodings ? { sendEncodings } : {}) });
    const data = new Uint8Array(width * height * 1.5);
    // Simulcast layers are compared by bit rate, so their picture has a band of fresh noise that no
    // encoder can predict: each layer then runs near its cap, as a camera's would.
    const band = this.simulcast ? { from: Math.floor(height / 3) * width, size: Math.floor(height / 6) * width } : undefined;
    const noise = band ? randomBytes(band.size * 4) : undefined;
    let frame = 0;
    this.timers.push(
      setInterval(() => {
        if (this.paused) return;
        frame++;
        data.fill(16, 0, width * height);
        const bar = (frame * 8) % width;
        for (let y = 0; y < height; y++) data.fill(235, y * width + bar, y * width + Math.min(width, bar + 32));
        if (band && noise) {
          const offset = Math.floor(Math.random() * (noise.length - band.size));
          data.set(noise.subarray(offset, offset + band.size), band.from);
        }
        data.fill(128, width * height);
        source.onFrame({ width, height, data });
        this.framesSent++;
      }, 1000 / fps),
    );
  }

  private startAudio(): void {
    const source = new wrtc.nonstandard.RTCAudioSource();
    const track = source.createTrack();
    this.tracks.push(track as unknown as MediaStreamTrack);
    this.pc.addTransceiver(track as unknown as MediaStreamTrack, { direction: 'sendonly' });
    const sampleRate = 48000;
    const samples = new Int16Array(sampleRate / 100);
    let t = 0;
    this.timers.push(
      setInterval(() => {
        if (this.paused) return;
        for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * t++) / sampleRate));
        source.onData({ samples, sampleRate });
      }, 10),
    );
  }
}

/** @internal A Node viewer: a recvonly connection that decodes video frames and counts audio data. */
export class DecodingViewer extends WrtcPeer {
  framesDecoded = 0;
  audioChunks = 0;
  /** 'track' events so far: a publisher's reconnection must not bring a new one. */
  tracksReceived = 0;
  lastFrameSize: { width: number; height: number } | undefined;
  /** Frame sizes decoded, in order, each with how many frames in a row had it. */
  readonly frameSizes: Array<{ width: number; height: number; frames: number }> = [];
  /** Messages received on the `confer-layers` channel (with `layersChannel`), parsed. */
  readonly layerMessages: Array<{ type: string; rid: string | null; width: number; height: number }> = [];
  private readonly sinks: Array<{ stop(): void }> = [];
  private readonly channel: RTCDataChannel | undefined;

  /** With `layersChannel` the offer opens the `confer-layers` data channel, as the library does. */
  constructor(
    readonly kinds: { audio: boolean; video: boolean },
    layersChannel = false,
  ) {
    super();
    if (layersChannel) {
      this.channel = this.pc.createDataChannel('confer-layers');
      this.channel.onmessage = (e: MessageEvent) => this.layerMessages.push(JSON.parse(String(e.data)) as never);
    }
    if (kinds.audio) this.pc.addTransceiver('audio', { direction: 'recvonly' });
    if (kinds.video) this.pc.addTransceiver('video', { direction: 'recvonly' });
    this.pc.addEventListener('track', (e) => {
      const track = e.track as unknown as Wrtc.MediaStreamTrack;
      this.tracksReceived++;
      if (track.kind === 'video') {
        const sink = new wrtc.nonstandard.RTCVideoSink(track);
        sink.onframe = ({ frame }: { frame: { width: number; height: number } }) => {
          this.framesDecoded++;
          this.lastFrameSize = { width: frame.width, height: frame.height };
          const last = this.frameSizes.at(-1);
          if (last?.width === frame.width && last.height === frame.height) last.frames++;
          else this.frameSizes.push({ width: frame.width, height: frame.height, frames: 1 });
        };
        this.sinks.push(sink);
      } else {
        const sink = new wrtc.nonstandard.RTCAudioSink(track);
        sink.ondata = () => this.audioChunks++;
        this.sinks.push(sink);
      }
    });
  }

  /** The inbound-rtp report of one kind (SSRC, packets lost, frames decoded and dropped), from getStats. */
  async inbound(kind: 'audio' | 'video'): Promise<{ ssrc: number; packetsReceived: number; packetsLost: number; framesDecoded?: number; framesDropped?: number } | undefined> {
    const report = await this.pc.getStats();
    let found;
    report.forEach((s: { type: string; kind?: string; mediaType?: string }) => {
      if (s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === kind) found = s;
    });
    return found;
  }

  /** Sends a video preference on the `confer-layers` channel once it is open. */
  async setVideoPreference(preference: { maxWidth: number | null; maxHeight: number | null; paused: boolean }): Promise<void> {
    const channel = this.channel;
    if (!channel) throw new Error('this viewer has no confer-layers channel');
    await waitFor(() => channel.readyState === 'open', 'the confer-layers channel open');
    channel.send(JSON.stringify({ type: 'videoPreference', ...preference }));
  }

  /** Inbound RTP packets of one kind, from getStats. */
  async packetsReceived(kind: 'audio' | 'video'): Promise<number> {
    const report = await this.pc.getStats();
    let packets = 0;
    report.forEach((s: { type: string; kind?: string; mediaType?: string; packetsReceived?: number }) => {
      if (s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === kind) packets += s.packetsReceived ?? 0;
    });
    return packets;
  }

  close(): void {
    for (const s of this.sinks) s.stop();
    this.pc.close();
  }
}
