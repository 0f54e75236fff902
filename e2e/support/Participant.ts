import type { Browser, BrowserContext, Page } from '@playwright/test';
import type { PublishType } from 'confer';
import type { LoggedRoomEvent } from '../fixtures/harness.js';
import { expectMediaFlowing, type MediaCounts } from './media.js';
import { installRtcCensus, type RtcCensusCounts } from './rtcCensus.js';

/** Where the e2e pages and the reference server run, set by e2e/globalSetup.ts. */
export function e2eUrls(): { server: string; pages: string } {
  const server = process.env.CONFER_SERVER_URL;
  const pages = process.env.CONFER_PAGES_URL;
  if (!server || !pages) throw new Error('CONFER_SERVER_URL / CONFER_PAGES_URL are unset: run through playwright.config.ts (globalSetup)');
  return { server, pages };
}

/** Opens a browser context with the RTC census installed, one per participant. */
export async function openContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 1024, height: 720 } });
  await context.addInitScript(installRtcCensus);
  return context;
}

/**
 * One person in a call, in their own browser context, driving the harness page's `Room`.
 * Methods are the test-side mirror of e2e/fixtures/harness.ts.
 */
export class Participant {
  private constructor(
    readonly name: string,
    readonly userId: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  /** Opens the harness page for `name` in a fresh context (`harnessUrl`: elsewhere than the run's page server, e.g. in e2e/lab). */
  static async open(browser: Browser, name: string, harnessUrl = `${e2eUrls().pages}/e2e/fixtures/harness.html`): Promise<Participant> {
    const context = await openContext(browser);
    const page = await context.newPage();
    await page.goto(harnessUrl);
    await page.waitForFunction(() => window.harness !== undefined);
    return new Participant(name, name.toLowerCase(), context, page);
  }

  async join(conferenceId: string, options: { create?: boolean } = {}): Promise<void> {
    await this.page.evaluate(
      ([id, userId, name, create]) => window.harness.join(id, { userId, name, create }),
      [conferenceId, this.userId, this.name, options.create ?? true] as const,
    );
  }

  /** Publishes; `small` (default) captures 320×240 at 15 fps to spare the CPU. Returns the stream id. */
  async publish(type: PublishType, options: { small?: boolean } = {}): Promise<string> {
    return this.page.evaluate(([t, small]) => window.harness.publish(t, { small }), [type, options.small ?? true] as const);
  }

  async unpublish(streamId: string): Promise<void> {
    await this.page.evaluate((id) => window.harness.unpublish(id), streamId);
  }

  async setMuted(streamId: string, kind: 'audio' | 'video', muted: boolean): Promise<void> {
    await this.page.evaluate(([id, k, m]) => window.harness.setMuted(id, k, m), [streamId, kind, muted] as const);
  }

  async leave(): Promise<void> {
    await this.page.evaluate(() => window.harness.leave());
  }

  async end(): Promise<void> {
    await this.page.evaluate(() => window.harness.end());
  }

  /** Waits until exactly these remote media play and keep flowing. */
  async expectMediaFlowing(expected: MediaCounts): Promise<void> {
    await expectMediaFlowing(this.page, expected, this.name);
  }

  /** Stream ids of the remote `<video>` elements on the page. */
  async remoteStreamIds(): Promise<string[]> {
    return this.page.locator('video[data-remote="true"]').evaluateAll((videos) =>
      videos.map((video) => (video as HTMLVideoElement).dataset.streamId ?? '').sort(),
    );
  }

  /** The room's event log (names and details, serialisable). */
  async events(): Promise<LoggedRoomEvent[]> {
    return this.page.evaluate(() => window.harness.log);
  }

  /** Live peer connections and tracks on the page. */
  async census(): Promise<RtcCensusCounts> {
    return this.page.evaluate(() => window.__rtcCensus.counts());
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
