import { randomBytes } from 'node:crypto';
import { startServer, type ConferenceServer, type ServerOptions } from '@confer/server';
import { ServerProcess } from './ServerProcess.js';

/** How the `conferServer` fixture (or {@link startConferServer}) runs the reference server. */
export interface ConferServerOptions {
  /** `in-process` (default): in the test worker, cheapest; `child-process`: its own Node process, which {@link ConferServer.restart} kills for real. */
  process?: 'in-process' | 'child-process';
  /** Answer only what the published API documentation promises, like the cloud service (`CONFER_STRICT=1`). */
  strict?: boolean;
  /** More options of `@confer/server`'s `startServer` (in a child process or the lab: JSON-serialisable ones only). */
  options?: Partial<ServerOptions>;
}

/** A reference server a test talks to. */
export interface ConferServer {
  /** The API base URL for the participants' pages, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Whether it runs in strict mode. */
  readonly strict: boolean;
  /** Stops it and starts a fresh one on the same URL and token secret: every conference and media session is lost. */
  restart(): Promise<void>;
  /** Stops it. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the reference server on a free port of 127.0.0.1 with loopback media, in this process or
 * as a child process; tokens stay valid across {@link ConferServer.restart}.
 */
export async function startConferServer(options: ConferServerOptions = {}): Promise<ConferServer> {
  const server = options.process === 'child-process' ? new ChildProcessServer(options) : new InProcessServer(options);
  await server.start();
  return server;
}

/** The server's settings for a test run: loopback, quiet, a fixed token secret, strict when asked. */
function testSettings(options: ConferServerOptions, tokenSecret: string): Partial<ServerOptions> {
  const extra = options.options ?? {};
  return {
    host: '127.0.0.1',
    port: 0,
    announce: () => undefined,
    tokenSecret,
    ...extra,
    strict: options.strict ?? extra.strict ?? false,
    media: { loopback: true, ...extra.media },
  };
}

/** @internal */
class InProcessServer implements ConferServer {
  private server: ConferenceServer | undefined;
  private settings: Partial<ServerOptions>;

  constructor(options: ConferServerOptions) {
    this.settings = testSettings(options, randomBytes(24).toString('hex'));
  }

  get url(): string {
    if (!this.server) throw new Error('the conference server is not running');
    return this.server.url;
  }

  get strict(): boolean {
    return this.settings.strict ?? false;
  }

  async start(): Promise<void> {
    this.server = await startServer(this.settings);
    // A restart binds the same port, so pages keep their server URL.
    this.settings = { ...this.settings, port: Number(new URL(this.server.url).port) };
  }

  async restart(): Promise<void> {
    await this.server?.close();
    await this.start();
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}

/** @internal */
class ChildProcessServer implements ConferServer {
  readonly strict: boolean;
  private readonly process: ServerProcess;

  constructor(options: ConferServerOptions) {
    // Functions cannot cross into the process; address, port and secret go by the environment, kept across restarts.
    const { announce: _announce, logStream: _logStream, createMediaRouter: _router, tokenSecret, host: _host, port: _port, ...settings } = testSettings(options, randomBytes(24).toString('hex'));
    this.strict = settings.strict ?? false;
    this.process = new ServerProcess({ address: '127.0.0.1', port: 0, tokenSecret: tokenSecret as string, serverOptions: settings as Record<string, unknown> });
  }

  get url(): string {
    return this.process.url;
  }

  start(): Promise<void> {
    return this.process.start();
  }

  restart(): Promise<void> {
    return this.process.restart();
  }

  close(): Promise<void> {
    return this.process.close();
  }
}
