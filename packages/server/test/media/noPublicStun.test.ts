import dns from 'node:dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { DEFAULT_MEDIA_ROUTER_OPTIONS } from '../../src/media/MediaRouterOptions.js';
import { NetworkConfig } from '../../src/media/NetworkConfig.js';

afterEach(() => vi.restoreAllMocks());

describe('server peer connections without iceServers', () => {
  it.each([true, false])('gather without asking any STUN server (loopback %s)', async (loopback) => {
    const lookup = vi.spyOn(dns.promises, 'lookup');
    const pc = new RTCPeerConnection(new NetworkConfig({ ...DEFAULT_MEDIA_ROUTER_OPTIONS, loopback }).peerConfig());
    try {
      pc.addTransceiver('video', { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await vi.waitFor(() => expect(pc.iceGatheringState).toBe('complete'), { timeout: 10_000 });
      // werift's own fallback is stun.l.google.com: resolving it would send a packet off the machine.
      expect(lookup.mock.calls.map(([host]) => host)).not.toContain('stun.l.google.com');
      expect(pc.localDescription?.sdp).not.toContain('typ srflx');
    } finally {
      await pc.close();
    }
  });
});
