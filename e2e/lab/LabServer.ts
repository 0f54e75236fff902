import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killGroup, OutputTail, signalGroup, waitForOutput } from './exec.js';
import type { LabHost } from './LabHost.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const main = fileURLToPath(new URL('./labServerMain.ts', import.meta.url));

/** The API port of every lab server (each lab has its own address, so the port can be fixed). */
const API_PORT = 8080;
/** Where the lab server serves the built e2e pages: browsers in the lab cannot reach the runner's loopback. */
const PAGES_PORT = 8081;
const READY = /^LAB_SERVER_READY (.+)$/m;

/**
 * The reference server (`startServer` from '@confer/server') as a child process in its own lab
 * host, bound to and announcing the host's address (no loopback media), also serving the built e2e
 * pages. The process can be frozen ({@link stop}), killed and restarted on the same port with the
 * same token secret, as a real deployment's process would.
 */
export class LabServer {
  private child: ChildProcess | undefined;
  /** stdout and stderr of every incarnation, for failure reports. */
  readonly output = new OutputTail(64_000);
  readonly port = API_PORT;

  /** @internal */
  constructor(
    readonly host: LabHost,
    private readonly options: { pagesDir: string; tokenSecret: string; env?: Record<string, string> },
  ) {}

  /** The API base URL, e.g. `http://10.213.57.2:8080`. */
  get url(): string {
    return `http://${this.host.address}:${API_PORT}`;
  }

  /** Origin of the pages, e.g. `http://10.213.57.2:8081`. */
  get pagesUrl(): string {
    return `http://${this.host.address}:${PAGES_PORT}`;
  }

  /** The harness page pointed at this server (`?server=`). */
  get harnessUrl(): string {
    return `${this.pagesUrl}/e2e/fixtures/harness.html?server=${encodeURIComponent(this.url)}`;
  }

  /** Starts the process and waits until it listens (it prints LAB_SERVER_READY). @internal */
  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) throw new Error('the lab server is running');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOST: this.host.address,
      PORT: String(API_PORT),
      CONFER_TOKEN_SECRET: this.options.tokenSecret,
      CONFER_MEDIA_BIND_ADDRESS: this.host.address,
      LAB_PAGES_DIR: this.options.pagesDir,
      LAB_PAGES_PORT: String(PAGES_PORT),
      // The server's own settings for this lab (e.g. CONFER_GHOST_SICK_AFTER_MS), kept across restarts.
      ...this.options.env,
    };
    // The lab server has a real network: loopback media would offer only 127.0.0.1.
    delete env.RTC_LOOPBACK;
    const child = spawn(...argv(this.host, [process.execPath, '--import', 'tsx', main]), {
      cwd: repoRoot,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.output.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.output.push(chunk));
    try {
      await waitForOutput(child, 'stdout', READY, this.output, 30_000, 'the lab server');
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
    if (!this.child) throw new Error('the lab server has not started');
    signalGroup(this.child, signal);
  }
}

function argv(host: LabHost, command: string[]): [string, string[]] {
  const [first, ...rest] = [...host.execPrefix, ...command];
  return [first as string, rest];
}
