import type { Browser as PlaywrightBrowser } from '@playwright/test';
import { installRtcCensus, type RtcCensusCounts } from '@confer/testing';
import type { LabFirefox, LabHost } from '@confer/testing/lab';
import type { PublishType } from 'confer';
import type { Page as PuppeteerPage } from 'puppeteer-core';
import type { LoggedRoomEvent } from '../fixtures/harness.js';
import { expectSnapshotsFlowing, snapshotMedia, type MediaCounts, type MediaSnapshot } from '../support/media.js';
import { Participant } from '../support/Participant.js';

/**
 * One person in a lab call, whatever their browser: the harness page (e2e/fixtures/harness.ts)
 * driven in Chromium by Playwright or in Firefox by puppeteer, on their own lab host.
 */
export interface LabParticipant {
  readonly name: string;
  readonly browserName: 'chromium' | 'firefox';
  /** The lab machine this participant's browser runs on: its faults are this participant's network. */
  readonly host: LabHost;
  join(conferenceId: string): Promise<void>;
  /** Publishes (`small` by default: 320×240 at 15 fps) and returns the stream id. */
  publish(type: PublishType, options?: { small?: boolean }): Promise<string>;
  setMuted(streamId: string, kind: 'audio' | 'video', muted: boolean): Promise<void>;
  leave(): Promise<void>;
  /** What the page receives right now (inbound-rtp stats and remote `<video>` elements). */
  snapshot(): Promise<MediaSnapshot>;
  /** Waits until exactly these remote media play and keep flowing. */
  expectMediaFlowing(expected: MediaCounts, timeoutMs?: number): Promise<void>;
  /** The room's event log. */
  events(): Promise<LoggedRoomEvent[]>;
  /** Live peer connections and tracks on the page. */
  census(): Promise<RtcCensusCounts>;
  close(): Promise<void>;
}

/** Chromium: the suite's own {@link Participant} in a browser that runs on a lab host. */
export class ChromiumLabParticipant implements LabParticipant {
  readonly browserName = 'chromium';

  private constructor(
    readonly host: LabHost,
    private readonly browser: PlaywrightBrowser,
    /** The plain-suite participant, for anything this interface does not cover. */
    readonly participant: Participant,
  ) {}

  static async open(host: LabHost, browser: PlaywrightBrowser, name: string, harnessUrl: string): Promise<ChromiumLabParticipant> {
    return new ChromiumLabParticipant(host, browser, await Participant.open(browser, name, harnessUrl));
  }

  get name(): string {
    return this.participant.name;
  }

  join(conferenceId: string): Promise<void> {
    return this.participant.join(conferenceId);
  }

  publish(type: PublishType, options: { small?: boolean } = {}): Promise<string> {
    return this.participant.publish(type, options);
  }

  setMuted(streamId: string, kind: 'audio' | 'video', muted: boolean): Promise<void> {
    return this.participant.setMuted(streamId, kind, muted);
  }

  leave(): Promise<void> {
    return this.participant.leave();
  }

  snapshot(): Promise<MediaSnapshot> {
    return snapshotMedia(this.participant.page);
  }

  expectMediaFlowing(expected: MediaCounts, timeoutMs?: number): Promise<void> {
    return expectSnapshotsFlowing(() => this.snapshot(), expected, `${this.name} (chromium)`, timeoutMs);
  }

  events(): Promise<LoggedRoomEvent[]> {
    return this.participant.events();
  }

  census(): Promise<RtcCensusCounts> {
    return this.participant.census();
  }

  async close(): Promise<void> {
    await this.participant.close().catch(() => undefined);
    await this.browser.close();
  }
}

/**
 * Firefox: the same harness calls as {@link Participant}, through puppeteer's `page.evaluate`, with
 * `@confer/testing`'s census and the suite's {@link snapshotMedia}.
 */
export class FirefoxLabParticipant implements LabParticipant {
  readonly browserName = 'firefox';

  private constructor(
    readonly name: string,
    readonly userId: string,
    readonly host: LabHost,
    private readonly firefox: LabFirefox,
    readonly page: PuppeteerPage,
  ) {}

  static async open(host: LabHost, firefox: LabFirefox, name: string, harnessUrl: string): Promise<FirefoxLabParticipant> {
    const page = await firefox.browser.newPage();
    // Before the census, so the census counts what the stand-in returns.
    await page.evaluateOnNewDocument(installScreenStandIn);
    await page.evaluateOnNewDocument(installRtcCensus);
    await page.goto(harnessUrl, { timeout: 30_000 });
    await page.waitForFunction(() => window.harness !== undefined, { timeout: 15_000 });
    return new FirefoxLabParticipant(name, name.toLowerCase(), host, firefox, page);
  }

  async join(conferenceId: string): Promise<void> {
    await this.page.evaluate(
      (id, userId, name) => window.harness.join(id, { userId, name, create: true }),
      conferenceId,
      this.userId,
      this.name,
    );
  }

  publish(type: PublishType, options: { small?: boolean } = {}): Promise<string> {
    return this.page.evaluate((t, small) => window.harness.publish(t, { small }), type, options.small ?? true);
  }

  async setMuted(streamId: string, kind: 'audio' | 'video', muted: boolean): Promise<void> {
    await this.page.evaluate((id, k, m) => window.harness.setMuted(id, k, m), streamId, kind, muted);
  }

  async leave(): Promise<void> {
    await this.page.evaluate(() => window.harness.leave());
  }

  snapshot(): Promise<MediaSnapshot> {
    return snapshotMedia(this.page);
  }

  expectMediaFlowing(expected: MediaCounts, timeoutMs?: number): Promise<void> {
    return expectSnapshotsFlowing(() => this.snapshot(), expected, `${this.name} (firefox)`, timeoutMs);
  }

  events(): Promise<LoggedRoomEvent[]> {
    return this.page.evaluate(() => window.harness.log);
  }

  census(): Promise<RtcCensusCounts> {
    return this.page.evaluate(() => window.__rtcCensus.counts());
  }

  async close(): Promise<void> {
    await this.firefox.close();
  }
}

/**
 * Init script for Firefox: headless Firefox has no screen to capture and its fake devices
 * (media.navigator.streams.fake) cover the camera and microphone only, so getDisplayMedia answers
 * NotFoundError. This stands in the fake camera, at screen-like size, for the display: the
 * library's SCREEN path (getDisplayMedia, publish, the `ended` handling) runs unchanged. Runs in the
 * browser: sent as source text.
 */
export function installScreenStandIn(): void {
  const devices = navigator.mediaDevices;
  if (!devices) return;
  devices.getDisplayMedia = (options?: DisplayMediaStreamOptions) =>
    devices.getUserMedia({ video: { width: 640, height: 360, frameRate: 10 }, audio: Boolean(options?.audio) });
}
