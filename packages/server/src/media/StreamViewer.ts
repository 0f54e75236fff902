import { MediaStreamTrack, RTCPeerConnection, RtcpPayloadSpecificFeedback, RtcpRrPacket } from 'werift';
import type { ReceiverEstimatedMaxBitrate, RTCRtpHeaderExtensionParameters, RTCRtpTransceiver, RtcpPacket, RtpPacket } from 'werift';
import { codecName } from './codecs.js';
import type { MediaKind } from './codecs.js';
import { DownlinkEstimate } from './DownlinkEstimate.js';
import { HeaderExtensionRewriter } from './HeaderExtensionRewriter.js';
import { LabeledChannel } from './LabeledChannel.js';
import { LayerForwarder } from './LayerForwarder.js';
import { chooseLayer, layerSize, NO_PREFERENCE, parseVideoPreference } from './LayerSelector.js';
import type { VideoPreference } from './LayerSelector.js';
import type { IceCandidate } from './MediaRouter.js';
import type { NetworkConfig } from './NetworkConfig.js';
import { IceRestarts } from './IceRestarts.js';
import { addRemoteCandidates, answerOffer } from './peerNegotiation.js';
import type { PublishedStream } from './PublishedStream.js';
import type { PublisherLayer } from './PublisherLayer.js';
import type { ResourceTracker } from './ResourceTracker.js';
import { isKeyframeRequest } from './rtcpFeedback.js';
import type { SdpOffer } from './SdpOffer.js';
import { translateAudioPayload } from './RedPacket.js';
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

/** The label of the viewer's data channel carrying its video preference (and the layer it gets). */
export const LAYERS_LABEL = 'confer-layers';

/** A keyframe asked for a switch that has not come after this long is asked for again. */
const SWITCH_KEYFRAME_RETRY_MS = 1_000;

/**
 * A viewer's RTCP silent this long means its path was dead (browsers send a receiver report about
 * every second, and feedback every 100 ms while media flows): when it is heard again, it gets a keyframe.
 */
const RTCP_SILENCE_MS = 2_500;

/**
 * One viewer of a published stream: owns the viewer's sendonly RTCPeerConnection, whose local
 * tracks are fed packet by packet with the publisher's RTP (no decoding), one layer at a time. Per
 * kind a {@link LayerForwarder} keeps the viewer's numbering continuous; the video layer is chosen
 * from the viewer's preference (its `confer-layers` data channel) and its downlink (REMB and loss
 * from its RTCP, {@link DownlinkEstimate}); its keyframe requests go to the publisher for its layer.
 */
export class StreamViewer {
  /** Counters for tests and benchmarks. */
  readonly stats = { packetsForwarded: 0, layerSwitches: 0, preferences: 0, iceRestarts: 0, redForwarded: 0, redPrimaryForwarded: 0 };
  /** The viewer's downlink as its RTCP tells it. */
  readonly downlink = new DownlinkEstimate();
  private readonly pc: RTCPeerConnection;
  private readonly negotiation = new TaskQueue();
  private readonly unsubscribers: Array<() => void> = [];
  private readonly tracks: MediaStreamTrack[] = [];
  private readonly forwarders = new Map<MediaKind, LayerForwarder>();
  private readonly channel: LabeledChannel;
  private preference: VideoPreference = NO_PREFERENCE;
  private lastSwitchAt = Number.NEGATIVE_INFINITY;
  private switchKeyframeAskedAt = Number.NEGATIVE_INFINITY;
  private videoSsrc: number | undefined;
  private answered = false;
  private sick = false;
  private connectedBefore = false;
  private readonly restarts: IceRestarts;
  private lastRtcpAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(private readonly init: StreamViewerInit) {
    this.pc = new RTCPeerConnection(init.network.peerConfig());
    init.tracker.addPeerConnection(this.pc);
    init.tracker.countViewer(1);
    this.channel = new LabeledChannel(this.pc, LAYERS_LABEL, (text) => this.onPreference(text));
    init.source.viewerAdded();
    // Transceivers added before the offer is applied are matched to its m-lines by kind, so the
    // answer says sendonly with our tracks (werift would otherwise answer recvonly-less: inactive).
    for (const section of init.offer.sections) {
      const track = new MediaStreamTrack({ kind: section.kind });
      this.tracks.push(track);
      this.pc.addTransceiver(track, { direction: 'sendonly' });
    }
    const { unSubscribe } = this.pc.connectionStateChange.subscribe((state) => {
      // The first connection is a new viewer, served at once; reconnecting after 'disconnected' is a repeat.
      if (state === 'connected') init.source.requestKeyframe(this.connectedBefore ? 'repeat' : 'new-viewer', this.videoForwarder?.targetLayer);
      if (state === 'connected') this.connectedBefore = true;
      const sick = state === 'failed' || state === 'disconnected';
      if (sick !== this.sick && !this.closed) {
        this.sick = sick;
        init.onHealthChange(sick);
      }
    });
    this.unsubscribers.push(unSubscribe);
    // After an ICE restart the viewer has lost what was sent meanwhile: served like a new viewer.
    this.restarts = new IceRestarts(this.pc, this.negotiation, () => init.source.requestKeyframe('new-viewer', this.keyframeLayer));
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

  /** The video layer forwarded now (undefined: none, e.g. paused). */
  get videoLayer(): PublisherLayer | undefined {
    return this.videoForwarder?.currentLayer;
  }

  /** The viewer's preference as last received on its data channel. */
  get videoPreference(): VideoPreference {
    return this.preference;
  }

  /** Messages on the viewer's `confer-layers` channel, for tests. */
  get channelStats(): Readonly<{ sent: number; received: number }> {
    return this.channel.stats;
  }

  /** The video layers this viewer receives or is switching to (what dynacast keeps active). */
  wantedVideoLayers(): PublisherLayer[] {
    const forwarder = this.videoForwarder;
    if (!forwarder) return [];
    return [forwarder.currentLayer, forwarder.targetLayer].filter((l): l is PublisherLayer => l !== undefined);
  }

  /** The publisher reconnected: its layers are new, so every kind is pointed at the new ones. */
  sourceChanged(): void {
    this.reselect();
  }

  /**
   * Chooses the layer of each kind again: audio follows the publisher's current connection, video
   * the preference and downlink (see `chooseLayer`). Runs on every RTCP report, preference, tick
   * and layer start; a new target is asked a keyframe for, and dynacast is told.
   */
  reselect(): void {
    if (this.closed || !this.answered) return;
    const now = performance.now();
    this.forwarders.get('audio')?.setTarget(this.init.source.layers('audio')[0]);
    const video = this.videoForwarder;
    if (!video) return;
    const layers = this.init.source.layers('video');
    // What the viewer's link must carry: the current layers' steady rates (the per-viewer meter
    // swings with every keyframe, a switch's above all).
    const needed = (video.currentLayer?.expectedBitrate(now) ?? 0) + (this.forwarders.get('audio')?.currentLayer?.bitrate(now) ?? 0);
    const limit = this.downlink.limit(needed, now - this.lastSwitchAt, now);
    const choice = chooseLayer(layers, this.preference, limit, video.currentLayer, now);
    // Nothing flows yet (a stream starting, a publisher reconnecting): keep the target rather than pause.
    const chosen = choice === undefined && !this.preference.paused ? video.targetLayer : choice;
    const changed = chosen !== video.targetLayer;
    video.setTarget(chosen);
    // A layer that has just started (a new publisher connection, a layer dynacast resumes) starts with a keyframe anyway.
    const settled = chosen !== undefined && chosen.isFlowing(now) && now - chosen.flowingSince >= SWITCH_KEYFRAME_RETRY_MS;
    if (video.awaitingKeyframe && settled && this.connectedBefore && (changed || now - this.switchKeyframeAskedAt >= SWITCH_KEYFRAME_RETRY_MS)) {
      this.switchKeyframeAskedAt = now;
      this.init.source.requestKeyframe(changed ? 'switch' : 'repeat', chosen);
    }
    if (changed) this.init.source.updateDynacast(now);
  }

  /** Applies the viewer's offer, starts forwarding and answers sendonly, with all server candidates. */
  answer(): Promise<string> {
    const { source, offer } = this.init;
    return this.negotiation.push(async () => {
      const sdp = await this.apply(offer);
      // Wired once the offer is applied, when the viewer's extension ids are known; the client cannot
      // connect before it has the answer, so no packet or PLI is missed.
      for (const transceiver of this.pc.getTransceivers()) this.forward(transceiver, source);
      this.videoSsrc = this.pc.getTransceivers().find((t) => t.kind === 'video')?.sender.ssrc;
      this.watchRtcp();
      this.answered = true;
      this.reselect();
      return this.restarts.answered(sdp);
    });
  }

  /**
   * Answers a reconnection offer of this viewer's own client connection in place (an ICE restart, or
   * the last offer again: see `IceRestarts`); tracks, forwarders and the data channel go on.
   * Undefined for another connection's offer.
   */
  async answerInPlace(offer: SdpOffer): Promise<string | undefined> {
    if (this.closed || !this.answered) return undefined;
    const inPlace = this.restarts.answerInPlace(offer, () => this.apply(offer));
    if (!inPlace) return undefined;
    const { sdpAnswer, restarted } = await inPlace;
    if (restarted) this.stats.iceRestarts++;
    return sdpAnswer;
  }

  /** Applies an offer of the viewer and makes the answer to send it. */
  private async apply(offer: SdpOffer): Promise<string> {
    const { network, tracker } = this.init;
    const sdp = await answerOffer(this.pc, offer.narrowed((c) => network.acceptsRemoteCandidate(c), network.dataChannels), network, tracker, () => !this.closed);
    return network.dataChannels ? sdp : offer.withRejectedDataChannel(sdp);
  }

  /** Adds the viewer's trickled candidates (after the answer, if it is still being made). */
  addCandidates(candidates: readonly IceCandidate[]): Promise<void> {
    const { network, offer } = this.init;
    const usable = network.dataChannels ? candidates : candidates.map((c) => offer.candidateWithoutDataChannel(c));
    return this.negotiation.push(() => addRemoteCandidates(this.pc, usable, network));
  }

  /** Stops forwarding and closes the viewer's connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.length = 0;
    this.restarts.close();
    this.channel.close();
    for (const track of this.tracks) track.stop();
    this.init.tracker.closePeerConnection(this.pc);
    this.init.tracker.countViewer(-1);
    this.init.onClose();
  }

  private get videoForwarder(): LayerForwarder | undefined {
    return this.forwarders.get('video');
  }

  /** The layer a keyframe is asked of for this viewer: the one it gets, or the one it switches to. */
  private get keyframeLayer(): PublisherLayer | undefined {
    const forwarder = this.videoForwarder;
    return forwarder?.currentLayer ?? forwarder?.targetLayer;
  }

  private forward(transceiver: RTCRtpTransceiver, source: PublishedStream): void {
    const kind = transceiver.kind as MediaKind;
    const track = transceiver.sender.track;
    const codec = source.codecs?.get(kind);
    if (!track || !codec) return;
    const forwarder = new LayerForwarder({
      clockRate: codec.clockRate,
      needsKeyframe: kind === 'video',
      vp8: codecName(codec) === 'VP8',
      onSwitch: (layer) => {
        if (kind === 'video') this.videoSwitched(layer);
      },
    });
    this.forwarders.set(kind, forwarder);
    const viewerCodec = this.init.offer.sections.find((s) => s.kind === kind)?.codec;
    // Audio packets are labelled here, RED or opus each (werift would label all with the first codec and wrap them in RED itself).
    if (kind === 'audio') transceiver.sender.passThroughRed = true;
    // Rebuilt when the publisher reconnects: its new connection may number its extensions otherwise.
    let publisherExtensions: readonly RTCRtpHeaderExtensionParameters[] | undefined;
    let rewriter: HeaderExtensionRewriter | undefined;
    const unsubscribe = source.subscribe(kind, {
      rtp: (packet: RtpPacket, layer, keyframe, headerExtensions) => {
        // The publisher's current codecs: a reconnection may number them otherwise.
        const published = source.codecs?.get(kind);
        const audio =
          kind === 'audio' && published && viewerCodec
            ? translateAudioPayload(
                packet.header.payloadType,
                packet.payload,
                { opus: published.payloadType, red: published.redPayloadType },
                { opus: viewerCodec.payloadType, red: viewerCodec.redPayloadType },
              )
            : undefined;
        if (kind === 'audio' && !audio) return;
        const out = forwarder.forward(packet.header.sequenceNumber, packet.header.timestamp, audio?.payload ?? packet.payload, layer, keyframe);
        if (!out) return;
        if (headerExtensions !== publisherExtensions || !rewriter) {
          publisherExtensions = headerExtensions;
          rewriter = new HeaderExtensionRewriter(publisherExtensions, transceiver.headerExtensions);
        }
        // Each viewer gets its own header: werift's sender rewrites SSRC, payload type and sequence
        // numbers in place and keeps the object for retransmission.
        const copy = packet.clone();
        const { header } = copy;
        copy.payload = out.payload;
        header.sequenceNumber = out.sequenceNumber;
        header.timestamp = out.timestamp;
        header.extensions = rewriter.rewrite(packet.header.extensions);
        header.extension = header.extensions.length > 0;
        header.extensionProfile = ONE_BYTE_PROFILE;
        // werift's payload excludes the padding, so a forwarded padding bit would corrupt the packet.
        header.padding = false;
        header.paddingSize = 0;
        this.stats.packetsForwarded++;
        if (!audio) {
          track.writeRtp(copy);
          return;
        }
        header.payloadType = audio.payloadType;
        if (audio.payloadType === viewerCodec?.redPayloadType) this.stats.redForwarded++;
        else if (packet.header.payloadType !== published?.payloadType) this.stats.redPrimaryForwarded++;
        // Straight to the sender: the track would label the packet with the first codec again.
        transceiver.sender.sendRtp(copy).catch(() => undefined);
      },
      drop: (layer, sequenceNumber) => forwarder.drop(layer, sequenceNumber),
    });
    this.unsubscribers.push(unsubscribe);
  }

  private videoSwitched(layer: PublisherLayer | undefined): void {
    this.lastSwitchAt = performance.now();
    this.stats.layerSwitches++;
    const layers = this.init.source.layers('video');
    // Layer messages name rids: a stream sent without simulcast has none to name.
    if (layers.every((l) => l.rid === undefined)) return;
    const size = layer ? layerSize(layer, layers) : undefined;
    this.channel.send({ type: 'layer', rid: layer?.rid ?? null, width: size?.width ?? 0, height: size?.height ?? 0 });
    this.init.source.updateDynacast(this.lastSwitchAt);
  }

  private onPreference(text: string): void {
    const preference = parseVideoPreference(text);
    if (!preference) return;
    this.stats.preferences++;
    this.preference = preference;
    this.reselect();
  }

  /** Reads the viewer's RTCP: keyframe requests go to the publisher, REMB and loss feed the downlink estimate. */
  private watchRtcp(): void {
    for (const transport of this.pc.dtlsTransports) {
      const { unSubscribe } = transport.onRtcp.subscribe((packet) => this.onRtcp(packet));
      this.unsubscribers.push(unSubscribe);
    }
  }

  private onRtcp(packet: RtcpPacket): void {
    const ssrc = this.videoSsrc;
    if (ssrc === undefined || this.closed) return;
    const now = performance.now();
    const resumed = now - this.lastRtcpAt >= RTCP_SILENCE_MS && this.lastRtcpAt > Number.NEGATIVE_INFINITY;
    this.lastRtcpAt = now;
    // Not while an ICE restart is checking (nothing can be sent yet): its end asks for the keyframe.
    // The viewer lost what was forwarded while its path was dead; its own PLI would come only after seconds of NACKs.
    if (resumed && this.pc.iceConnectionState === 'connected') this.init.source.requestKeyframe('resume', this.keyframeLayer);
    if (isKeyframeRequest(packet, ssrc)) {
      this.init.source.requestKeyframe('repeat', this.keyframeLayer);
      return;
    }
    if (packet.type === RtcpPayloadSpecificFeedback.type) {
      const { feedback } = packet as RtcpPayloadSpecificFeedback;
      // REMB is FMT 15 with the "REMB" identifier; compared by FMT like isKeyframeRequest.
      if (feedback?.count !== 15 || !('bitrate' in feedback)) return;
      this.downlink.onRemb(Number((feedback as ReceiverEstimatedMaxBitrate).bitrate), now);
      this.reselect();
      return;
    }
    if (packet.type === RtcpRrPacket.type) {
      const report = (packet as RtcpRrPacket).reports.find((r) => r.ssrc === ssrc);
      if (!report) return;
      this.downlink.onLoss(report.fractionLost / 256, now);
      this.reselect();
    }
  }
}
