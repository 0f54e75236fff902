import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import type { RtpPacket } from 'werift';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveMediaRouterOptions } from '../../src/media/MediaRouterOptions.js';
import { NetworkConfig } from '../../src/media/NetworkConfig.js';
import { parseRedBlocks } from '../../src/media/RedPacket.js';
import { WeriftMediaRouter } from '../../src/media/WeriftMediaRouter.js';
import { DecodingViewer, SyntheticPublisher, waitFor } from './helpers/wrtcPeer.js';

// Runs with Node peers (libwebrtc publishers, werift and libwebrtc viewers) over 127.0.0.1 only; run it inside `unshare -n`.

const conferenceId = 'conf-red';
/** Payload types unlike the publisher's (libwebrtc: opus 111, RED 63), so the router must map them. */
const VIEWER_OPUS = 109;
const VIEWER_RED = 120;

interface AudioPacket {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  payload: Buffer;
}

/** A werift viewer of audio that keeps every packet as the wire carried it (RED not unpacked), offering RED or not. */
class AudioPacketViewer {
  readonly pc: RTCPeerConnection;
  readonly packets: AudioPacket[] = [];

  constructor(offerRed: boolean) {
    const opus = new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: VIEWER_OPUS, parameters: 'minptime=10;useinbandfec=1' });
    const red = new RTCRtpCodecParameters({ mimeType: 'audio/red', clockRate: 48000, channels: 2, payloadType: VIEWER_RED, parameters: `${VIEWER_OPUS}/${VIEWER_OPUS}` });
    const config = new NetworkConfig(resolveMediaRouterOptions({ loopback: true })).peerConfig();
    this.pc = new RTCPeerConnection({ ...config, codecs: { audio: offerRed ? [opus, red] : [opus], video: [] } });
    const transceiver = this.pc.addTransceiver('audio', { direction: 'recvonly' });
    transceiver.receiver.passThroughRed = true;
    this.pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((packet: RtpPacket) => {
        const { payloadType, sequenceNumber, timestamp } = packet.header;
        this.packets.push({ payloadType, sequenceNumber, timestamp, payload: Buffer.from(packet.payload) });
      });
    });
  }

  async createOffer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  /** Packets whose sequence number does not follow the one before (counted over 16-bit wrap). */
  gaps(from = 0): number {
    let gaps = 0;
    for (let i = Math.max(1, from); i < this.packets.length; i++) {
      if (((this.packets[i]!.sequenceNumber - this.packets[i - 1]!.sequenceNumber) & 0xffff) !== 1) gaps++;
    }
    return gaps;
  }
}

/** libwebrtc's offer without RED, as a client that does not negotiate it sends. */
const withoutRed = (sdp: string) => {
  const pt = /^a=rtpmap:(\d+) red\/48000/m.exec(sdp)?.[1];
  if (pt === undefined) return sdp;
  return sdp
    .replace(new RegExp(`^(m=audio \\S+ \\S+)((?: \\d+)*)$`, 'm'), (_, head: string, pts: string) => head + pts.split(' ').filter((p) => p !== pt).join(' '))
    .replace(new RegExp(`^a=(rtpmap|fmtp):${pt} .*\\r\\n`, 'gm'), '');
};

describe('RED audio through the router', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function publish(router: WeriftMediaRouter, streamId: string, reconnect = false) {
    const pub = new SyntheticPublisher({ audio: true, video: false });
    cleanups.push(() => pub.close());
    const ref = { conferenceId, streamId };
    const { sdpAnswer } = await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'MIC', sdpOffer: await pub.createOffer(), reconnect });
    await pub.setAnswer(sdpAnswer);
    await waitFor(() => pub.pc.iceGatheringState === 'complete', 'publisher gathering');
    await router.addPublishCandidates(ref, pub.candidates);
    await waitFor(() => pub.pc.connectionState === 'connected', 'publisher connected');
    return { pub, ref, sdpAnswer };
  }

  async function viewPackets(router: WeriftMediaRouter, streamId: string, viewerId: string, offerRed: boolean) {
    const v = new AudioPacketViewer(offerRed);
    cleanups.push(() => v.pc.close());
    const { sdpAnswer } = await router.view({ conferenceId, streamId, viewerId, userEndpointId: `bob-${viewerId}`, sdpOffer: await v.createOffer() });
    await v.pc.setRemoteDescription({ type: 'answer', sdp: sdpAnswer });
    return { v, sdpAnswer };
  }

  it('forwards a publisher RED as RED to a viewer that has it and as its primary opus block to one that has not, each under its own payload types', async () => {
    const router = new WeriftMediaRouter({ loopback: true }, { onEndpointHealth: () => undefined });
    cleanups.push(() => router.close());
    const { pub, ref, sdpAnswer } = await publish(router, 'red-1');
    // RED is listed before opus, the only order in which libwebrtc sends it.
    expect(sdpAnswer).toMatch(/^m=audio \d+ \S+ 63 111\r?$/m);
    expect(sdpAnswer).toMatch(/a=fmtp:111 .*useinbandfec=1/);

    const red = await viewPackets(router, ref.streamId, 'red', true);
    expect(red.sdpAnswer).toMatch(new RegExp(`a=rtpmap:${VIEWER_RED} red/48000/2`));
    const plain = await viewPackets(router, ref.streamId, 'plain', false);
    expect(plain.sdpAnswer).not.toMatch(/red\/48000/);
    const decoding = new DecodingViewer({ audio: true, video: false });
    cleanups.push(() => decoding.close());
    const { sdpAnswer: decodingAnswer } = await router.view({ conferenceId, streamId: ref.streamId, viewerId: 'decoding', userEndpointId: 'carol', sdpOffer: withoutRed(await decoding.createFullOffer()) });
    await decoding.setAnswer(decodingAnswer);

    await waitFor(() => red.v.packets.length >= 100 && plain.v.packets.length >= 100, '100 audio packets at both werift viewers', 15_000);
    await waitFor(async () => ((await decoding.inbound('audio'))?.packetsReceived ?? 0) >= 100, '100 audio packets at the libwebrtc viewer', 15_000);
    const outbound = (await pub.outbound('audio'))!;
    expect(outbound.packetsSent).toBeGreaterThan(0);

    // The publisher sends RED: the RED viewer gets it under its own RED type, its blocks under its own opus type.
    const stream = router.publishedStream(ref)!;
    const redViewer = stream.viewers.get('red')!;
    expect(redViewer.stats.redForwarded).toBeGreaterThan(90);
    const redPackets = red.v.packets.filter((p) => p.payloadType === VIEWER_RED);
    expect(redPackets.length).toBeGreaterThan(90);
    expect(red.v.packets.every((p) => p.payloadType === VIEWER_RED || p.payloadType === VIEWER_OPUS)).toBe(true);
    const blocks = redPackets.map((p) => parseRedBlocks(p.payload));
    expect(blocks.every((b) => b !== undefined && b.every((block) => block.payloadType === VIEWER_OPUS))).toBe(true);
    // libwebrtc repeats earlier frames in later packets: redundancy is what RED is for.
    expect(blocks.filter((b) => b!.length > 1).length).toBeGreaterThan(50);
    expect(red.v.gaps()).toBe(0);

    // The viewer without RED gets plain opus: the primary block, numbering continuous.
    expect(stream.viewers.get('plain')!.stats.redPrimaryForwarded).toBeGreaterThan(90);
    expect(plain.v.packets.every((p) => p.payloadType === VIEWER_OPUS)).toBe(true);
    expect(plain.v.gaps()).toBe(0);
    // An opus packet starts with its TOC byte: config 12-19 (hybrid) or 0-11 (SILK) or 16-31 (CELT), 20 ms frames; never a RED header (F bit with PT 111).
    expect(plain.v.packets.some((p) => p.payload[0] === (0x80 | 111))).toBe(false);
    // Each plain packet is the primary (last) block of a RED packet the other viewer got, byte for byte.
    const primaries = new Set(redPackets.map((p) => {
      const last = parseRedBlocks(p.payload)!.at(-1)!;
      return p.payload.subarray(last.start, last.end).toString('hex');
    }));
    const primaryMatches = plain.v.packets.filter((p) => primaries.has(p.payload.toString('hex')));
    expect(primaryMatches.length).toBeGreaterThan(50);

    // And libwebrtc decodes it: over two seconds, hardly anything concealed.
    type AudioInbound = { totalSamplesReceived: number; concealedSamples: number; silentConcealedSamples: number };
    const before = (await decoding.inbound('audio')) as unknown as AudioInbound;
    await new Promise((r) => setTimeout(r, 2_000));
    const after = (await decoding.inbound('audio')) as unknown as AudioInbound;
    const samples = after.totalSamplesReceived - before.totalSamplesReceived;
    const concealed = after.concealedSamples - after.silentConcealedSamples - (before.concealedSamples - before.silentConcealedSamples);
    expect(samples).toBeGreaterThan(48_000);
    expect(concealed / samples).toBeLessThan(0.05);
  });

  it('keeps RED and the numbering across a publisher reconnection', async () => {
    const router = new WeriftMediaRouter({ loopback: true }, { onEndpointHealth: () => undefined });
    cleanups.push(() => router.close());
    const first = await publish(router, 'red-2');
    const red = await viewPackets(router, first.ref.streamId, 'red', true);
    const plain = await viewPackets(router, first.ref.streamId, 'plain', false);
    await waitFor(() => red.v.packets.length >= 50 && plain.v.packets.length >= 50, 'audio before the reconnection', 15_000);

    first.pub.close();
    const switchedAt = { red: red.v.packets.length, plain: plain.v.packets.length };
    await publish(router, first.ref.streamId, true);
    await waitFor(() => red.v.packets.length >= switchedAt.red + 100 && plain.v.packets.length >= switchedAt.plain + 100, 'audio from the new connection', 15_000);

    expect(router.publishedStream(first.ref)!.stats.reconnections).toBe(1);
    // One stream for each viewer: no gap in sequence numbers, RED still RED and still under the viewer's types.
    expect(red.v.gaps()).toBe(0);
    expect(plain.v.gaps()).toBe(0);
    expect(red.v.packets.slice(switchedAt.red).filter((p) => p.payloadType === VIEWER_RED).length).toBeGreaterThan(90);
    expect(plain.v.packets.every((p) => p.payloadType === VIEWER_OPUS)).toBe(true);
  });

  it('changes nothing for a publisher that does not offer RED', async () => {
    const router = new WeriftMediaRouter({ loopback: true }, { onEndpointHealth: () => undefined });
    cleanups.push(() => router.close());
    const pub = new SyntheticPublisher({ audio: true, video: false });
    cleanups.push(() => pub.close());
    const ref = { conferenceId, streamId: 'plain-1' };
    const { sdpAnswer } = await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'MIC', sdpOffer: withoutRed(await pub.createFullOffer()) });
    expect(sdpAnswer).not.toMatch(/red\/48000/);
    await pub.setAnswer(sdpAnswer);
    const red = await viewPackets(router, ref.streamId, 'red', true);
    expect(red.sdpAnswer).not.toMatch(/red\/48000/);
    await waitFor(() => red.v.packets.length >= 50, 'audio at the viewer', 15_000);
    expect(red.v.packets.every((p) => p.payloadType === VIEWER_OPUS && p.payload[0] !== (0x80 | 111))).toBe(true);
    expect(red.v.gaps()).toBe(0);
  });
});
