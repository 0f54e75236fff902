/**
 * Where the VP8 payload descriptor (RFC 7741 §4.2) of one packet keeps its picture numbering: the
 * PictureID (7 or 15 bits) and TL0PICIDX, each with its byte offset, and the descriptor's length.
 */
export interface Vp8Numbering {
  pictureId: number | undefined;
  /** 7 or 15. */
  pictureIdBits: number;
  pictureIdAt: number;
  tl0PicIdx: number | undefined;
  tl0PicIdxAt: number;
  /** Bytes of the descriptor; the VP8 payload header follows. */
  length: number;
}

/** Reads the descriptor of a VP8 RTP payload; undefined when it is too short to hold one. */
export function readVp8Numbering(payload: Uint8Array): Vp8Numbering | undefined {
  const first = payload[0];
  if (first === undefined) return undefined;
  const numbering: Vp8Numbering = { pictureId: undefined, pictureIdBits: 7, pictureIdAt: -1, tl0PicIdx: undefined, tl0PicIdxAt: -1, length: 1 };
  if ((first & 0x80) === 0) return numbering;
  const x = payload[1];
  if (x === undefined) return undefined;
  let at = 2;
  if (x & 0x80) {
    const high = payload[at];
    if (high === undefined) return undefined;
    numbering.pictureIdAt = at;
    if (high & 0x80) {
      const low = payload[at + 1];
      if (low === undefined) return undefined;
      numbering.pictureId = ((high & 0x7f) << 8) | low;
      numbering.pictureIdBits = 15;
      at += 2;
    } else {
      numbering.pictureId = high & 0x7f;
      at += 1;
    }
  }
  if (x & 0x40) {
    const tl0 = payload[at];
    if (tl0 === undefined) return undefined;
    numbering.tl0PicIdx = tl0;
    numbering.tl0PicIdxAt = at;
    at += 1;
  }
  if (x & 0x30) at += 1;
  numbering.length = at;
  return payload.length >= at ? numbering : undefined;
}

/** Writes a PictureID and TL0PICIDX into a payload at the places `numbering` found (in place). */
export function writeVp8Numbering(payload: Uint8Array, numbering: Vp8Numbering, pictureId: number | undefined, tl0PicIdx: number | undefined): void {
  if (pictureId !== undefined && numbering.pictureIdAt >= 0) {
    if (numbering.pictureIdBits === 15) {
      payload[numbering.pictureIdAt] = 0x80 | ((pictureId >> 8) & 0x7f);
      payload[numbering.pictureIdAt + 1] = pictureId & 0xff;
    } else {
      payload[numbering.pictureIdAt] = pictureId & 0x7f;
    }
  }
  if (tl0PicIdx !== undefined && numbering.tl0PicIdxAt >= 0) payload[numbering.tl0PicIdxAt] = tl0PicIdx & 0xff;
}

/**
 * The picture size of a VP8 keyframe, from the first packet of its first partition (RFC 6386 §9.1:
 * 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height, little-endian).
 */
export function vp8KeyframeSize(payload: Uint8Array): { width: number; height: number } | undefined {
  const numbering = readVp8Numbering(payload);
  if (!numbering) return undefined;
  const at = numbering.length;
  if (payload.length < at + 10) return undefined;
  if (payload[at + 3] !== 0x9d || payload[at + 4] !== 0x01 || payload[at + 5] !== 0x2a) return undefined;
  const width = (payload[at + 6]! | (payload[at + 7]! << 8)) & 0x3fff;
  const height = (payload[at + 8]! | (payload[at + 9]! << 8)) & 0x3fff;
  return { width, height };
}
