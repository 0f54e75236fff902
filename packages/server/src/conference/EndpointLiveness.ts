import type { EndpointHealth } from '../media/MediaRouter.js';
import type { Liveness, LivenessFlags } from './Endpoint.js';

/** How long an endpoint may stay silent before it is SICK, and SICK before it is removed. */
export interface GhostTimings {
  /** No event poll by its user and no request naming it for this long: SICK. */
  sickAfterMs: number;
  /** Still silent this much longer: removed with a ConferenceLeftEvent. */
  removeAfterMs: number;
  /** After its user's waiting poll was hung up (a crashed or vanished client), SICK after this long instead. */
  hungUpSickAfterMs: number;
  /** ... and removed this much longer after that, unless a new poll or request arrives. */
  hungUpRemoveAfterMs: number;
}

/** What a liveness tracker reports to its conference. */
export interface LivenessCallbacks {
  /** The endpoint's state changed (never called with an unchanged state). */
  onStateChange(state: EndpointHealth): void;
  /** The endpoint is a ghost: remove it, giving `reason`. */
  onGhost(reason: string): void;
  /** Whether an event poll of the endpoint's user is waiting right now (a waiting poll is a sign of life). */
  isPolling(): boolean;
}

/**
 * The ghost rule for one endpoint. It is SICK while the media plane says SICK or while it has been
 * silent (no event poll by its user, no request naming it) for `sickAfterMs`; HEALTHY when both are
 * fine again. Silent for `sickAfterMs + removeAfterMs`, it is a ghost. A client whose waiting poll
 * was hung up is most likely gone (a crashed tab closes its sockets): it gets the shorter hung-up
 * timings until it shows up again. A media failure alone never removes an endpoint whose user still
 * polls: that client is alive and can publish again. One timer at most, re-armed on activity.
 */
export class EndpointLiveness implements Liveness {
  private mediaSick = false;
  private silent = false;
  private state: EndpointHealth = 'HEALTHY';
  private hungUp = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly timings: GhostTimings,
    private readonly callbacks: LivenessCallbacks,
  ) {
    this.armSilenceTimer();
  }

  /** The endpoint or its user just did something: it is not silent (a waiting poll counts through {@link LivenessCallbacks.isPolling}). */
  touch(): void {
    if (this.closed) return;
    if (this.silent || this.hungUp) {
      this.hungUp = false;
      this.silent = false;
      clearTimeout(this.timer);
      this.armSilenceTimer();
      this.evaluate();
    } else {
      this.timer?.refresh();
    }
  }

  /** Its user's waiting poll was hung up by the client: silence now counts with the hung-up timings. */
  hangUp(): void {
    if (this.closed || this.silent) return;
    this.hungUp = true;
    clearTimeout(this.timer);
    this.armSilenceTimer();
  }

  /** The media plane's verdict on the endpoint's connections. */
  setMediaHealth(health: EndpointHealth): void {
    if (this.closed) return;
    this.mediaSick = health === 'SICK';
    this.evaluate();
  }

  /** The flags of the rule (in memory nothing is saved; for the Liveness interface). */
  flags(): LivenessFlags {
    return { mediaSick: this.mediaSick, silent: this.silent, hungUp: this.hungUp };
  }

  /** Stops the timer; the tracker does nothing afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private armSilenceTimer(): void {
    this.timer = setTimeout(() => this.onSilence(), this.hungUp ? this.timings.hungUpSickAfterMs : this.timings.sickAfterMs);
  }

  private onSilence(): void {
    if (this.callbacks.isPolling()) {
      this.timer?.refresh();
      return;
    }
    this.silent = true;
    this.evaluate();
    if (this.closed) return;
    this.timer = setTimeout(() => this.onGhost(), this.hungUp ? this.timings.hungUpRemoveAfterMs : this.timings.removeAfterMs);
  }

  private onGhost(): void {
    if (this.callbacks.isPolling()) {
      this.touch();
      return;
    }
    this.close();
    this.callbacks.onGhost(ghostReason(this.timings, this.flags()));
  }

  private evaluate(): void {
    const next: EndpointHealth = this.mediaSick || this.silent ? 'SICK' : 'HEALTHY';
    if (next === this.state) return;
    this.state = next;
    this.callbacks.onStateChange(next);
  }
}

/** The reason of a ghost's ConferenceLeftEvent: how long it was silent, after what, and whether its media had failed. */
export function ghostReason(timings: GhostTimings, flags: LivenessFlags): string {
  const { sickAfterMs, removeAfterMs, hungUpSickAfterMs, hungUpRemoveAfterMs } = timings;
  const silentMs = flags.hungUp ? hungUpSickAfterMs + hungUpRemoveAfterMs : sickAfterMs + removeAfterMs;
  const why = flags.hungUp ? 'its event poll was hung up, then no event poll and no request' : 'no event poll and no request';
  const media = flags.mediaSick ? ', media failed' : '';
  return `ghost: ${why} for ${formatSeconds(silentMs)}${media}`;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
