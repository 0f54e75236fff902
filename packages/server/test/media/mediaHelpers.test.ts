import { afterEach, describe, expect, it, vi } from 'vitest';
import { RtcpPacketConverter, RTP_EXTENSION_URI, RTCRtpHeaderExtensionParameters } from 'werift';
import type { ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback } from 'werift';
import { EndpointHealthMonitor } from '../../src/media/EndpointHealthMonitor.js';
import { HeaderExtensionRewriter } from '../../src/media/HeaderExtensionRewriter.js';
import { KeyframeThrottle, NEW_VIEWER_COALESCE_MS, PUBLISHER_MIN_KEYFRAME_SPACING_MS } from '../../src/media/KeyframeThrottle.js';
import { onlyLoopbackInterfaces, resolveMediaRouterOptions } from '../../src/media/MediaRouterOptions.js';
import { NetworkConfig, parseCandidateLine } from '../../src/media/NetworkConfig.js';
import { ResourceTracker } from '../../src/media/ResourceTracker.js';
import { SequenceCompactor } from '../../src/media/SequenceCompactor.js';
import { createPli, createRemb, isKeyframeRequest } from '../../src/media/rtcpFeedback.js';

const loopbackOnly = { lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }] } as const;
const withEth0 = { ...loopbackOnly, eth0: [{ address: '192.0.2.2', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.0.2.2/24' }] } as const;

describe('resolveMediaRouterOptions', () => {
  it('switches loopback mode on from the option, RTC_LOOPBACK=1, or a machine with only lo', () => {
    expect(resolveMediaRouterOptions({}, {}, withEth0 as never).loopback).toBe(false);
    expect(resolveMediaRouterOptions({}, { RTC_LOOPBACK: '1' }, withEth0 as never).loopback).toBe(true);
    expect(resolveMediaRouterOptions({}, {}, loopbackOnly as never).loopback).toBe(true);
    expect(resolveMediaRouterOptions({ loopback: false }, { RTC_LOOPBACK: '1' }, loopbackOnly as never).loopback).toBe(false);
    expect(onlyLoopbackInterfaces(withEth0 as never)).toBe(false);
  });

  it('defaults to no ICE servers and refuses nonsense', () => {
    expect(resolveMediaRouterOptions({ loopback: true }).iceServers).toEqual([]);
    expect(() => resolveMediaRouterOptions({ portRange: [5000, 5000] })).toThrow(/portRange/);
    expect(() => resolveMediaRouterOptions({ defaultVideoBitrate: 0 })).toThrow(/defaultVideoBitrate/);
    expect(() => resolveMediaRouterOptions({ videoCodecs: ['AV1' as never] })).toThrow(/videoCodecs/);
    expect(resolveMediaRouterOptions({ loopback: true }).dataChannels).toBe(true);
    expect(() => resolveMediaRouterOptions({ dataChannels: 'no' as never })).toThrow(/dataChannels/);
  });
});

describe('NetworkConfig', () => {
  const options = (over = {}) => resolveMediaRouterOptions({ loopback: false, ...over }, {}, withEth0 as never);

  it('parses candidate lines with or without the a= prefix', () => {
    expect(parseCandidateLine('a=candidate:1 1 UDP 2122260223 127.0.0.1 5000 typ host')).toEqual({ transport: 'udp', address: '127.0.0.1', port: 5000 });
    expect(parseCandidateLine('candidate:1 1 udp 1 ::1 5000 typ host generation 0')).toMatchObject({ address: '::1' });
    expect(parseCandidateLine('candidate:1 1 udp 1 127.0.0.1 99999 typ host')).toBeUndefined();
    expect(parseCandidateLine('hello')).toBeUndefined();
  });

  it('never uses mDNS or TCP candidates, and only loopback ones in loopback mode', () => {
    const open = new NetworkConfig(options());
    const loop = new NetworkConfig(options({ loopback: true }));
    const c = (address: string, transport = 'udp') => ({ address, transport, port: 1 });
    expect(open.acceptsRemoteCandidate(c('192.0.2.9'))).toBe(true);
    expect(open.acceptsRemoteCandidate(c('abc.local'))).toBe(false);
    expect(open.acceptsRemoteCandidate(c('192.0.2.9', 'tcp'))).toBe(false);
    expect(loop.acceptsRemoteCandidate(c('127.0.0.1'))).toBe(true);
    expect(loop.acceptsRemoteCandidate(c('127.3.2.1'))).toBe(true);
    expect(loop.acceptsRemoteCandidate(c('192.0.2.9'))).toBe(false);
    expect(loop.acceptsRemoteCandidate(c('::1'))).toBe(false);
  });

  it('configures werift for 127.0.0.1 only in loopback mode, and binds where told otherwise', () => {
    const loop = new NetworkConfig(options({ loopback: true })).peerConfig();
    expect(loop).toMatchObject({ iceServers: [], iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'], iceInterfaceAddresses: { udp4: '127.0.0.1' } });
    const bound = new NetworkConfig(options({ bindAddress: '192.0.2.2', portRange: [40000, 40100] })).peerConfig();
    expect(bound).toMatchObject({ iceUseIpv4: true, iceUseIpv6: false, iceInterfaceAddresses: { udp4: '192.0.2.2' }, icePortRange: [40000, 40100] });
    expect(bound.iceAdditionalHostAddresses).toBeUndefined();
  });

  it('writes announced addresses into an answer in place of host addresses', () => {
    const answer = ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=candidate:abc 1 udp 2116026367 10.0.0.5 40001 typ host generation 0', 'a=mid:0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=candidate:abc 1 udp 2116026367 10.0.0.5 40001 typ host generation 0', ''].join('\r\n');
    const announced = new NetworkConfig(options({ announcedAddresses: ['203.0.113.7'] })).announce(answer);
    expect(announced).not.toContain('10.0.0.5');
    expect(announced.match(/203\.0\.113\.7 40001/g)).toHaveLength(2);
    expect(new NetworkConfig(options()).announce(answer)).toBe(answer);
  });
});

describe('RTCP feedback', () => {
  it('encodes REMB bitrates exactly with an 18-bit mantissa', () => {
    for (const bitrate of [120_000, 1_500_000, 2_500_000, 30_000_000]) {
      const [packet] = RtcpPacketConverter.deSerialize(createRemb(1, [0x1234], bitrate).serialize());
      const remb = (packet as RtcpPayloadSpecificFeedback).feedback as ReceiverEstimatedMaxBitrate;
      expect(remb.ssrcFeedbacks).toEqual([0x1234]);
      expect(Number(remb.bitrate)).toBeLessThanOrEqual(bitrate);
      expect(Number(remb.bitrate)).toBeGreaterThan(bitrate * 0.9999);
    }
  });

  it('recognises PLI and FIR for the viewer sender only', () => {
    const [pli] = RtcpPacketConverter.deSerialize(createPli(7, 42).serialize());
    expect(isKeyframeRequest(pli!, 42)).toBe(true);
    expect(isKeyframeRequest(pli!, 43)).toBe(false);
    // FIR per RFC 5104 §4.3.1: media SSRC 0, the target in the FCI entry.
    const fir = Buffer.from([0x84, 206, 0, 4, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 42, 1, 0, 0, 0]);
    const [firPacket] = RtcpPacketConverter.deSerialize(fir);
    expect(isKeyframeRequest(firPacket!, 42)).toBe(true);
    expect(isKeyframeRequest(firPacket!, 41)).toBe(false);
    const [remb] = RtcpPacketConverter.deSerialize(createRemb(1, [42], 1_000_000).serialize());
    expect(isKeyframeRequest(remb!, 42)).toBe(false);
  });
});

describe('HeaderExtensionRewriter', () => {
  const ext = (id: number, uri: string) => new RTCRtpHeaderExtensionParameters({ id, uri });

  it('renumbers media extensions and drops per-hop ones whose ids could clash', () => {
    const publisher = [ext(1, RTP_EXTENSION_URI.audioLevelIndication), ext(3, RTP_EXTENSION_URI.transportWideCC), ext(4, RTP_EXTENSION_URI.sdesMid), ext(13, RTP_EXTENSION_URI.videoOrientation)];
    const viewer = [ext(3, RTP_EXTENSION_URI.audioLevelIndication), ext(1, RTP_EXTENSION_URI.sdesMid), ext(11, RTP_EXTENSION_URI.videoOrientation)];
    const rewriter = new HeaderExtensionRewriter(publisher, viewer);
    const payload = (n: number) => Buffer.from([n]);
    const out = rewriter.rewrite([
      { id: 1, payload: payload(0x85) },
      { id: 3, payload: payload(9) },
      { id: 4, payload: payload(0x30) },
      { id: 13, payload: payload(1) },
      { id: 9, payload: payload(2) },
    ]);
    expect(out).toEqual([
      { id: 3, payload: payload(0x85) },
      { id: 11, payload: payload(1) },
    ]);
  });
});

describe('KeyframeThrottle', () => {
  afterEach(() => vi.useRealTimers());

  /** A throttle on the fake clock from 0: `at(ms)` moves the clock, running the timers due on the way. */
  function throttleOnClock(intervalMs = 1_000) {
    vi.useFakeTimers({ now: 0 });
    const tracker = new ResourceTracker();
    const sent: number[] = [];
    const throttle = new KeyframeThrottle(intervalMs, () => sent.push(Date.now()), tracker, () => Date.now());
    const at = (ms: number) => vi.advanceTimersByTime(ms - Date.now());
    return { throttle, tracker, sent, at };
  }

  it('forwards the first repeat at once and folds later ones into one at the end of the interval', () => {
    const { throttle, tracker, sent, at } = throttleOnClock();
    throttle.request('repeat');
    expect(sent).toEqual([0]);
    at(100);
    throttle.request('repeat');
    at(200);
    throttle.request('repeat');
    expect(tracker.counters().timers).toBe(1);
    at(1_000);
    expect(sent).toEqual([0, 1_000]);
    expect(throttle.stats).toEqual({ requested: 3, newViewers: 0, switches: 0, resumes: 0, sent: 2 });
    expect(tracker.counters().timers).toBe(0);
    at(1_200);
    throttle.request('repeat');
    throttle.close();
    expect(tracker.counters().timers).toBe(0);
    at(6_000);
    expect(sent).toEqual([0, 1_000]);
  });

  it("forwards a new viewer's first request at once, even inside the repeat interval", () => {
    const { throttle, sent, at } = throttleOnClock();
    throttle.request('new-viewer');
    at(400);
    throttle.request('new-viewer');
    at(800);
    throttle.request('new-viewer');
    expect(sent).toEqual([0, 400, 800]);
  });

  it('forwards the request of media resumed after a silence at once, inside the repeat interval, and counts it', () => {
    const { throttle, sent, at } = throttleOnClock();
    throttle.request('repeat');
    at(500);
    throttle.request('resume');
    expect(sent).toEqual([0, 500]);
    expect(throttle.stats).toEqual({ requested: 2, newViewers: 0, switches: 0, resumes: 1, sent: 2 });
  });

  it('holds a new viewer\'s request only until the publisher takes one again', () => {
    const { throttle, tracker, sent, at } = throttleOnClock();
    throttle.request('new-viewer');
    at(200);
    throttle.request('new-viewer');
    at(250);
    throttle.request('new-viewer');
    expect(tracker.counters().timers).toBe(1);
    at(PUBLISHER_MIN_KEYFRAME_SPACING_MS - 1);
    expect(sent).toEqual([0]);
    at(PUBLISHER_MIN_KEYFRAME_SPACING_MS);
    expect(sent).toEqual([0, PUBLISHER_MIN_KEYFRAME_SPACING_MS]);
    expect(throttle.stats).toEqual({ requested: 3, newViewers: 3, switches: 0, resumes: 0, sent: 2 });
  });

  it('lets new viewers arriving within a few ms share one request', () => {
    const { throttle, sent, at } = throttleOnClock();
    throttle.request('new-viewer');
    at(NEW_VIEWER_COALESCE_MS - 1);
    throttle.request('new-viewer');
    throttle.request('new-viewer');
    at(1_000);
    expect(sent).toEqual([0]);
    expect(throttle.stats).toEqual({ requested: 3, newViewers: 3, switches: 0, resumes: 0, sent: 1 });
  });

  it("still limits repeats after a new viewer's request, and a new viewer's request answers a held repeat", () => {
    const { throttle, tracker, sent, at } = throttleOnClock();
    throttle.request('new-viewer');
    // Chromium repeats PLI until the keyframe arrives: these wait for the end of the interval.
    at(30);
    throttle.request('repeat');
    at(60);
    throttle.request('repeat');
    expect(sent).toEqual([0]);
    // Another viewer connects: its request goes at once, and the keyframe it brings serves the repeats too.
    at(500);
    throttle.request('new-viewer');
    expect(sent).toEqual([0, 500]);
    expect(tracker.counters().timers).toBe(0);
    at(520);
    throttle.request('repeat');
    // A new viewer's request moves a held repeat earlier, never later.
    at(600);
    throttle.request('new-viewer');
    at(3_000);
    expect(sent).toEqual([0, 500, 500 + PUBLISHER_MIN_KEYFRAME_SPACING_MS]);
  });

  it('lets a storm of repeats from many viewers through once per interval', () => {
    const { throttle, sent, at } = throttleOnClock();
    for (let ms = 0; ms < 5_000; ms += 10) {
      at(ms);
      throttle.request('repeat');
    }
    at(5_000);
    expect(sent).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000]);
  });
});

describe('EndpointHealthMonitor', () => {
  it('reports SICK while any source is sick and HEALTHY once none is, changes only, after the call', async () => {
    const reports: string[] = [];
    const monitor = new EndpointHealthMonitor((c, e, h) => reports.push(`${c}/${e}:${h}`));
    monitor.set('c', 'e', 'publisher:1', false);
    monitor.set('c', 'e', 'publisher:1', true);
    monitor.set('c', 'e', 'viewer:2', true);
    monitor.set('c', 'e', 'publisher:1', false);
    monitor.forget('c', 'e', 'viewer:2');
    monitor.set('c', 'other', 'viewer:3', true);
    expect(reports).toEqual([]);
    await Promise.resolve();
    expect(reports).toEqual(['c/e:SICK', 'c/e:HEALTHY', 'c/other:SICK']);
  });

  it('survives a throwing listener', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const monitor = new EndpointHealthMonitor(() => {
      throw new Error('control plane bug');
    });
    expect(() => monitor.set('c', 'e', 's', true)).not.toThrow();
    await Promise.resolve();
    expect(errors).toHaveBeenCalledOnce();
    errors.mockRestore();
  });
});

describe('SequenceCompactor', () => {
  it('closes the gaps left by dropped packets, across reordering and the 16-bit wrap', () => {
    const seq = new SequenceCompactor();
    expect(seq.map(65533)).toBe(65533);
    seq.drop(65534);
    seq.drop(65535);
    expect(seq.map(0)).toBe(65534);
    expect(seq.map(1)).toBe(65535);
    seq.drop(2);
    expect(seq.map(3)).toBe(0);
    // A late retransmission of a packet sent before the drops keeps its original number.
    expect(seq.map(65533)).toBe(65533);
    expect(seq.map(1)).toBe(65535);
    seq.drop(2);
    expect(seq.map(4)).toBe(1);
  });

  it('keeps the mapping consistent after old drops leave the window', () => {
    const seq = new SequenceCompactor();
    let out: number | undefined;
    for (let i = 0; i < 20_000; i++) {
      if (i % 10 === 5) seq.drop(i & 0xffff);
      else {
        const mapped = seq.map(i & 0xffff);
        if (out !== undefined) expect(mapped).toBe((out + 1) & 0xffff);
        out = mapped;
      }
    }
  });
});
