import { RTCPeerConnection } from 'werift';
import type { RTCDataChannel, RTCRtpTransceiver, RtpPacket } from 'werift';
import { isKeyframeStart } from '../../../src/media/codecs.js';
import { resolveMediaRouterOptions } from '../../../src/media/MediaRouterOptions.js';
import { NetworkConfig } from '../../../src/media/NetworkConfig.js';
import { createRemb } from '../../../src/media/rtcpFeedback.js';
import { readVp8Numbering, vp8KeyframeSize } from '../../../src/media/vp8Descriptor.js';
import { waitFor } from './wrtcPeer.js';

/** @internal One RTP packet as a viewer received it. */
export interface ReceivedPacket {
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  keyframe: boolean;
  /** The picture size, on the first packet of a keyframe. */
  size: { width: number; height: number } | undefined;
  pictureId: number | undefined;
  tl0PicIdx: number | undefined;
  at: number;
}

/** @internal How a test sees one VP8 RTP packet. */
export function describePacket(packet: RtpPacket): ReceivedPacket {
  const keyframe = isKeyframeStart({ mimeType: 'video/VP8' }, packet.payload);
  const numbering = readVp8Numbering(packet.payload);
  return {
    sequenceNumber: packet.header.sequenceNumber,
    timestamp: packet.header.timestamp,
    ssrc: packet.header.ssrc,
    keyframe,
    size: keyframe ? vp8KeyframeSize(packet.payload) : undefined,
    pictureId: numbering?.pictureId,
    tl0PicIdx: numbering?.tl0PicIdx,
    at: performance.now(),
  };
}

/**
 * @internal A viewer on werift (loopback), which hands every RTP packet to the test as the wire
 * carried it, so sequence numbers, timestamps and VP8 picture numbers can be checked one by one
 * (libwebrtc shows only counters). It can send the router REMB, as a congested viewer's libwebrtc would.
 */
export class WeriftViewer {
  readonly pc: RTCPeerConnection;
  readonly packets: ReceivedPacket[] = [];
  readonly layerMessages: Array<{ type: string; rid: string | null; width: number; height: number }> = [];
  private readonly transceiver: RTCRtpTransceiver;
  private readonly channel: RTCDataChannel | undefined;
  private rembTimer: NodeJS.Timeout | undefined;

  constructor(layersChannel = true) {
    this.pc = new RTCPeerConnection(new NetworkConfig(resolveMediaRouterOptions({ loopback: true })).peerConfig());
    this.transceiver = this.pc.addTransceiver('video', { direction: 'recvonly' });
    if (layersChannel) {
      this.channel = this.pc.createDataChannel('confer-layers');
      this.channel.onMessage.subscribe((data) => this.layerMessages.push(JSON.parse(String(data)) as never));
    }
    this.pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((packet) => this.packets.push(describePacket(packet)));
    });
  }

  /** The offer, with its candidates. */
  async createOffer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** Sends a video preference on the `confer-layers` channel once it is open. */
  async setVideoPreference(preference: { maxWidth: number | null; maxHeight: number | null; paused: boolean }): Promise<void> {
    const channel = this.channel;
    if (!channel) throw new Error('this viewer has no confer-layers channel');
    await waitFor(() => channel.readyState === 'open', 'the confer-layers channel open');
    channel.send(JSON.stringify({ type: 'videoPreference', ...preference }));
  }

  /** Sends REMB at `bitrate` every 200 ms (undefined: stops), as a viewer whose downlink is that narrow. */
  sendRemb(bitrate: number | undefined): void {
    clearInterval(this.rembTimer);
    this.rembTimer = undefined;
    if (bitrate === undefined) return;
    const send = () => {
      const ssrc = this.packets.at(-1)?.ssrc;
      if (ssrc === undefined) return;
      const { receiver } = this.transceiver;
      receiver.dtlsTransport.sendRtcp([createRemb(receiver.rtcpSsrc, [ssrc], bitrate)]).catch(() => undefined);
    };
    send();
    this.rembTimer = setInterval(send, 200);
  }

  /** The picture sizes of the keyframes received, in order. */
  keyframeSizes(): Array<{ width: number; height: number }> {
    return this.packets.flatMap((p) => (p.size ? [p.size] : []));
  }

  async close(): Promise<void> {
    clearInterval(this.rembTimer);
    await this.pc.close();
  }
}
