import { afterEach, describe, expect, it } from 'vitest';
import { WeriftMediaRouter } from '../../src/media/WeriftMediaRouter.js';
import { DecodingViewer, SyntheticPublisher, waitFor } from './helpers/wrtcPeer.js';
import type { RTCPeerConnection, RtpPacket } from 'werift';
import type { ReceivedPacket } from './helpers/weriftViewer.js';
import { describePacket, WeriftViewer } from './helpers/weriftViewer.js';

// A real simulcast publisher (libwebrtc in Node: three VP8 layers of a 960×540 picture, 240×135,
// 480×270 and 960×540; libwebrtc sends three layers from 960×540 up) and real viewers over
// 127.0.0.1; run inside `unshare -n` like router.test.ts. 10 fps keeps three encoders affordable.

const conferenceId = 'conf-s';
const PICTURE = { width: 960, height: 540, fps: 10 };

describe('simulcast through the werift router', { timeout: 60_000 }, () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function setup(options: { dataChannels?: boolean } = {}) {
    const router = new WeriftMediaRouter({ loopback: true, ...options }, { onEndpointHealth: () => undefined });
    cleanups.push(() => router.close());
    return router;
  }

  async function publish(router: WeriftMediaRouter, streamId: string, reconnect = false) {
    const pub = new SyntheticPublisher({ audio: false, video: true }, PICTURE, true);
    cleanups.push(() => pub.close());
    const ref = { conferenceId, streamId };
    const { sdpAnswer } = await router.publish({ ...ref, userEndpointId: 'alice', streamType: 'CAM', sdpOffer: await pub.createFullOffer(), reconnect });
    await pub.setAnswer(sdpAnswer);
    await waitFor(() => pub.pc.connectionState === 'connected', 'publisher connected');
    return { pub, ref, sdpAnswer, stream: router.publishedStream(ref)! };
  }

  async function decodingViewer(router: WeriftMediaRouter, streamId: string, viewerId: string, layersChannel = true) {
    const v = new DecodingViewer({ audio: false, video: true }, layersChannel);
    cleanups.push(() => v.close());
    const { sdpAnswer } = await router.view({ conferenceId, streamId, viewerId, userEndpointId: `bob-${viewerId}`, sdpOffer: await v.createFullOffer() });
    await v.setAnswer(sdpAnswer);
    return Object.assign(v, { sdpAnswer });
  }

  async function weriftViewer(router: WeriftMediaRouter, streamId: string, viewerId: string) {
    const v = new WeriftViewer();
    cleanups.push(() => v.close());
    const { sdpAnswer } = await router.view({ conferenceId, streamId, viewerId, userEndpointId: `carol-${viewerId}`, sdpOffer: await v.createOffer() });
    await v.setAnswer(sdpAnswer);
    return v;
  }

  /**
   * Every video packet the router hands to one viewer's sender, as it leaves the router: the checks
   * of numbering then do not depend on the loopback network, which drops packets on a loaded machine.
   */
  function tapForwarded(router: WeriftMediaRouter, streamId: string, viewerId: string): ReceivedPacket[] {
    const viewer = stream(router, streamId).viewers.get(viewerId)!;
    const { pc } = viewer as unknown as { pc: RTCPeerConnection };
    const sender = pc.getTransceivers().find((t) => t.kind === 'video')!.sender;
    const packets: ReceivedPacket[] = [];
    const sendRtp = sender.sendRtp.bind(sender);
    sender.sendRtp = (packet: Buffer | RtpPacket) => {
      if (!Buffer.isBuffer(packet)) packets.push(describePacket(packet));
      return sendRtp(packet);
    };
    return packets;
  }

  it('accepts a simulcast offer, answers a=simulcast:recv, and keeps each layer apart with its own size', async () => {
    const router = setup();
    const { sdpAnswer, stream } = await publish(router, 's1');
    expect(sdpAnswer).toMatch(/^a=simulcast:recv q;h;f/m);
    expect(sdpAnswer).toMatch(/^a=rid:q recv/m);
    expect(sdpAnswer).toMatch(/^a=extmap:\d+ urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id/m);
    await waitFor(() => stream.layers('video').every((l) => l.height !== undefined), 'a keyframe of every layer', 15_000);
    // libwebrtc may round a layer's height to an even number.
    const sizes = stream.layers('video').map((l) => [l.rid, l.width, Math.round(l.height! / 4)]);
    expect(sizes).toEqual([
      ['q', 240, 34],
      ['h', 480, 68],
      ['f', 960, 135],
    ]);
    expect(new Set(stream.layers('video').map((l) => l.ssrc)).size).toBe(3);
  });

  it('forwards the layer a viewer asks for, switches at a keyframe of the new layer, and the viewer sees one continuous stream', async () => {
    const router = setup();
    const { stream } = await publish(router, 's2');
    const decoder = await decodingViewer(router, 's2', 'decoder');
    const wire = await weriftViewer(router, 's2', 'wire');
    const forwarded = tapForwarded(router, 's2', 'wire');
    await decoder.setVideoPreference({ maxWidth: 240, maxHeight: 135, paused: false });
    await wire.setVideoPreference({ maxWidth: 240, maxHeight: 135, paused: false });
    await waitFor(() => decoder.lastFrameSize?.width === 240 && decoder.framesDecoded > 10, 'the decoder at 240×135', 15_000);
    await waitFor(() => wire.keyframeSizes().some((s) => s.width === 240) && wire.packets.length > 50, 'the wire viewer at 240×135', 15_000);
    const lostBefore = (await decoder.inbound('video'))!.packetsLost;

    await decoder.setVideoPreference({ maxWidth: 960, maxHeight: 540, paused: false });
    await wire.setVideoPreference({ maxWidth: 960, maxHeight: 540, paused: false });
    await waitFor(() => decoder.lastFrameSize?.width === 960, 'the decoder at 960×540', 15_000);
    await waitFor(() => wire.keyframeSizes().some((s) => s.width === 960), 'the wire viewer at 960×540', 15_000);
    const frames = decoder.framesDecoded;
    await waitFor(() => decoder.framesDecoded > frames + 10, 'the decoder decodes on at 540p', 15_000);
    expect(decoder.lastFrameSize).toEqual({ width: 960, height: 540 });
    const inbound = (await decoder.inbound('video'))!;
    // The switch itself loses nothing (the wire viewer below checks every number); a loaded machine may drop a few packets.
    expect(inbound.packetsLost - lostBefore).toBeLessThan(30);
    expect(decoder.layerMessages.map((m) => m.rid)).toContain('f');
    expect(decoder.layerMessages.at(-1)).toEqual({ type: 'layer', rid: 'f', width: 960, height: 540 });
    expect(router.publishedStream({ conferenceId, streamId: 's2' })!.viewers.get('wire')!.videoLayer?.rid).toBe('f');
    // The downlink estimate's source is real: libwebrtc's receive-side estimator sends REMB (goog-remb, abs-send-time).
    await waitFor(() => stream.viewers.get('decoder')!.downlink.stats.rembs > 0, 'a REMB from the libwebrtc viewer');

    checkContinuity(forwarded);
    // q, then f (perhaps through h). Whether the switch needed a keyframe request depends on timing:
    // a layer that dynacast had paused resumes with a keyframe of its own, so none is asked for.
    expect(stream.viewers.get('wire')!.stats.layerSwitches).toBeGreaterThanOrEqual(2);
  });

  it('pauses a viewer: no video packets reach it until it resumes', async () => {
    const router = setup();
    await publish(router, 's3');
    const wire = await weriftViewer(router, 's3', 'wire');
    const forwarded = tapForwarded(router, 's3', 'wire');
    await waitFor(() => frameCount(wire.packets) > 8, 'video at the viewer', 15_000);
    await wire.setVideoPreference({ maxWidth: null, maxHeight: null, paused: true });
    await waitFor(() => wire.layerMessages.at(-1)?.rid === null, 'the paused layer message');
    const count = wire.packets.length;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(wire.packets.length).toBe(count);
    await wire.setVideoPreference({ maxWidth: null, maxHeight: null, paused: false });
    await waitFor(() => frameCount(wire.packets.slice(count)) > 8, 'video again', 15_000);
    checkContinuity(forwarded);
  });

  it('a viewer without the data channel gets the highest layer; the publisher is told which layers are viewed', async () => {
    const router = setup();
    const { pub } = await publish(router, 's4');
    // Nobody views yet: only the lowest layer is needed.
    await waitFor(() => pub.dynacast.length > 0, 'the first dynacast message');
    expect(pub.dynacast[0]).toEqual({ type: 'activeLayers', rids: ['q'] });
    const plain = await decodingViewer(router, 's4', 'plain', false);
    await waitFor(() => pub.dynacast.at(-1)?.rids.length === 3, 'every layer active for the new viewer');
    await waitFor(() => plain.lastFrameSize?.width === 960, 'full resolution without preferences', 15_000);
    const small = await weriftViewer(router, 's4', 'small');
    await small.setVideoPreference({ maxWidth: 240, maxHeight: 135, paused: false });
    await waitFor(() => small.keyframeSizes().some((s) => s.width === 240), 'the small viewer at 240 wide', 15_000);
    // Once the new viewers' 2 s are over: the lowest (always) and the full layer, not the middle one.
    await waitFor(() => JSON.stringify(pub.dynacast.at(-1)?.rids) === '["q","f"]', 'q and f active', 10_000);
    plain.close();
    router.stopView({ conferenceId, streamId: 's4' }, 'plain');
    await waitFor(() => JSON.stringify(pub.dynacast.at(-1)?.rids) === '["q"]', 'only q once the full-size viewer left');
  });

  it('a router without data channels answers them with port 0: no preferences, no dynacast, the highest layer', async () => {
    const router = setup({ dataChannels: false });
    const { pub, sdpAnswer, stream } = await publish(router, 's7');
    expect(sdpAnswer).toMatch(/^m=application 0 /m);
    const v = await decodingViewer(router, 's7', 'v');
    expect(v.sdpAnswer).toMatch(/^m=application 0 /m);
    await waitFor(() => v.lastFrameSize?.width === 960 && v.framesDecoded > 10, 'the full layer decoded', 15_000);
    expect(stream.viewers.get('v')!.channelStats).toEqual({ sent: 0, received: 0 });
    expect(stream.viewers.get('v')!.videoPreference).toEqual({ maxWidth: null, maxHeight: null, paused: false });
    expect(stream.viewers.get('v')!.connectionState).toBe('connected');
    expect(pub.dynacast).toEqual([]);
    expect(v.layerMessages).toEqual([]);
  });

  it('falls back to a lower layer when the viewer reports a narrow downlink, and tries the higher one again once it is gone', async () => {
    const router = setup();
    const { stream } = await publish(router, 's5');
    const wire = await weriftViewer(router, 's5', 'wire');
    const forwarded = tapForwarded(router, 's5', 'wire');
    const viewer = () => stream.viewers.get('wire')!;
    await waitFor(() => viewer().videoLayer?.rid === 'f', 'the full layer', 15_000);
    // The back-off's timing (hysteresis) is tested with fake time in layers.test.ts; here, the real feedback path.
    wire.sendRemb(250_000);
    await waitFor(() => viewer().videoLayer?.rid === 'q', 'the low layer under a 250 kbps estimate', 15_000);
    wire.sendRemb(undefined);
    await waitFor(() => viewer().videoLayer?.rid === 'f', 'the full layer again', 15_000);
    expect(viewer().downlink.stats.congestions).toBeGreaterThanOrEqual(1);
    checkContinuity(forwarded);
  });

  it('a simulcast publisher reconnects: the viewer keeps its track and one continuous stream', async () => {
    const router = setup();
    const first = await publish(router, 's6');
    const decoder = await decodingViewer(router, 's6', 'decoder');
    const wire = await weriftViewer(router, 's6', 'wire');
    const forwarded = tapForwarded(router, 's6', 'wire');
    await wire.setVideoPreference({ maxWidth: 480, maxHeight: 270, paused: false });
    await waitFor(() => decoder.framesDecoded > 20 && wire.keyframeSizes().some((s) => s.width === 480), 'both viewers receive', 15_000);
    const before = (await decoder.inbound('video'))!;
    first.pub.close();
    await publish(router, 's6', true);
    const frames = decoder.framesDecoded;
    const packets = wire.packets.length;
    await waitFor(() => decoder.framesDecoded > frames + 20 && wire.packets.length > packets + 50, 'media from the new connection', 15_000);
    const after = (await decoder.inbound('video'))!;
    expect(after.ssrc).toBe(before.ssrc);
    expect(after.packetsLost - before.packetsLost).toBeLessThan(20);
    expect(decoder.tracksReceived).toBe(1);
    expect(stream(router, 's6').stats.reconnections).toBe(1);
    expect(stream(router, 's6').viewers.get('wire')!.videoLayer?.rid).toBe('h');
    checkContinuity(forwarded);
  });
});

const stream = (router: WeriftMediaRouter, streamId: string) => router.publishedStream({ conferenceId, streamId })!;
const frameCount = (packets: readonly ReceivedPacket[]) => new Set(packets.map((p) => p.timestamp)).size;

/**
 * What one continuous stream looks like as the router sends it, in sequence-number order (a packet
 * the publisher's network reordered is forwarded out of order under its own number): one SSRC per
 * viewer connection is werift's, so only numbers are checked: consecutive sequence numbers with no
 * hole, each frame's timestamp after the previous one's by less than 5 s, each new frame's VP8
 * PictureID the previous one's plus one, whichever layer or publisher connection it comes from.
 */
function checkContinuity(sent: readonly ReceivedPacket[]): void {
  const first = sent[0]!.sequenceNumber;
  const bySeq = new Map<number, ReceivedPacket>();
  for (const packet of sent) bySeq.set((packet.sequenceNumber - first + 0x8000) & 0xffff, packet);
  const numbers = [...bySeq.keys()].sort((a, b) => a - b);
  expect(numbers.at(-1)! - numbers[0]! + 1, 'sequence numbers without a hole').toBe(numbers.length);
  const packets = numbers.map((n) => bySeq.get(n)!);
  let frames = 0;
  for (let i = 1; i < packets.length; i++) {
    const [previous, packet] = [packets[i - 1]!, packets[i]!];
    const tsStep = (packet.timestamp - previous.timestamp) >>> 0;
    expect(tsStep, `timestamp step at packet ${i}`).toBeLessThan(90_000 * 5);
    if (tsStep === 0) {
      expect(packet.pictureId).toBe(previous.pictureId);
      continue;
    }
    frames++;
    expect((packet.pictureId! - previous.pictureId! + 0x8000) & 0x7fff, `picture id after ${previous.pictureId}`).toBe(1);
  }
  expect(frames).toBeGreaterThan(8);
}
