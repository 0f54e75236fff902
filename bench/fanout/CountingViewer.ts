import { RTCPeerConnection } from 'werift';

/** Packets and frames one viewer has received so far. */
export interface ViewerCounts {
  packets: number;
  videoFrames: number;
  lostPackets: number;
}

/**
 * A viewer that counts instead of decoding (werift, recvonly audio + video, 127.0.0.1 only): a
 * frame is a distinct video RTP timestamp, a loss a sequence number never received. Decoding 32 VP8
 * streams on the benchmark machine's two cores would measure the decoders, not the SFU.
 */
export class CountingViewer {
  readonly pc = new RTCPeerConnection({
    iceServers: [],
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
  });
  private readonly counts: ViewerCounts = { packets: 0, videoFrames: 0, lostPackets: 0 };

  constructor() {
    this.pc.addTransceiver('audio', { direction: 'recvonly' });
    this.pc.addTransceiver('video', { direction: 'recvonly' });
    this.pc.onTrack.subscribe((track) => {
      // RFC 3550 A.3: lost = expected (highest - first + 1, unwrapped) - received, so reordering and
      // retransmissions are not mistaken for losses.
      let first: number | undefined;
      let highest = 0;
      let received = 0;
      let lostBefore = 0;
      let lastTimestamp: number | undefined;
      track.onReceiveRtp.subscribe((packet) => {
        this.counts.packets++;
        const { timestamp, sequenceNumber } = packet.header;
        if (first === undefined) {
          first = highest = sequenceNumber + 0x10000;
        } else {
          const ext = highest + (((sequenceNumber - highest + 0x8000) & 0xffff) - 0x8000);
          if (ext > highest) highest = ext;
        }
        received++;
        const lost = Math.max(0, highest - first + 1 - received);
        this.counts.lostPackets += lost - lostBefore;
        lostBefore = lost;
        if (track.kind === 'video' && timestamp !== lastTimestamp) {
          this.counts.videoFrames++;
          lastTimestamp = timestamp;
        }
      });
    });
  }

  /** The offer with its 127.0.0.1 candidate (werift gathers inside setLocalDescription). */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  async accept(answer: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  /** A copy of the counts. */
  snapshot(): ViewerCounts {
    return { ...this.counts };
  }

  close(): Promise<void> {
    return this.pc.close();
  }
}
