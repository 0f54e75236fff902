import { describe, expectTypeOf, it } from 'vitest';
import type { Participant, Room } from 'confer';

declare const room: Room;
declare const participant: Participant;

describe('the native clients’ conventions', () => {
  it('types hold, recording, names and avatars', () => {
    expectTypeOf(room.onHold).toEqualTypeOf<boolean>();
    expectTypeOf(room.recording).toEqualTypeOf<boolean>();
    room.on('onHoldChanged', (onHold) => expectTypeOf(onHold).toEqualTypeOf<boolean>());
    room.on('recordingChanged', (recording, state) => {
      expectTypeOf(recording).toEqualTypeOf<boolean>();
      expectTypeOf(state).toEqualTypeOf<string | undefined>();
    });
    expectTypeOf(participant.name).toEqualTypeOf<string | undefined>();
    expectTypeOf(participant.avatarUrl).toEqualTypeOf<string | undefined>();
    expectTypeOf(room.join('c', { name: 'Alice', avatarUrl: 'https://example.test/a.png' })).toEqualTypeOf<Promise<void>>();
    // @ts-expect-error onHold is read from the conference metadata, not set
    room.onHold = true;
  });
});
