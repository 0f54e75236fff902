import type { IceCandidate } from '../api/types.js';
import type { CreatePeerConnection } from './browser.js';
import { IceCandidateBatcher } from './IceCandidateBatcher.js';
import { StatsSampler } from '../stats/StatsSampler.js';
import type { StreamStats } from '../stats/streamStats.js';

/** What a PeerSession needs and whom it tells. @internal */
export interface PeerSessionOptions {
  createPeerConnection: CreatePeerConnection;
  rtcConfiguration: RTCConfiguration;
  /** Sends one batch of local ICE candidates; called only once the answer is set. */
  sendCandidates: (candidates: IceCandidate[]) => Promise<void>;
  /** A batch could not be sent; the owner logs it (ICE may still succeed with the other candidates). */
  onCandidateError: (error: unknown) => void;
  /** The connection state changed; never called after `close()`. */
  onStateChange: (state: RTCPeerConnectionState) => void;
  /** The connection is lost: `failed`, or `disconnected` for longer than `disconnectedGraceMs`; called at most once, never after `close()`. */
  onLost: () => void;
  /** How long `disconnected` may last before the connection counts as lost (default 2000 ms). */
  disconnectedGraceMs?: number | undefined;
  /** The figures of each stats sample (from the second `sampleStats()` on); never called after `close()`. */
  onStats?: ((stats: StreamStats) => void) | undefined;
}

/** The default grace of a `disconnected` connection: ICE often recovers from a short loss by itself. @internal */
export const DEFAULT_DISCONNECTED_GRACE_MS = 2000;

/**
 * How long a restarted connection may take to be `connected` again before the owner replaces it: an
 * ICE restart over a working path needs a round of connectivity checks (well under a second here,
 * bench/README.md), while retransmitted checks on a lossy path take a few seconds; past 5 s the path
 * is most likely still dead and a new connection is tried, as before ICE restarts. @internal
 */
export const ICE_RESTART_TIMEOUT_MS = 5000;

/** The DTLS certificate fingerprint an SDP names (`sha-256 AB:CD:...`), or undefined. */
function fingerprintOf(sdp: string | undefined): string | undefined {
  const match = sdp ? /^a=fingerprint:\s*(\S+)\s+(\S+)/m.exec(sdp) : null;
  return match ? `${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}` : undefined;
}

/**
 * Owns one RTCPeerConnection from creation to close: its handlers, the batching of its ICE candidates,
 * its offer/answer steps and its statistics (one StatsSampler). A lost connection is first restarted in place
 * (`restartIce`); failing that, Publisher and Viewer reconnect by closing it and opening another, so `closed`
 * also means "no longer current". `failed` comes 15-30 s
 * after the path dies (ICE consent freshness, RFC 7675); `disconnected` within a few seconds, so a
 * connection that stays disconnected past a short grace is reported lost long before it fails. @internal
 */
export class PeerSession {
  private readonly pc: RTCPeerConnection;
  /** Replaced by an ICE restart: the new credentials' candidates wait for the restart's answer. */
  private batcher: IceCandidateBatcher;
  private isClosed = false;
  private isLost = false;
  private everConnected = false;
  /** A restart offer whose exchange failed (no answer): sent again as it is by the next `restartIce`. */
  private unansweredRestart: string | undefined;
  /** Told of each state while an ICE restart waits for `connected`. */
  private restartWaiter: ((state: RTCPeerConnectionState | 'closed') => void) | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  /** The offer started by `prepareOffer()`, until `createOffer()` takes it. */
  private prepared: Promise<string> | undefined;
  private readonly sampler: StatsSampler;

  constructor(private readonly options: PeerSessionOptions) {
    const pc = options.createPeerConnection(options.rtcConfiguration);
    this.sampler = new StatsSampler(() => pc.getStats(), (stats) => options.onStats?.(stats));
    this.batcher = new IceCandidateBatcher(options.sendCandidates, options.onCandidateError);
    pc.onicecandidate = (event) => this.batcher.add(event.candidate);
    pc.onconnectionstatechange = () => this.onState(pc.connectionState);
    this.pc = pc;
  }

  /** Whether an ICE restart can heal it: it was connected, and the answer named the DTLS fingerprint a restart must keep. */
  get canRestartIce(): boolean {
    return !this.isClosed && this.everConnected && fingerprintOf(this.pc.remoteDescription?.sdp) !== undefined;
  }

  /**
   * Restarts ICE on this connection (`restartIce()`, a new offer with new ICE credentials, sent by
   * `exchange`, whose answer it sets) and resolves true once it is `connected` again, within
   * `timeoutMs`; true at once, with no restart, when it is connected again by itself. Resolves false, leaving the connection to be replaced, when the answer names another
   * DTLS fingerprint (the server made a new connection instead: this one cannot use it), when the
   * connection fails or the bound passes, or when it was closed meanwhile; rejects when `exchange` does
   * (the next call then sends the same offer again).
   */
  async restartIce(exchange: (sdpOffer: string) => Promise<string>, timeoutMs = ICE_RESTART_TIMEOUT_MS): Promise<boolean> {
    if (!this.canRestartIce) return false;
    if (this.isConnected()) return this.healedByItself();
    const fingerprint = fingerprintOf(this.pc.remoteDescription?.sdp);
    // An unanswered restart offer goes again as it is (its candidates still wait in the batcher): a new
    // restart would put this side's ICE generation ahead of a server that never saw the first, and
    // werift nominates only pairs whose remote candidates carry its own generation count.
    let sdpOffer = this.unansweredRestart;
    if (sdpOffer === undefined) {
      this.batcher.close();
      this.batcher = new IceCandidateBatcher(this.options.sendCandidates, this.options.onCandidateError);
      this.pc.restartIce();
      sdpOffer = await this.makeOffer();
      this.unansweredRestart = sdpOffer;
    }
    if (this.isClosed) return false;
    const answer = await exchange(sdpOffer);
    this.unansweredRestart = undefined;
    if (this.isClosed || fingerprintOf(answer) !== fingerprint) return false;
    const connected = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.restartWaiter = undefined;
        resolve(ok);
      };
      this.restartWaiter = (state) => {
        if (state === 'connected') finish(true);
        else if (state === 'failed' || state === 'closed') finish(false);
      };
    });
    try {
      await this.setAnswer(answer);
    } catch (error) {
      this.restartWaiter?.('closed');
      throw error;
    }
    if (this.isConnected()) this.restartWaiter?.('connected');
    const ok = await connected;
    // Restarted: a later loss is reported again.
    if (ok && !this.isClosed) this.isLost = false;
    return ok && !this.isClosed;
  }

  /**
   * The path came back before a restart was needed or answered (a blackout that lifted): applying a
   * restart now would only interrupt the media again, so an unanswered restart offer is rolled back and
   * its candidates, which carry credentials the server never saw, are dropped.
   */
  private async healedByItself(): Promise<boolean> {
    if (this.unansweredRestart !== undefined) {
      this.unansweredRestart = undefined;
      await this.pc.setLocalDescription({ type: 'rollback' });
      this.batcher.close();
      this.batcher = new IceCandidateBatcher(this.options.sendCandidates, this.options.onCandidateError);
      this.batcher.start();
    }
    this.isLost = false;
    return !this.isClosed;
  }

  /** Read afresh each time: the state changes across every await. */
  private isConnected(): boolean {
    return this.pc.connectionState === 'connected';
  }

  /** True once closed, by its owner or because the owner replaced it. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Adds a transceiver: a track to send, or a kind to receive. */
  addTransceiver(trackOrKind: MediaStreamTrack | 'audio' | 'video', init: RTCRtpTransceiverInit): RTCRtpTransceiver {
    return this.pc.addTransceiver(trackOrKind, init);
  }

  /** The connection's transceivers, in the order they were added. */
  getTransceivers(): RTCRtpTransceiver[] {
    return this.pc.getTransceivers();
  }

  /** The connection's senders (for bitrate caps and track replacement). */
  getSenders(): RTCRtpSender[] {
    return this.pc.getSenders();
  }

  /** Starts the offer now (createOffer + setLocalDescription) for a connection prepared before it is needed; `createOffer()` answers it. */
  prepareOffer(): void {
    this.prepared ??= this.makeOffer();
    // Awaited (and its failure seen) by createOffer(); unhandled until then.
    this.prepared.catch(() => undefined);
  }

  /** Creates an offer and sets it as the local description (or takes the prepared one); answers the SDP to send. */
  createOffer(): Promise<string> {
    const offer = this.prepared ?? this.makeOffer();
    this.prepared = undefined;
    return offer;
  }

  /** Sets the server's answer; the candidates gathered so far (and later ones) may go out from now on. */
  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    this.batcher.start();
  }

  /** The connection's `getStats()` report. */
  getStats(): Promise<RTCStatsReport> {
    return this.pc.getStats();
  }

  /** Reads the stats once more (the room's clock calls this); `onStats` gets the figures since the last read. */
  sampleStats(): Promise<void> {
    return this.sampler.sample();
  }

  /** Drops pending candidates, detaches the handlers and closes the connection; idempotent, no network. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.graceTimer);
    this.restartWaiter?.('closed');
    this.batcher.close();
    this.sampler.close();
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }

  private async makeOffer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    return this.pc.localDescription?.sdp ?? offer.sdp ?? '';
  }

  private onState(state: RTCPeerConnectionState): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    if (state === 'connected') this.everConnected = true;
    this.restartWaiter?.(state);
    this.options.onStateChange(state);
    if (state === 'failed') this.lose();
    else if (state === 'disconnected' && !this.isClosed) {
      this.graceTimer = setTimeout(() => this.lose(), this.options.disconnectedGraceMs ?? DEFAULT_DISCONNECTED_GRACE_MS);
    }
  }

  private lose(): void {
    if (this.isLost || this.isClosed) return;
    this.isLost = true;
    this.options.onLost();
  }
}
