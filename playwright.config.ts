import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, resolveChromium } from './e2e/support/chromium.js';

const executablePath = resolveChromium();
const onCi = Boolean(process.env.CI);

/**
 * Real calls in real Chromium against the in-process reference server (e2e/globalSetup.ts): project
 * `chromium`. Project `lab` (e2e/lab, see e2e/README.md) runs calls between Chromium and Firefox
 * across network namespaces with injected faults, each test in its own lab with its own server;
 * `npm run e2e:lab` runs it alone, and it skips itself where namespaces cannot be made.
 * Each test opens one browser context per participant, so one worker per core at most; the
 * default is one, because a 4-party call already keeps both cores of the reference machine busy
 * encoding, forwarding and decoding. E2E_WORKERS raises it on bigger machines.
 */
export default defineConfig({
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
    { name: 'chromium', testIgnore: 'lab/**' },
    // Each lab test starts a server and one browser process per participant, and waits out its faults.
    { name: 'lab', testMatch: 'lab/**/*.spec.ts', timeout: 150_000 },
  ],
});
