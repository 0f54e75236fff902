/**
 * What one server process keeps of a conference that is not shared with other processes: the ids
 * held while its own media plane works on a publish or a view, and the event polls waiting on it.
 * The in-memory store gives each conference one; the Redis store one per conference per process.
 */
export class ConferenceLocals {
  /** Stream ids held by a publish of this process still waiting for the media plane. */
  readonly reservedStreamIds = new Set<string>();
  /** Viewer ids held by a view of this process still waiting for the media plane. */
  readonly reservedViewerIds = new Set<string>();
  private readonly pollsByUser = new Map<string, number>();
  private readonly hangUps = new Map<string, Promise<void>>();

  /** A hang-up of this user's poll being recorded: the user's next poll here starts after it, so it cannot undo that poll's sign of life. */
  recordHangUp(userId: string, recorded: Promise<void>): void {
    this.hangUps.set(userId, recorded);
    void recorded.finally(() => {
      if (this.hangUps.get(userId) === recorded) this.hangUps.delete(userId);
    });
  }

  /** The hang-up of this user still being recorded, if any. */
  pendingHangUp(userId: string): Promise<void> | undefined {
    return this.hangUps.get(userId);
  }

  /** Counts a user's event poll as waiting (or done, with -1). */
  trackPoll(userId: string, delta: 1 | -1): void {
    const count = (this.pollsByUser.get(userId) ?? 0) + delta;
    if (count > 0) this.pollsByUser.set(userId, count);
    else this.pollsByUser.delete(userId);
  }

  /** Whether an event poll of this user is waiting in this process. */
  isPolling(userId: string): boolean {
    return this.pollsByUser.has(userId);
  }

  /** Whether nothing is held or waiting (the Redis store then forgets the object). */
  get idle(): boolean {
    return this.reservedStreamIds.size === 0 && this.reservedViewerIds.size === 0 && this.pollsByUser.size === 0 && this.hangUps.size === 0;
  }
}
