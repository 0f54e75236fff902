import { expect, test } from '@confer/testing';
import { harnessUrl, Participant } from '../support/Participant.js';

/**
 * `@confer/testing`'s own network faults (`conferNetwork: 'lab'`): participants from the `participant`
 * fixture, each on their own lab host, open the harness the runner serves on its loopback (forwarded
 * into their namespaces) and meet on the lab's server; `participant.network` and `conferServer.restart()`
 * bite, and the package's assertions see it.
 */
test.use({ conferNetwork: 'lab' });

test('participant.network and conferServer.restart() of @confer/testing bite, and media comes back', async ({ conferServer, participant }) => {
  test.slow(); // a blackout, a restart and their recoveries
  const url = harnessUrl(conferServer.url);
  const alice = await participant('Alice', { url });
  const bob = await participant('Bob', { url });
  const conferenceId = `lab-network-${Date.now().toString(36)}`;
  for (const person of [alice, bob]) await (await Participant.on(person)).join(conferenceId);
  await (await Participant.on(alice)).publish('CAM');
  await bob.expectVideoFlowing({ from: 'video[data-remote="true"]' });

  await bob.network.loss(0.2);
  await bob.network.bandwidth(300_000);
  await bob.expectVideoFlowing();
  await bob.network.restore();

  await bob.network.blackout();
  // The assertion itself must fail in a blackout, and say that frames stopped.
  await expect
    .poll(() => bob.expectVideoFlowing({ timeout: 1_500 }).then(() => 'flowing', (error: Error) => error.message), { timeout: 15_000 })
    .toMatch(/^expectVideoFlowing\(from any sender\): no video flowing within 1500 ms; last seen: track \w+ \(pc #\d+ \w+\/ice \w+\): framesDecoded (\d+) → \1$/);
  await bob.network.restore();
  await bob.expectVideoFlowing();

  await conferServer.restart();
  await bob.expectVideoFlowing();
  await bob.expectStreamCount(1);
  expect(alice.network.available).toBe(true);
});
