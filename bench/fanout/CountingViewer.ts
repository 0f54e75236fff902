import { RTCPeerConnection } from 'werift';
import type { RTCDataChannel } from 'werift';

/** Packets and frames one viewer has received so far. */
export interface ViewerCounts {
  packets: number;
  videoFrames: number;
  lostPackets: number;
  /** Video alone (the answer's video SSRC), packets and bytes on the wire. */
  videoPackets: number;
  videoBytes: number;
}

/** The werift internals a datagram passes through (werift 0.24: IceConnection.protocols[].transport.onData). */
interface IceInternals {
  connection?: { protocols?: Array<{ transport?: { onData: (data: Buffer, addr: unknown) => void } }> };
}

/** RTP per RFC 5761 §4: first byte 128-191 (version 2), second byte outside the RTCP range 192-223. */
const isRtp = (data: Buffer) => data.length >= 12 && data[0]! >> 6 === 2 && !(data[1]! >= 192 && data[1]! <= 223);

/** Unwraps 16-bit sequence numbers and counts the ones never received (RFC 3550 A.3). */
class SequenceLoss {
  private first: number | undefined;
  private highest = 0;
  private received = 0;

  /** Records one packet; answers the number of packets lost so far. */
  add(sequenceNumber: number): number {
    if (this.first === undefined) {
      this.first = this.highest = sequenceNumber + 0x10000;
    } else {
      const ext = this.highest + (((sequenceNumber - this.highest + 0x8000) & 0xffff) - 0x8000);
      if (ext > this.highest) this.highest = ext;
    }
    this.received++;
    return Math.max(0, this.highest - this.first + 1 - this.received);
  }
}

/**
 * A viewer that counts instead of decoding: werift (recvonly audio + video, 127.0.0.1 only) does ICE
 * and DTLS, then the viewer reads each RTP datagram's plain-text header (SRTP encrypts only the
 * payload) and drops it before werift would decrypt it. A frame is a distinct video timestamp, a loss
 * a sequence number never received. Decrypting (let alone decoding) in the clients would cost as much
 * as the forwarding on the benchmark machine's two cores, and the server's limit would not show.
 */
export class CountingViewer {
  readonly pc = new RTCPeerConnection({
    iceServers: [],
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
  });
  private readonly counts: ViewerCounts = { packets: 0, videoFrames: 0, lostPackets: 0, videoPackets: 0, videoBytes: 0 };
  /** The `confer-layers` channel, when asked for: the viewer then sends preferences as the library does. */
  readonly layers: RTCDataChannel | undefined;
  private readonly loss = new Map<number, SequenceLoss>();
  private readonly lostSoFar = new Map<number, number>();
  private videoSsrc: number | undefined;
  private lastVideoTimestamp: number | undefined;

  constructor(layersChannel = false) {
    this.pc.addTransceiver('audio', { direction: 'recvonly' });
    this.pc.addTransceiver('video', { direction: 'recvonly' });
    if (layersChannel) this.layers = this.pc.createDataChannel('confer-layers');
  }

  /** Sends a video preference on the `confer-layers` channel (null height: paused). */
  prefer(maxHeight: number | null): void {
    this.layers?.send(JSON.stringify({ type: 'videoPreference', maxWidth: null, maxHeight, paused: maxHeight === null }));
  }

  /** The offer with its 127.0.0.1 candidate (werift gathers inside setLocalDescription). */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    this.interceptRtp();
    return this.pc.localDescription!.sdp;
  }

  /** Applies the server's answer and learns the video SSRC from it. */
  async accept(answer: string): Promise<void> {
    const video = answer.split(/^m=/m).find((section) => section.startsWith('video'));
    const ssrc = video && /^a=ssrc:(\d+)/m.exec(video)?.[1];
    this.videoSsrc = ssrc ? Number(ssrc) : undefined;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  /** A copy of the counts. */
  snapshot(): ViewerCounts {
    return { ...this.counts };
  }

  close(): Promise<void> {
    return this.pc.close();
  }

  private interceptRtp(): void {
    for (const transport of this.pc.iceTransports as unknown as IceInternals[]) {
      for (const protocol of transport.connection?.protocols ?? []) {
        const udp = protocol.transport;
        if (!udp) continue;
        const deliver = udp.onData;
        udp.onData = (data, addr) => {
          if (!isRtp(data)) {
            deliver(data, addr); // STUN, DTLS and RTCP go to werift as usual
            return;
          }
          this.count(data);
        };
      }
    }
    if (this.pc.iceTransports.length === 0) throw new Error('werift opened no ICE transport: the bench cannot count packets');
  }

  private count(data: Buffer): void {
    this.counts.packets++;
    const sequenceNumber = data.readUInt16BE(2);
    const timestamp = data.readUInt32BE(4);
    const ssrc = data.readUInt32BE(8);
    const loss = this.loss.get(ssrc) ?? new SequenceLoss();
    this.loss.set(ssrc, loss);
    const lost = loss.add(sequenceNumber);
    this.counts.lostPackets += lost - (this.lostSoFar.get(ssrc) ?? 0);
    this.lostSoFar.set(ssrc, lost);
    if (ssrc !== this.videoSsrc) return;
    this.counts.videoPackets++;
    this.counts.videoBytes += data.length;
    if (timestamp !== this.lastVideoTimestamp) {
      this.counts.videoFrames++;
      this.lastVideoTimestamp = timestamp;
    }
  }
}
