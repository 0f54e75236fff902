import { RTCPeerConnection, RtpHeader } from 'werift';
import type { RTCRtpTransceiver } from 'werift';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveMediaRouterOptions } from '../../src/media/MediaRouterOptions.js';
import { NetworkConfig } from '../../src/media/NetworkConfig.js';
import type { PublisherLayer } from '../../src/media/PublisherLayer.js';
import { RTP_STREAM_ID_URI } from '../../src/media/SdpOffer.js';
import { WeriftMediaRouter } from '../../src/media/WeriftMediaRouter.js';
import { WeriftViewer } from './helpers/weriftViewer.js';
import { waitFor } from './helpers/wrtcPeer.js';

// A publisher shaped like Firefox's simulcast (run inside `unshare -n` like router.test.ts): its
// offer lists every layer's SSRC (a=ssrc, a=ssrc-group:FID) next to the rids, and, like libwebrtc,
// it tags packets with the rid extension only until a receiver report comes back, then sends the
// bare SSRC. The packets are written on werift's DTLS transport one by one, so the test decides
// exactly which carry the rid.

const conferenceId = 'conf-fox';
const LAYERS = [
  { rid: 'q', ssrc: 0x1111_0001, rtx: 0x1111_1001, width: 320, height: 180 },
  { rid: 'h', ssrc: 0x2222_0002, rtx: 0x2222_1002, width: 640, height: 360 },
  { rid: 'f', ssrc: 0x3333_0003, rtx: 0x3333_1003, width: 1280, height: 720 },
] as const;

/** A VP8 payload: descriptor with S=1 and, for a keyframe, the frame tag, start code and picture size (RFC 6386 §9.1). */
function vp8Payload(keyframe: boolean, width: number, height: number): Buffer {
  if (!keyframe) return Buffer.from([0x10, 0x01, 0x00, 0x00, 0xaa, 0xbb]);
  return Buffer.from([0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, width & 0xff, width >> 8, height & 0xff, height >> 8, 0xcc]);
}

class FirefoxShapedPublisher {
  readonly pc = new RTCPeerConnection(new NetworkConfig(resolveMediaRouterOptions({ loopback: true })).peerConfig());
  /** Whether packets still carry the rid extension (libwebrtc stops once a receiver report acknowledged the SSRC). */
  tagRid = true;
  private readonly transceiver: RTCRtpTransceiver = this.pc.addTransceiver('video', { direction: 'sendonly' });
  private timer: NodeJS.Timeout | undefined;
  private ridExtensionId = 0;
  private payloadType = 0;

  /** werift's offer rewritten into Firefox's shape: three rids, a=simulcast, and the layers' SSRCs with their RTX pairs. */
  async createOffer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    const lines = this.pc.localDescription!.sdp.split('\r\n').filter((l) => !l.startsWith('a=ssrc') && !l.startsWith('a=msid'));
    const video = lines.findIndex((l) => l.startsWith('m=video'));
    const used = lines.flatMap((l) => /^a=extmap:(\d+)/.exec(l)?.[1] ?? []).map(Number);
    const existing = lines.find((l) => l.endsWith(` ${RTP_STREAM_ID_URI}`));
    this.ridExtensionId = existing ? Number(/^a=extmap:(\d+)/.exec(existing)![1]) : Math.max(0, ...used) + 1;
    this.payloadType = Number(/^a=rtpmap:(\d+) VP8/m.exec(lines.join('\n'))![1]);
    const end = lines.findIndex((l, i) => i > video && l.startsWith('m='));
    const added = [
      ...(existing ? [] : [`a=extmap:${this.ridExtensionId} ${RTP_STREAM_ID_URI}`]),
      'a=msid:{stream} {track}',
      ...LAYERS.map((l) => `a=rid:${l.rid} send`),
      'a=simulcast:send q;h;f',
      ...LAYERS.flatMap((l) => [`a=ssrc:${l.ssrc} cname:{fox}`, `a=ssrc:${l.rtx} cname:{fox}`]),
      ...LAYERS.map((l) => `a=ssrc-group:FID ${l.ssrc} ${l.rtx}`),
    ];
    lines.splice(end < 0 ? lines.length - 1 : end, 0, ...added);
    return lines.join('\r\n');
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** Sends every layer at 20 packets a second, a keyframe every 10th; with the rid extension while `tagRid`. */
  start(): void {
    let n = 0;
    const transport = this.transceiver.sender.dtlsTransport;
    this.timer = setInterval(() => {
      n++;
      for (const layer of LAYERS) {
        const header = new RtpHeader({
          payloadType: this.payloadType,
          sequenceNumber: n & 0xffff,
          timestamp: (n * 4500) >>> 0,
          ssrc: layer.ssrc,
          marker: true,
          extension: this.tagRid,
          extensions: this.tagRid ? [{ id: this.ridExtensionId, payload: Buffer.from(layer.rid) }] : [],
        });
        transport.sendRtp(vp8Payload(n % 10 === 1, layer.width, layer.height), header).catch(() => undefined);
      }
    }, 50);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.pc.close();
  }
}

describe('a simulcast offer that lists SSRCs next to its rids (Firefox)', { timeout: 30_000 }, () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps every layer bound to its rid after the publisher stops sending the rid extension, so a viewer asking for 180 lines gets q', async () => {
    const router = new WeriftMediaRouter({ loopback: true }, { onEndpointHealth: () => undefined });
    cleanups.push(() => router.close());
    const pub = new FirefoxShapedPublisher();
    cleanups.push(() => pub.close());
    const ref = { conferenceId, streamId: 'fox' };
    const { sdpAnswer } = await router.publish({ ...ref, userEndpointId: 'fiona', streamType: 'CAM', sdpOffer: await pub.createOffer() });
    expect(sdpAnswer).toMatch(/^a=simulcast:recv q;h;f/m);
    await pub.setAnswer(sdpAnswer);
    await waitFor(() => pub.pc.connectionState === 'connected', 'publisher connected');
    const stream = router.publishedStream(ref)!;
    const received = new Map<PublisherLayer, { tagged: number; bare: number }>();
    stream.subscribe('video', {
      rtp: (packet, layer) => {
        const counts = received.get(layer) ?? { tagged: 0, bare: 0 };
        received.set(layer, counts);
        if (packet.header.extensions.length > 0) counts.tagged++;
        else counts.bare++;
      },
      drop: () => undefined,
    });

    const viewer = new WeriftViewer();
    cleanups.push(() => viewer.close());
    const { sdpAnswer: viewerAnswer } = await router.view({ ...ref, viewerId: 'chris', userEndpointId: 'chris', sdpOffer: await viewer.createOffer() });
    await viewer.setAnswer(viewerAnswer);
    await viewer.setVideoPreference({ maxWidth: null, maxHeight: 180, paused: false });

    pub.start();
    const layers = stream.layers('video');
    await waitFor(() => layers.every((l) => l.height !== undefined), 'a keyframe of every layer with its rid');
    pub.tagRid = false;
    const bareFrom = viewer.packets.length;
    // 2 s of bare packets: longer than the 1.5 s after which a layer that gets nothing stops counting as flowing.
    // h and f were always routed by the SSRC werift learned from their rid; q's SSRC, listed first, was not.
    const bare = (rid: string) => received.get(layers.find((l) => l.rid === rid)!)?.bare ?? 0;
    await waitFor(() => bare('h') >= 40 && bare('f') >= 40, 'h and f 40 packets each without the rid extension', 10_000);

    expect(bare('q')).toBeGreaterThanOrEqual(35);
    expect(layers.map((l) => [l.rid, l.ssrc, l.height])).toEqual(LAYERS.map((l) => [l.rid, l.ssrc, l.height]));
    expect(layers.every((l) => l.isFlowing(performance.now()))).toBe(true);
    expect(stream.viewers.get('chris')!.videoLayer?.rid).toBe('q');
    const sizesSinceBare = viewer.packets.slice(bareFrom).flatMap((p) => (p.size ? [p.size.height] : []));
    expect(sizesSinceBare.length).toBeGreaterThan(0);
    expect(new Set(sizesSinceBare)).toEqual(new Set([180]));
  });
});
