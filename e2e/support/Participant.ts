import type { Browser, BrowserContext, Page } from '@playwright/test';
import { Participant as ConferParticipant, type RtcCensusCounts } from '@confer/testing';
import type { PublishType } from 'confer';
import type { LoggedRoomEvent } from '../fixtures/harness.js';
import { expectMediaFlowing, type MediaCounts } from './media.js';

/** Where the e2e pages (built once by e2e/globalSetup.ts) and this worker's reference server run. */
export function e2eUrls(): { server: string; pages: string } {
  const server = process.env.CONFER_SERVER_URL;
  const pages = process.env.CONFER_PAGES_URL;
  if (!server || !pages) throw new Error('CONFER_SERVER_URL / CONFER_PAGES_URL are unset: run through playwright.config.ts (globalSetup and e2e/support/test.ts)');
  return { server, pages };
}

/** Where the page servers (this worker's, a lab server's `pageUrl`) serve the harness page. */
export const HARNESS_PATH = '/e2e/fixtures/harness.html';

/** The harness page pointed at `server` (this worker's server by default). */
export function harnessUrl(server?: string): string {
  const pages = process.env.CONFER_PAGES_URL;
  if (!pages) throw new Error('CONFER_PAGES_URL is unset: run through playwright.config.ts (globalSetup builds the pages)');
  return `${pages}${HARNESS_PATH}?server=${encodeURIComponent(server ?? e2eUrls().server)}`;
}

/**
 * One person in a call driving the harness page's `Room`: a `@confer/testing` participant (own
 * context, fake devices, RTC census) on e2e/fixtures/harness.html. Methods are the test-side mirror
 * of e2e/fixtures/harness.ts.
 */
export class Participant {
  readonly userId: string;

  private constructor(readonly person: ConferParticipant) {
    this.userId = person.name.toLowerCase();
  }

  get name(): string {
    return this.person.name;
  }

  get context(): BrowserContext {
    return this.person.context;
  }

  get page(): Page {
    return this.person.page;
  }

  /** Opens the harness page for `name` in a fresh context of `browser` (`harness`: elsewhere than this worker's server and page server, e.g. in e2e/lab). */
  static async open(browser: Browser, name: string, harness = harnessUrl()): Promise<Participant> {
    return Participant.on(await ConferParticipant.open(browser, name, { url: harness }));
  }

  /** Waits until `person`'s page (the harness, already opened) is ready. */
  static async on(person: ConferParticipant): Promise<Participant> {
    await person.page.waitForFunction(() => window.harness !== undefined);
    return new Participant(person);
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
  census(): Promise<RtcCensusCounts> {
    return this.person.census();
  }

  async close(): Promise<void> {
    await this.person.close();
  }
}
