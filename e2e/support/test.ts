import { test as base, type Browser } from '@playwright/test';
import { DemoPage } from './DemoPage.js';
import { Participant } from './Participant.js';

/** Opens participants for one test and closes their contexts after it, whatever happened. */
export class Call {
  readonly conferenceId: string;
  private readonly opened: Array<{ close(): Promise<void> }> = [];

  constructor(
    private readonly browser: Browser,
    testId: string,
  ) {
    // Unique per test and per run, so tests never share a conference on the shared server.
    this.conferenceId = `e2e-${testId.slice(0, 12)}-${Date.now().toString(36)}`;
  }

  /** Opens a participant's context and page, without joining. */
  async open(name: string): Promise<Participant> {
    const participant = await Participant.open(this.browser, name);
    this.opened.push(participant);
    return participant;
  }

  /** Opens the demo page for `name` in a fresh context (query: e.g. a shared link's `room`). */
  async openDemo(name: string, query: Record<string, string> = {}): Promise<DemoPage> {
    const demo = await DemoPage.open(this.browser, name, query);
    this.opened.push(demo);
    return demo;
  }

  /** Opens and joins each named participant in turn (the first creates the conference). */
  async join<const Names extends readonly string[]>(...names: Names): Promise<{ [K in keyof Names]: Participant }> {
    const joined: Participant[] = [];
    for (const name of names) {
      const participant = await this.open(name);
      await participant.join(this.conferenceId);
      joined.push(participant);
    }
    return joined as { [K in keyof Names]: Participant };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.opened.map((opened) => opened.close()));
  }
}

/** Playwright's `test` with a `call` fixture: participants in their own contexts, one conference per test. */
export const test = base.extend<{ call: Call }>({
  call: async ({ browser }, use, testInfo) => {
    const call = new Call(browser, testInfo.testId);
    await use(call);
    await call.close();
  },
});

export { expect } from '@playwright/test';
