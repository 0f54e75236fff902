import { expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { expectMediaFlowing, type MediaCounts } from './media.js';
import { e2eUrls, openContext } from './Participant.js';

/** One person using the demo page (demo/index.html) in their own browser context. */
export class DemoPage {
  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  /** Opens the demo with `query` (e.g. `{ room: 'x' }` for a shared link) without joining. */
  static async open(browser: Browser, name: string, query: Record<string, string> = {}): Promise<DemoPage> {
    const context = await openContext(browser);
    const page = await context.newPage();
    const demo = new DemoPage(name, context, page);
    await demo.goto(query);
    return demo;
  }

  async goto(query: Record<string, string> = {}): Promise<void> {
    const search = new URLSearchParams(query).toString();
    await this.page.goto(`${e2eUrls().pages}/demo/index.html${search ? `?${search}` : ''}`);
    await expect(this.page.getByRole('button', { name: /^Join/ })).toBeVisible();
  }

  /** Fills the form (the room field only when given: a shared link fills it) and presses Join. */
  async join(room?: string, devices: { camera?: boolean; microphone?: boolean } = {}): Promise<void> {
    await this.page.getByLabel('Your name').fill(this.name);
    if (room !== undefined) await this.page.getByLabel('Room').fill(room);
    await this.page.getByLabel('Camera').setChecked(devices.camera ?? true);
    await this.page.getByLabel('Microphone').setChecked(devices.microphone ?? true);
    await this.page.getByRole('button', { name: /^Join/ }).click();
  }

  /** Joins and waits until the call view shows our own tile(s). */
  async joinAndPublish(room?: string): Promise<void> {
    await this.join(room);
    await expect(this.page.locator('#call')).toBeVisible();
    await expect(this.localTiles()).toHaveCount(1);
  }

  localTiles(): Locator {
    return this.page.locator('.tile[data-local="true"]');
  }

  remoteTiles(): Locator {
    return this.page.locator('.tile[data-local="false"]');
  }

  /** The remote tile of `name`'s stream of `type`. */
  remoteTile(name: string, type = 'MIC_AND_CAM'): Locator {
    return this.remoteTiles().filter({ has: this.page.locator('.name', { hasText: name }) }).and(this.page.locator(`[data-type="${type}"]`));
  }

  message(): Locator {
    return this.page.locator('#message');
  }

  button(name: string | RegExp): Locator {
    return this.page.getByRole('button', { name });
  }

  async expectMediaFlowing(expected: MediaCounts): Promise<void> {
    await expectMediaFlowing(this.page, expected, `${this.name} (demo)`);
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
