import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';
import { chromium } from '@playwright/test';
import type { Browser, Page } from '@playwright/test';
import { CHROMIUM_ARGS, resolveChromium } from '@confer/testing';
import { workspaceAliases } from '../../workspaceAliases.js';
import { onCleanup } from './cleanup.js';
import { listenOnLoopback } from './listenOnLoopback.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The bench page, bundled with esbuild from the package entry and served on 127.0.0.1. */
export interface BenchPages {
  /** URL of the bench page. */
  url: string;
  close(): Promise<void>;
}

/** Bundles bench/page/benchPage.ts (minified, as an application would ship it) and serves it. */
export async function serveBenchPage(): Promise<BenchPages> {
  // esbuild keeps a service process alive after a build; stop it with the benchmark.
  onCleanup('esbuild service', () => stop());
  const bundle = await build({
    entryPoints: [`${root}bench/page/benchPage.ts`],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    alias: workspaceAliases,
    logLevel: 'warning',
  });
  const files: Record<string, { type: string; body: string | Uint8Array }> = {
    '/': { type: 'text/html', body: readFileSync(`${root}bench/page/index.html`, 'utf8') },
    '/benchPage.js': { type: 'text/javascript', body: bundle.outputFiles[0]!.contents },
  };
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://x').pathname];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  const { port, close } = await listenOnLoopback(server);
  onCleanup('bench page server', close);
  return { url: `http://127.0.0.1:${port}/`, close };
}

/** Launches Chromium with the bench flags; closed by the benchmark's cleanup. */
export async function launchChromium(): Promise<Browser> {
  // The same browser and flags as the e2e calls, so the numbers describe what the tests prove works.
  const browser = await chromium.launch({ executablePath: resolveChromium(), args: CHROMIUM_ARGS, headless: true });
  onCleanup('chromium', () => browser.close());
  return browser;
}

/** Opens the bench page in a new context (one renderer per participant, like separate tabs of separate users). */
export async function openBenchPage(browser: Browser, pages: BenchPages): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.warn('bench page error:', error.message));
  await page.goto(pages.url);
  await page.waitForFunction(() => window.bench !== undefined);
  return page;
}
