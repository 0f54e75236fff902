import type { Page } from '@playwright/test';
import { expect, test } from './support/test.js';

/** Joins without creating and reports how the join failed, as the library's ConferenceError says it. */
async function joinFailure(page: Page, conferenceId: string) {
  return page.evaluate(async (id) => {
    try {
      await window.harness.join(id, { userId: 'mallory', name: 'Mallory', create: false });
      return { joined: true };
    } catch (error) {
      const failure = error as Error & { code?: string; status?: number };
      return { name: failure.name, code: failure.code, status: failure.status, message: failure.message, state: window.harness.room?.state };
    }
  }, conferenceId);
}

test.describe('conference', () => {
  test('conference metadata and participant metadata propagate', async ({ call }) => {
    const [alice, bob] = await call.join('Alice', 'Bob');
    await expect
      .poll(() => bob.page.evaluate(() => window.harness.room!.participants.map((p) => ({ userId: p.userId, metadata: p.metadata }))))
      .toEqual([{ userId: 'alice', metadata: { name: 'Alice' } }]);

    await alice.page.evaluate(() => window.harness.room!.setConferenceMetadata('topic', 'Quarterly review'));
    await expect.poll(() => bob.page.evaluate(() => window.harness.room!.metadata.topic)).toBe('Quarterly review');
    expect((await bob.events()).filter((event) => event.name === 'metadataChanged').map((event) => event.detail)).toContainEqual({
      target: 'conference',
      key: 'topic',
      value: 'Quarterly review',
    });

    await bob.page.evaluate(() => window.harness.room!.setMetadata({ name: 'Robert', role: 'host' }));
    await expect
      .poll(() => alice.page.evaluate(() => window.harness.room!.participants.find((p) => p.userId === 'bob')?.metadata))
      .toEqual({ name: 'Robert', role: 'host' });
    expect((await alice.events()).some((event) => event.name === 'metadataChanged' && (event.detail as { target: string }).target === 'participant')).toBe(true);

    // A late joiner reads both from the aggregate.
    const [carol] = await call.join('Carol');
    const seenByCarol = await carol.page.evaluate(() => ({
      topic: window.harness.room!.metadata.topic,
      names: window.harness.room!.participants.map((p) => p.metadata.name).sort(),
    }));
    expect(seenByCarol).toEqual({ topic: 'Quarterly review', names: ['Alice', 'Robert'] });

    await alice.page.evaluate(() => window.harness.room!.setConferenceMetadata('topic', undefined));
    for (const watcher of [bob, carol]) {
      await expect.poll(() => watcher.page.evaluate(() => 'topic' in window.harness.room!.metadata)).toBe(false);
    }
  });

  test('end closes the call for everyone; joining it afterwards is a clear error', async ({ call }) => {
    const [alice, bob, carol] = await call.join('Alice', 'Bob', 'Carol');
    await bob.publish('MIC_AND_CAM');
    await carol.publish('MIC_AND_CAM');
    await alice.expectMediaFlowing({ video: 2, audio: 2 });

    await alice.end();

    expect(await alice.page.evaluate(() => window.harness.room!.state)).toBe('ended');
    for (const other of [bob, carol]) {
      await expect.poll(() => other.page.evaluate(() => window.harness.room!.state)).toBe('ended');
      expect((await other.events()).filter((event) => event.name === 'ended')).toHaveLength(1);
    }
    for (const everyone of [alice, bob, carol]) {
      await expect.poll(() => everyone.census()).toMatchObject({ livePeerConnections: 0 });
    }

    const late = await call.open('Mallory');
    const failure = await joinFailure(late.page, call.conferenceId);
    expect(failure).toMatchObject({ name: 'ConferenceError', code: 'api', status: 404, state: 'idle' });
    expect((failure as { message: string }).message).toContain(call.conferenceId);
  });

  test('joining an unknown conference is a clear error', async ({ call }) => {
    const stranger = await call.open('Mallory');
    const failure = await joinFailure(stranger.page, 'no-such-conference');
    expect(failure).toMatchObject({ name: 'ConferenceError', code: 'api', status: 404, state: 'idle' });
    expect((failure as { message: string }).message).toMatch(/join failed with HTTP 404: .*no-such-conference/);
    expect(await stranger.census()).toMatchObject({ peerConnectionsCreated: 0 });
  });
});
