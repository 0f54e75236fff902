import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as weriftEsm from 'werift';

// werift 0.24.4 waits 100 ms in RTCDtlsTransport.start() before its DTLS client sends the
// ClientHello; patches/werift+0.24.4.patch (applied by the root postinstall) removes the wait. The
// router is always the DTLS client, so without the patch every connection starts 100 ms later.
// Both builds werift ships are checked: `import` loads lib/index.mjs (the server), `require`
// lib/webrtc/src/index.js.

type Werift = Pick<typeof weriftEsm, 'RTCDtlsTransport' | 'RTCDtlsParameters' | 'RTCDtlsFingerprint'>;
const weriftCjs = createRequire(import.meta.url)('werift') as Werift;

/** DTLS record content type 22 (handshake) carrying handshake type 1 (ClientHello), RFC 6347 §4.1 and §4.2.2. */
const isClientHello = (packet: Buffer) => packet[0] === 22 && packet[13] === 1;

/**
 * Starts a werift DTLS transport as the client over a fake ICE connection that records what is
 * sent, and answers what it sent before `start()` gave control back: with the sleep, nothing.
 */
async function sentDuringStart({ RTCDtlsTransport, RTCDtlsParameters, RTCDtlsFingerprint }: Werift): Promise<Buffer[]> {
  const certificate = await RTCDtlsTransport.SetupCertificate();
  const sent: Buffer[] = [];
  const connection = {
    onData: { subscribe: () => ({ unSubscribe: () => undefined }) },
    send: async (packet: Buffer) => void sent.push(packet),
    close: async () => undefined,
  };
  const iceTransport = { connection, role: 'controlled' };
  const transport = new RTCDtlsTransport({} as never, iceTransport as never, certificate, []);
  // The remote side is the DTLS server (`a=setup:passive`, as Chromium answers `a=setup:active`), so this end is the client.
  transport.setRemoteParams(new RTCDtlsParameters([new RTCDtlsFingerprint('sha-256', '00')], 'server'));
  // Never connects: there is no server behind the fake connection.
  transport.start().catch(() => undefined);
  const during = [...sent];
  transport.dtls?.close();
  return during;
}

describe('werift DTLS client (patched)', () => {
  it.each([
    ['ESM build (import)', weriftEsm],
    ['CommonJS build (require)', weriftCjs],
  ])('%s sends its ClientHello as soon as the transport starts', async (_name, werift) => {
    const sent = await sentDuringStart(werift);
    expect(sent.length, 'nothing sent by start(): werift still sleeps before its ClientHello (is the patch applied?)').toBeGreaterThan(0);
    expect(isClientHello(sent[0]!)).toBe(true);
  });
});
