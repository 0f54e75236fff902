import { RTCPeerConnection } from 'werift';
import type { RTCRtpHeaderExtensionParameters, RTCRtpReceiver, RtpPacket } from 'werift';
import type { MediaKind } from './codecs.js';
import { LabeledChannel } from './LabeledChannel.js';
import type { IceCandidate } from './MediaRouter.js';
import type { NetworkConfig } from './NetworkConfig.js';
import { IceRestarts } from './IceRestarts.js';
import { addRemoteCandidates, answerOffer } from './peerNegotiation.js';
import { NOMINAL_LAYER_BITRATES, PublisherLayer } from './PublisherLayer.js';
import type { ResourceTracker } from './ResourceTracker.js';
import { createPli, createRemb } from './rtcpFeedback.js';
import type { SdpOffer } from './SdpOffer.js';
import { TaskQueue } from './TaskQueue.js';

const NONE: readonly RTCRtpHeaderExtensionParameters[] = [];

/** The label of the publisher's data channel on which the router says which layers anybody views. */
export const DYNACAST_LABEL = 'confer-dynacast';

/** Everything one publisher connection needs from its stream. */
export interface PublisherConnectionInit {
  offer: SdpOffer;
  network: NetworkConfig;
  tracker: ResourceTracker;
  /** Every change of the connection's state (`connected`, `disconnected`, `failed`, ...). */
  onStateChange: (state: string) => void;
  /** Each RTP packet received, by kind and layer. */
  onRtp: (kind: MediaKind, packet: RtpPacket, layer: PublisherLayer) => void;
  /** ICE is connected again after an ICE restart (a new pair; what was sent meanwhile is lost). */
  onIceRestarted: () => void;
}

/**
 * One recvonly RTCPeerConnection of a publisher (house style 1: its one owner). A published stream
 * has one at a time; a reconnection of the publisher brings a new one and closes the old. It
 * negotiates, hands its RTP up by layer (each simulcast rid is one {@link PublisherLayer}, a stream
 * without simulcast one layer), sends the stream's RTCP feedback (REMB, PLI per layer) and the
 * dynacast messages on the publisher's `confer-dynacast` data channel.
 */
export class PublisherConnection {
  private readonly pc: RTCPeerConnection;
  private readonly negotiation = new TaskQueue();
  private readonly unsubscribers: Array<() => void> = [];
  /** Read once the offer is applied: the same array for every packet, so viewers notice only a new connection's. */
  private readonly extensions = new Map<MediaKind, readonly RTCRtpHeaderExtensionParameters[]>();
  private readonly layersByKind = new Map<MediaKind, readonly PublisherLayer[]>();
  private readonly dynacast: LabeledChannel;
  private readonly restarts: IceRestarts;
  private state = 'new';
  private closed = false;

  constructor(private readonly init: PublisherConnectionInit) {
    this.pc = new RTCPeerConnection(init.network.peerConfig());
    init.tracker.addPeerConnection(this.pc);
    this.dynacast = new LabeledChannel(this.pc, DYNACAST_LABEL);
    const { unSubscribe } = this.pc.connectionStateChange.subscribe((state) => {
      this.state = state;
      init.onStateChange(state);
    });
    this.unsubscribers.push(unSubscribe);
    this.restarts = new IceRestarts(this.pc, this.negotiation, init.onIceRestarted);
  }

  /** The connection's state as werift reports it. */
  get connectionState(): string {
    return this.state;
  }

  /** Applies the publisher's offer and answers recvonly, with all server candidates; RTP flows from then on. */
  answer(): Promise<string> {
    const { offer } = this.init;
    return this.negotiation.push(async () => {
      const sdp = await this.apply(offer);
      for (const transceiver of this.pc.getTransceivers()) {
        const kind = transceiver.kind as MediaKind;
        this.extensions.set(kind, [...transceiver.headerExtensions]);
        const rids = offer.rids(kind);
        const { receiver } = transceiver;
        // RED packets are forwarded as they came (see RedPacket), not unpacked by werift.
        receiver.passThroughRed = true;
        if (rids.length === 0) {
          const layer = new PublisherLayer(kind, undefined, 0, 0);
          this.layersByKind.set(kind, [layer]);
          const { unSubscribe } = receiver.track.onReceiveRtp.subscribe((packet) => this.init.onRtp(kind, packet, layer));
          this.unsubscribers.push(unSubscribe);
          continue;
        }
        const layers = rids.map((rid, i) => new PublisherLayer(kind, rid, i, NOMINAL_LAYER_BITRATES[i] ?? NOMINAL_LAYER_BITRATES.at(-1)!));
        this.layersByKind.set(kind, layers);
        separateNacksBySsrc(receiver);
        for (const track of receiver.tracks) {
          const layer = layers.find((l) => l.rid === track.rid);
          if (!layer) continue;
          const { unSubscribe } = track.onReceiveRtp.subscribe((packet) => this.init.onRtp(kind, packet, layer));
          this.unsubscribers.push(unSubscribe);
        }
      }
      return this.restarts.answered(sdp);
    });
  }

  /**
   * Answers a reconnection offer of this connection's own client connection in place (see
   * `IceRestarts`): for an ICE restart werift takes the new credentials, answers with new ones of its
   * own and its candidates, and checks pairs again while DTLS, SRTP, receivers and layers go on as
   * they are (see the werift notes). Undefined for another connection's offer.
   */
  answerInPlace(offer: SdpOffer): Promise<{ sdpAnswer: string; restarted: boolean }> | undefined {
    return this.closed ? undefined : this.restarts.answerInPlace(offer, () => this.apply(offer));
  }

  /** Applies an offer of the publisher and makes the answer to send it. */
  private async apply(offer: SdpOffer): Promise<string> {
    const { network, tracker } = this.init;
    const sdp = await answerOffer(this.pc, offer.narrowed((c) => network.acceptsRemoteCandidate(c), network.dataChannels), network, tracker, () => !this.closed);
    return offer.completeAnswer(network.dataChannels ? sdp : offer.withRejectedDataChannel(sdp));
  }

  /** The layers of a kind, lowest first (one without simulcast); empty until the offer is answered. */
  layers(kind: MediaKind): readonly PublisherLayer[] {
    return this.layersByKind.get(kind) ?? [];
  }

  /** Tells the publisher which rids anybody views (now, or when its dynacast channel opens). */
  sendActiveLayers(rids: readonly string[]): void {
    this.dynacast.send({ type: 'activeLayers', rids });
  }

  /** Dynacast messages sent, for tests. */
  get dynacastStats(): Readonly<{ sent: number }> {
    return this.dynacast.stats;
  }

  /** Adds the publisher's trickled candidates (after the answer, if it is still being made). */
  addCandidates(candidates: readonly IceCandidate[]): Promise<void> {
    const { network, offer } = this.init;
    const usable = network.dataChannels ? candidates : candidates.map((c) => offer.candidateWithoutDataChannel(c));
    return this.negotiation.push(() => addRemoteCandidates(this.pc, usable, network));
  }

  /** The header extensions negotiated with the publisher for a kind. */
  headerExtensions(kind: MediaKind): readonly RTCRtpHeaderExtensionParameters[] {
    return this.extensions.get(kind) ?? NONE;
  }

  /** Asks the publisher for a keyframe of one video layer; false when that layer is not connected and known. */
  sendPli(layer: PublisherLayer): boolean {
    const receiver = this.connectedVideoReceiver();
    if (!receiver || layer.ssrc === undefined || !this.layers('video').includes(layer)) return false;
    receiver.dtlsTransport.sendRtcp([createPli(receiver.rtcpSsrc, layer.ssrc)]).catch(() => undefined);
    return true;
  }

  /** Caps the publisher's video (all its layers together) at `bitrate`; false when there is no connected video to tell. */
  sendRemb(bitrate: number): boolean {
    const receiver = this.connectedVideoReceiver();
    const ssrcs = this.layers('video').flatMap((l) => (l.ssrc === undefined ? [] : [l.ssrc]));
    if (!receiver || ssrcs.length === 0) return false;
    receiver.dtlsTransport.sendRtcp([createRemb(receiver.rtcpSsrc, ssrcs, bitrate)]).catch(() => undefined);
    return true;
  }

  /** Stops handing up RTP and closes the connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.length = 0;
    this.restarts.close();
    this.dynacast.close();
    this.init.tracker.closePeerConnection(this.pc);
  }

  private connectedVideoReceiver(): RTCRtpReceiver | undefined {
    const receiver = this.pc.getTransceivers().find((t) => t.kind === 'video')?.receiver;
    if (!receiver || this.state !== 'connected' || this.closed) return undefined;
    return receiver;
  }
}

/** The part of werift's NackHandler the receiver calls (werift does not export the class). */
interface NackHandlerLike {
  addPacket(packet: RtpPacket): void;
  close(): void;
}

/**
 * werift keeps one NackHandler per receiver, tracking one sequence space; simulcast layers share the
 * receiver with their own SSRCs and sequence numbers, so every packet would look like thousands
 * lost (a loop over the gap, NACKs every 5 ms). Each SSRC gets its own handler instead, built with
 * werift's own class (taken from the instance, as it is not exported).
 */
function separateNacksBySsrc(receiver: RTCRtpReceiver): void {
  const internals = receiver as unknown as { nack: NackHandlerLike };
  const original = internals.nack;
  const NackHandler = original.constructor as new (receiver: RTCRtpReceiver) => NackHandlerLike;
  const bySsrc = new Map<number, NackHandlerLike>();
  internals.nack = {
    addPacket: (packet) => {
      let handler = bySsrc.get(packet.header.ssrc);
      if (!handler) {
        handler = new NackHandler(receiver);
        bySsrc.set(packet.header.ssrc, handler);
      }
      handler.addPacket(packet);
    },
    close: () => {
      original.close();
      for (const handler of bySsrc.values()) handler.close();
    },
  };
}
