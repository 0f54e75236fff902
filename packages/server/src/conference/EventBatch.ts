import type { ConferenceEvent } from './EventLog.js';

/**
 * The answer of one event poll: the events and their JSON bytes. One batch is shared by every poll
 * woken by the same append from the same version, so 200 waiting clients cost one serialization.
 */
export class EventBatch {
  private bytes: Buffer | undefined;

  constructor(
    readonly events: readonly ConferenceEvent[],
    /** The events' JSON when it is at hand already (read from a store). */
    json?: Buffer,
  ) {
    this.bytes = json;
  }

  /** The events as the JSON answer's bytes, serialized on first use. */
  get json(): Buffer {
    return (this.bytes ??= Buffer.from(JSON.stringify(this.events)));
  }
}
