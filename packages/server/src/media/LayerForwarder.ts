import type { PublisherLayer } from './PublisherLayer.js';
import { RtpContinuity } from './RtpContinuity.js';
import { readVp8Numbering, writeVp8Numbering } from './vp8Descriptor.js';

/** What one forwarded packet carries to its viewer. */
export interface ForwardedRtp {
  sequenceNumber: number;
  timestamp: number;
  /** The payload to send: the publisher's own, or a copy with VP8 picture numbers rewritten. */
  payload: Buffer;
}

/** How a {@link LayerForwarder} treats its kind's payloads. */
export interface LayerForwarderInit {
  clockRate: number;
  /** Video: a new layer is joined at its keyframe; audio: at its next packet. */
  needsKeyframe: boolean;
  /** VP8: PictureID and TL0PICIDX are renumbered across a switch, so the viewer's frame references stay continuous. */
  vp8: boolean;
  /** Called when the forwarded layer changes (undefined: nothing is forwarded any more). */
  onSwitch: (layer: PublisherLayer | undefined) => void;
  now?: () => number;
}

/**
 * One viewer's forwarding of one kind (house style: per-viewer state in its own object). It forwards
 * exactly one of the publisher's layers; asked for another (`setTarget`), it keeps forwarding the
 * current one until the target's first keyframe arrives, and switches there, so the viewer's decoder
 * never gets a frame whose reference it lacks. Its own {@link RtpContinuity} makes the viewer see
 * one stream: sequence numbers continue right after the last one forwarded, timestamps advance by
 * the time in between, VP8 picture numbers continue. A publisher's reconnection is the same: its new
 * connection's layers are new objects to switch to.
 */
export class LayerForwarder {
  /** Switches made, and packets of the target not forwarded because its keyframe had not come yet. */
  readonly stats = { switches: 0, heldForKeyframe: 0 };
  private readonly continuity: RtpContinuity;
  private current: PublisherLayer | undefined;
  private target: PublisherLayer | undefined;
  private pictureIdOffset = 0;
  private tl0Offset = 0;
  private lastPictureId: number | undefined;
  private lastTl0: number | undefined;

  constructor(private readonly init: LayerForwarderInit) {
    this.continuity = new RtpContinuity(init.clockRate, init.needsKeyframe, init.now);
  }

  /** The layer whose packets are forwarded now. */
  get currentLayer(): PublisherLayer | undefined {
    return this.current;
  }

  /** The layer asked for (the current one once switched). */
  get targetLayer(): PublisherLayer | undefined {
    return this.target;
  }

  /** Whether the target is waiting for its keyframe (so the publisher should be asked for one). */
  get awaitingKeyframe(): boolean {
    return this.target !== undefined && this.target !== this.current && this.init.needsKeyframe;
  }

  /** Asks for another layer; undefined stops forwarding at once (paused). */
  setTarget(layer: PublisherLayer | undefined): void {
    if (layer === this.target) return;
    this.target = layer;
    if (layer === undefined && this.current !== undefined) {
      this.current = undefined;
      this.init.onSwitch(undefined);
    }
  }

  /** A packet of one of the publisher's layers: the header and payload to send, or undefined when this viewer does not get it. */
  forward(sequenceNumber: number, timestamp: number, payload: Buffer, layer: PublisherLayer, keyframe: boolean): ForwardedRtp | undefined {
    if (layer !== this.current) {
      if (layer !== this.target) return undefined;
      if (this.init.needsKeyframe && !keyframe) {
        this.stats.heldForKeyframe++;
        return undefined;
      }
      this.switchTo(layer, payload);
    }
    const header = this.continuity.map({ sequenceNumber, timestamp, startsKeyframe: () => keyframe });
    if (!header) return undefined;
    return { ...header, payload: this.init.vp8 ? this.renumberVp8(payload) : payload };
  }

  /** A packet of a layer was dropped upstream (padding): the current layer's numbering closes the gap. */
  drop(layer: PublisherLayer, sequenceNumber: number): void {
    if (layer === this.current) this.continuity.drop(sequenceNumber);
  }

  private switchTo(layer: PublisherLayer, payload: Buffer): void {
    this.continuity.newSource();
    this.current = layer;
    this.stats.switches++;
    if (this.init.vp8) {
      const numbering = readVp8Numbering(payload);
      if (numbering?.pictureId !== undefined && this.lastPictureId !== undefined) {
        const modulus = 1 << numbering.pictureIdBits;
        this.pictureIdOffset = (((this.lastPictureId + 1 - numbering.pictureId) % modulus) + modulus) % modulus;
      } else this.pictureIdOffset = 0;
      if (numbering?.tl0PicIdx !== undefined && this.lastTl0 !== undefined) {
        this.tl0Offset = (this.lastTl0 + 1 - numbering.tl0PicIdx + 256) & 0xff;
      } else this.tl0Offset = 0;
    }
    this.init.onSwitch(layer);
  }

  /** Continues the picture numbering of the layers forwarded before; copies the payload only when it changes. */
  private renumberVp8(payload: Buffer): Buffer {
    const numbering = readVp8Numbering(payload);
    if (!numbering) return payload;
    const pictureId = numbering.pictureId === undefined ? undefined : (numbering.pictureId + this.pictureIdOffset) % (1 << numbering.pictureIdBits);
    const tl0 = numbering.tl0PicIdx === undefined ? undefined : (numbering.tl0PicIdx + this.tl0Offset) & 0xff;
    if (pictureId !== undefined) this.lastPictureId = pictureId;
    if (tl0 !== undefined) this.lastTl0 = tl0;
    if (this.pictureIdOffset === 0 && this.tl0Offset === 0) return payload;
    const copy = Buffer.from(payload);
    writeVp8Numbering(copy, numbering, pictureId, tl0);
    return copy;
  }
}
