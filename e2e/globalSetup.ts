import type { FullConfig } from '@playwright/test';
import { startServer } from '@confer/server';
import { runId, sweepRun } from './lab/NetworkLab.js';
import { buildAndServePages } from './support/buildPages.js';

/**
 * Starts the reference conference server in this process (loopback media, free port) and serves
 * the built demo and harness pages; their URLs reach the test workers through the environment
 * (workers start after this and inherit it). Returns the teardown, which also removes whatever a
 * killed lab test left behind.
 */
export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  process.env.RTC_LOOPBACK ??= '1';
  // CONFER_STRICT=1: the server answers only what the published documentation promises (packages/server/README.md).
  const server = await startServer({ host: '127.0.0.1', port: 0, media: { loopback: true }, strict: process.env.CONFER_STRICT === '1' });
  try {
    const pages = await buildAndServePages(server.url);
    process.env.CONFER_SERVER_URL = server.url;
    process.env.CONFER_PAGES_URL = pages.url;
    // The network lab (e2e/lab) serves the same build from inside its namespaces; its namespaces carry this run's id.
    process.env.CONFER_PAGES_DIR = pages.dir;
    runId();
    return async () => {
      await sweepRun();
      await pages.close();
      await server.close();
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}
