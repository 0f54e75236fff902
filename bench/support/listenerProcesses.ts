/**
 * The listener processes of the event-latency benchmarks (event-latency, control-plane-stores): each a
 * share of the long-polling library `Room`s (bench/event-latency/listenerChild.ts), so that the load
 * generator is several processes and the benchmark measures the server, not one client event loop.
 * {@link PingTimes} sends the pings they time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ListenerMessage } from '../event-latency/listenerChild.js';
import { onCleanup, sleep } from './cleanup.js';
import { stopChild } from './ServerProcess.js';

const CHILD = fileURLToPath(new URL('../event-latency/listenerChild.ts', import.meta.url));
const now = () => performance.timeOrigin + performance.now();

/** A ping's arrival at one room: when, and how long after the server emitted its event. */
type Arrival = { ping: number; at: number; sinceEmit: number };

/** Starts one listener process with `count` rooms and resolves once they have all joined. */
export function startListeners(env: Record<string, string>, count: number, onArrivals: (arrivals: Arrival[]) => void): Promise<ChildProcess> {
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

/** One measurement's pings: when each was sent, when it reached each room, and the delays. */
export class PingTimes {
  /** Emit (the event's server timestamp) → handler, per delivery. */
  readonly sinceEmit: number[] = [];
  /** Request (the ping sent) → handler, per delivery. */
  readonly sinceRequest: number[] = [];
  private readonly received = new Map<number, number[]>();
  private readonly sentAt = new Map<number, number>();

  /** The `onArrivals` of {@link startListeners}. */
  readonly record = (arrivals: Arrival[]): void => {
    for (const { ping, at, sinceEmit } of arrivals) {
      this.received.get(ping)?.push(at);
      this.sinceEmit.push(sinceEmit);
      this.sinceRequest.push(at - this.sentAt.get(ping)!);
    }
  };

  /**
   * Sends pings 0 to `pings - 1` one after another through `send`, each waiting up to 3 s until
   * `rooms` rooms have it, then a pause so the rooms are back in their long-polls, as between
   * real-world events. Answers how many deliveries were lost.
   */
  async send(pings: number, rooms: number, send: (ping: number) => Promise<unknown>): Promise<number> {
    let lost = 0;
    for (let ping = 0; ping < pings; ping++) {
      this.received.set(ping, []);
      this.sentAt.set(ping, now());
      await send(ping);
      const deadline = now() + 3_000;
      while (this.received.get(ping)!.length < rooms && now() < deadline) await sleep(1);
      lost += rooms - this.received.get(ping)!.length;
      await sleep(50 + rooms / 10);
    }
    return lost;
  }

  /** Request → the last room it reached, per ping that reached any. */
  lastPerPing(): number[] {
    return [...this.received.entries()].filter(([, a]) => a.length > 0).map(([ping, a]) => Math.max(...a) - this.sentAt.get(ping)!);
  }
}
