import { expect, type BrowserContext, type Locator, type Page, type TestInfo } from '@playwright/test';
import type { Participant } from '@confer/testing';
import { expectMediaFlowing, type MediaCounts } from './media.js';
import { e2eUrls } from './Participant.js';

/** The viewports the demo must fit: a laptop, a desktop monitor, a phone held upright. */
export const VIEWPORTS = {
  laptop: { width: 1280, height: 800 },
  desktop: { width: 1920, height: 1080 },
  phone: { width: 390, height: 844 },
} as const;

/** What the pre-join toggles should be set to before joining (both on by default). */
export interface JoinDevices {
  camera?: boolean;
  microphone?: boolean;
}

/** One person using the demo page (demo/index.html) in their own browser context (a `@confer/testing` participant). */
export class DemoPage {
  /** Every console error and uncaught exception of the page, with the URL it concerns. */
  readonly errors: Array<{ text: string; url: string }> = [];
  readonly name: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** The demo's `?server=` and whatever else every {@link goto} passes, under its own query. */
  private readonly baseQuery: Record<string, string>;

  private constructor(person: Participant, baseQuery: Record<string, string>) {
    this.name = person.name;
    this.context = person.context;
    this.page = person.page;
    this.baseQuery = baseQuery;
    const page = this.page;
    page.on('console', (message) => {
      if (message.type() === 'error') this.errors.push({ text: message.text(), url: message.location().url });
    });
    page.on('pageerror', (error) => this.errors.push({ text: String(error), url: '' }));
  }

  /**
   * Opens the demo on `person`'s fresh page with `query` (`server`: the conference server; e.g.
   * `room` for an invite link) on its pre-join screen.
   */
  static async on(person: Participant, query: Record<string, string>): Promise<DemoPage> {
    const { server, ...rest } = query;
    const demo = new DemoPage(person, server ? { server } : {});
    await demo.goto(rest);
    return demo;
  }

  /** (Re)opens the demo; `query` goes over the server it was opened with (`{ server: … }` points it elsewhere). */
  async goto(query: Record<string, string> = {}): Promise<void> {
    const search = new URLSearchParams({ ...this.baseQuery, ...query }).toString();
    await this.page.goto(`${e2eUrls().pages}/demo/index.html${search ? `?${search}` : ''}`);
    await expect(this.page.getByRole('button', { name: 'Join', exact: true })).toBeVisible();
  }

  /** Fills the pre-join form (the room only when given: an invite link fills it), sets the toggles, presses Join. */
  async join(room?: string, devices: JoinDevices = {}): Promise<void> {
    await this.fill(room, devices);
    await this.page.getByRole('button', { name: 'Join', exact: true }).click();
  }

  /** Like {@link join}, but presses "New meeting", which creates the room. */
  async create(room: string, devices: JoinDevices = {}): Promise<void> {
    await this.fill(room, devices);
    await this.page.getByRole('button', { name: 'New meeting' }).click();
  }

  /** Creates (`create`) or joins the room and waits until our own tile plays our camera. */
  async enter(room: string | undefined, options: { create?: boolean } = {}): Promise<void> {
    if (options.create) await this.create(room ?? '');
    else await this.join(room);
    await expect(this.page.locator('#call')).toBeVisible();
    await expect(this.selfTile().locator('video')).toHaveCount(1);
    await expect(this.selfTile()).toHaveAttribute('data-has-video', 'true');
  }

  selfTile(): Locator {
    return this.page.locator('.tile[data-local="true"][data-kind="person"]');
  }

  remoteTiles(): Locator {
    return this.page.locator('.tile[data-local="false"]');
  }

  /** The tile of `name` (their camera and microphone), or of their screen share. */
  remoteTile(name: string, kind: 'person' | 'screen' = 'person'): Locator {
    return this.page.locator(`.tile[data-local="false"][data-kind="${kind}"]`).filter({ has: this.page.locator('.name', { hasText: name }) });
  }

  /** The sentence on the pre-join screen (why the last call ended or a join failed). */
  message(): Locator {
    return this.page.locator('#message');
  }

  button(name: string | RegExp): Locator {
    return this.page.getByRole('button', { name, exact: typeof name === 'string' });
  }

  async expectMediaFlowing(expected: MediaCounts): Promise<void> {
    await expectMediaFlowing(this.page, expected, `${this.name} (demo)`);
  }

  /**
   * Resizes the page to `viewport` and waits until the page fits it: nothing scrolls, every visible
   * control is inside the viewport, and no two tiles overlap.
   */
  async expectFits(viewport: { width: number; height: number }): Promise<void> {
    await this.page.setViewportSize(viewport);
    await expect
      .poll(() => this.page.evaluate(findLayoutProblems), { message: `${this.name}'s page fits ${viewport.width}×${viewport.height}` })
      .toEqual([]);
  }

  /** Saves a screenshot under the test's output folder and attaches it to the report. */
  async screenshot(testInfo: TestInfo, name: string): Promise<void> {
    const path = testInfo.outputPath(`${name}.png`);
    await this.page.screenshot({ path, animations: 'disabled' });
    await testInfo.attach(name, { path, contentType: 'image/png' });
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  private async fill(room: string | undefined, devices: JoinDevices): Promise<void> {
    await this.page.getByLabel('Your name').fill(this.name);
    if (room !== undefined) await this.page.getByLabel('Room').fill(room);
    await this.setToggle('camera', devices.camera ?? true);
    await this.setToggle('microphone', devices.microphone ?? true);
  }

  private async setToggle(kind: 'camera' | 'microphone', on: boolean): Promise<void> {
    const toggle = this.page.locator(`#prejoin-${kind}`);
    if ((await toggle.getAttribute('aria-pressed')) !== String(on)) await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', String(on));
  }
}

/**
 * Runs in the page: what is wrong with the layout right now, as sentences (empty when it fits).
 * Sent as source text, so it uses nothing from outside its own body.
 */
function findLayoutProblems(): string[] {
  const problems: string[] = [];
  const { innerWidth: width, innerHeight: height } = window;
  const root = document.scrollingElement ?? document.documentElement;
  if (root.scrollHeight > height + 1 || root.scrollWidth > width + 1) problems.push(`the page scrolls (${root.scrollWidth}×${root.scrollHeight})`);
  const visible = (element: Element) => {
    const rect = element.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0 && getComputedStyle(element).visibility !== 'hidden';
  };
  for (const button of document.querySelectorAll('.controls button')) {
    if (!visible(button)) continue;
    const rect = button.getBoundingClientRect();
    if (rect.left < 0 || rect.top < 0 || rect.right > width + 0.5 || rect.bottom > height + 0.5) problems.push(`control "${button.getAttribute('aria-label') ?? button.textContent}" is outside the viewport`);
  }
  const tiles = [...document.querySelectorAll('.tile')].filter(visible).map((tile) => ({ name: tile.querySelector('.name')?.textContent ?? '', rect: tile.getBoundingClientRect() }));
  tiles.forEach((a, i) => {
    for (const b of tiles.slice(i + 1)) {
      const overlap = a.rect.left < b.rect.right - 0.5 && b.rect.left < a.rect.right - 0.5 && a.rect.top < b.rect.bottom - 0.5 && b.rect.top < a.rect.bottom - 0.5;
      if (overlap) problems.push(`tiles "${a.name}" and "${b.name}" overlap`);
    }
  });
  const area = document.querySelector('#tiles');
  if (area && visible(area)) {
    const box = area.getBoundingClientRect();
    // Only a scrolling (very large) call may put tiles outside the tile area.
    if ((area as HTMLElement).dataset.scroll === 'none') {
      for (const { name, rect } of tiles) if (rect.left < box.left - 0.5 || rect.right > box.right + 0.5 || rect.top < box.top - 0.5 || rect.bottom > box.bottom + 0.5) problems.push(`tile "${name}" sticks out of the tile area`);
    }
  }
  return problems;
}
