import { createNanoEvents } from 'nanoevents';
import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from '../../src/util/backoff.js';
import { safeEmit } from '../../src/util/safeEmit.js';
import { SerialQueue } from '../../src/util/SerialQueue.js';
import { uuid } from '../../src/util/uuid.js';

describe('backoffDelay', () => {
  it('doubles up to the cap, with half of each delay random', () => {
    const options = { initialMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 40].map((n) => backoffDelay(n, options, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4, 40].map((n) => backoffDelay(n, options, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('sleep', () => {
  it('resolves true after the delay, false at once on abort, and leaves no listener', async () => {
    const controller = new AbortController();
    expect(await sleep(1, controller.signal)).toBe(true);
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    expect(await pending).toBe(false);
    expect(await sleep(60_000, controller.signal)).toBe(false);
  });
});

describe('SerialQueue', () => {
  it('runs tasks one at a time in order, and goes on after a failure', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const task = (name: string, fail = false) => async () => {
      log.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([queue.push(task('a')), queue.push(task('b', true)), queue.push(task('c'))]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('safeEmit', () => {
  it('isolates each listener and survives one unbinding another', () => {
    const emitter = createNanoEvents<{ ping: (n: number) => void }>();
    const warnings: string[] = [];
    const seen: string[] = [];
    const unbindC = emitter.on('ping', (n) => seen.push(`c${n}`));
    emitter.on('ping', () => {
      unbindC();
      throw new Error('listener bug');
    });
    emitter.on('ping', (n) => seen.push(`b${n}`));
    safeEmit(emitter, { debug: () => undefined, warn: (message) => warnings.push(message) }, 'ping', 1);
    safeEmit(emitter, { debug: () => undefined, warn: (message) => warnings.push(message) }, 'ping', 2);
    expect(seen).toEqual(['c1', 'b1', 'b2']);
    expect(warnings).toEqual(['a "ping" listener threw', 'a "ping" listener threw']);
  });
});

describe('uuid', () => {
  it('makes distinct version-4 UUIDs', () => {
    const ids = new Set(Array.from({ length: 100 }, uuid));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
