import type { IceCandidate } from '../api/types.js';

/**
 * Collects a peer connection's local ICE candidates and sends them in batches: nothing before the
 * answer is set (the server has no transport to add them to yet), then one request per burst,
 * one request in flight at a time so candidates arrive in gathering order. @internal
 */
export class IceCandidateBatcher {
  private pending: IceCandidate[] = [];
  private ready = false;
  private sending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly send: (candidates: IceCandidate[]) => Promise<void>,
    private readonly onError: (error: unknown) => void,
    /** How long a burst may take to gather before it goes out. */
    private readonly burstMs = 20,
  ) {}

  /** Queues one candidate from `icecandidate`; `null` (end of gathering) sends what is pending at once. */
  add(candidate: RTCIceCandidate | null): void {
    if (this.closed) return;
    // The end-of-candidates marker arrives as null or (in some browsers) as an empty candidate string.
    if (candidate && candidate.candidate) {
      this.pending.push({ candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? null, sdpMLineIndex: candidate.sdpMLineIndex ?? null });
      this.schedule(this.burstMs);
    } else {
      this.schedule(0);
    }
  }

  /** The answer is set: candidates may go to the server from now on. */
  start(): void {
    if (this.closed || this.ready) return;
    this.ready = true;
    this.schedule(0);
  }

  /** Drops pending candidates and the timer; idempotent. */
  close(): void {
    this.closed = true;
    this.pending = [];
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    if (!this.ready || this.sending || this.pending.length === 0) return;
    if (this.timer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.closed || this.pending.length === 0) return;
    // The API takes at most 256 candidates per request.
    const batch = this.pending.splice(0, 256);
    this.sending = true;
    try {
      await this.send(batch);
    } catch (error) {
      if (!this.closed) this.onError(error);
    } finally {
      this.sending = false;
    }
    this.schedule(0);
  }
}
