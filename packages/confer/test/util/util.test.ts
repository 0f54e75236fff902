import { createNanoEvents } from 'nanoevents';
import { describe, expect, it } from 'vitest';
import { ReconnectPolicy, sleep } from '../../src/util/ReconnectPolicy.js';
import { safeEmit } from '../../src/util/safeEmit.js';
import { SerialQueue } from '../../src/util/SerialQueue.js';
import { uuid } from '../../src/util/uuid.js';

describe('ReconnectPolicy', () => {
  const delays = (policy: ReconnectPolicy, count: number) => Array.from({ length: count }, () => policy.next());

  it('doubles up to the cap, with half of each delay random', () => {
    const options = { initialMs: 100, maxMs: 1000 };
    expect(delays(new ReconnectPolicy(options, () => 0), 6)).toEqual([50, 100, 200, 400, 500, 500]);
    expect(delays(new ReconnectPolicy(options, () => 1), 6)).toEqual([100, 200, 400, 800, 1000, 1000]);
    // Far past the cap the exponent must not overflow into Infinity or NaN.
    expect(delays(new ReconnectPolicy(options, () => 1), 100).at(-1)).toBe(1000);
  });

  it('starts from the shortest delay again after reset()', () => {
    const policy = new ReconnectPolicy({ initialMs: 100, maxMs: 1000 }, () => 1);
    expect(delays(policy, 3)).toEqual([100, 200, 400]);
    policy.reset();
    expect(delays(policy, 2)).toEqual([100, 200]);
  });

  it('uses the library defaults without options', () => {
    expect(new ReconnectPolicy(undefined, () => 1).next()).toBe(500);
  });

  it('keeps at most one retry pending; cancel() drops it and resets', async () => {
    const policy = new ReconnectPolicy({ initialMs: 2, maxMs: 4 }, () => 1);
    const runs: string[] = [];
    policy.schedule(() => runs.push('a'));
    policy.schedule(() => runs.push('b'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toEqual(['a']);
    policy.schedule(() => runs.push('c'));
    policy.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toEqual(['a']);
    // Two delays were drawn before cancel(); the next one is the shortest again.
    expect(policy.next()).toBe(2);
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
