import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/** Where Debian's `chromium` package puts its launcher. */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * The flags every e2e browser runs with: fake camera, microphone and screen, no permission prompts,
 * loopback ICE candidates allowed, and no background work or throttling that could slow a call
 * between pages that are all "in the background" of one headless browser.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
];

/**
 * The Chromium executable for the e2e run: `$CHROMIUM_PATH`, else Debian's, else `undefined` when
 * Playwright has its own browser. When there is none, prints how to get one and exits: a missing
 * browser is a setup step, not a test failure worth a stack trace.
 */
export function resolveChromium(env: NodeJS.ProcessEnv = process.env, debianChromium = DEBIAN_CHROMIUM): string | undefined {
  const explicit = env.CHROMIUM_PATH;
  if (explicit) {
    if (existsSync(explicit)) return explicit;
    return exitWithHint(`CHROMIUM_PATH=${explicit} does not exist.`);
  }
  if (existsSync(debianChromium)) return debianChromium;
  if (existsSync(chromium.executablePath())) return undefined;
  return exitWithHint(`No Chromium found at ${debianChromium}, and Playwright has no browser of its own.`);
}

function exitWithHint(problem: string): never {
  process.stderr.write(
    [
      '',
      `e2e: ${problem}`,
      'The end-to-end tests need a Chromium. Get one with either:',
      '  sudo apt-get install chromium          (Debian/Ubuntu; the tests use /usr/bin/chromium)',
      '  npx playwright install chromium        (where downloads work)',
      'or point CHROMIUM_PATH at an existing Chromium or Chrome executable.',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
