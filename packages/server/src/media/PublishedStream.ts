import { RTCPeerConnection } from 'werift';
import type { RTCRtpHeaderExtensionParameters, RTCRtpTransceiver, RtpPacket } from 'werift';
import type { MediaKind, OfferedCodec } from './codecs.js';
import { KeyframeThrottle } from './KeyframeThrottle.js';
import type { KeyframeRequestReason } from './KeyframeThrottle.js';
import type { IceCandidate, StreamRef } from './MediaRouter.js';
import type { NetworkConfig } from './NetworkConfig.js';
import { addRemoteCandidates, answerOffer } from './peerNegotiation.js';
import type { ResourceTracker } from './ResourceTracker.js';
import { createPli, createRemb } from './rtcpFeedback.js';
import type { SdpOffer } from './SdpOffer.js';
import { TaskQueue } from './TaskQueue.js';
import { SequenceCompactor } from './SequenceCompactor.js';
import type { StreamViewer } from './StreamViewer.js';

/**
 * Receives each forwarded RTP packet of one kind with the sequence number viewers must see (dropped
 * packets leave no gap). The packet is shared: a sink clones it before changing anything.
 */
export type RtpSink = (packet: RtpPacket, sequenceNumber: number) => void;

/** Everything a published stream needs from the router. */
export interface PublishedStreamInit {
  ref: StreamRef;
  userEndpointId: string;
  offer: SdpOffer;
  videoBitrate: number;
  network: NetworkConfig;
  tracker: ResourceTracker;
  keyframeRequestIntervalMs: number;
  noMediaTimeoutMs: number;
  /** Called when the stream becomes sick (failed connection, no RTP) or well again. */
  onHealthChange: (sick: boolean) => void;
}

/** REMB is repeated this often: Chromium treats an old REMB as stale and falls back to its own estimate. */
const REMB_INTERVAL_MS = 1_000;

/**
 * One published stream: owns the publisher's recvonly RTCPeerConnection, fans its RTP out to the
 * viewers' sinks, sends it REMB at the stream's cap and forwards keyframe requests (throttled).
 * Owns its viewers: closing the stream closes them.
 */
export class PublishedStream {
  /** The viewers of this stream by viewerId. */
  readonly viewers = new Map<string, StreamViewer>();
  /** Counters for tests and benchmarks. */
  readonly stats = { packetsReceived: 0, mediaPacketsReceived: 0, rembsSent: 0 };
  private readonly pc: RTCPeerConnection;
  private readonly negotiation = new TaskQueue();
  private readonly sinks: Record<MediaKind, Set<RtpSink>> = { audio: new Set(), video: new Set() };
  private readonly keyframes: KeyframeThrottle;
  private readonly unsubscribers: Array<() => void> = [];
  private videoBitrate: number;
  private negotiated: Map<MediaKind, OfferedCodec> | undefined;
  private connectionState = 'new';
  private progressCount = 0;
  private lastProgressAt = performance.now();
  private lastRembAt = Number.NEGATIVE_INFINITY;
  private sick = false;
  private closed = false;

  constructor(private readonly init: PublishedStreamInit) {
    this.videoBitrate = init.videoBitrate;
    this.pc = new RTCPeerConnection(init.network.peerConfig());
    init.tracker.addPeerConnection(this.pc);
    init.tracker.countPublisher(1);
    this.keyframes = new KeyframeThrottle(init.keyframeRequestIntervalMs, () => this.sendPli(), init.tracker);
    const { unSubscribe } = this.pc.connectionStateChange.subscribe((state) => {
      this.connectionState = state;
      if (state === 'connected') this.sendRemb();
      this.updateHealth(performance.now());
    });
    this.unsubscribers.push(unSubscribe);
  }

  /** The stream's identity. */
  get ref(): StreamRef {
    return this.init.ref;
  }

  /** The publishing endpoint. */
  get userEndpointId(): string {
    return this.init.userEndpointId;
  }

  /** Codecs the publisher sends, by kind; undefined until the offer is answered. */
  get codecs(): ReadonlyMap<MediaKind, OfferedCodec> | undefined {
    return this.negotiated;
  }

  /** Keyframe requests received from viewers (all, first ones of new viewers) / forwarded to the publisher. */
  get keyframeStats(): Readonly<{ requested: number; newViewers: number; sent: number }> {
    return this.keyframes.stats;
  }

  /** Applies the publisher's offer and answers recvonly, with all server candidates. */
  answer(): Promise<string> {
    const { offer, network, tracker } = this.init;
    return this.negotiation.push(async () => {
      const sdp = await answerOffer(this.pc, offer.narrowed((c) => network.acceptsRemoteCandidate(c)), network, tracker, () => !this.closed);
      for (const transceiver of this.pc.getTransceivers()) this.receive(transceiver);
      this.negotiated = offer.codecs();
      return sdp;
    });
  }

  /** Adds the publisher's trickled candidates (after the answer, if it is still being made). */
  addCandidates(candidates: readonly IceCandidate[]): Promise<void> {
    return this.negotiation.push(() => addRemoteCandidates(this.pc, candidates, this.init.network));
  }

  /** The header extensions negotiated with the publisher for a kind. */
  headerExtensions(kind: MediaKind): RTCRtpHeaderExtensionParameters[] {
    return this.pc.getTransceivers().find((t) => t.kind === kind)?.headerExtensions ?? [];
  }

  /** Registers a sink for the publisher's RTP of one kind; returns the unsubscribe function. */
  subscribe(kind: MediaKind, sink: RtpSink): () => void {
    this.sinks[kind].add(sink);
    return () => this.sinks[kind].delete(sink);
  }

  /** A viewer just connected, or lost a picture (PLI/FIR): ask the publisher for a keyframe (see `KeyframeThrottle`). */
  requestKeyframe(reason: KeyframeRequestReason): void {
    if (!this.negotiated?.has('video')) return;
    this.keyframes.request(reason);
  }

  /** Changes the cap and tells the publisher at once. */
  setVideoBitrate(bitrate: number): void {
    this.videoBitrate = bitrate;
    this.sendRemb();
  }

  /** Periodic work driven by the router: REMB refresh and the no-RTP health check. */
  tick(now: number): void {
    if (this.closed) return;
    if (now - this.lastRembAt >= REMB_INTERVAL_MS) this.sendRemb();
    this.updateHealth(now);
  }

  /** Closes the publisher's connection and every viewer of it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const viewer of [...this.viewers.values()]) viewer.close();
    this.viewers.clear();
    this.keyframes.close();
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.length = 0;
    this.sinks.audio.clear();
    this.sinks.video.clear();
    this.init.tracker.closePeerConnection(this.pc);
    this.init.tracker.countPublisher(-1);
  }

  private receive(transceiver: RTCRtpTransceiver): void {
    const kind = transceiver.kind as MediaKind;
    const sinks = this.sinks[kind];
    const sequence = new SequenceCompactor();
    const { unSubscribe } = transceiver.receiver.track.onReceiveRtp.subscribe((packet) => {
      this.stats.packetsReceived++;
      // Padding-only packets (the publisher's bandwidth probes; without RTX they come on the media
      // SSRC) carry nothing a viewer can use, nor prove that media flows.
      if (packet.payload.length === 0) {
        sequence.drop(packet.header.sequenceNumber);
        return;
      }
      this.stats.mediaPacketsReceived++;
      const sequenceNumber = sequence.map(packet.header.sequenceNumber);
      for (const sink of sinks) sink(packet, sequenceNumber);
    });
    this.unsubscribers.push(unSubscribe);
  }

  private videoReceiver() {
    return this.pc.getTransceivers().find((t) => t.kind === 'video')?.receiver;
  }

  private sendPli(): void {
    const receiver = this.videoReceiver();
    const ssrc = receiver?.track.ssrc;
    if (!receiver || ssrc === undefined || this.connectionState !== 'connected') return;
    receiver.dtlsTransport.sendRtcp([createPli(receiver.rtcpSsrc, ssrc)]).catch(() => undefined);
  }

  private sendRemb(): void {
    const receiver = this.videoReceiver();
    const ssrc = receiver?.track.ssrc;
    if (!receiver || ssrc === undefined || this.connectionState !== 'connected') return;
    this.lastRembAt = performance.now();
    this.stats.rembsSent++;
    receiver.dtlsTransport.sendRtcp([createRemb(receiver.rtcpSsrc, [ssrc], this.videoBitrate)]).catch(() => undefined);
  }

  private updateHealth(now: number): void {
    if (this.closed) return;
    if (this.stats.mediaPacketsReceived !== this.progressCount) {
      this.progressCount = this.stats.mediaPacketsReceived;
      this.lastProgressAt = now;
    }
    const failed = this.connectionState === 'failed' || this.connectionState === 'disconnected';
    const silent = now - this.lastProgressAt > this.init.noMediaTimeoutMs;
    const sick = failed || silent;
    if (sick === this.sick) return;
    this.sick = sick;
    this.init.onHealthChange(sick);
  }
}
