/**
 * Several server processes on one Redis (issue #11), with Chromium participants on the e2e harness
 * page. Self-contained: it starts its own redis-server and node processes (the worker's in-process
 * server is not used), with a short heartbeat so a dead node is noticed within 2 s.
 */
import { randomUUID } from 'node:crypto';
import { expect, test, type Browser } from '@playwright/test';
import { Redis } from 'ioredis';
import { startNodeProcess, type NodeProcess } from '../packages/server/test/cluster/helpers/nodeProcess.js';
import { freePort, startRedis, type TestRedis } from '../packages/server/test/store/support/redisServer.js';
import { snapshotMedia } from './support/media.js';
import { harnessUrl, Participant } from './support/Participant.js';

const TOKEN_SECRET = 'cluster-e2e-secret';
const NODE_TIMING = { CONFER_NODE_HEARTBEAT_MS: '250', CONFER_NODE_DEAD_AFTER_MS: '2000' };
/** Pages' events relative to `since`, for a failing assertion's message. */
async function timeline(person: Participant, since: number): Promise<string> {
  const entries = (await person.events()).filter((e) => e.name === 'event' || e.name === 'error' || e.name === 'stateChanged');
  return JSON.stringify(entries.map((e) => [e.at! - since, e.name, (e.detail as { type?: string })?.type ?? e.detail, (e.detail as { reason?: string })?.reason]));
}

/** Waits for media back at `person` after a fault at `since`; on failure the message carries the page's timeline and the nodes' output. */
async function expectMediaBack(person: Participant, since: number, nodes: NodeProcess[]): Promise<void> {
  try {
    await expectVideoFlowing(person, 45_000);
  } catch (error) {
    const output = nodes.map((n) => n.output.slice(-20).join('\n')).join('\n---\n');
    throw new Error(`${(error as Error).message}\n${person.userId} since the fault: ${await timeline(person, since)}\nnodes:\n${output}`);
  }
}

/** Video frames decoded by every live peer connection of the page, as the RTC census finds them. */
async function framesDecoded(person: Participant): Promise<number> {
  const { inbound } = await snapshotMedia(person.page);
  return inbound.filter((s) => s.kind === 'video').reduce((sum, s) => sum + s.framesDecoded, 0);
}

/** Resolves once `person`'s page decodes new video frames (the other's camera), growing twice in a row. */
async function expectVideoFlowing(person: Participant, timeout = 30_000): Promise<void> {
  let last = await framesDecoded(person);
  let grew = 0;
  await expect
    .poll(async () => {
      const now = await framesDecoded(person);
      grew = now > last ? grew + 1 : 0;
      last = now;
      return grew;
    }, { timeout, intervals: [250] })
    .toBeGreaterThanOrEqual(2);
}

/** The state of the harness page's room. */
async function roomState(person: Participant): Promise<string | undefined> {
  return person.page.evaluate(() => window.harness.room?.state);
}

/**
 * Alice on `aliceNode` and Bob on `bobNode` (added to `people` for the caller to close) join
 * `conferenceId` and publish; resolves once each decodes the other's video.
 */
async function startCall(browser: Browser, people: Participant[], conferenceId: string, aliceNode: string, bobNode: string): Promise<[Participant, Participant]> {
  const alice = await Participant.open(browser, 'Alice', harnessUrl(aliceNode));
  const bob = await Participant.open(browser, 'Bob', harnessUrl(bobNode));
  people.push(alice, bob);
  await alice.join(conferenceId);
  await bob.join(conferenceId);
  await alice.publish('MIC_AND_CAM');
  await bob.publish('MIC_AND_CAM');
  await expectVideoFlowing(alice);
  await expectVideoFlowing(bob);
  return [alice, bob];
}

/** The conference versions of the API events a page applied, in order. */
async function appliedVersions(person: Participant): Promise<number[]> {
  return (await person.events()).filter((e) => e.name === 'event').map((e) => (e.detail as { conferenceVersion: number }).conferenceVersion);
}

/** Every event of the conference as the server keeps it, read through `nodeUrl`. */
async function serverVersions(nodeUrl: string, userId: string, conferenceId: string): Promise<number[]> {
  const token = await fetch(`${nodeUrl}/security/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', user_id: userId }).toString(),
  }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
  const events = await fetch(`${nodeUrl}/rtc-api/conferences/${encodeURIComponent(conferenceId)}/events?v=0`, { headers: { authorization: `Bearer ${token}` } });
  return ((await events.json()) as Array<{ conferenceVersion: number }>).map((e) => e.conferenceVersion);
}

/** The node ids conferences are placed on, from Redis. */
async function placements(redisUrl: string, prefix: string): Promise<string[]> {
  const redis = new Redis(redisUrl);
  try {
    const keys = await redis.keys(`${prefix}cluster:placement:*`);
    return keys.length === 0 ? [] : ((await redis.mget(keys)) as string[]);
  } finally {
    redis.disconnect();
  }
}

test.describe.serial('three nodes on one Redis', () => {
  let redis: TestRedis;
  const prefix = `e2e-${randomUUID()}:`;
  const nodes: NodeProcess[] = [];
  const people: Participant[] = [];
  const conferenceId = `cluster-${Date.now().toString(36)}`;

  test.beforeAll(async () => {
    redis = await startRedis();
    // node-1 sorts first: with every node idle, the conference's media goes there, away from both participants' nodes.
    for (const id of ['node-1', 'node-2', 'node-3']) {
      nodes.push(await startNodeProcess({ REDIS_URL: redis.url, CONFER_REDIS_PREFIX: prefix, CONFER_TOKEN_SECRET: TOKEN_SECRET, CONFER_NODE_ID: id, ...NODE_TIMING }));
    }
  });

  test.afterAll(async () => {
    for (const person of people) await person.close();
    for (const node of nodes) await node.stop();
    await redis?.stop(true);
  });

  test('participants on different nodes see each other’s media, forwarded to the conference’s media node', async ({ browser }) => {
    await startCall(browser, people, conferenceId, nodes[1]!.url, nodes[2]!.url);
    expect(await placements(redis.url, prefix)).toEqual(['node-1']);
  });

  test('the media node is killed mid-call: no conference ends, no event is lost or doubled, media comes back at everyone', async () => {
    const [alice, bob] = people as [Participant, Participant];
    const killedAt = Date.now();
    nodes[0]!.kill('SIGKILL');
    await nodes[0]!.exited;
    await expectMediaBack(alice, killedAt, nodes);
    await expectMediaBack(bob, killedAt, nodes);
    test.info().annotations.push({ type: 'media back after the kill', description: `${Date.now() - killedAt} ms (both pages decoding again)` });
    expect((await placements(redis.url, prefix)).every((id) => id === 'node-2' || id === 'node-3')).toBe(true);

    for (const person of people) {
      expect(await roomState(person)).toBe('joined');
      const log = await person.events();
      expect(log.filter((e) => e.name === 'ended')).toEqual([]);
      // The unpublish of the lost streams and their republish are events like any other: all there, once, in order.
      const expected = await serverVersions(nodes[1]!.url, person.userId, conferenceId);
      const applied = await appliedVersions(person);
      expect(new Set(applied).size, `${person.userId} applied an event twice`).toBe(applied.length);
      expect(applied).toEqual(expected.filter((v) => v >= applied[0]!));
    }
    const unpublished = (await alice.events()).filter((e) => e.name === 'event' && (e.detail as { type: string }).type === 'ConferenceStreamUnpublishedEvent');
    expect(unpublished.map((e) => (e.detail as { reason: string }).reason)).toEqual(['media node node-1 stopped answering', 'media node node-1 stopped answering']);
  });
});

test.describe.serial('one node on Redis', () => {
  test('the server process is killed and started again mid-call: the call continues, nobody rejoins by hand', async ({ browser }) => {
    const redis = await startRedis();
    const port = await freePort();
    const env = { REDIS_URL: redis.url, CONFER_TOKEN_SECRET: TOKEN_SECRET, CONFER_NODE_ID: 'solo', PORT: String(port), ...NODE_TIMING };
    let node = await startNodeProcess(env);
    const people: Participant[] = [];
    try {
      const conferenceId = `restart-${Date.now().toString(36)}`;
      const [alice, bob] = await startCall(browser, people, conferenceId, node.url, node.url);

      const before = await Promise.all(people.map((p) => p.events()));
      const killedAt = Date.now();
      node.kill('SIGKILL');
      await node.exited;
      node = await startNodeProcess(env);
      await expectMediaBack(alice, killedAt, [node]);
      await expectMediaBack(bob, killedAt, [node]);
      for (const [i, person] of people.entries()) {
        expect(await roomState(person)).toBe('joined');
        const log = await person.events();
        expect(log.filter((e) => e.name === 'ended')).toEqual([]);
        // Nobody left: no participantLeft for anyone since the restart.
        expect(log.slice(before[i]!.length).filter((e) => e.name === 'participantLeft')).toEqual([]);
      }
    } finally {
      for (const person of people) await person.close();
      await node.stop();
      await redis.stop(true);
    }
  });
});
