import { describe, expect, it } from 'vitest';
import { findChromium } from '../src/chromium.js';

const only = (...paths: string[]) => (path: string) => paths.includes(path);
const places = { debianChromium: '/usr/bin/chromium', playwrightChromium: () => '/cache/ms-playwright/chrome' };

describe('findChromium', () => {
  it('takes CHROMIUM_PATH first, even when Debian has one', () => {
    expect(findChromium({ ...places, env: { CHROMIUM_PATH: '/opt/chrome' }, exists: only('/opt/chrome', '/usr/bin/chromium') })).toEqual({ found: true, executablePath: '/opt/chrome' });
  });

  it('says so when CHROMIUM_PATH names nothing, instead of falling back', () => {
    expect(findChromium({ ...places, env: { CHROMIUM_PATH: '/nope' }, exists: only('/usr/bin/chromium') })).toEqual({ found: false, problem: 'CHROMIUM_PATH=/nope does not exist.' });
  });

  it("takes Debian's Chromium next", () => {
    expect(findChromium({ ...places, env: {}, exists: only('/usr/bin/chromium', '/cache/ms-playwright/chrome') })).toEqual({ found: true, executablePath: '/usr/bin/chromium' });
  });

  it("then Playwright's own browser, which Playwright launches without an executable path", () => {
    expect(findChromium({ ...places, env: {}, exists: only('/cache/ms-playwright/chrome') })).toEqual({ found: true, executablePath: undefined });
  });

  it('finds nothing when none of the three exists', () => {
    expect(findChromium({ ...places, env: {}, exists: only() })).toEqual({ found: false, problem: "no Chromium at /usr/bin/chromium and Playwright has no browser of its own." });
  });
});
