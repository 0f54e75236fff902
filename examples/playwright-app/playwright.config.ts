import { defineConfig } from '@playwright/test';
import type { ConferTestOptions, ConferWorkerOptions } from '@confer/testing';

const port = 5391;

export default defineConfig<ConferTestOptions, ConferWorkerOptions>({
  testDir: 'tests',
  timeout: 60_000,
  forbidOnly: Boolean(process.env.CI),
  use: { baseURL: `http://127.0.0.1:${port}`, trace: 'retain-on-failure' },
  // The app under test, served by Vite; the conference server is the `conferServer` fixture's.
  webServer: { command: `npm run dev -- --port ${port} --strictPort`, url: `http://127.0.0.1:${port}`, reuseExistingServer: !process.env.CI },
});
