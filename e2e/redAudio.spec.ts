import type { Page } from '@playwright/test';
import { expect, test } from './support/test.js';

/**
 * The audio codecs negotiated on the page's live peer connections (the RTC census): a sender's, in
 * the order it uses them (the first is what it sends), and a receiving section's, as the router's
 * answer lists them. Chromium's getStats names the inner codec (opus) for RED, so the negotiation is
 * read here; that RED is really on the wire was checked with a capture of the payload types (see
 * packages/server/src/media/README.md).
 */
function audioCodecs(page: Page): Promise<{ sent: string[][]; received: string[][] }> {
  return page.evaluate(() => {
    const live = window.__rtcCensus.peerConnections.filter((pc) => pc.connectionState === 'connected');
    const sent = live
      .flatMap((pc) => pc.getTransceivers())
      .filter((t) => t.receiver.track.kind === 'audio' && t.currentDirection === 'sendonly')
      .map((t) => t.sender.getParameters().codecs.map((c) => c.mimeType));
    const received = live.flatMap((pc) =>
      (pc.remoteDescription?.sdp ?? '')
        .split(/\r\nm=/)
        .filter((section) => section.startsWith('audio') && /\r\na=sendonly/.test(section))
        .map((section) => [...section.matchAll(/^a=rtpmap:\d+ ([^/]+)\//gm)].map((m) => `audio/${m[1]!}`)),
    );
    return { sent, received };
  });
}

/** Audio samples Bob's decoder produced from packets (received minus concealed) on his live connections. */
function decodedAudioSamples(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let samples = 0;
    for (const pc of window.__rtcCensus.peerConnections.filter((p) => p.connectionState === 'connected')) {
      (await pc.getStats()).forEach((entry: Record<string, unknown>) => {
        if (entry.type === 'inbound-rtp' && entry.kind === 'audio') samples += Number(entry.totalSamplesReceived ?? 0) - Number(entry.concealedSamples ?? 0);
      });
    }
    return samples;
  });
}

test.describe('RED audio (RFC 2198) through the router', () => {
  test('Chromium negotiates audio/red both ways through the router, sends with it first, and the viewer decodes the audio', async ({ call }) => {
    const [alice, bob] = await call.join('Alice', 'Bob');
    await alice.publish('MIC');
    await bob.expectMediaFlowing({ video: 0, audio: 1 });
    // The router's answer lists RED before opus, so Alice's sender uses RED (its first codec).
    await expect.poll(async () => (await audioCodecs(alice.page)).sent).toEqual([['audio/red', 'audio/opus']]);
    // Bob offered RED and the publisher sends it: the router's answer to Bob has both.
    await expect.poll(async () => (await audioCodecs(bob.page)).received).toEqual([['audio/opus', 'audio/red']]);
    const before = await decodedAudioSamples(bob.page);
    // One second of 48 kHz audio decoded from packets, not concealed.
    await expect.poll(() => decodedAudioSamples(bob.page), { timeout: 10_000 }).toBeGreaterThan(before + 48_000);
  });
});
