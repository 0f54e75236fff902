import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Wrtc from '@roamhq/wrtc';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as typeof Wrtc;

/** What the publisher has sent so far, from libwebrtc's stats. */
export interface PublisherCounts {
  framesEncoded: number;
  videoPackets: number;
  audioPackets: number;
  videoBytes: number;
  /** When libwebrtc took these counts (ms), so rates use the publisher's own clock. */
  at: number;
}

/**
 * The fan-out benchmark's publisher: libwebrtc (@roamhq/wrtc) sending a synthetic 640x480 camera and
 * a tone, sendonly. The picture is a moving bar over a band of scrolling noise: a flat picture
 * encodes to ~40 kbps, while the noise makes VP8 spend what a real camera does (up to the REMB cap),
 * so the packet rate is a realistic one.
 */
export class SyntheticCamera {
  readonly pc = new wrtc.RTCPeerConnection({ iceServers: [] }) as unknown as RTCPeerConnection;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly tracks: Wrtc.MediaStreamTrack[] = [];

  /** `sendEncodings` (e.g. simulcast rids) apply to the video track. */
  constructor(
    readonly width = 640,
    readonly height = 480,
    readonly fps = 30,
    sendEncodings?: RTCRtpEncodingParameters[],
  ) {
    const video = new wrtc.nonstandard.RTCVideoSource();
    const audio = new wrtc.nonstandard.RTCAudioSource();
    const [audioTrack, videoTrack] = [audio.createTrack(), video.createTrack()];
    this.tracks.push(audioTrack, videoTrack);
    this.pc.addTransceiver(audioTrack as unknown as MediaStreamTrack, { direction: 'sendonly' });
    this.pc.addTransceiver(videoTrack as unknown as MediaStreamTrack, { direction: 'sendonly', ...(sendEncodings ? { sendEncodings } : {}) });
    const frame = new Uint8Array(width * height * 1.5);
    frame.fill(128, width * height);
    const bandRows = 24;
    const noise = randomBytes(width * bandRows * 2);
    let n = 0;
    this.timers.push(
      setInterval(() => {
        n++;
        frame.fill(90, 0, width * height);
        const offset = ((n * 7919) % (width * bandRows)) & ~1;
        frame.set(noise.subarray(offset, offset + width * bandRows), width * Math.floor(height / 2));
        const bar = (n * 6) % width;
        for (let y = 0; y < height; y++) frame.fill(235, y * width + bar, y * width + Math.min(width, bar + 40));
        video.onFrame({ width, height, data: frame });
      }, 1000 / fps),
    );
    const samples = new Int16Array(480);
    let t = 0;
    this.timers.push(
      setInterval(() => {
        for (let i = 0; i < samples.length; i++) samples[i] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * t++) / 48000));
        audio.onData({ samples, sampleRate: 48000 });
      }, 10),
    );
  }

  /** The offer with every candidate in it. */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => this.pc.addEventListener('icegatheringstatechange', () => this.pc.iceGatheringState === 'complete' && resolve()));
    }
    return this.pc.localDescription!.sdp;
  }

  async accept(answer: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  async snapshot(): Promise<PublisherCounts> {
    const counts: PublisherCounts = { framesEncoded: 0, videoPackets: 0, audioPackets: 0, videoBytes: 0, at: performance.now() };
    (await this.pc.getStats()).forEach((s: { type: string; kind?: string; framesEncoded?: number; packetsSent?: number; bytesSent?: number; timestamp?: number }) => {
      if (s.type !== 'outbound-rtp') return;
      if (s.kind === 'video') {
        counts.at = s.timestamp ?? counts.at;
        counts.framesEncoded = s.framesEncoded ?? 0;
        counts.videoPackets = s.packetsSent ?? 0;
        counts.videoBytes = s.bytesSent ?? 0;
      } else {
        counts.audioPackets = s.packetsSent ?? 0;
      }
    });
    return counts;
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    for (const track of this.tracks) track.stop();
    this.pc.close();
  }
}
