import { ServerProcess } from '../ServerProcess.js';
import type { LabHost } from './LabHost.js';

/** The API port of every lab server (each lab has its own address, so the port can be fixed). */
const API_PORT = 8080;
/** Where the lab server serves built pages: browsers in the lab cannot reach the runner's loopback. */
const PAGES_PORT = 8081;

/** Options of {@link LabServer}. */
export interface LabServerOptions {
  tokenSecret: string;
  /** Built pages to serve on {@link LabServer.pagesUrl}. */
  pagesDir?: string;
  /** More of the server's environment (e.g. `CONFER_GHOST_SICK_AFTER_MS`), kept across restarts. */
  env?: Record<string, string>;
  /** Server options as JSON (e.g. `{ strict: true }`), kept across restarts. */
  serverOptions?: Record<string, unknown>;
}

/**
 * The reference server as a child process in its own lab host, bound to and announcing the host's
 * address (media on the lab network, not loopback), optionally also serving built pages. It can be
 * frozen ({@link stop}), killed and restarted on the same port with the same token secret.
 */
export class LabServer extends ServerProcess {
  /** @internal */
  constructor(
    readonly host: LabHost,
    options: LabServerOptions,
  ) {
    super({
      execPrefix: host.execPrefix,
      address: host.address,
      port: API_PORT,
      tokenSecret: options.tokenSecret,
      env: { CONFER_MEDIA_BIND_ADDRESS: host.address, ...options.env },
      serverOptions: { ...options.serverOptions, media: { ...(options.serverOptions?.media as object | undefined), loopback: false } },
      ...(options.pagesDir ? { pages: { dir: options.pagesDir, port: PAGES_PORT } } : {}),
    });
  }

  /** Origin of the served pages, e.g. `http://10.213.57.2:8081`. */
  get pagesUrl(): string {
    return `http://${this.host.address}:${PAGES_PORT}`;
  }

  /** A served page pointed at this server: `<pagesUrl><path>?server=<url>`. */
  pageUrl(path: string): string {
    return `${this.pagesUrl}${path}?server=${encodeURIComponent(this.url)}`;
  }
}
