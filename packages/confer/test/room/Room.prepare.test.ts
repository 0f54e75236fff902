import { describe, expect, it } from 'vitest';
import { waitFor } from '../fakes/waitFor.js';
import { participant, roomHarness } from './roomHarness.js';

/** A join the fake server answers only when `release()` is called, so a test can look while it is in flight. */
function holdJoin(api: ReturnType<typeof roomHarness>['api']) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  api.on('join', async () => {
    await released;
    return undefined;
  });
  return () => release();
}

describe('Room: prepare() for a fast start', () => {
  it('fetches the token before the join, which then sends no token request', async () => {
    const { api, room } = roomHarness();
    await room.prepare();
    expect(api.calls.map((c) => c.operation)).toEqual(['issueToken']);
    await room.join('c1');
    expect(api.callsOf('issueToken')).toHaveLength(1);
    await room.leave();
  });

  it("makes the first view's connection and offer while the join is in flight; the first stream's viewer takes it", async () => {
    const { api, room, pcs } = roomHarness();
    api.conference.participants = [participant('alice', ['a1'])];
    await room.prepare();
    const release = holdJoin(api);
    const joining = room.join('c1');
    await waitFor(() => pcs.created[0]?.localDescription !== null, 'the prepared offer');
    expect(api.callsOf('viewStream')).toHaveLength(0);
    release();
    await joining;
    await waitFor(() => api.callsOf('viewStream').length === 1, 'the view of a1');
    // No second connection: the one prepared during the join carries a1, with the offer made then.
    expect(pcs.created).toHaveLength(1);
    expect(api.callsOf('viewStream')[0]?.body.sdpOffer).toBe(pcs.created[0]?.localDescription?.sdp);
    expect(pcs.created[0]?.getTransceivers().map((t) => t.receiver.track.kind)).toEqual(['audio', 'video']);
    await waitFor(() => pcs.created[0]?.remoteDescription !== null, 'the answer');
    expect(room.remoteStreams[0]?.mediaStream.getTracks()).toHaveLength(2);
    await room.leave();
    expect(pcs.open).toHaveLength(0);
  });

  it('closes the prepared connection when the room has nothing to view, and when the first stream has other kinds (a camera without microphone)', async () => {
    const empty = roomHarness();
    await empty.room.prepare();
    await empty.room.join('c1');
    expect(empty.pcs.created).toHaveLength(1);
    expect(empty.pcs.open).toHaveLength(0);
    await empty.room.leave();

    const camera = roomHarness();
    camera.api.conference.participants = [{ ...participant('alice'), streams: [{ id: { id: 's1' }, type: 'CAM', metadata: {} }] }];
    await camera.room.prepare();
    await camera.room.join('c1');
    await waitFor(() => camera.api.callsOf('viewStream').length === 1, 'the view of s1');
    // The prepared (audio + video) connection is closed; the camera alone (video) gets its own.
    expect(camera.pcs.created).toHaveLength(2);
    expect(camera.pcs.created[0]?.closed).toBe(true);
    expect(camera.pcs.open).toHaveLength(1);
    await camera.room.leave();
  });

  it('without prepare(), the join creates no connection before it knows what to view', async () => {
    const { api, room, pcs } = roomHarness();
    const release = holdJoin(api);
    const joining = room.join('c1');
    await waitFor(() => api.callsOf('join').length === 1, 'the join request');
    expect(pcs.created).toHaveLength(0);
    release();
    await joining;
    expect(pcs.created).toHaveLength(0);
    await room.leave();
  });

  it('refuses prepare() once joined', async () => {
    const { room } = roomHarness();
    await room.join('c1');
    await expect(room.prepare()).rejects.toMatchObject({ code: 'invalid-state' });
    await room.leave();
  });
});
