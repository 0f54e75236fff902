import { expect, test } from './support/test.js';

test.describe('demo page', () => {
  test('two people join the same room through the page and see each other', async ({ call }) => {
    const room = call.conferenceId;
    const alice = await call.openDemo('Alice');
    await alice.joinAndPublish(room);
    // Bob opens the shared link: the room is filled in for him.
    const bob = await call.openDemo('Bob', { room });
    await expect(bob.page.getByLabel('Room')).toHaveValue(room);
    await bob.joinAndPublish();

    await expect(alice.remoteTile('Bob')).toHaveCount(1);
    await expect(bob.remoteTile('Alice')).toHaveCount(1);
    await alice.expectMediaFlowing({ video: 1, audio: 1 });
    await bob.expectMediaFlowing({ video: 1, audio: 1 });

    await expect(alice.page.locator('#participants li')).toHaveText(['Alice (you)', /^Bob/]);
    await expect(alice.page.locator('#participant-count')).toHaveText('2');
    const overlay = alice.remoteTile('Bob').locator('.stats');
    await expect(overlay.locator('[data-stat="res"]')).toHaveText(/^\d+×\d+$/);
    await expect(overlay.locator('[data-stat="bitrate"]')).toHaveText(/^\d+(\.\d)? (kbps|Mbps)$/);
    await expect(overlay.locator('[data-stat="fps"]')).toHaveText(/^\d+$/);
    await expect(overlay.locator('[data-stat="loss"]')).toHaveText(/^\d+\.\d %$/);
    await expect(overlay.locator('[data-stat="rtt"]')).toHaveText(/^\d+ ms$/);
    await expect(alice.localTiles().locator('[data-stat="bitrate"]')).toHaveText(/(kbps|Mbps)$/);
  });

  test('mute, camera and screen share show on the other side; end closes the call for both', async ({ call }) => {
    test.slow(); // a 1280×720 screen share on top of two camera calls
    const room = call.conferenceId;
    const alice = await call.openDemo('Alice');
    await alice.joinAndPublish(room);
    const bob = await call.openDemo('Bob', { room });
    await bob.joinAndPublish();
    const aliceAtBob = bob.remoteTile('Alice');
    await expect(aliceAtBob).toHaveCount(1);

    await alice.button('Mute microphone').click();
    await expect(aliceAtBob.locator('[data-badge="audio-muted"]')).toBeVisible();
    await expect(alice.button('Unmute microphone')).toBeVisible();
    await alice.button('Turn camera off').click();
    await expect(aliceAtBob.locator('[data-badge="video-muted"]')).toBeVisible();
    await alice.button('Unmute microphone').click();
    await expect(aliceAtBob.locator('[data-badge="audio-muted"]')).toBeHidden();
    await alice.button('Turn camera on').click();
    await expect(aliceAtBob.locator('[data-badge="video-muted"]')).toBeHidden();

    await alice.button('Share screen').click();
    await expect(bob.remoteTile('Alice', 'SCREEN')).toHaveCount(1);
    await bob.expectMediaFlowing({ video: 2, audio: 1 });
    await alice.button('Stop sharing').click();
    await expect(bob.remoteTile('Alice', 'SCREEN')).toHaveCount(0);
    await expect(alice.localTiles()).toHaveCount(1);

    await alice.button('End for everyone').click();
    await expect(alice.message()).toHaveText(`You ended “${room}” for everyone.`);
    await expect(bob.message()).toHaveText(`The conference “${room}” has ended: Alice ended the call.`);
    for (const person of [alice, bob]) {
      await expect(person.page.getByRole('button', { name: /^Join/ })).toBeVisible();
      await expect(person.page.locator('.tile')).toHaveCount(0);
      await expect.poll(() => person.page.evaluate(() => window.__rtcCensus.counts().livePeerConnections)).toBe(0);
    }
  });

  test('a three-party call (screenshot attached); a leaver disappears from the others', async ({ call }, testInfo) => {
    test.slow(); // three 640×480 captures (the demo's defaults), each decoded twice, rendered in large tiles
    const room = call.conferenceId;
    const people = [await call.openDemo('Alice'), await call.openDemo('Bob', { room }), await call.openDemo('Carol', { room })];
    for (const person of people) await person.joinAndPublish(person.name === 'Alice' ? room : undefined);
    for (const person of people) await person.expectMediaFlowing({ video: 2, audio: 2 });
    const [alice, bob, carol] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];

    await expect(alice.page.locator('#participant-count')).toHaveText('3');
    await expect(alice.remoteTiles().locator('[data-stat="res"]')).toHaveText([/×/, /×/]);
    // Saved under test-results/ (kept after the run) and attached to the report.
    const screenshot = testInfo.outputPath('demo-3-party-call.png');
    await alice.page.screenshot({ path: screenshot });
    await testInfo.attach('demo-3-party-call', { path: screenshot, contentType: 'image/png' });

    await carol.button('Leave').click();
    await expect(carol.message()).toHaveText(`You left “${room}”.`);
    for (const stayer of [alice, bob]) {
      await expect(stayer.remoteTile('Carol')).toHaveCount(0);
      await expect(stayer.page.locator('#participant-count')).toHaveText('2');
      await stayer.expectMediaFlowing({ video: 1, audio: 1 });
    }
  });

  test('a participant whose media stops is marked SICK on the other side', async ({ call }) => {
    test.slow(); // the server waits for its no-media timeout (10 s) before calling an endpoint SICK
    const room = call.conferenceId;
    const alice = await call.openDemo('Alice');
    await alice.joinAndPublish(room);
    const bob = await call.openDemo('Bob', { room });
    await bob.joinAndPublish();
    await bob.expectMediaFlowing({ video: 1, audio: 1 });
    await expect(bob.remoteTile('Alice').locator('[data-badge="sick"]')).toBeHidden();

    // A crashed tab sends no leave and no more media: only the media plane can tell.
    const devtools = await alice.context.newCDPSession(alice.page);
    void devtools.send('Page.crash').catch(() => undefined);

    await expect(bob.remoteTile('Alice').locator('[data-badge="sick"]')).toBeVisible({ timeout: 45_000 });
    await expect(bob.page.locator('#participants li', { hasText: 'Alice' })).toContainText('SICK');
  });

  test('failures read as sentences: server unreachable, token rejected, camera denied', async ({ call }) => {
    const room = call.conferenceId;
    const demo = await call.openDemo('Alice', { server: 'http://127.0.0.1:9' });
    await demo.join(room);
    await expect(demo.message()).toContainText('Cannot reach the conference server at http://127.0.0.1:9');
    await expect(demo.page.getByRole('button', { name: /^Join/ })).toBeVisible();

    await demo.goto({ clientSecret: 'wrong' });
    await demo.join(room);
    await expect(demo.message()).toContainText('The server rejected the credentials (HTTP 401)');

    await demo.page.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    await demo.goto();
    await demo.join(room);
    await expect(demo.message()).toContainText('Camera or microphone access was denied');
    // Still in the call, without media: the buttons can try again once access is allowed.
    await expect(demo.page.locator('#call')).toBeVisible();
    await expect(demo.page.locator('#participants li')).toHaveText(['Alice (you)']);
    await expect(demo.localTiles()).toHaveCount(0);
  });
});
