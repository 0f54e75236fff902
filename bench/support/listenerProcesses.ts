/**
 * The listener processes of the event-latency benchmarks (event-latency, control-plane-stores): each a
 * share of the long-polling library `Room`s (bench/event-latency/listenerChild.ts), so that the load
 * generator is several processes and the benchmark measures the server, not one client event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ListenerMessage } from '../event-latency/listenerChild.js';
import { onCleanup } from './cleanup.js';
import { stopChild } from './ServerProcess.js';

const CHILD = fileURLToPath(new URL('../event-latency/listenerChild.ts', import.meta.url));

/** Starts one listener process with `count` rooms and resolves once they have all joined. */
export function startListeners(env: Record<string, string>, count: number, onArrivals: (arrivals: Array<{ ping: number; at: number; sinceEmit: number }>) => void): Promise<ChildProcess> {
  const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env, BENCH_LISTENERS: String(count) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  onCleanup(`listeners ${env.BENCH_PREFIX}`, () => stopChild(child));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`listener process ${env.BENCH_PREFIX} exited with ${code} before joining`)));
    child.on('message', (message: ListenerMessage) => {
      if (message.kind === 'ready') resolve(child);
      else if (message.kind === 'received') onArrivals(message.arrivals);
    });
  });
}

/** Asks a listener process to leave its rooms and waits until it is gone. */
export function leaveAndStop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send({ kind: 'leave' });
  });
}
