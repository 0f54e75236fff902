import { test as base, type Browser } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium, NO_CHROMIUM_HINT } from './chromium.js';
import { launchLabChromium } from './lab/labChromium.js';
import type { LabServer } from './lab/LabServer.js';
import { NetworkLab } from './lab/NetworkLab.js';
import { LabNetwork, Participant } from './Participant.js';
import { startConferServer, type ConferServer, type ConferServerOptions } from './server.js';

/** Where participants' browsers run: on the runner's loopback (default), or each on its own host of a network lab, with faults. */
export type ConferNetwork = 'loopback' | 'lab';

/** Options of one `participant(name, options)`. */
export interface ParticipantOptions {
  /** A URL to open at once (relative to `baseURL` when one is configured). */
  url?: string;
  /** The page's size; 1024×720 by default. */
  viewport?: { width: number; height: number };
}

/** `await participant('alice')`: a new participant, closed after the test. */
export type ParticipantFactory = (name: string, options?: ParticipantOptions) => Promise<Participant>;

/** The test-scoped options (`test.use({ conferNetwork: 'lab' })`). */
export interface ConferTestOptions {
  /** `loopback` (default) or `lab`: every participant on its own network namespace, `participant.network` injects faults. */
  conferNetwork: ConferNetwork;
}

/** The worker-scoped options (`test.use({ conferServerOptions: { strict: true } })`, or a project's `use`). */
export interface ConferWorkerOptions {
  /** How the reference server runs: in-process or child process, strict mode, more server options. */
  conferServerOptions: ConferServerOptions;
}

/** The fixtures every test gets. */
export interface ConferFixtures extends ConferTestOptions {
  /** The reference server this test's participants use: the worker's (one per worker), or in the lab this test's own. */
  conferServer: ConferServer;
  /** Opens participants: `const alice = await participant('alice')`. */
  participant: ParticipantFactory;
}

/** The worker-scoped fixtures. */
export interface ConferWorkerFixtures extends ConferWorkerOptions {
  /** The worker's Chromium with the participants' flags (fake devices, loopback ICE, no throttling). */
  conferBrowser: Browser;
}

interface InternalFixtures {
  _conferLab: { lab: NetworkLab; server: LabServer } | undefined;
}

interface InternalWorkerFixtures {
  /** Starts the worker's server on first use, so lab-only workers never start one. */
  _conferWorkerServer: () => Promise<ConferServer>;
}

/**
 * Playwright's `test` with the fixtures of `@confer/testing`: `conferServer` (the reference server,
 * one per worker, stopped after it) and `participant` (a factory of participants in their own
 * contexts with fake devices, permissions and the RTC census; in the lab, with network faults).
 */
export const test = base.extend<ConferFixtures & InternalFixtures, ConferWorkerFixtures & InternalWorkerFixtures>({
  conferNetwork: ['loopback', { option: true }],
  conferServerOptions: [{}, { option: true, scope: 'worker' }],

  conferBrowser: [
    async ({ playwright, launchOptions, headless }, use) => {
      const lookup = findChromium();
      if (!lookup.found && !launchOptions.executablePath) throw new Error(`@confer/testing: ${lookup.problem} ${NO_CHROMIUM_HINT}`);
      const executablePath = launchOptions.executablePath ?? (lookup.found ? lookup.executablePath : undefined);
      const args = [...CHROMIUM_ARGS, ...(launchOptions.args ?? []).filter((arg) => !CHROMIUM_ARGS.includes(arg))];
      const browser = await playwright.chromium.launch({ headless, ...launchOptions, args, ...(executablePath ? { executablePath } : {}) });
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],

  _conferWorkerServer: [
    async ({ conferServerOptions }, use) => {
      let started: Promise<ConferServer> | undefined;
      await use(() => (started ??= startConferServer(conferServerOptions)));
      // A server that failed to start already failed the tests that asked for it.
      await started?.then((server) => server.close(), () => undefined);
    },
    { scope: 'worker' },
  ],

  _conferLab: async ({ conferNetwork, conferServerOptions }, use, testInfo) => {
    if (conferNetwork !== 'lab') {
      await use(undefined);
      return;
    }
    const support = await NetworkLab.support();
    testInfo.skip(!support.ok, `the network lab cannot run here: ${support.ok ? '' : support.reason}`);
    const lab = await NetworkLab.create();
    try {
      const serverOptions = { ...jsonOnly(conferServerOptions.options), strict: conferServerOptions.strict ?? conferServerOptions.options?.strict ?? false };
      const server = await lab.startServer({ serverOptions });
      try {
        await use({ lab, server });
      } finally {
        if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('confer-server.log', { body: server.output.toString(), contentType: 'text/plain' });
      }
    } finally {
      await lab.close();
    }
  },

  conferServer: async ({ _conferLab, _conferWorkerServer, conferServerOptions }, use) => {
    if (!_conferLab) {
      await use(await _conferWorkerServer());
      return;
    }
    const server = _conferLab.server;
    await use({
      get url() {
        return server.url;
      },
      strict: conferServerOptions.strict ?? conferServerOptions.options?.strict ?? false,
      restart: () => server.restart(),
      close: () => server.close(),
    });
  },

  participant: async ({ conferBrowser, _conferLab, baseURL }, use) => {
    const opened: Participant[] = [];
    const hostNames = new Set<string>();
    await use(async (name, options = {}) => {
      const opening = { ...options, ...(baseURL ? { baseURL } : {}) };
      let participant: Participant;
      if (_conferLab) {
        const { lab } = _conferLab;
        const host = await lab.addHost(uniqueHostName(name, hostNames));
        const browser = lab.own(await launchLabChromium(host, { tempDir: lab.tempDir }));
        // The app the runner serves on its loopback opens under the same URL in the participant's namespace.
        for (const port of loopbackPorts([baseURL, options.url])) await lab.forwardLoopbackPort(host, port);
        participant = await Participant.open(browser, name, { ...opening, network: new LabNetwork(host) });
      } else {
        participant = await Participant.open(conferBrowser, name, opening);
      }
      opened.push(participant);
      return participant;
    });
    await Promise.allSettled(opened.map((participant) => participant.close()));
  },
});

export { expect } from '@playwright/test';

/** Lab host names are 1–12 of [a-z0-9] and unique in the lab ('server' is the server's). */
function uniqueHostName(name: string, taken: Set<string>): string {
  const base = (name.toLowerCase().replace(/[^a-z0-9]/g, '') || 'p').slice(0, 10);
  let candidate = base === 'server' ? 'p' + base : base;
  for (let n = 2; taken.has(candidate); n += 1) candidate = `${base}${n}`;
  taken.add(candidate);
  return candidate;
}

/** The ports of the URLs that point at the runner's loopback. */
function loopbackPorts(urls: Array<string | undefined>): number[] {
  const ports = new Set<number>();
  for (const text of urls) {
    if (!text || !/^https?:/.test(text)) continue;
    const url = new URL(text);
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') continue;
    ports.add(Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
  }
  return [...ports];
}

/** Options the lab sets itself: its server's address, port and token secret. */
const LAB_OWNED = new Set(['host', 'port', 'tokenSecret']);

/** The server options the lab's process can take: JSON-serialisable (no functions), and none the lab sets itself. */
function jsonOnly(options: ConferServerOptions['options']): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([key, value]) => typeof value !== 'function' && value !== undefined && !LAB_OWNED.has(key)));
}
