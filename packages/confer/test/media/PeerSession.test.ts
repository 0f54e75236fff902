import { describe, expect, it, vi } from 'vitest';
import type { IceCandidate } from '../../src/index.js';
import { PeerSession } from '../../src/media/PeerSession.js';
import { FakePeerConnectionFactory } from '../fakes/FakePeerConnection.js';
import { fakeSdp } from '../fakes/sdp.js';
import { waitFor } from '../fakes/waitFor.js';

function setup(options: { failSend?: boolean; graceMs?: number } = {}) {
  const pcs = new FakePeerConnectionFactory();
  const sent: IceCandidate[][] = [];
  const errors: unknown[] = [];
  const states: RTCPeerConnectionState[] = [];
  let lost = 0;
  const session = new PeerSession({
    createPeerConnection: pcs.create,
    rtcConfiguration: { bundlePolicy: 'max-bundle' },
    sendCandidates: async (candidates) => {
      if (options.failSend) throw new Error('network down');
      sent.push(candidates);
    },
    onCandidateError: (error) => errors.push(error),
    onStateChange: (state) => states.push(state),
    onLost: () => lost++,
    disconnectedGraceMs: options.graceMs,
  });
  return { pcs, pc: pcs.created[0]!, session, sent, errors, states, lost: () => lost };
}

describe('PeerSession', () => {
  it('creates one peer connection through the injected factory with the configuration', () => {
    const { pcs, pc } = setup();
    expect(pcs.created).toHaveLength(1);
    expect(pc.configuration).toEqual({ bundlePolicy: 'max-bundle' });
  });

  it('makes a prepared offer once: the next createOffer() answers it, the one after makes a new one', async () => {
    const { pc, session } = setup();
    session.addTransceiver('video', { direction: 'recvonly' });
    session.prepareOffer();
    session.prepareOffer();
    await waitFor(() => pc.localDescription !== null, 'the prepared offer');
    expect(pc.log.filter((entry) => entry === 'createOffer')).toHaveLength(1);
    expect(await session.createOffer()).toBe(pc.localDescription?.sdp);
    expect(pc.log.filter((entry) => entry === 'createOffer')).toHaveLength(1);
    await session.createOffer();
    expect(pc.log.filter((entry) => entry === 'createOffer')).toHaveLength(2);
  });

  it('offers from its transceivers and sets the answer', async () => {
    const { pc, session } = setup();
    session.addTransceiver('audio', { direction: 'recvonly' });
    const offer = await session.createOffer();
    expect(offer).toBe(pc.localDescription?.sdp);
    expect(offer).toContain('a=recvonly');
    const answer = fakeSdp([{ kind: 'audio', direction: 'sendonly' }]);
    await session.setAnswer(answer);
    expect(pc.remoteDescription).toEqual({ type: 'answer', sdp: answer });
    expect(session.getTransceivers()).toHaveLength(1);
    expect(pc.log).toEqual(['addTransceiver:audio:recvonly', 'createOffer', 'setLocalDescription', 'setRemoteDescription']);
  });

  it('holds candidates until the answer is set, then sends them in one batch', async () => {
    const { pc, session, sent } = setup();
    await session.createOffer();
    pc.emitCandidate('candidate:1 1 udp 1 127.0.0.1 5000 typ host');
    pc.emitCandidate('candidate:2 1 udp 1 127.0.0.1 5001 typ host');
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(sent).toEqual([]);
    await session.setAnswer(fakeSdp([{ kind: 'audio', direction: 'sendonly' }]));
    await waitFor(() => sent.length === 1, 'the batch');
    expect(sent[0]?.map((c) => c.candidate)).toEqual(['candidate:1 1 udp 1 127.0.0.1 5000 typ host', 'candidate:2 1 udp 1 127.0.0.1 5001 typ host']);
  });

  it('reports a candidate batch that could not be sent', async () => {
    const { pc, session, errors } = setup({ failSend: true });
    await session.setAnswer(fakeSdp([{ kind: 'audio', direction: 'sendonly' }]));
    pc.emitCandidate('candidate:1 1 udp 1 127.0.0.1 5000 typ host');
    pc.emitCandidate(null);
    await waitFor(() => errors.length === 1, 'the error');
    expect((errors[0] as Error).message).toBe('network down');
  });

  it('reports every connection state change until closed', () => {
    const { pc, session, states } = setup();
    pc.setConnectionState('connecting');
    pc.setConnectionState('connected');
    pc.setConnectionState('failed');
    session.close();
    pc.setConnectionState('connected');
    expect(states).toEqual(['connecting', 'connected', 'failed']);
  });

  it('reads stats from its own peer connection', async () => {
    const { pc, session } = setup();
    const report = (await session.getStats()) as unknown as Map<string, { connection: unknown }>;
    expect(report.get('fake')?.connection).toBe(pc);
  });

  it('close() detaches the handlers, drops pending candidates and closes the pc, once', async () => {
    const { pc, session, sent } = setup();
    await session.setAnswer(fakeSdp([{ kind: 'audio', direction: 'sendonly' }]));
    pc.emitCandidate('candidate:1 1 udp 1 127.0.0.1 5000 typ host');
    expect(session.closed).toBe(false);
    session.close();
    session.close();
    expect(session.closed).toBe(true);
    expect(pc.closed).toBe(true);
    expect(pc.log.filter((l) => l === 'close')).toHaveLength(1);
    expect(pc.onicecandidate).toBeNull();
    expect(pc.onconnectionstatechange).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(sent).toEqual([]);
  });

  it('reports the connection lost once: at failed, or when disconnected outlasts the grace period', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const failing = setup();
      failing.pc.setConnectionState('failed');
      failing.pc.setConnectionState('failed');
      expect(failing.lost()).toBe(1);

      const flapping = setup({ graceMs: 500 });
      flapping.pc.setConnectionState('connected');
      flapping.pc.setConnectionState('disconnected');
      vi.advanceTimersByTime(499);
      flapping.pc.setConnectionState('connected');
      vi.advanceTimersByTime(10_000);
      expect(flapping.lost()).toBe(0);
      flapping.pc.setConnectionState('disconnected');
      vi.advanceTimersByTime(500);
      expect(flapping.lost()).toBe(1);
      expect(flapping.states).toEqual(['connected', 'disconnected', 'connected', 'disconnected']);

      const closing = setup();
      closing.pc.setConnectionState('disconnected');
      closing.session.close();
      expect(vi.getTimerCount()).toBe(0);
      expect(closing.lost()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
