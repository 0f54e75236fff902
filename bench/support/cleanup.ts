/**
 * Every benchmark registers what it starts (server processes, browsers, peers, timers) here, so a
 * normal end, an exception, a deadline or a SIGTERM from `run-all.ts` all stop the same things in
 * reverse order. A benchmark that leaves a Chromium or a server behind would skew the next one.
 */
import os from 'node:os';

type Closer = () => unknown;

const loadAverageAtStart = os.loadavg();

/**
 * The 1/5/15-minute load averages when the benchmark started and now: on a shared 2-core machine
 * other work moves latency numbers a lot, so every result says how busy the machine was.
 */
export function runConditions(): { loadAverageAtStart: number[]; loadAverageAtEnd: number[] } {
  return { loadAverageAtStart, loadAverageAtEnd: os.loadavg() };
}

const closers: { name: string; close: Closer }[] = [];
let closing: Promise<void> | undefined;

/** Registers something to stop when the benchmark ends; later registrations stop first. */
export function onCleanup(name: string, close: Closer): void {
  closers.push({ name, close });
}

/** Stops everything registered, newest first; each closer gets 10 s and a failure does not stop the rest. */
export function cleanupAll(): Promise<void> {
  closing ??= (async () => {
    while (closers.length > 0) {
      const { name, close } = closers.pop()!;
      try {
        await Promise.race([Promise.resolve().then(close), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      } catch (error) {
        console.warn(`cleanup of ${name} failed:`, error);
      }
    }
  })();
  return closing;
}

/**
 * Runs one benchmark's main function with a hard deadline and guaranteed cleanup, then exits the
 * process (so a forgotten handle cannot keep it alive). Exit code 1 on failure or deadline.
 */
export function runBenchmark(name: string, deadlineMs: number, main: () => Promise<void>): void {
  let finished = false;
  const finish = async (code: number) => {
    if (finished) return;
    finished = true;
    await cleanupAll();
    process.exit(code);
  };
  const deadline = setTimeout(() => {
    console.error(`${name}: deadline of ${deadlineMs / 1000} s reached; stopping`);
    void finish(1);
  }, deadlineMs);
  deadline.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${name}: ${signal}; stopping`);
      void finish(1);
    });
  }
  main().then(
    () => finish(0),
    (error: unknown) => {
      console.error(`${name} failed:`, error);
      return finish(1);
    },
  );
}

/** Waits `ms` milliseconds: benchmarks pace their runs, tests never do. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
