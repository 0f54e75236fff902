import type { FullConfig } from '@playwright/test';
import { runId, sweepRun } from '@confer/testing/lab';
import { buildAndServePages } from './support/buildPages.js';

/**
 * Builds and serves the demo and harness pages once for the run; their URL reaches the test workers
 * through the environment (workers start after this and inherit it). Each worker has its own
 * reference server (`@confer/testing`'s `conferServer` fixture), which the pages are told with
 * `?server=`. Returns the teardown, which also removes whatever a killed lab test left behind.
 */
export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  process.env.RTC_LOOPBACK ??= '1';
  const pages = await buildAndServePages();
  process.env.CONFER_PAGES_URL = pages.url;
  // The network lab (e2e/lab) serves the same build from inside its namespaces; its namespaces carry this run's id.
  process.env.CONFER_PAGES_DIR = pages.dir;
  runId();
  return async () => {
    await sweepRun();
    await pages.close();
  };
}
