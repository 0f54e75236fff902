import { expectAudioFlowing, expectNoLeaks, expectStreamCount, expectVideoFlowing, test } from '@confer/testing';

test('two people see and hear each other', async ({ conferServer, participant }) => {
  const room = `example-${test.info().testId}-${Date.now()}`;
  const alice = await participant('alice', { url: `/?server=${conferServer.url}&room=${room}&name=alice` });
  const bob = await participant('bob', { url: `/?server=${conferServer.url}&room=${room}&name=bob` });

  await expectVideoFlowing(bob.page, { from: bob.page.locator('video[data-user="alice"]') });
  await expectAudioFlowing(bob.page, { from: 'video[data-user="alice"]' });
  await expectVideoFlowing(alice.page, { from: alice.page.locator('video[data-user="bob"]') });
  await expectStreamCount(alice.page, 1);
});

test('leaving releases the camera, the microphone and every connection', async ({ conferServer, participant }) => {
  const room = `example-${test.info().testId}-${Date.now()}`;
  const alice = await participant('alice', { url: `/?server=${conferServer.url}&room=${room}&name=alice` });
  const bob = await participant('bob', { url: `/?server=${conferServer.url}&room=${room}&name=bob` });
  await expectVideoFlowing(alice.page, { from: 'video[data-user="bob"]' });

  await alice.page.getByRole('button', { name: 'Leave' }).click();

  await expectNoLeaks(alice.page);
  await expectStreamCount(bob.page, 0);
});
