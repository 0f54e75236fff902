import { test as base } from '@playwright/test';
import { launchLabChromium, launchLabFirefox, NetworkLab, resolveFirefox, type LabServer } from '@confer/testing/lab';
import { HARNESS_PATH } from '../support/Participant.js';
import { ChromiumLabParticipant, FirefoxLabParticipant, type LabParticipant } from './LabParticipant.js';

/** One test's lab with the server started, and a conference to meet in. */
export class LabCall {
  readonly conferenceId: string;

  constructor(
    readonly lab: NetworkLab,
    readonly server: LabServer,
    testId: string,
  ) {
    this.conferenceId = `lab-${testId.slice(0, 12)}-${Date.now().toString(36)}`;
  }

  /** A new lab host `name` (lower-cased) with its own Chromium, showing the harness page; not joined. */
  async chromium(name: string): Promise<LabParticipant> {
    const host = await this.lab.addHost(name.toLowerCase());
    const browser = await launchLabChromium(host, { tempDir: this.lab.tempDir, pagesOrigin: this.server.pagesUrl });
    try {
      return this.lab.own(await ChromiumLabParticipant.open(host, browser, name, this.server.pageUrl(HARNESS_PATH)));
    } catch (error) {
      await browser.close();
      throw error;
    }
  }

  /** A new lab host `name` with its own Firefox (puppeteer over WebDriver BiDi); not joined. Skips the test without Firefox. */
  async firefox(name: string): Promise<LabParticipant> {
    const executablePath = resolveFirefox();
    base.skip(!executablePath, 'no Firefox: apt-get install firefox-esr (the lab drives /usr/bin/firefox-esr), or set FIREFOX_PATH');
    const host = await this.lab.addHost(name.toLowerCase());
    const firefox = this.lab.own(await launchLabFirefox(host, { tempDir: this.lab.tempDir, executablePath: executablePath as string }));
    return this.lab.own(await FirefoxLabParticipant.open(host, firefox, name, this.server.pageUrl(HARNESS_PATH)));
  }
}

/**
 * Playwright's `test` with a `call` fixture: a fresh {@link NetworkLab} per test with the server in
 * it, closed after the test whatever happened (the server's output is attached when the test failed).
 * Skips with the reason when this machine cannot make network namespaces.
 */
export const test = base.extend<{ call: LabCall; labServerEnv: Record<string, string> }>({
  /** More environment for the lab server (`test.use({ labServerEnv: { CONFER_GHOST_SICK_AFTER_MS: '10000' } })`). */
  labServerEnv: [{}, { option: true }],
  call: async ({ labServerEnv }, use, testInfo) => {
    const support = await NetworkLab.support();
    testInfo.skip(!support.ok, `network lab unavailable: ${support.ok ? '' : support.reason}`);
    const pagesDir = process.env.CONFER_PAGES_DIR;
    if (!pagesDir) throw new Error('CONFER_PAGES_DIR is unset: run through playwright.config.ts (e2e/globalSetup.ts builds the pages)');
    const lab = await NetworkLab.create({ pagesDir });
    try {
      const server = await lab.startServer({ env: labServerEnv });
      try {
        await use(new LabCall(lab, server, testInfo.testId));
      } finally {
        if (testInfo.status !== testInfo.expectedStatus) {
          await testInfo.attach('lab-server.log', { body: server.output.toString(), contentType: 'text/plain' });
          const faults = await Promise.all(lab.allHosts().map(async (host) => `# ${host.name} ${host.address}\n${await host.describeFaults()}`));
          await testInfo.attach('lab-faults.txt', { body: faults.join('\n'), contentType: 'text/plain' });
        }
      }
    } finally {
      await lab.close();
    }
  },
});

export { expect } from '@playwright/test';
