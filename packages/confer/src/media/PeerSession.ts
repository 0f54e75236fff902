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
 * Owns one RTCPeerConnection from creation to close: its handlers, the batching of its ICE candidates,
 * its offer/answer steps and its statistics (one StatsSampler). Publisher and Viewer hold one at a time and reconnect by
 * closing it and opening another, so `closed` also means "no longer current". `failed` comes 15-30 s
 * after the path dies (ICE consent freshness, RFC 7675); `disconnected` within a few seconds, so a
 * connection that stays disconnected past a short grace is reported lost long before it fails. @internal
 */
export class PeerSession {
  private readonly pc: RTCPeerConnection;
  private readonly batcher: IceCandidateBatcher;
  private isClosed = false;
  private isLost = false;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  /** The offer started by `prepareOffer()`, until `createOffer()` takes it. */
  private prepared: Promise<string> | undefined;
  private readonly sampler: StatsSampler;

  constructor(private readonly options: PeerSessionOptions) {
    const pc = options.createPeerConnection(options.rtcConfiguration);
    this.sampler = new StatsSampler(() => pc.getStats(), (stats) => options.onStats?.(stats));
    const batcher = new IceCandidateBatcher(options.sendCandidates, options.onCandidateError);
    pc.onicecandidate = (event) => batcher.add(event.candidate);
    pc.onconnectionstatechange = () => this.onState(pc.connectionState);
    this.pc = pc;
    this.batcher = batcher;
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
