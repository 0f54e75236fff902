import type { MediaKind } from './codecs.js';
import { RateMeter } from './RateMeter.js';
import { vp8KeyframeSize } from './vp8Descriptor.js';

/** Bit rates the library's simulcast layers are capped at, lowest first (q, h, f of the wire protocol). */
export const NOMINAL_LAYER_BITRATES: readonly number[] = [150_000, 500_000, 1_700_000];

/** A layer that sent nothing for this long is no longer flowing (its encoding was paused or dropped). */
const FLOWING_TIMEOUT_MS = 1_500;

/**
 * One stream a publisher sends of one kind: a simulcast layer (its rid) or the single stream without
 * simulcast. Measured as packets arrive (SSRC, bit rate, picture size from keyframes, last packet),
 * so viewers' layer choice works from what the publisher really sends. A reconnection of the
 * publisher brings new layer objects, which is how viewers notice that the source changed.
 */
export class PublisherLayer {
  /** The SSRC its packets carry (learned from the first packet: simulcast offers list none). */
  ssrc: number | undefined;
  /** Picture size of its last keyframe (VP8 only; H.264 sizes are not read). */
  width: number | undefined;
  height: number | undefined;
  /** When its last media packet arrived (performance.now()). */
  lastPacketAt = Number.NEGATIVE_INFINITY;
  /** When it last started flowing (its first packet after a silence of 1.5 s or more). */
  flowingSince = Number.NEGATIVE_INFINITY;
  /** Set by the stream while dynacast has told the publisher to stop encoding this layer. */
  pausedByDynacast = false;
  /** Over 1–2 s: a layer's rate swings with its keyframes, and a layer choice should not. */
  private readonly rate = new RateMeter(1_000);

  constructor(
    /** Audio or video. */
    readonly kind: MediaKind,
    /** The simulcast rid, undefined for a stream sent without simulcast. */
    readonly rid: string | undefined,
    /** Position from the lowest layer (0). */
    readonly index: number,
    /** What the layer is expected to need before it has been measured. */
    readonly nominalBitrate: number,
  ) {}

  /** Records one media packet of the layer (`keyframe`: it starts a keyframe, whose size is read). */
  received(ssrc: number, payload: Uint8Array, size: number, keyframe: boolean, codecName: string, now: number): void {
    this.ssrc = ssrc;
    if (!this.isFlowing(now)) this.flowingSince = now;
    this.lastPacketAt = now;
    this.rate.add(size, now);
    if (keyframe && codecName === 'VP8') {
      const picture = vp8KeyframeSize(payload);
      if (picture) {
        this.width = picture.width;
        this.height = picture.height;
      }
    }
  }

  /** Whether a packet arrived in the last 1.5 s. */
  isFlowing(now: number): boolean {
    return now - this.lastPacketAt < FLOWING_TIMEOUT_MS;
  }

  /** Whether the layer has ever sent a packet. */
  get hasFlowed(): boolean {
    return this.lastPacketAt > Number.NEGATIVE_INFINITY;
  }

  /** The bit rate of the last 1–2 s, 0 when nothing flows. */
  bitrate(now: number): number {
    return this.rate.bitrate(now);
  }

  /** The bit rate a viewer needs for this layer: measured while it flows, else the nominal one. */
  expectedBitrate(now: number): number {
    const measured = this.bitrate(now);
    return this.isFlowing(now) && measured > 0 ? measured : this.nominalBitrate;
  }
}
