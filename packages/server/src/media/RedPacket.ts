/** One block of a RED payload (RFC 2198): a redundant copy of an earlier packet, or the primary (last) one. */
export interface RedBlock {
  payloadType: number;
  /** How far back this block's timestamp is from the packet's (0 for the primary block). */
  timestampOffset: number;
  /** Where the block's data starts and ends in the RED payload. */
  start: number;
  end: number;
}

/** The RED payload's block header fields: 4 bytes for a redundant block, 1 for the primary one. */
const REDUNDANT_HEADER_BYTES = 4;

/**
 * Reads the block headers of a RED payload (RFC 2198 §3): F=1 headers (payload type, 14-bit
 * timestamp offset, 10-bit length) for redundant blocks, then one F=0 header for the primary block,
 * which runs to the end. Undefined when the headers overrun the payload or the lengths do not fit,
 * so a malformed packet is dropped rather than forwarded half-read.
 */
export function parseRedBlocks(payload: Uint8Array): RedBlock[] | undefined {
  const headers: Array<{ payloadType: number; timestampOffset: number; length: number | undefined }> = [];
  let at = 0;
  for (;;) {
    const first = payload[at];
    if (first === undefined) return undefined;
    if ((first & 0x80) === 0) {
      headers.push({ payloadType: first & 0x7f, timestampOffset: 0, length: undefined });
      at += 1;
      break;
    }
    if (at + REDUNDANT_HEADER_BYTES > payload.length) return undefined;
    const b1 = payload[at + 1]!;
    const b2 = payload[at + 2]!;
    const b3 = payload[at + 3]!;
    headers.push({ payloadType: first & 0x7f, timestampOffset: (b1 << 6) | (b2 >> 2), length: ((b2 & 0x03) << 8) | b3 });
    at += REDUNDANT_HEADER_BYTES;
  }
  const blocks: RedBlock[] = [];
  for (const header of headers) {
    const end = header.length === undefined ? payload.length : at + header.length;
    if (end > payload.length) return undefined;
    blocks.push({ payloadType: header.payloadType, timestampOffset: header.timestampOffset, start: at, end });
    at = end;
  }
  return blocks;
}

/**
 * The primary block of a RED payload (the last one, RFC 2198 §3): what the packet carries for its own
 * sequence number and timestamp, so a receiver without RED can take it as a plain packet. Undefined
 * when the payload is malformed.
 */
export function redPrimaryBlock(payload: Buffer): { payloadType: number; payload: Buffer } | undefined {
  const primary = parseRedBlocks(payload)?.at(-1);
  if (!primary) return undefined;
  return { payloadType: primary.payloadType, payload: payload.subarray(primary.start, primary.end) };
}

/**
 * A RED payload with each block's payload type mapped (the publisher's opus payload type to the
 * viewer's); the payload itself when nothing changes, a copy otherwise. Undefined when the payload
 * is malformed or a block has a payload type `map` does not know.
 */
export function mapRedPayloadTypes(payload: Buffer, map: (payloadType: number) => number | undefined): Buffer | undefined {
  const blocks = parseRedBlocks(payload);
  if (!blocks) return undefined;
  const mapped = blocks.map((b) => map(b.payloadType));
  if (mapped.some((pt) => pt === undefined)) return undefined;
  if (mapped.every((pt, i) => pt === blocks[i]!.payloadType)) return payload;
  const copy = Buffer.from(payload);
  // Headers are 4 bytes each for redundant blocks, then 1 for the primary; the payload type is the low 7 bits of each header's first byte.
  blocks.forEach((_, i) => {
    const at = i * REDUNDANT_HEADER_BYTES;
    copy[at] = (copy[at]! & 0x80) | mapped[i]!;
  });
  return copy;
}

/** The payload types of one side's opus section: opus itself and, when negotiated, audio/red. */
export interface AudioPayloadTypes {
  opus: number;
  red?: number;
}

/**
 * How one viewer gets each audio packet of a publisher, RED or plain opus, as it negotiated: RED
 * stays RED under the viewer's payload types when the viewer has RED, else becomes its primary
 * block (sequence number and timestamp unchanged, RFC 2198 §3); plain opus gets the viewer's opus
 * payload type. Undefined: not forwarded (a malformed RED packet, an unknown payload type).
 */
export function translateAudioPayload(
  payloadType: number,
  payload: Buffer,
  publisher: AudioPayloadTypes,
  viewer: AudioPayloadTypes,
): { payloadType: number; payload: Buffer } | undefined {
  if (payloadType === publisher.opus) return { payloadType: viewer.opus, payload };
  if (publisher.red === undefined || payloadType !== publisher.red) return undefined;
  if (viewer.red !== undefined) {
    const mapped = mapRedPayloadTypes(payload, (pt) => (pt === publisher.opus ? viewer.opus : undefined));
    return mapped && { payloadType: viewer.red, payload: mapped };
  }
  const primary = redPrimaryBlock(payload);
  if (!primary || primary.payloadType !== publisher.opus) return undefined;
  return { payloadType: viewer.opus, payload: primary.payload };
}
