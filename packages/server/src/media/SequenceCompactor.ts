/** Dropped sequence numbers older than this (in packets) are folded into a count; no retransmission reaches that far back. */
const WINDOW = 5_000;

/**
 * Renumbers one RTP stream after the router dropped some of its packets (padding-only probes), so
 * viewers see no gaps: a gap is a loss to a receiver, which NACKs it forever and reports it in its
 * statistics. Works on extended (unwrapped) sequence numbers, so it copes with reordering,
 * retransmissions and the 16-bit wrap; the same idea as mediasoup's SeqManager.
 */
export class SequenceCompactor {
  private highest: number | undefined;
  /** Extended sequence numbers dropped inside the window, ascending. */
  private readonly dropped: number[] = [];
  private droppedBeforeWindow = 0;

  /** Records that the packet with this sequence number is not forwarded. */
  drop(sequenceNumber: number): void {
    const ext = this.extend(sequenceNumber);
    const at = this.insertionIndex(ext);
    if (this.dropped[at] === ext) return;
    this.dropped.splice(at, 0, ext);
    while (this.dropped.length > 0 && this.dropped[0]! < this.highest! - WINDOW) {
      this.dropped.shift();
      this.droppedBeforeWindow++;
    }
  }

  /** The sequence number a forwarded packet carries to viewers. */
  map(sequenceNumber: number): number {
    const ext = this.extend(sequenceNumber);
    if (this.dropped.length === 0 && this.droppedBeforeWindow === 0) return sequenceNumber;
    return (ext - this.droppedBeforeWindow - this.insertionIndex(ext)) & 0xffff;
  }

  /** Unwraps a 16-bit sequence number next to the highest one seen. */
  private extend(sequenceNumber: number): number {
    if (this.highest === undefined) {
      // Start one cycle up, so a slightly older packet does not go negative.
      this.highest = sequenceNumber + 0x10000;
      return this.highest;
    }
    const delta = ((sequenceNumber - this.highest + 0x8000) & 0xffff) - 0x8000;
    const ext = this.highest + delta;
    if (ext > this.highest) this.highest = ext;
    return ext;
  }

  /** Index of the first dropped number >= ext (so also the count of dropped numbers below it). */
  private insertionIndex(ext: number): number {
    let low = 0;
    let high = this.dropped.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.dropped[mid]! < ext) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
