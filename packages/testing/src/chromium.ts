import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/** Where Debian's `chromium` package puts its launcher. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * The flags every participant's Chromium runs with: fake camera, microphone and screen, no permission
 * prompts, loopback ICE candidates allowed, and no background work or throttling that could slow a call
 * between pages that are all "in the background" of one headless browser.
 */
export const CHROMIUM_ARGS: string[] = [
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

/** The one line printed or thrown when no Chromium is found. */
export const NO_CHROMIUM_HINT =
  'No Chromium found: `apt-get install chromium` (used from /usr/bin/chromium), `npx playwright install chromium`, or set CHROMIUM_PATH to a Chromium or Chrome executable.';

/** Where {@link findChromium} found a browser: an executable, or Playwright's own (`undefined` executable). */
export type ChromiumLookup = { found: true; executablePath: string | undefined } | { found: false; problem: string };

/** What {@link findChromium} looks at; tests pass their own. */
export interface ChromiumLookupPlaces {
  env?: NodeJS.ProcessEnv;
  debianChromium?: string;
  playwrightChromium?: () => string;
  exists?: (path: string) => boolean;
}

/**
 * Finds the Chromium to run: `$CHROMIUM_PATH` when set (it must exist), else Debian's
 * `/usr/bin/chromium`, else Playwright's own browser (`executablePath: undefined`), else not found.
 */
export function findChromium(places: ChromiumLookupPlaces = {}): ChromiumLookup {
  const env = places.env ?? process.env;
  const exists = places.exists ?? existsSync;
  const explicit = env.CHROMIUM_PATH;
  if (explicit) return exists(explicit) ? { found: true, executablePath: explicit } : { found: false, problem: `CHROMIUM_PATH=${explicit} does not exist.` };
  const debian = places.debianChromium ?? DEBIAN_CHROMIUM;
  if (exists(debian)) return { found: true, executablePath: debian };
  const own = (places.playwrightChromium ?? (() => chromium.executablePath()))();
  if (own && exists(own)) return { found: true, executablePath: undefined };
  return { found: false, problem: `no Chromium at ${debian} and Playwright has no browser of its own.` };
}

/**
 * {@link findChromium} for a Playwright config: the executable (`undefined`: Playwright's own), or,
 * when there is none, prints the one-line hint and exits, because a missing browser is a setup step,
 * not a failure worth a stack trace.
 */
export function resolveChromium(places: ChromiumLookupPlaces = {}): string | undefined {
  const lookup = findChromium(places);
  if (lookup.found) return lookup.executablePath;
  process.stderr.write(`\n@confer/testing: ${lookup.problem} ${NO_CHROMIUM_HINT}\n\n`);
  process.exit(1);
}
