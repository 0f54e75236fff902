import { SequenceCompactor } from './SequenceCompactor.js';

/** The sequence number and timestamp a forwarded packet carries to viewers. */
export interface RewrittenHeader {
  sequenceNumber: number;
  timestamp: number;
}

/** What a packet of the current source looks like to {@link RtpContinuity}. */
export interface SourcePacket {
  sequenceNumber: number;
  timestamp: number;
  /** Whether it starts a keyframe (only asked while a video stream waits for one). */
  startsKeyframe: () => boolean;
}

/**
 * Keeps one kind of a published stream continuous for its viewers when the publisher's connection
 * is replaced (a reconnection: new SSRC, new random sequence numbers and timestamps). Packets of the
 * new source are forwarded from its first usable packet on (for video, the first packet of a
 * keyframe, since the viewers' decoders have no reference for anything else), renumbered so they
 * follow the last packet forwarded, with the timestamp advanced by the wall-clock time in between;
 * each viewer's decoder thus sees one stream with a pause, not a new one. The first source passes
 * through unchanged. Padding-only packets the router drops leave no gap (see {@link SequenceCompactor}).
 */
export class RtpContinuity {
  private compactor = new SequenceCompactor();
  private seqOffset = 0;
  private timestampOffset = 0;
  /** Whether the current source has had its first packet forwarded (the first source needs no joining). */
  private started = true;
  /** The compacted sequence number a later source was joined at; its older packets are not forwarded. */
  private joinedAt: number | undefined;
  private waitingForKeyframe = false;
  private last: { sequenceNumber: number; timestamp: number; at: number } | undefined;
  /** Sources switched to so far, and packets of a new source not forwarded because they came before its keyframe. */
  readonly stats = { sources: 1, heldBeforeKeyframe: 0 };

  constructor(
    private readonly clockRate: number,
    private readonly needsKeyframe: boolean,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The next packets come from a new connection of the publisher. */
  newSource(): void {
    this.compactor = new SequenceCompactor();
    this.started = false;
    this.joinedAt = undefined;
    this.waitingForKeyframe = this.needsKeyframe;
    this.stats.sources++;
  }

  /** Whether the current source is still waiting for its first keyframe. */
  get awaitingKeyframe(): boolean {
    return this.waitingForKeyframe;
  }

  /** Records that a packet of the current source is not forwarded (padding). */
  drop(sequenceNumber: number): void {
    this.compactor.drop(sequenceNumber);
  }

  /** The header a packet of the current source gets, or undefined when it is not forwarded. */
  map(packet: SourcePacket): RewrittenHeader | undefined {
    const compacted = this.compactor.map(packet.sequenceNumber);
    if (!this.started) {
      if (this.waitingForKeyframe && !packet.startsKeyframe()) {
        this.stats.heldBeforeKeyframe++;
        return undefined;
      }
      this.start(compacted, packet.timestamp);
    } else if (this.joinedAt !== undefined) {
      const sinceJoin = seqDelta(compacted, this.joinedAt);
      // Older than the packet the source was joined at: its number belongs to the previous source.
      if (sinceJoin < 0) return undefined;
      // Far enough on that no reordered packet can come from before the join (and before the 16-bit wrap).
      if (sinceJoin > REORDER_WINDOW) this.joinedAt = undefined;
    }
    const out = {
      sequenceNumber: (compacted + this.seqOffset) & 0xffff,
      timestamp: (packet.timestamp + this.timestampOffset) >>> 0,
    };
    if (!this.last || seqDelta(out.sequenceNumber, this.last.sequenceNumber) > 0) this.last = { ...out, at: this.now() };
    return out;
  }

  private start(compacted: number, timestamp: number): void {
    this.started = true;
    this.joinedAt = compacted;
    this.waitingForKeyframe = false;
    if (!this.last) return; // nothing forwarded yet: the numbers are free
    const elapsedTicks = Math.round(((this.now() - this.last.at) * this.clockRate) / 1_000);
    this.seqOffset = (this.last.sequenceNumber + 1 - compacted) & 0xffff;
    // At least one tick, so the first frame of the new source is never taken for the last of the old.
    this.timestampOffset = (this.last.timestamp + Math.max(1, elapsedTicks) - timestamp) >>> 0;
  }
}

/** Packets a reordered one may arrive late by; the join guard ends after as many. */
const REORDER_WINDOW = 1_000;

/** a - b for 16-bit sequence numbers, in [-32768, 32767]. */
function seqDelta(a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000;
}
