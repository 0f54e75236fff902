import type { ResourceTracker, TrackedTimer } from './ResourceTracker.js';

/**
 * Why a viewer asks for a keyframe: `'new-viewer'` once, when its connection first comes up (it has
 * nothing to decode yet); `'switch'` when it is to get another layer (it switches at that layer's
 * keyframe); `'resume'` when media comes back after a silence (a path that was dead: what was sent
 * meanwhile is lost, and a browser tries NACKs for seconds before it asks); `'repeat'` for every
 * PLI/FIR it sends afterwards.
 */
export type KeyframeRequestReason = 'new-viewer' | 'switch' | 'resume' | 'repeat';

/**
 * A publisher's libwebrtc ignores a keyframe request that comes within 300 ms of the last one it
 * acted on (`kMinKeyframeSendIntervalMs` in `video/encoder_rtcp_feedback.cc`, measured where it
 * receives them): a request sent sooner is lost, so it is held until then instead, plus 50 ms for
 * the two requests' delivery to differ (exactly 300 ms apart, one in three was ignored).
 */
export const PUBLISHER_MIN_KEYFRAME_SPACING_MS = 350;

/**
 * New viewers' requests this close after a forwarded one share it. It is kept shorter than a
 * publisher's PLI → keyframe turnaround (the next captured frame, a keyframe encode, pacing: ≥ ~10 ms
 * on loopback), so the keyframe asked for still leaves after the later viewers connected.
 */
export const NEW_VIEWER_COALESCE_MS = 5;

/**
 * Decides which keyframe requests reach a publisher, and when. A new viewer's first request goes
 * out at once (a black tile until the next keyframe is what a joining user sees), or, if the last
 * request is younger than the publisher's own minimum (300 ms), as soon as the publisher will act on
 * it; new viewers within `NEW_VIEWER_COALESCE_MS` of a forwarded request share it. Repeated requests
 * are limited to one per interval: Chromium viewers repeat PLI until a keyframe arrives, and every
 * keyframe is large (unthrottled, 4 viewers caused 20 PLIs and 9 keyframes). A held request is not
 * dropped but sent when its time comes; one sent request answers every waiting one, since a keyframe
 * reaches every viewer.
 */
export class KeyframeThrottle {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private pending: { timer: TrackedTimer; at: number } | undefined;
  private closed = false;
  /** Requests received (all, those of new viewers, of layer switches, of media resumed after a silence) and forwarded, for tests and benchmarks. */
  readonly stats = { requested: 0, newViewers: 0, switches: 0, resumes: 0, sent: 0 };

  constructor(
    private readonly intervalMs: number,
    private readonly send: () => void,
    private readonly tracker: ResourceTracker,
    private readonly now: () => number = () => performance.now(),
    private readonly minSpacingMs = PUBLISHER_MIN_KEYFRAME_SPACING_MS,
    private readonly coalesceMs = NEW_VIEWER_COALESCE_MS,
  ) {}

  /** Asks for a keyframe: a new viewer's, a layer switch's or a resumption's as soon as the publisher takes it; a repeat at most once per interval. */
  request(reason: KeyframeRequestReason = 'repeat'): void {
    if (this.closed) return;
    this.stats.requested++;
    const now = this.now();
    if (reason !== 'repeat') {
      if (reason === 'new-viewer') this.stats.newViewers++;
      else if (reason === 'switch') this.stats.switches++;
      else this.stats.resumes++;
      if (now - this.lastSentAt < this.coalesceMs) return;
      this.sendAt(now, this.lastSentAt + this.minSpacingMs);
      return;
    }
    this.sendAt(now, this.lastSentAt + Math.max(this.intervalMs, this.minSpacingMs));
  }

  /**
   * The publisher reconnected: its new connection is a new encoder, which has acted on no request,
   * so one goes out at once (answering any held one), whatever the last one's age.
   */
  newSource(): void {
    if (this.closed) return;
    this.lastSentAt = Number.NEGATIVE_INFINITY;
    this.fire();
  }

  /** Drops a held request. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelPending();
  }

  /** Sends now if `at` has come, else holds one request until `at`, or until an earlier one already held. */
  private sendAt(now: number, at: number): void {
    if (at <= now) {
      this.fire();
      return;
    }
    if (this.pending && this.pending.at <= at) return;
    this.cancelPending();
    const timer = this.tracker.setTimeout(() => {
      this.pending = undefined;
      this.fire();
    }, at - now);
    this.pending = { timer, at };
  }

  private fire(): void {
    if (this.closed) return;
    this.cancelPending();
    this.lastSentAt = this.now();
    this.stats.sent++;
    this.send();
  }

  private cancelPending(): void {
    this.pending?.timer.clear();
    this.pending = undefined;
  }
}
