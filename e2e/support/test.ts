import { test as base, type ParticipantFactory } from '@confer/testing';
import { DemoPage } from './DemoPage.js';
import { harnessUrl, Participant } from './Participant.js';

/** Opens participants for one test through `@confer/testing`'s `participant` fixture (which closes them after it), one conference per test. */
export class Call {
  readonly conferenceId: string;

  constructor(
    private readonly participant: ParticipantFactory,
    private readonly serverUrl: string,
    testId: string,
  ) {
    // Unique per test and per run, so tests never share a conference on the worker's server.
    this.conferenceId = `e2e-${testId.slice(0, 12)}-${Date.now().toString(36)}`;
  }

  /** Opens a participant's context and the harness page, without joining. */
  async open(name: string): Promise<Participant> {
    return Participant.on(await this.participant(name, { url: harnessUrl(this.serverUrl) }));
  }

  /** Opens the demo page for `name` in a fresh context (query: e.g. a shared link's `room`). */
  async openDemo(name: string, query: Record<string, string> = {}): Promise<DemoPage> {
    return DemoPage.on(await this.participant(name), { server: this.serverUrl, ...query });
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
}

/**
 * `@confer/testing`'s `test` with a `call` fixture on the e2e harness and demo pages. Every test
 * also exports its server's URL as CONFER_SERVER_URL, for helpers that open pages outside the call
 * (a test's own browser, e.g. with another autoplay policy).
 */
export const test = base.extend<{ call: Call; exportServerUrl: void }>({
  exportServerUrl: [
    async ({ conferServer }, use) => {
      process.env.CONFER_SERVER_URL = conferServer.url;
      await use();
    },
    { auto: true },
  ],
  call: async ({ participant, conferServer }, use, testInfo) => {
    await use(new Call(participant, conferServer.url, testInfo.testId));
  },
});

export { expect } from '@confer/testing';
