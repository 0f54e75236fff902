import { spawn, type ChildProcess } from 'node:child_process';

/** A command that exited non-zero (or could not start), with what it wrote to stderr. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    cause?: unknown,
  ) {
    super(`${command}: ${stderr.trim() || 'failed'}`, { cause });
    this.name = 'CommandError';
  }
}

/**
 * Runs a short command to completion (e.g. `ip`, `nft`, `tc`) and returns its stdout; `input` goes
 * to its stdin. Rejects with a {@link CommandError} when it fails or outlives `timeoutMs`.
 */
export function run(command: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const printable = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const input = options.input;
    const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 10_000 });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(new CommandError(printable, error.message, error)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new CommandError(printable, stderr || `exited with ${signal ?? code}`));
    });
    if (child.stdin) {
      // A command that exits without reading its input must not crash the runner with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

/** Keeps the last `limit` characters a process wrote, for error messages and test attachments. */
export class OutputTail {
  private text = '';
  constructor(private readonly limit = 16_000) {}

  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.limit);
  }

  toString(): string {
    return this.text;
  }
}

/**
 * Resolves with the first match of `pattern` in what `child` writes to `stream`; rejects when the
 * child exits first or after `timeoutMs`. `tail` collects everything, before and after.
 */
export function waitForOutput(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
  tail: OutputTail,
  timeoutMs: number,
  what: string,
): Promise<RegExpMatchArray> {
  const source = child[stream];
  if (!source) return Promise.reject(new Error(`${what}: no ${stream} pipe`));
  return new Promise((resolve, reject) => {
    let seen = '';
    const finish = (error: Error | undefined, match?: RegExpMatchArray) => {
      clearTimeout(timer);
      source.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(match as RegExpMatchArray);
    };
    const onData = (chunk: Buffer | string) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) finish(undefined, match);
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`${what} exited (${signal ?? code}) before it was ready:\n${tail.toString()}`));
    const timer = setTimeout(() => finish(new Error(`${what} was not ready after ${timeoutMs} ms:\n${tail.toString()}`)), timeoutMs);
    source.on('data', onData);
    child.on('exit', onExit);
  });
}

/** Sends `signal` to the process group of a child started with `detached: true`; ignores a group that is gone. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group exited meanwhile.
  }
}

/** SIGKILLs a detached child's process group and waits (bounded) for the child to be reaped. */
export async function killGroup(child: ChildProcess, timeoutMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child, 'SIGKILL');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
}
