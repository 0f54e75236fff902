import { MediaStreamTrack, RTCPeerConnection } from 'werift';
import type { RTCRtpTransceiver, RtpPacket } from 'werift';
import type { MediaKind } from './codecs.js';
import { HeaderExtensionRewriter } from './HeaderExtensionRewriter.js';
import type { IceCandidate } from './MediaRouter.js';
import type { NetworkConfig } from './NetworkConfig.js';
import { addRemoteCandidates, answerOffer } from './peerNegotiation.js';
import type { ForwardedHeader, PublishedStream } from './PublishedStream.js';
import type { ResourceTracker } from './ResourceTracker.js';
import { isKeyframeRequest } from './rtcpFeedback.js';
import type { SdpOffer } from './SdpOffer.js';
import { TaskQueue } from './TaskQueue.js';

/** Everything a viewer needs from the router. */
export interface StreamViewerInit {
  viewerId: string;
  userEndpointId: string;
  source: PublishedStream;
  offer: SdpOffer;
  network: NetworkConfig;
  tracker: ResourceTracker;
  /** Called when the viewer's connection fails or recovers. */
  onHealthChange: (sick: boolean) => void;
  /** Called once from close(), so the owner can forget the viewer. */
  onClose: () => void;
}

/** RTP header value for the one-byte extension profile (RFC 8285). */
const ONE_BYTE_PROFILE = 0xbede;

/**
 * One viewer of a published stream: owns the viewer's sendonly RTCPeerConnection, whose local
 * tracks are fed packet by packet with the publisher's RTP (no decoding), and passes the viewer's
 * keyframe requests to the publisher.
 */
export class StreamViewer {
  /** Counters for tests and benchmarks. */
  readonly stats = { packetsForwarded: 0 };
  private readonly pc: RTCPeerConnection;
  private readonly negotiation = new TaskQueue();
  private readonly unsubscribers: Array<() => void> = [];
  private readonly tracks: MediaStreamTrack[] = [];
  private sick = false;
  private connectedBefore = false;
  private closed = false;

  constructor(private readonly init: StreamViewerInit) {
    this.pc = new RTCPeerConnection(init.network.peerConfig());
    init.tracker.addPeerConnection(this.pc);
    init.tracker.countViewer(1);
    // Transceivers added before the offer is applied are matched to its m-lines by kind, so the
    // answer says sendonly with our tracks (werift would otherwise answer recvonly-less: inactive).
    for (const section of init.offer.sections) {
      const track = new MediaStreamTrack({ kind: section.kind });
      this.tracks.push(track);
      this.pc.addTransceiver(track, { direction: 'sendonly' });
    }
    const { unSubscribe } = this.pc.connectionStateChange.subscribe((state) => {
      // The first connection is a new viewer, served at once; reconnecting after 'disconnected' is a repeat.
      if (state === 'connected') init.source.requestKeyframe(this.connectedBefore ? 'repeat' : 'new-viewer');
      if (state === 'connected') this.connectedBefore = true;
      const sick = state === 'failed' || state === 'disconnected';
      if (sick !== this.sick && !this.closed) {
        this.sick = sick;
        init.onHealthChange(sick);
      }
    });
    this.unsubscribers.push(unSubscribe);
  }

  /** The viewer's id. */
  get viewerId(): string {
    return this.init.viewerId;
  }

  /** The state of the viewer's connection, for diagnostics. */
  get connectionState(): string {
    return this.pc.connectionState;
  }

  /** The viewing endpoint. */
  get userEndpointId(): string {
    return this.init.userEndpointId;
  }

  /** Applies the viewer's offer, starts forwarding and answers sendonly, with all server candidates. */
  answer(): Promise<string> {
    const { source, network, tracker, offer } = this.init;
    return this.negotiation.push(async () => {
      const sdp = await answerOffer(this.pc, offer.narrowed((c) => network.acceptsRemoteCandidate(c)), network, tracker, () => !this.closed);
      // Wired once the offer is applied, when the viewer's extension ids are known; the client cannot
      // connect before it has the answer, so no packet or PLI is missed.
      for (const transceiver of this.pc.getTransceivers()) this.forward(transceiver, source);
      this.watchKeyframeRequests();
      return sdp;
    });
  }

  /** Adds the viewer's trickled candidates (after the answer, if it is still being made). */
  addCandidates(candidates: readonly IceCandidate[]): Promise<void> {
    return this.negotiation.push(() => addRemoteCandidates(this.pc, candidates, this.init.network));
  }

  /** Stops forwarding and closes the viewer's connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.length = 0;
    for (const track of this.tracks) track.stop();
    this.init.tracker.closePeerConnection(this.pc);
    this.init.tracker.countViewer(-1);
    this.init.onClose();
  }

  private forward(transceiver: RTCRtpTransceiver, source: PublishedStream): void {
    const kind = transceiver.kind as MediaKind;
    const track = transceiver.sender.track;
    if (!track) return;
    // Rebuilt when the publisher reconnects: its new connection may number its extensions otherwise.
    let publisherExtensions = source.headerExtensions(kind);
    let rewriter = new HeaderExtensionRewriter(publisherExtensions, transceiver.headerExtensions);
    const unsubscribe = source.subscribe(kind, (packet: RtpPacket, forwarded: ForwardedHeader) => {
      if (forwarded.headerExtensions !== publisherExtensions) {
        publisherExtensions = forwarded.headerExtensions;
        rewriter = new HeaderExtensionRewriter(publisherExtensions, transceiver.headerExtensions);
      }
      // Each viewer gets its own header: werift's sender rewrites SSRC, payload type and sequence
      // numbers in place and keeps the object for retransmission.
      const copy = packet.clone();
      const { header } = copy;
      header.sequenceNumber = forwarded.sequenceNumber;
      header.timestamp = forwarded.timestamp;
      header.extensions = rewriter.rewrite(packet.header.extensions);
      header.extension = header.extensions.length > 0;
      header.extensionProfile = ONE_BYTE_PROFILE;
      // werift's payload excludes the padding, so a forwarded padding bit would corrupt the packet.
      header.padding = false;
      header.paddingSize = 0;
      this.stats.packetsForwarded++;
      track.writeRtp(copy);
    });
    this.unsubscribers.push(unsubscribe);
  }

  private watchKeyframeRequests(): void {
    const videoSsrc = this.pc.getTransceivers().find((t) => t.kind === 'video')?.sender.ssrc;
    if (videoSsrc === undefined) return;
    for (const transport of this.pc.dtlsTransports) {
      const { unSubscribe } = transport.onRtcp.subscribe((packet) => {
        if (isKeyframeRequest(packet, videoSsrc)) this.init.source.requestKeyframe('repeat');
      });
      this.unsubscribers.push(unSubscribe);
    }
  }
}
