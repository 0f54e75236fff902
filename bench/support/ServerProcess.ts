import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

/** A reference server running in a child process, stopped by the benchmark's cleanup. */
export interface ServerProcess {
  url: string;
  pid: number;
  close(): Promise<void>;
}

const entry = fileURLToPath(new URL('./serverMain.ts', import.meta.url));

/**
 * Starts the reference server in its own Node process (loopback media) and resolves once it
 * listens. `options` are startServer options and must be JSON.
 */
export async function startServerProcess(options: Record<string, unknown> = {}): Promise<ServerProcess> {
  // BENCH_SERVER_PROFILE=<dir> writes a V8 CPU profile of the server there (open it in Chrome DevTools).
  const profile = process.env.BENCH_SERVER_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROFILE] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', entry], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: {
      ...process.env,
      RTC_LOOPBACK: '1',
      // BENCH_SERVER_LOG=<file> with BENCH_SERVER_LOG_LEVEL=info keeps the server's request log (response times) for diagnosis.
      CONFER_BENCH_SERVER_OPTIONS: JSON.stringify({ media: { loopback: true }, ...(process.env.BENCH_SERVER_LOG_LEVEL ? { logLevel: process.env.BENCH_SERVER_LOG_LEVEL } : {}), ...options }),
    },
  });
  const close = () => stopChild(child);
  onCleanup('server process', close);
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('the server process did not start within 30 s')), 30_000);
    const log = process.env.BENCH_SERVER_LOG;
    lines.on('line', (line) => {
      if (line.startsWith('{"url":')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      } else if (log) appendFileSync(log, `${line}\n`);
    });
    child.once('exit', (code) => reject(new Error(`the server process exited with ${code}`)));
  });
  return { url, pid: child.pid!, close };
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
