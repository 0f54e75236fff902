import { RTCPeerConnection } from 'werift';
import type { RTCRtpHeaderExtensionParameters, RtpPacket } from 'werift';
import type { MediaKind } from './codecs.js';
import type { IceCandidate } from './MediaRouter.js';
import type { NetworkConfig } from './NetworkConfig.js';
import { addRemoteCandidates, answerOffer } from './peerNegotiation.js';
import type { ResourceTracker } from './ResourceTracker.js';
import { createPli, createRemb } from './rtcpFeedback.js';
import type { SdpOffer } from './SdpOffer.js';
import { TaskQueue } from './TaskQueue.js';

const NONE: readonly RTCRtpHeaderExtensionParameters[] = [];

/** Everything one publisher connection needs from its stream. */
export interface PublisherConnectionInit {
  offer: SdpOffer;
  network: NetworkConfig;
  tracker: ResourceTracker;
  /** Every change of the connection's state (`connected`, `disconnected`, `failed`, ...). */
  onStateChange: (state: string) => void;
  /** Each RTP packet received, by kind. */
  onRtp: (kind: MediaKind, packet: RtpPacket) => void;
}

/**
 * One recvonly RTCPeerConnection of a publisher (house style 1: its one owner). A published stream
 * has one at a time; a reconnection of the publisher brings a new one and closes the old. It
 * negotiates, hands its RTP up and sends the stream's RTCP feedback (REMB, PLI) to the publisher.
 */
export class PublisherConnection {
  private readonly pc: RTCPeerConnection;
  private readonly negotiation = new TaskQueue();
  private readonly unsubscribers: Array<() => void> = [];
  /** Read once the offer is applied: the same array for every packet, so viewers notice only a new connection's. */
  private readonly extensions = new Map<MediaKind, readonly RTCRtpHeaderExtensionParameters[]>();
  private state = 'new';
  private closed = false;

  constructor(private readonly init: PublisherConnectionInit) {
    this.pc = new RTCPeerConnection(init.network.peerConfig());
    init.tracker.addPeerConnection(this.pc);
    const { unSubscribe } = this.pc.connectionStateChange.subscribe((state) => {
      this.state = state;
      init.onStateChange(state);
    });
    this.unsubscribers.push(unSubscribe);
  }

  /** The connection's state as werift reports it. */
  get connectionState(): string {
    return this.state;
  }

  /** Applies the publisher's offer and answers recvonly, with all server candidates; RTP flows from then on. */
  answer(): Promise<string> {
    const { offer, network, tracker } = this.init;
    return this.negotiation.push(async () => {
      const sdp = await answerOffer(this.pc, offer.narrowed((c) => network.acceptsRemoteCandidate(c)), network, tracker, () => !this.closed);
      for (const transceiver of this.pc.getTransceivers()) {
        const kind = transceiver.kind as MediaKind;
        this.extensions.set(kind, [...transceiver.headerExtensions]);
        const { unSubscribe } = transceiver.receiver.track.onReceiveRtp.subscribe((packet) => this.init.onRtp(kind, packet));
        this.unsubscribers.push(unSubscribe);
      }
      return offer.completeAnswer(sdp);
    });
  }

  /** Adds the publisher's trickled candidates (after the answer, if it is still being made). */
  addCandidates(candidates: readonly IceCandidate[]): Promise<void> {
    return this.negotiation.push(() => addRemoteCandidates(this.pc, candidates, this.init.network));
  }

  /** The header extensions negotiated with the publisher for a kind. */
  headerExtensions(kind: MediaKind): readonly RTCRtpHeaderExtensionParameters[] {
    return this.extensions.get(kind) ?? NONE;
  }

  /** Asks the publisher for a keyframe; false when there is no connected video to ask. */
  sendPli(): boolean {
    const video = this.connectedVideo();
    if (!video) return false;
    video.receiver.dtlsTransport.sendRtcp([createPli(video.receiver.rtcpSsrc, video.ssrc)]).catch(() => undefined);
    return true;
  }

  /** Caps the publisher's video at `bitrate`; false when there is no connected video to tell. */
  sendRemb(bitrate: number): boolean {
    const video = this.connectedVideo();
    if (!video) return false;
    video.receiver.dtlsTransport.sendRtcp([createRemb(video.receiver.rtcpSsrc, [video.ssrc], bitrate)]).catch(() => undefined);
    return true;
  }

  /** Stops handing up RTP and closes the connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.length = 0;
    this.init.tracker.closePeerConnection(this.pc);
  }

  private connectedVideo() {
    const receiver = this.pc.getTransceivers().find((t) => t.kind === 'video')?.receiver;
    const ssrc = receiver?.track.ssrc;
    if (!receiver || ssrc === undefined || this.state !== 'connected' || this.closed) return undefined;
    return { receiver, ssrc };
  }
}
