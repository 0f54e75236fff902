/** The timings of a {@link Reachability}. @internal */
export interface ReachabilityOptions {
  /** A request outstanding with no answer from the server for this long sends a probe (default 3000 ms). */
  probeAfterMs: number;
  /** A probe unanswered this long means the server is out of reach (default 1500 ms). */
  probeTimeoutMs: number;
  /** While the server is out of reach, a probe that failed is sent again this much later (default 750 ms). */
  darkProbeIntervalMs: number;
  /**
   * While the server is out of reach, how many probes may wait for an answer, by time since it went
   * out of reach: one more at each of these offsets (default 0, 9, 49, 88, 114 and 125 s). A probe
   * in the dark waits long (`darkProbeTimeoutMs`) for its connection, which connects at the first SYN
   * its browser resends after the path is back.
   */
  darkProbeScheduleMs: readonly number[];
  /**
   * A probe in the dark is given up after `probeTimeoutMs` for the first `darkEarlyMs` (default 5 s),
   * then after this (default 140 s, longer than a connection attempt lives). The browser sends a
   * probe on an idle connection if it has one, and a connection that died in the silence resends
   * ever more rarely: giving the first probes up soon closes those connections. Later ones must wait:
   * a probe sent again opens a new connection attempt, and attempts opened early are the ones that
   * resend rarely when the path comes back.
   */
  darkProbeTimeoutMs: number;
  /** How long into a silence probes are given up after `probeTimeoutMs` (default 5 s). */
  darkEarlyMs: number;
  /**
   * While the server answers, a probe goes out when watching starts and then this often (default
   * 5 min): it keeps the probe's CORS preflight in the browser's cache (the reference server allows
   * 10 min), so probes in a silence send none; a browser keeps a preflight going after its request
   * is given up.
   */
  refreshProbeMs: number;
  /** While the server is out of reach, no request waits longer than this for its answer (default 2000 ms). */
  darkTimeoutMs: number;
  /** While the server is out of reach, no retry waits longer than this (default 1000 ms). */
  darkMaxDelayMs: number;
}

/** The defaults: a silent server is noticed within probeAfterMs + probeTimeoutMs = 4.5 s, wherever the silence begins. @internal */
export const DEFAULT_REACHABILITY: ReachabilityOptions = {
  probeAfterMs: 3000,
  probeTimeoutMs: 1500,
  darkProbeIntervalMs: 750,
  darkProbeScheduleMs: [0, 9_000, 49_000, 88_000, 114_000, 125_000],
  darkProbeTimeoutMs: 140_000,
  darkEarlyMs: 5_000,
  refreshProbeMs: 300_000,
  darkTimeoutMs: 2000,
  darkMaxDelayMs: 1000,
};

/** A request that tells whether the server answers; it rejects when it got no answer within `timeoutMs`. @internal */
export type Probe = (timeoutMs: number) => Promise<unknown>;

/** One request on its way, as the reachability watch sees it. @internal */
export interface Flight {
  readonly startedAt: number;
  /** Orders flights and answers: clocks tie within a millisecond, counters do not. */
  readonly seq: number;
  /** How many answers had arrived when it left. */
  readonly answersBefore: number;
  /** Sent while the server was out of reach. */
  readonly dark: boolean;
  /** Gives the request up (it was sent into the dark, and a newer one got through). */
  readonly abandon: () => void;
}

/**
 * Whether the API server answers, as seen from every request of one ApiClient. A request that gets
 * no answer (a network failure or a timeout) while nothing else was answered since it was sent turns
 * the server `dark`; any answer, whatever its status, turns it reachable again. Requests alone notice
 * a dead path only when they time out (a long poll holds one for seconds), so while a request is
 * outstanding and the server has been silent for `probeAfterMs`, a short probe asks. While dark,
 * probes wait for an answer as `darkProbeScheduleMs` allows, other requests wait for one of them
 * (the ApiClient holds them at most `darkTimeoutMs`) and retries wait at most `darkMaxDelayMs`; the
 * first answer abandons the requests sent into the dark before it (TCP may hold them for seconds
 * after the path is back) so their callers send them again at once. @internal
 */
export class Reachability {
  private isDark = false;
  private lastAnswerAt = -Infinity;
  private answers = 0;
  private sent = 0;
  private recoveryCount = 0;
  private readonly flights = new Set<Flight>();
  private readonly listeners = new Set<(reachable: boolean, status: number | undefined) => void>();
  private probe: Probe | undefined;
  private probesInFlight = 0;
  private darkSince = 0;
  private lastProbeEndedAt = -Infinity;
  private lastProbeSentAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  readonly options: ReachabilityOptions;

  constructor(
    options: Partial<ReachabilityOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_REACHABILITY, ...options };
  }

  /** True while the server looks out of reach: the last request got no answer and nothing was answered since. */
  get dark(): boolean {
    return this.isDark;
  }

  /** True while a probe is set ({@link watch}): only then can the server be found again without other requests going out. */
  get watched(): boolean {
    return this.probe !== undefined;
  }

  /** How many times the server came back after being out of reach; a retry loop that sees it grow retries at once. */
  get recoveries(): number {
    return this.recoveryCount;
  }

  /** The timeout of a request sent now: `timeoutMs` (0: none), or at most `darkTimeoutMs` while dark. */
  timeoutFor(timeoutMs: number): number {
    if (!this.isDark) return timeoutMs;
    return timeoutMs > 0 ? Math.min(timeoutMs, this.options.darkTimeoutMs) : this.options.darkTimeoutMs;
  }

  /** A retry delay: `delayMs`, or at most `darkMaxDelayMs` while dark. */
  delayFor(delayMs: number): number {
    return this.isDark ? Math.min(delayMs, this.options.darkMaxDelayMs) : delayMs;
  }

  /** Hears every change: `false` when the server goes out of reach, `true` (with the answer's status) when it answers again. */
  subscribe(listener: (reachable: boolean, status: number | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves true as soon as the server is not dark (at once when it is not), false when `signal` aborts first. */
  whenReachable(signal: AbortSignal): Promise<boolean> {
    if (!this.isDark) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (reachable: boolean) => {
        unsubscribe();
        signal.removeEventListener('abort', onAbort);
        resolve(reachable);
      };
      const onAbort = () => done(false);
      const unsubscribe = this.subscribe((reachable) => {
        if (reachable) done(true);
      });
      if (signal.aborted) return done(false);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Sets the probe (a cheap read of the joined conference) until the returned function is called. */
  watch(probe: Probe): () => void {
    this.probe = probe;
    this.arm();
    return () => {
      if (this.probe !== probe) return;
      this.probe = undefined;
      this.arm();
    };
  }

  /** A request leaves; `abandon` gives it up. End it with {@link answered} or {@link unanswered}, or {@link ended} when cancelled. */
  begin(abandon: () => void): Flight {
    const flight: Flight = { startedAt: this.now(), seq: this.sent++, answersBefore: this.answers, dark: this.isDark, abandon };
    this.flights.add(flight);
    this.arm();
    return flight;
  }

  /** The server answered `flight` (any status). */
  answered(flight: Flight, status: number): void {
    this.flights.delete(flight);
    this.lastAnswerAt = Math.max(this.lastAnswerAt, this.now());
    this.answers++;
    if (this.isDark) {
      this.isDark = false;
      this.recoveryCount++;
      // Sent into the dark before this one got through: TCP may deliver them seconds from now, if ever.
      for (const stale of [...this.flights]) {
        if (stale.dark && stale.seq < flight.seq) {
          this.flights.delete(stale);
          stale.abandon();
        }
      }
      this.notify(true, status);
    }
    this.arm();
  }

  /** `flight` got no answer (a network failure or its timeout): the server is out of reach unless something was answered since it left. */
  unanswered(flight: Flight): void {
    this.flights.delete(flight);
    if (!this.isDark && this.answers === flight.answersBefore) {
      this.isDark = true;
      this.darkSince = this.now();
      this.notify(false, undefined);
    }
    this.arm();
  }

  /** `flight` was cancelled by its caller: it says nothing about the server. */
  ended(flight: Flight): void {
    this.flights.delete(flight);
    this.arm();
  }

  private notify(reachable: boolean, status: number | undefined): void {
    for (const listener of [...this.listeners]) listener(reachable, status);
  }

  /**
   * Sets the one timer: the next dark probe, or the probe after `probeAfterMs` of silence while a
   * request is outstanding, or the next refresh. In the dark, probes are few and spread out because a
   * browser keeps a connection attempt going after its request is given up, resending the SYN ever
   * more rarely (on Linux 6.18: 1 s apart for 5 s, then after 7, 11, 19, 35 and 67 s; it fails at
   * ~134 s), and gives a host six at most: probes sent every second would hold all six within seconds
   * of the break, and after a long outage none of them would resend its SYN for half a minute
   * (measured: 36 s after a 100 s black hole in Chromium, 1.1-3.1 s with this schedule). Waiting
   * probes take whichever attempt connects first.
   */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.probe) return;
    const { probeAfterMs, darkProbeIntervalMs, darkProbeScheduleMs, refreshProbeMs } = this.options;
    const now = this.now();
    if (this.isDark) {
      // One more waiting probe at each offset of the schedule; a failed one is replaced, not at once.
      const offset = darkProbeScheduleMs[this.probesInFlight];
      if (offset === undefined) return;
      const due = Math.max(this.darkSince + offset, this.lastProbeEndedAt + darkProbeIntervalMs);
      this.setTimer(Math.max(0, due - now));
      return;
    }
    if (this.probesInFlight > 0) return;
    let due = this.lastProbeSentAt + refreshProbeMs;
    if (this.flights.size > 0) {
      let oldest = Infinity;
      for (const flight of this.flights) oldest = Math.min(oldest, flight.startedAt);
      due = Math.min(due, Math.max(this.lastAnswerAt, oldest) + probeAfterMs);
    }
    this.setTimer(Math.max(0, due - now));
  }

  private setTimer(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sendProbe();
    }, delayMs);
  }

  private sendProbe(): void {
    const probe = this.probe;
    if (!probe) return;
    this.probesInFlight++;
    this.lastProbeSentAt = this.now();
    // The probe is a request like any other: its answer or its silence reaches answered()/unanswered().
    const { probeTimeoutMs, darkProbeTimeoutMs, darkEarlyMs } = this.options;
    probe(this.isDark && this.now() >= this.darkSince + darkEarlyMs ? darkProbeTimeoutMs : probeTimeoutMs)
      .catch(() => undefined)
      .finally(() => {
        this.probesInFlight--;
        this.lastProbeEndedAt = this.now();
        this.arm();
      });
    if (this.isDark) this.arm();
  }
}
