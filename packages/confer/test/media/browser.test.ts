import { describe, expect, it } from 'vitest';
import { ConferenceError } from '../../src/index.js';
import { missingWebRtc } from '../../src/media/browser.js';
import { roomHarness } from '../room/roomHarness.js';

describe('browser support', () => {
  it('names the first WebRTC interface a page lacks: a peer connection, then transceivers', () => {
    class Present {}
    expect(missingWebRtc({})).toBe('RTCPeerConnection');
    expect(missingWebRtc({ RTCPeerConnection: Present })).toBe('RTCRtpTransceiver');
    expect(missingWebRtc({ RTCPeerConnection: Present, RTCRtpTransceiver: undefined })).toBe('RTCRtpTransceiver');
    expect(missingWebRtc({ RTCPeerConnection: Present, RTCRtpTransceiver: Present })).toBeUndefined();
  });

  it('refuses join() with a media error before any request when the room would use a browser without WebRTC (Node has none)', async () => {
    expect(missingWebRtc()).toBe('RTCPeerConnection');
    const { api, room, log } = roomHarness({ createPeerConnection: undefined });
    const error = await room.join('c1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConferenceError);
    expect(error).toMatchObject({ code: 'unsupported', message: 'join() needs WebRTC, and this browser has no RTCPeerConnection' });
    expect(api.calls).toEqual([]);
    expect(room.state).toBe('idle');
    expect(log).toEqual([]);
    await expect(room.publish({ type: 'MIC' })).rejects.toMatchObject({ code: 'invalid-state' });
  });

  it('leaves the check to the caller that passes its own createPeerConnection', async () => {
    const { room } = roomHarness();
    await room.join('c1');
    expect(room.state).toBe('joined');
    await room.leave();
  });
});
