import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killGroup, OutputTail, signalGroup, waitForOutput } from './lab/exec.js';

const READY = /^CONFER_SERVER_READY (.+)$/m;

/** How to start `node <module>`: from this repository's TypeScript sources through tsx, from a build directly. */
export function nodeCommand(module: URL): { argv: string[]; cwd: string } {
  const file = fileURLToPath(module);
  if (!file.endsWith('.ts')) return { argv: [process.execPath, file], cwd: process.cwd() };
  // tsx resolves the workspace packages through the repository's tsconfig.json paths, found from the cwd.
  return { argv: [process.execPath, '--import', 'tsx', file], cwd: fileURLToPath(new URL('../../..', import.meta.url)) };
}

/** Options of a {@link ServerProcess}. */
export interface ServerProcessOptions {
  /** Runs the process elsewhere, e.g. `['ip', 'netns', 'exec', ns]` for a lab host; empty by default. */
  execPrefix?: string[];
  /** The address to bind and announce. */
  address: string;
  /** The API port; 0 picks a free one on the first start, kept across restarts. */
  port: number;
  /** The secret tokens are signed with, kept across restarts so clients' tokens stay valid. */
  tokenSecret: string;
  /** More of the server's environment (the CONFER_* variables of @confer/server's README). */
  env?: Record<string, string>;
  /** Server options as JSON (strict, media, ghost timings …), applied over the environment's. */
  serverOptions?: Record<string, unknown>;
  /** A directory of static pages to serve next to the API, on `pagesPort`. */
  pages?: { dir: string; port: number };
}

/**
 * The reference server (`startServer` from `@confer/server`) as a child process (src/serverMain.ts),
 * possibly inside a lab host's network namespace. The process can be frozen ({@link stop}), killed, and
 * restarted on the same address, port and token secret, as a real deployment's process would.
 */
export class ServerProcess {
  private child: ChildProcess | undefined;
  /** stdout and stderr of every incarnation, for failure reports. */
  readonly output = new OutputTail(64_000);
  private boundPort: number;

  constructor(private readonly options: ServerProcessOptions) {
    this.boundPort = options.port;
  }

  /** The API port (after the first start when it was 0). */
  get port(): number {
    return this.boundPort;
  }

  /** The API base URL, e.g. `http://10.213.57.2:8080`. */
  get url(): string {
    return `http://${this.options.address}:${this.boundPort}`;
  }

  /** Starts the process and waits until it listens (it prints CONFER_SERVER_READY). */
  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) throw new Error('the server process is running');
    const { argv, cwd } = nodeCommand(new URL(`./serverMain${extension()}`, import.meta.url));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOST: this.options.address,
      PORT: String(this.boundPort),
      CONFER_TOKEN_SECRET: this.options.tokenSecret,
      CONFER_TESTING_SERVER_OPTIONS: JSON.stringify(this.options.serverOptions ?? {}),
      ...(this.options.pages ? { CONFER_TESTING_PAGES_DIR: this.options.pages.dir, CONFER_TESTING_PAGES_PORT: String(this.options.pages.port) } : {}),
      ...this.options.env,
    };
    const [command, ...args] = [...(this.options.execPrefix ?? []), ...argv];
    const child = spawn(command as string, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.output.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.output.push(chunk));
    try {
      const ready = await waitForOutput(child, 'stdout', READY, this.output, 30_000, 'the server process');
      this.boundPort = Number(new URL((JSON.parse(ready[1] as string) as { url: string }).url).port);
    } catch (error) {
      await killGroup(child);
      throw error;
    }
  }

  /** Freezes the process (SIGSTOP): sockets stay open, nothing answers. */
  stop(): void {
    this.signal('SIGSTOP');
  }

  /** Thaws a {@link stop}ped process (SIGCONT). */
  resume(): void {
    this.signal('SIGCONT');
  }

  /** Kills the process (SIGKILL) and waits until it is gone: every conference and media session is lost. */
  async kill(): Promise<void> {
    if (this.child) await killGroup(this.child);
  }

  /** Kills the process if it runs, then starts a new one on the same address, port and token secret. */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** Kills the process. Idempotent. */
  async close(): Promise<void> {
    await this.kill();
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.child) throw new Error('the server process has not started');
    signalGroup(this.child, signal);
  }
}

/** `.ts` when this module runs from the sources, `.js` from a build. */
function extension(): string {
  return import.meta.url.endsWith('.ts') ? '.ts' : '.js';
}
