import type { EndpointHealth } from '../media/MediaRouter.js';
import type { Liveness, LivenessFlags } from './Endpoint.js';
import { ghostReason, type GhostTimings } from './EndpointLiveness.js';

/** What a swept liveness reports to its conference while a command runs. */
export interface SweptLivenessCallbacks {
  /** The endpoint's state changed (never called with an unchanged state). */
  onStateChange(state: EndpointHealth): void;
  /** The endpoint is a ghost: remove it, giving `reason`. */
  onGhost(reason: string): void;
}

/**
 * The ghost rule of {@link EndpointLiveness} without timers, for a conference that lives in a shared
 * store: it is rebuilt from its saved flags for each command, and instead of arming a timer it sets
 * {@link deadline}, which the store saves in a sorted set. Whichever process holds the sweeper's lease
 * calls {@link expire} when the deadline passes. A waiting poll counts as activity through `busyMs`
 * (the poll's longest wait), since polls of other processes cannot be asked.
 */
export class SweptLiveness implements Liveness {
  /** The next deadline (ms since the epoch) this command set; undefined when unchanged. */
  deadline: number | undefined;
  /** Whether {@link deadline} only counts when later than the saved one (a sign of life), or replaces it. */
  postponeOnly = false;
  private closed = false;

  constructor(
    private readonly timings: GhostTimings,
    private readonly callbacks: SweptLivenessCallbacks,
    private readonly saved: LivenessFlags,
    /** The endpoint's state as the conference shows it. */
    private state: EndpointHealth,
    /** A new endpoint starts its SICK deadline now; a reloaded one keeps its saved deadline. */
    fresh: boolean,
    private readonly now: () => number = Date.now,
  ) {
    if (fresh) this.deadline = this.now() + timings.sickAfterMs;
  }

  touch(busyMs = 0): void {
    if (this.closed) return;
    const wasSilent = this.saved.silent;
    const wasHungUp = this.saved.hungUp;
    this.saved.silent = false;
    this.saved.hungUp = false;
    this.setDeadline(this.now() + this.timings.sickAfterMs + busyMs, !wasSilent && !wasHungUp);
    if (wasSilent) this.evaluate();
  }

  hangUp(): void {
    if (this.closed || this.saved.silent) return;
    this.saved.hungUp = true;
    this.setDeadline(this.now() + this.timings.hungUpSickAfterMs, false);
  }

  setMediaHealth(health: EndpointHealth): void {
    if (this.closed) return;
    this.saved.mediaSick = health === 'SICK';
    this.evaluate();
  }

  /** The deadline passed: the first time the endpoint is SICK (silent), the second it is a ghost. */
  expire(): void {
    if (this.closed) return;
    if (!this.saved.silent) {
      this.saved.silent = true;
      this.setDeadline(this.now() + (this.saved.hungUp ? this.timings.hungUpRemoveAfterMs : this.timings.removeAfterMs), false);
      this.evaluate();
      return;
    }
    this.close();
    this.callbacks.onGhost(ghostReason(this.timings, this.saved));
  }

  close(): void {
    this.closed = true;
    this.deadline = undefined;
  }

  flags(): LivenessFlags {
    return { ...this.saved };
  }

  // A concurrent poll of the same user may have set a later deadline: a plain sign of life never shortens it.
  private setDeadline(deadline: number, postponeOnly: boolean): void {
    this.deadline = deadline;
    this.postponeOnly = postponeOnly;
  }

  private evaluate(): void {
    const next: EndpointHealth = this.saved.mediaSick || this.saved.silent ? 'SICK' : 'HEALTHY';
    if (next === this.state) return;
    this.state = next;
    this.callbacks.onStateChange(next);
  }
}
