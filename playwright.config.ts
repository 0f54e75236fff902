import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, resolveChromium, type ConferTestOptions, type ConferWorkerOptions } from '@confer/testing';

const executablePath = resolveChromium();
const onCi = Boolean(process.env.CI);

/** The call specs that must also pass against the server's strict mode (not the demo's, the lab's or the awareness specs). */
const CALL_SPECS = ['call.spec.ts', 'conference.spec.ts', 'publishing.spec.ts', 'cleanup.spec.ts'];

/**
 * Real calls in real Chromium through `@confer/testing` (packages/testing): each worker has its own
 * in-process reference server (loopback media, free port), e2e/globalSetup.ts builds the pages once.
 * Projects: `chromium` (every e2e/*.spec.ts; CONFER_STRICT=1 puts its server in strict mode too),
 * `strict` (the call specs against a server in strict mode: only what the API documentation
 * promises), `lab` (e2e/lab, see e2e/README.md: calls between Chromium and Firefox across network
 * namespaces with injected faults, each test in its own lab with its own server; `npm run e2e:lab`
 * runs it alone, and it skips itself where namespaces cannot be made).
 * Each test opens one browser context per participant, so one worker per core at most; the
 * default is one, because a 4-party call already keeps both cores of the reference machine busy
 * encoding, forwarding and decoding. E2E_WORKERS raises it on bigger machines.
 */
export default defineConfig<ConferTestOptions, ConferWorkerOptions>({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/globalSetup.ts',
  timeout: 90_000,
  // The whole run, setup included, must leave room in the 30-minute CI budget for the other tests.
  globalTimeout: 20 * 60_000,
  expect: { timeout: 20_000 },
  forbidOnly: onCi,
  retries: 0,
  workers: Number(process.env.E2E_WORKERS ?? 1),
  fullyParallel: true,
  reporter: onCi ? [['list'], ['html', { open: 'never' }]] : [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    permissions: ['camera', 'microphone'],
    actionTimeout: 15_000,
    navigationTimeout: 15_000,
    launchOptions: { args: CHROMIUM_ARGS, ...(executablePath ? { executablePath } : {}) },
  },
  projects: [
    { name: 'chromium', testIgnore: 'lab/**', use: { conferServerOptions: { strict: process.env.CONFER_STRICT === '1' } } },
    { name: 'strict', testMatch: CALL_SPECS, use: { conferServerOptions: { strict: true } } },
    // Each lab test starts a server and one browser process per participant, and waits out its faults.
    { name: 'lab', testMatch: 'lab/**/*.spec.ts', timeout: 150_000 },
  ],
});
