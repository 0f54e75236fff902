import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium, NO_CHROMIUM_HINT } from '../chromium.js';
import type { LabHost } from './LabHost.js';

/**
 * The participants' flags minus loopback-only ICE, plus: real host addresses in candidates instead of
 * mDNS names (nothing in the lab resolves .local), and, given `pagesOrigin`, that plain-HTTP origin in
 * the lab treated as secure so getUserMedia works there (127.0.0.1 origins are secure anyway).
 */
export function labChromiumArgs(pagesOrigin?: string): string[] {
  return [
    ...CHROMIUM_ARGS.filter((arg) => arg !== '--allow-loopback-in-peer-connection'),
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    ...(pagesOrigin ? [`--unsafely-treat-insecure-origin-as-secure=${pagesOrigin}`] : []),
  ];
}

/**
 * Launches Chromium inside `host`'s namespace through Playwright. Playwright runs the browser as
 * `executablePath` and talks to it over a pipe (--remote-debugging-pipe), which crosses network
 * namespaces, so the executable is a generated wrapper: `exec ip netns exec <ns> chromium "$@"`.
 */
export async function launchLabChromium(host: LabHost, options: { tempDir: string; pagesOrigin?: string }): Promise<Browser> {
  const lookup = findChromium();
  if (!lookup.found) throw new Error(`${lookup.problem} ${NO_CHROMIUM_HINT}`);
  const executable = lookup.executablePath ?? chromium.executablePath();
  const wrapper = path.join(options.tempDir, `chromium-${host.name}.sh`);
  await writeFile(wrapper, `#!/bin/sh\nexec ${[...host.execPrefix, executable].map(shellQuote).join(' ')} "$@"\n`);
  await chmod(wrapper, 0o755);
  // LAB_NETLOG_DIR: each host's Chromium writes its net log there (sockets, connection attempts, requests) for diagnosis,
  // named by the host's namespace, so labs running side by side with the same host names do not overwrite each other's.
  const netLog = process.env.LAB_NETLOG_DIR ? [`--log-net-log=${path.join(process.env.LAB_NETLOG_DIR, `netlog-${host.namespace}.json`)}`] : [];
  return chromium.launch({ executablePath: wrapper, headless: true, args: [...labChromiumArgs(options.pagesOrigin), ...netLog], timeout: 30_000 });
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
