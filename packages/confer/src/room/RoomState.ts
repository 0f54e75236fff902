/** The life of a Room: `idle → joining → joined ⇄ reconnecting → left | ended`. */
export type RoomState = 'idle' | 'joining' | 'joined' | 'reconnecting' | 'left' | 'ended';

/** The only transitions `setState` accepts. A failed join goes back to idle so it can be retried. @internal */
export const ALLOWED: Readonly<Record<RoomState, readonly RoomState[]>> = {
  idle: ['joining'],
  joining: ['joined', 'idle', 'left', 'ended'],
  joined: ['reconnecting', 'left', 'ended'],
  reconnecting: ['joined', 'left', 'ended'],
  left: [],
  ended: [],
};

/** Whether the room is in the conference (joined, or joined and resyncing). @internal */
export function isInConference(state: RoomState): boolean {
  return state === 'joined' || state === 'reconnecting';
}
