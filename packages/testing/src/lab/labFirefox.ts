import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect as connectSocket } from 'node:net';
import path from 'node:path';
import type { Browser, ConnectionTransport } from 'puppeteer-core';
import type WebSocket from 'ws';
import { killGroup, OutputTail, waitForOutput } from './exec.js';
import { startForwarder, type Closable } from './forwarding.js';
import type { LabHost } from './LabHost.js';

/** Where Debian's `firefox-esr` package puts its launcher. */
const DEBIAN_FIREFOX = '/usr/bin/firefox-esr';
/** Firefox's WebDriver BiDi port inside its namespace: the namespace is new, so any port is free. */
const BIDI_PORT = 9222;

/** The Firefox executable for the lab: `$FIREFOX_PATH`, else Debian's firefox-esr, else `undefined`. */
export function resolveFirefox(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidate = env.FIREFOX_PATH ?? DEBIAN_FIREFOX;
  return existsSync(candidate) ? candidate : undefined;
}

/**
 * Preferences of the lab's Firefox profile. Media: fake camera and microphone, no prompts, real
 * host addresses in ICE candidates (no mDNS names), getUserMedia allowed on the lab's plain-HTTP
 * origin, autoplay. Quiet: no updates, telemetry, studies, captive-portal or connectivity checks,
 * safebrowsing, remote settings, push, prefetch or DNS over HTTPS. The lab has no way out anyway,
 * but a browser that tries to phone home wastes time on timeouts and muddies packet captures.
 */
export const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.devices.insecure.enabled': true,
  'media.getusermedia.insecure.enabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  'media.gmp-manager.updateEnabled': false,
  'app.update.disabledForTesting': true,
  'app.update.auto': false,
  'app.update.checkInstallTime': false,
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'app.shield.optoutstudies.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.newtabpage.enabled': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'browser.newtabpage.activity-stream.feeds.system.topstories': false,
  'browser.topsites.contile.enabled': false,
  'browser.startup.page': 0,
  'browser.startup.homepage': 'about:blank',
  'browser.startup.homepage_override.mstone': 'ignore',
  'startup.homepage_welcome_url': 'about:blank',
  'browser.shell.checkDefaultBrowser': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.search.update': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.discovery.enabled': false,
  'browser.urlbar.suggest.searches': false,
  'browser.translations.automaticallyPopup': false,
  'browser.sessionstore.resume_from_crash': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.http.speculative-parallel-limit': 0,
  'network.predictor.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  'services.sync.enabled': false,
  'identity.fxaccounts.enabled': false,
  'dom.push.connection.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'security.OCSP.enabled': 0,
  'security.remote_settings.crlite_filters.enabled': false,
  'geo.provider.network.url': '',
  // What puppeteer's own Firefox profile sets so scripts see one content process.
  'fission.webContentIsolationStrategy': 0,
};

/** A Firefox running in a lab host, driven by puppeteer over WebDriver BiDi. */
export interface LabFirefox {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts Firefox headless inside `host`'s namespace with WebDriver BiDi on that namespace's
 * 127.0.0.1:9222, a forwarder in the same namespace from a unix socket in `tempDir` to that port,
 * and connects puppeteer through the socket with a small WebSocket transport.
 */
export async function launchLabFirefox(host: LabHost, options: { tempDir: string; executablePath: string }): Promise<LabFirefox> {
  const dir = path.join(options.tempDir, `firefox-${host.name}`);
  const profile = path.join(dir, 'profile');
  const socketPath = path.join(dir, 'bidi.sock');
  await mkdir(profile, { recursive: true });
  await writeFile(path.join(profile, 'user.js'), Object.entries(FIREFOX_PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));

  const started: Closable[] = [];
  const output = new OutputTail();
  const stopAll = async () => {
    for (const one of started.reverse()) await one.close();
  };
  try {
    const firefox = spawnIn(host, [options.executablePath, '--headless', '--no-remote', '--profile', profile, `--remote-debugging-port=${BIDI_PORT}`, 'about:blank'], {
      ...process.env,
      MOZ_CRASHREPORTER_DISABLE: '1',
      MOZ_DISABLE_AUTO_SAFE_MODE: '1',
    });
    started.push({ close: () => killGroup(firefox) });
    firefox.stdout?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    firefox.stderr?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    await waitForOutput(firefox, 'stderr', /WebDriver BiDi listening on ws:\/\/\S+/, output, 60_000, `Firefox in ${host.name}`);

    started.push(await startForwarder(host, ['unix-to-tcp', socketPath, String(BIDI_PORT)]));

    // Optional peer dependencies of @confer/testing, loaded only for Firefox.
    const { default: puppeteer } = await import('puppeteer-core');
    const transport = await UnixSocketWebSocketTransport.open(socketPath, `ws://127.0.0.1:${BIDI_PORT}/session`);
    const browser = await puppeteer.connect({ transport, protocol: 'webDriverBiDi', defaultViewport: { width: 1024, height: 720 }, protocolTimeout: 30_000 });
    let closing: Promise<void> | undefined;
    return {
      browser,
      close: () =>
        (closing ??= (async () => {
          // browser.close() ends the BiDi session and Firefox; the kills are the fallback.
          await Promise.race([browser.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
          await stopAll();
        })()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function spawnIn(host: LabHost, command: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const [first, ...rest] = [...host.execPrefix, ...command];
  // Own process group: the lab kills the browser with its content processes in one signal.
  return spawn(first as string, rest, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** puppeteer's ConnectionTransport over a WebSocket whose TCP stream is a unix socket (the forwarder's). */
class UnixSocketWebSocketTransport implements ConnectionTransport {
  onmessage?: (message: string) => void;
  onclose?: () => void;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.onmessage?.(data.toString()));
    ws.on('close', () => this.onclose?.());
    ws.on('error', () => undefined);
  }

  static async open(socketPath: string, url: string): Promise<UnixSocketWebSocketTransport> {
    const { default: WebSocket } = await import('ws');
    return new Promise((resolve, reject) => {
      // The URL's host and port only set the Host header Firefox checks; the bytes go through the socket.
      const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024, createConnection: () => connectSocket(socketPath) });
      ws.once('open', () => resolve(new UnixSocketWebSocketTransport(ws)));
      ws.once('error', reject);
    });
  }

  send(message: string): void {
    this.ws.send(message);
  }

  close(): void {
    this.ws.close();
  }
}
