import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expectAudioFlowing, expectNoLeaks, expectStreamCount, expectVideoFlowing, type FlowingOptions } from './assertions.js';
import { installRtcCensus, type RtcCensusCounts } from './census.js';
import type { LabHost } from './lab/LabHost.js';

/**
 * A participant's network, the faults of the network lab. Each fault replaces the previous one of
 * its kind until {@link restore}; a fault given a duration lifts itself (every fault) after it.
 */
export interface ParticipantNetwork {
  /** Whether faults can be injected (the test runs with `conferNetwork: 'lab'`). */
  readonly available: boolean;
  /** Drops every packet in and out (cable pulled); with `ms`, for that long, then restores. */
  blackout(ms?: number): Promise<void>;
  /** Drops this fraction (0–1, in steps of 0.01) of the packets each way, at random. */
  loss(fraction: number): Promise<void>;
  /** Limits the link to this many bits per second each way (a token bucket, no added delay). */
  bandwidth(bitsPerSecond: number): Promise<void>;
  /** Drops all UDP (the media); the server's HTTP API still works. */
  dropUdp(): Promise<void>;
  /** Drops TCP to and from the server's API port (signalling); media still flows. */
  dropHttp(): Promise<void>;
  /** Lifts every fault. */
  restore(): Promise<void>;
}

/** The lab's faults on the participant's own lab host. @internal */
export class LabNetwork implements ParticipantNetwork {
  readonly available = true;

  constructor(private readonly host: LabHost) {}

  async blackout(ms?: number): Promise<void> {
    await this.host.blackout();
    if (ms === undefined) return;
    // The fault's own duration is the one sleep a fault test has.
    await sleep(ms);
    await this.host.restore();
  }

  async loss(fraction: number): Promise<void> {
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`loss: fraction must be 0-1, got ${fraction}`);
    await this.host.loss(Math.round(fraction * 100));
  }

  async bandwidth(bitsPerSecond: number): Promise<void> {
    if (!(bitsPerSecond >= 1000)) throw new RangeError(`bandwidth: at least 1000 bits per second, got ${bitsPerSecond}`);
    await this.host.bandwidth(Math.round(bitsPerSecond / 1000));
  }

  dropUdp(): Promise<void> {
    return this.host.dropUdp();
  }

  dropHttp(): Promise<void> {
    return this.host.dropHttp();
  }

  restore(): Promise<void> {
    return this.host.restore();
  }
}

/** Outside the lab a participant shares the runner's loopback: every fault says how to get one. @internal */
export class NoNetwork implements ParticipantNetwork {
  readonly available = false;

  private refuse(): Promise<void> {
    return Promise.reject(new Error("network faults need the network lab: test.use({ conferNetwork: 'lab' }) (Linux, root)"));
  }

  blackout(): Promise<void> {
    return this.refuse();
  }

  loss(): Promise<void> {
    return this.refuse();
  }

  bandwidth(): Promise<void> {
    return this.refuse();
  }

  dropUdp(): Promise<void> {
    return this.refuse();
  }

  dropHttp(): Promise<void> {
    return this.refuse();
  }

  restore(): Promise<void> {
    return this.refuse();
  }
}

/** Options of {@link Participant.open}. */
export interface OpenParticipantOptions {
  /** A URL to open at once (relative to `baseURL` when given). */
  url?: string;
  baseURL?: string;
  /** The page's size; 1024×720 by default. */
  viewport?: { width: number; height: number };
  /** The participant's network faults; none by default. */
  network?: ParticipantNetwork;
}

/**
 * One person in a test: a page in their own browser context with fake camera and microphone, camera
 * and microphone permissions, and the RTC census; the assertions of this package bound to the page.
 */
export class Participant {
  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
    /** This participant's network faults (in the lab). */
    readonly network: ParticipantNetwork,
  ) {}

  /**
   * Opens a participant in a new context of `browser` (which must run with {@link CHROMIUM_ARGS}'s fake
   * devices; the `participant` fixture's does): camera and microphone allowed, the census installed.
   */
  static async open(browser: Browser, name: string, options: OpenParticipantOptions = {}): Promise<Participant> {
    const context = await browser.newContext({
      permissions: ['camera', 'microphone'],
      viewport: options.viewport ?? { width: 1024, height: 720 },
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    });
    try {
      await context.addInitScript(installRtcCensus);
      const participant = new Participant(name, context, await context.newPage(), options.network ?? new NoNetwork());
      if (options.url) await participant.page.goto(options.url);
      return participant;
    } catch (error) {
      await context.close();
      throw error;
    }
  }

  /** {@link expectVideoFlowing} on this participant's page. */
  expectVideoFlowing(options?: FlowingOptions): Promise<void> {
    return expectVideoFlowing(this.page, options);
  }

  /** {@link expectAudioFlowing} on this participant's page. */
  expectAudioFlowing(options?: FlowingOptions): Promise<void> {
    return expectAudioFlowing(this.page, options);
  }

  /** {@link expectStreamCount} on this participant's page. */
  expectStreamCount(count: number, options?: { timeout?: number }): Promise<void> {
    return expectStreamCount(this.page, count, options);
  }

  /** {@link expectNoLeaks} on this participant's page. */
  expectNoLeaks(options?: { timeout?: number }): Promise<void> {
    return expectNoLeaks(this.page, options);
  }

  /** Live peer connections and tracks on the page right now. */
  census(): Promise<RtcCensusCounts> {
    return this.page.evaluate(() => window.__rtcCensus.counts());
  }

  /** Closes the context (and so the page). */
  async close(): Promise<void> {
    await this.context.close();
  }
}
