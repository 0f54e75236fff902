import { describe, expect, it } from 'vitest';
import { roomHarness } from '../room/roomHarness.js';

/** The rids the video sender of each of our publishers offers, and whether it opened the dynacast channel. */
function sent(pcs: ReturnType<typeof roomHarness>['pcs']) {
  return pcs.created.map((pc) => ({
    rids: pc.getTransceivers().find((t) => t.kind === 'video')?.rids ?? [],
    dynacast: pc.channels.some((channel) => channel.label === 'confer-dynacast'),
  }));
}

describe('Room: simulcast, adaptive stream and dynacast options', () => {
  it('sends a camera in three layers with dynacast, a screen share in one, and neither with simulcast: false', async () => {
    const { room, pcs } = roomHarness();
    await room.join('c1');
    await room.publish({ type: 'MIC_AND_CAM' });
    await room.publish({ type: 'SCREEN' });
    await room.publish({ type: 'CAM', simulcast: false });
    await room.publish({ type: 'SCREEN', simulcast: true });
    expect(sent(pcs)).toEqual([
      { rids: ['q', 'h', 'f'], dynacast: true },
      { rids: [], dynacast: false },
      { rids: [], dynacast: false },
      { rids: ['q', 'h', 'f'], dynacast: true },
    ]);
    await room.leave();
  });

  it('opens no dynacast channel with dynacast: false, and still sends the layers', async () => {
    const { room, pcs } = roomHarness({ dynacast: false });
    await room.join('c1');
    await room.publish({ type: 'CAM' });
    expect(sent(pcs)).toEqual([{ rids: ['q', 'h', 'f'], dynacast: false }]);
    await room.leave();
  });
});
