import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodeRegistry, type NodeRecord } from '../../src/cluster/NodeRegistry.js';
import { RedisConnections } from '../../src/store/RedisConnections.js';
import { startRedis, type TestRedis } from '../store/support/redisServer.js';

// The node registry on a real redis-server of the test's own.

let redis: TestRedis;
const connections: RedisConnections[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop(true);
});
afterEach(async () => {
  for (const c of connections.splice(0)) await c.close();
});

/** Registries on separate connections, as separate processes have, under one fresh prefix. */
async function registries<N extends 1 | 2>(count: N, deadAfterMs = 1_000): Promise<N extends 1 ? [NodeRegistry] : [NodeRegistry, NodeRegistry]> {
  const prefix = `test-${randomUUID()}:`;
  const result: NodeRegistry[] = [];
  for (let i = 0; i < count; i++) {
    const c = await RedisConnections.connect(redis.url, prefix);
    connections.push(c);
    result.push(new NodeRegistry(c.command, prefix, deadAfterMs));
  }
  return result as N extends 1 ? [NodeRegistry] : [NodeRegistry, NodeRegistry];
}

const node = (id: string, load: number, draining = false): NodeRecord => ({ id, internalUrl: `http://127.0.0.1/${id}`, load, draining });

describe('NodeRegistry', () => {
  it('places a conference on the least loaded live node that is not draining, ties to the lowest id, and keeps it there', async () => {
    const [registry] = await registries(1);
    await registry.heartbeat(node('node-c', 0));
    await registry.heartbeat(node('node-b', 0));
    await registry.heartbeat(node('node-a', 3));
    expect((await registry.place('org/one'))?.nodeId).toBe('node-b');
    await registry.heartbeat(node('node-b', 10));
    expect((await registry.place('org/two'))?.nodeId).toBe('node-c');
    await registry.heartbeat(node('node-c', 0, true));
    expect((await registry.place('org/three'))?.nodeId).toBe('node-a');
    // Placed once, a conference stays where it is whatever the loads say now.
    expect((await registry.place('org/one'))?.nodeId).toBe('node-b');
    expect(await registry.placedConferences('node-b')).toEqual(['org/one']);
  });

  it('answers no node when every live node drains', async () => {
    const [registry] = await registries(1);
    await registry.heartbeat(node('node-a', 0, true));
    expect(await registry.place('org/one')).toBeUndefined();
    expect(await registry.locate('org/one')).toBeUndefined();
  });

  it('two nodes placing the same conferences at once agree on every one', async () => {
    const [first, second] = await registries(2);
    await first.heartbeat(node('node-a', 0));
    await second.heartbeat(node('node-b', 0));
    const keys = Array.from({ length: 20 }, (_, i) => `org/conf-${i}`);
    // Each side sees the other as busier, so each would pick itself: only SET NX makes them agree.
    const placements = await Promise.all(
      keys.flatMap((key) => [
        first.heartbeat(node('node-b', 5)).then(() => first.place(key)),
        second.heartbeat(node('node-a', 5)).then(() => second.place(key)),
      ]),
    );
    for (let i = 0; i < keys.length; i++) expect(placements[2 * i]?.nodeId).toBe(placements[2 * i + 1]?.nodeId);
    const onA = await first.placedConferences('node-a');
    const onB = await first.placedConferences('node-b');
    expect([...onA, ...onB].sort()).toEqual([...keys].sort());
  });

  it('a node whose heartbeat stops is dead after deadAfterMs; sweeping it reports each of its conferences once, however many sweep', async () => {
    const [first, second] = await registries(2, 300);
    await first.heartbeat(node('node-a', 0));
    await first.heartbeat(node('node-b', 1));
    const keys = ['org/x', 'org/y', 'org/z'];
    for (const key of keys) expect((await first.place(key))?.nodeId).toBe('node-a');
    const lost: string[] = [];
    // node-b keeps beating, node-a stops.
    const deadline = Date.now() + 5_000;
    while ((await first.deadNodes()).length === 0 && Date.now() < deadline) {
      await second.heartbeat(node('node-b', 1));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await first.deadNodes()).toEqual(['node-a']);
    expect(await first.locate('org/x')).toEqual({ nodeId: 'node-a', node: undefined });
    const counts = await Promise.all([first.sweep('node-a', (k) => lost.push(k)), second.sweep('node-a', (k) => lost.push(k))]);
    expect(counts[0] + counts[1]).toBe(3);
    expect(lost.sort()).toEqual(keys);
    expect(await first.deadNodes()).toEqual([]);
    // Placed again on a live node.
    expect((await second.place('org/x'))?.nodeId).toBe('node-b');
  });

  it('unplace only removes a placement that is still on that node', async () => {
    const [registry] = await registries(1);
    await registry.heartbeat(node('node-a', 0));
    await registry.place('org/one');
    expect(await registry.unplace('org/one', 'node-b')).toBe(false);
    expect(await registry.unplace('org/one', 'node-a')).toBe(true);
    expect(await registry.locate('org/one')).toBeUndefined();
  });

  it('one holder of the sweeper lease at a time, renewable by its holder, free once it expires', async () => {
    const [first, second] = await registries(2);
    expect(await first.holdSweeperLease('node-a', 200)).toBe(true);
    expect(await second.holdSweeperLease('node-b', 200)).toBe(false);
    expect(await first.holdSweeperLease('node-a', 200)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await second.holdSweeperLease('node-b', 200)).toBe(true);
    expect(await first.holdSweeperLease('node-a', 200)).toBe(false);
  });

  it('the shared secret is the first node’s', async () => {
    const [first, second] = await registries(2);
    expect(await first.sharedSecret('one')).toBe('one');
    expect(await second.sharedSecret('two')).toBe('one');
  });
});
